"""Reads the benchmark files with h5py as the reference measured it: one read per row
of the first axis (GB/s of uncompressed bytes, median of 5, by wall time and by the
process's CPU time). Needs python3-h5py and python3-hdf5plugin (Debian)."""
import statistics, sys, time

import h5py
import hdf5plugin  # noqa: F401  (registers the bitshuffle filter)

for name in sys.argv[1:]:
    with h5py.File(name, "r") as f:
        d = f["data"]
        times, cpus = [], []
        for _ in range(5):
            t0, c0 = time.perf_counter(), time.process_time()
            s = 0
            for i in range(d.shape[0]):
                s += int(d[i].ravel()[0])
            times.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        nbytes = d.size * d.dtype.itemsize
        print(f"{name}: {nbytes / statistics.median(times) / 1e9:.3f} GB/s, "
              f"{nbytes / statistics.median(cpus) / 1e9:.3f} GB/s-cpu (median of 5)")
