"""Reads the benchmark files with h5py as the reference measured it: one read per row
of the first axis (GB/s of uncompressed bytes, median of 5). Needs python3-h5py and
python3-hdf5plugin (Debian)."""
import statistics, sys, time

import h5py
import hdf5plugin  # noqa: F401  (registers the bitshuffle filter)

for name in sys.argv[1:]:
    with h5py.File(name, "r") as f:
        d = f["data"]
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            s = 0
            for i in range(d.shape[0]):
                s += int(d[i].ravel()[0])
            times.append(time.perf_counter() - t0)
        nbytes = d.size * d.dtype.itemsize
        print(f"{name}: {nbytes / statistics.median(times) / 1e9:.3f} GB/s (median of 5)")
