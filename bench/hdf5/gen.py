# Writes the HDF5 benchmark files (256 MiB of sparse uint16 4D-STEM data) with h5py:
# python3 bench/hdf5/gen.py in a scratch folder, then STEMFLOW_HDF5_BENCH=that folder
# go test -run ^$ -bench BenchmarkHDF5 ./dataset/
import numpy as np, h5py, hdf5plugin
rng = np.random.default_rng(1)
data = (rng.poisson(0.05, size=(128, 64, 128, 128))).astype(np.uint16)
with h5py.File("big_gzip.h5", "w") as f:
    f.create_dataset("data", data=data, chunks=(1, 16, 128, 128), compression="gzip", compression_opts=4)
with h5py.File("big_bslz4.h5", "w") as f:
    f.create_dataset("data", data=data.reshape(8192, 128, 128), chunks=(1, 128, 128), **hdf5plugin.Bitshuffle(nelems=0, lz4=True))
with h5py.File("big_contig.h5", "w") as f:
    f.create_dataset("data", data=data)
np.save("frame_sums.npy", data.reshape(8192, -1).sum(axis=1))
print(data.sum())
