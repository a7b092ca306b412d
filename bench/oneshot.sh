#!/usr/bin/env bash
# Whole-process benchmark of the one-shot CLI: for each case, alternately runs the
# plain reference (bench/oneshot readsum: pread every byte of the file once and sum
# it) and `stemflow run` on the same file, from process start to exit with every
# output written, and prints the median time of each and the median of the
# per-pair ratios stemflow / reference.
#
# Files (git-ignored, written if missing): bench/data/oneshot-f32.raw (64,64,128,128)
# float32, 256 MiB, and bench/data/oneshot-u16.raw, same shape, uint16, 128 MiB.
# Both stay in the page cache between runs (read once before timing).
#
# Environment: GO (go binary), N (pairs per case, default 9), IO (stemflow --io,
# default auto), CASES (regexp of case names, default all), EXTRA (more run flags),
# BASE (another stemflow binary, e.g. one built from main: each round then also runs
# it, after the reference and before bin/stemflow, and its median and ratio are
# printed too, so that before and after are measured in one session).
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
N=${N:-9}
DATA=bench/data
mkdir -p "$DATA" bin
"$GO" build -o bin/stemflow ./cmd/stemflow
"$GO" build -o bin/oneshot ./bench/oneshot
F32=$DATA/oneshot-f32.raw
U16=$DATA/oneshot-u16.raw
[ -s "$F32" ] || bin/oneshot gen float32 64 64 128 128 "$F32"
[ -s "$U16" ] || bin/oneshot gen uint16 64 64 128 128 "$U16"
cat "$F32" "$U16" >/dev/null # into the page cache
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

shape=(--format raw --nav-shape 64,64 --sig-shape 128,128 --io "${IO:-auto}")
cases=(
	"Sum|$F32|float32|--udf sum"
	"SumSig|$F32|float32|--udf sumsig"
	"disk|$F32|float32|--udf disk:cy=64,cx=64,r=30"
	"CoM|$F32|float32|--udf com"
	"StdDev|$F32|float32|--udf stddev"
	"uint16 Sum|$U16|uint16|--udf sum"
)

# now prints the wall clock in microseconds.
now() { local t=${EPOCHREALTIME/./}; echo "$t"; }

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

printf "%-11s %12s %12s %8s" case "stemflow s" "readsum s" ratio
if [ -n "${BASE:-}" ]; then printf " %12s %8s" "base s" "base ratio"; fi
printf "   (N=%d pairs, --io %s, %d CPUs, load %s)\n" "$N" "${IO:-auto}" "$(nproc)" "$(cut -d' ' -f1 /proc/loadavg)"
for c in "${cases[@]}"; do
	IFS='|' read -r name file dtype udfs <<<"$c"
	if [ -n "${CASES:-}" ] && ! [[ $name =~ $CASES ]]; then continue; fi
	ts=() tr=() ratios=() tb=() bratios=()
	for ((i = 0; i < N; i++)); do
		t0=$(now)
		bin/oneshot readsum "$file" >/dev/null
		t1=$(now)
		ts1=$t1 # when bin/stemflow starts
		if [ -n "${BASE:-}" ]; then
			# shellcheck disable=SC2086
			"$BASE" run "$file" "${shape[@]}" --dtype "$dtype" $udfs ${EXTRA:-} --out "$OUT/b" >/dev/null
			ts1=$(now)
			tb+=($((ts1 - t1)))
			bratios+=("$(awk -v a=$((ts1 - t1)) -v b=$((t1 - t0)) 'BEGIN {printf "%.4f", a / b}')")
		fi
		# shellcheck disable=SC2086
		bin/stemflow run "$file" "${shape[@]}" --dtype "$dtype" $udfs ${EXTRA:-} --out "$OUT/o" >/dev/null
		t2=$(now)
		tr+=($((t1 - t0))) ts+=($((t2 - ts1)))
		ratios+=("$(awk -v a=$((t2 - ts1)) -v b=$((t1 - t0)) 'BEGIN {printf "%.4f", a / b}')")
	done
	ms=$(printf '%s\n' "${ts[@]}" | median)
	mr=$(printf '%s\n' "${tr[@]}" | median)
	mq=$(printf '%s\n' "${ratios[@]}" | median)
	printf "%-11s %12.3f %12.3f %8.2f" "$name" "$(awk -v x="$ms" 'BEGIN{print x/1e6}')" "$(awk -v x="$mr" 'BEGIN{print x/1e6}')" "$mq"
	if [ -n "${BASE:-}" ]; then
		mb=$(printf '%s\n' "${tb[@]}" | median)
		mbq=$(printf '%s\n' "${bratios[@]}" | median)
		printf " %12.3f %8.2f" "$(awk -v x="$mb" 'BEGIN{print x/1e6}')" "$mbq"
	fi
	printf "\n"
done
