#!/usr/bin/env bash
# stemflow's GPU check, in two steps so the GPU machine needs no Go toolchain:
#   bash bench/gpu.sh build   # here: CGO_ENABLED=0 test and benchmark binaries into .gpu/
#   bash bench/gpu.sh run     # on a machine with an NVIDIA GPU, from the repository root
# "run" prints: every kernel × element type on the device against the emulator, the
# engine's device path against the CPU path for every GPU built-in (uint16 and float32,
# with and without ROI, device-only and hybrid: sum, sumsig, stddev, com, logsum, fem,
# dense and sparse masks, pick), then one table of on-device and streamed throughput
# (also Pick, sparse masks, gathering a ROI out of cached frames and big-endian
# decoding on the device), hybrid vs CPU-only, per-run overhead, and a GPU-vs-CPU
# difference per built-in (flagged MISMATCH beyond float32 rounding). It takes under 5 minutes
# including data generation. Set FRAMES (default 4096) and STREAMS (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
build)
  mkdir -p .gpu
  CGO_ENABLED=0 go test -c -o .gpu/cuda.test ./backends/cuda
  CGO_ENABLED=0 go test -c -o .gpu/udfs.test ./udfs
  CGO_ENABLED=0 go build -o .gpu/gpucheck ./bench/gpu
  CGO_ENABLED=0 go build -o .gpu/stemflow ./cmd/stemflow
  # The check program end to end on the CPU emulator (a few seconds): a GPU run must
  # not be the first time it runs.
  .gpu/gpucheck -emulate -frames 128 -side 16 -reps 1 >/dev/null
  ls -la .gpu
  ;;
run)
  export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}/usr/local/cuda/lib64:/usr/local/nvidia/lib64"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
  .gpu/stemflow info --format npy /dev/null 2>/dev/null | grep -A3 '^gpu' || true
  echo "== kernels on the device vs the emulator"
  (cd backends/cuda && ../../.gpu/cuda.test -test.run 'GPU' -test.v -test.bench GPU -test.benchtime 200x) 2>&1 | tail -20
  echo "== engine device path vs CPU path (emulated and, with STEMFLOW device lanes, real)"
  (cd udfs && ../.gpu/udfs.test -test.run 'Device' -test.v) 2>&1 | grep -E '^(---|ok|FAIL|PASS)' | tail -8
  echo "== throughput"
  .gpu/gpucheck -frames "${FRAMES:-4096}" -streams "${STREAMS:-2}"
  ;;
*)
  echo "usage: bash bench/gpu.sh build|run" >&2
  exit 2
  ;;
esac
