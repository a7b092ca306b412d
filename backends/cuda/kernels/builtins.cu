// stemflow's CUDA kernels for the built-in UDFs, compiled at run time by NVRTC.
//
// Every kernel reads a tile of nf frames of npix pixels each, C order, in the stored
// element type (decoded on the device, so PCIe carries the stored bytes), and
// accumulates in double. Each is instantiated once per element type by the FOR_TYPES
// macro; the extern "C" name is <kernel>_<suffix>, e.g. sum_frames_u16.

#define FOR_TYPES(X) \
    X(f32, float) X(f64, double) X(u8, unsigned char) X(u16, unsigned short) \
    X(u32, unsigned int) X(i8, signed char) X(i16, short) X(i32, int) \
    X(u64, unsigned long long) X(i64, long long)

typedef long long i64;

// block_sum returns the sum of v over the block to thread 0 (other threads: garbage).
// sh holds 32 doubles.
__device__ __forceinline__ double block_sum(double v, double* sh) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) sh[warp] = v;
    __syncthreads();
    int nw = (blockDim.x + 31) >> 5;
    v = (threadIdx.x < nw) ? sh[threadIdx.x] : 0.0;
    if (warp == 0)
        for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ double block_min(double v, double* sh) {
    for (int o = 16; o > 0; o >>= 1) v = fmin(v, __shfl_down_sync(0xffffffffu, v, o));
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) sh[warp] = v;
    __syncthreads();
    int nw = (blockDim.x + 31) >> 5;
    v = (threadIdx.x < nw) ? sh[threadIdx.x] : __longlong_as_double(0x7ff0000000000000LL);
    if (warp == 0)
        for (int o = 16; o > 0; o >>= 1) v = fmin(v, __shfl_down_sync(0xffffffffu, v, o));
    return v;
}

#define GRID_STRIDE(p, n) \
    for (i64 p = blockIdx.x * (i64)blockDim.x + threadIdx.x; p < (n); p += (i64)gridDim.x * blockDim.x)

// sum_frames: acc[p] += sum over frames of in[f, p]   (Sum)
#define K_SUM(S, T)                                                                     \
    extern "C" __global__ void sum_frames_##S(const T* __restrict__ in, double* __restrict__ acc, \
                                              i64 nf, i64 npix) {                       \
        GRID_STRIDE(p, npix) {                                                          \
            double s = 0;                                                               \
            for (i64 f = 0; f < nf; f++) s += (double)in[f * npix + p];                 \
            acc[p] += s;                                                                \
        }                                                                               \
    }
FOR_TYPES(K_SUM)

// sum_sig: out[f] = sum over pixels of in[f, p]   (SumSig; one block per frame)
#define K_SUMSIG(S, T)                                                                  \
    extern "C" __global__ void sum_sig_##S(const T* __restrict__ in, double* __restrict__ out, \
                                           i64 nf, i64 npix) {                          \
        __shared__ double sh[32];                                                       \
        for (i64 f = blockIdx.x; f < nf; f += gridDim.x) {                              \
            const T* fr = in + f * npix;                                                \
            double s = 0;                                                               \
            for (i64 p = threadIdx.x; p < npix; p += blockDim.x) s += (double)fr[p];    \
            s = block_sum(s, sh);                                                       \
            if (threadIdx.x == 0) out[f] = s;                                           \
        }                                                                               \
    }
FOR_TYPES(K_SUMSIG)

// std_frames: per pixel, merges the tile's frames into the running sum and sum of squared
// deviations (varsum) of n0 earlier frames (StdDev; Welford in the tile, Chan's merge).
#define K_STD(S, T)                                                                     \
    extern "C" __global__ void std_frames_##S(const T* __restrict__ in, double* __restrict__ sum, \
                                              double* __restrict__ varsum, i64 nf, i64 npix, i64 n0) { \
        GRID_STRIDE(p, npix) {                                                          \
            double mean = 0, m2 = 0;                                                    \
            for (i64 f = 0; f < nf; f++) {                                              \
                double x = (double)in[f * npix + p];                                    \
                double d = x - mean;                                                    \
                mean += d / (double)(f + 1);                                            \
                m2 += d * (x - mean);                                                   \
            }                                                                           \
            if (n0 == 0) {                                                              \
                sum[p] = mean * (double)nf;                                             \
                varsum[p] = m2;                                                         \
            } else {                                                                    \
                double meanA = sum[p] / (double)n0, d = mean - meanA;                   \
                varsum[p] += m2 + d * d * (double)n0 * (double)nf / (double)(n0 + nf);  \
                sum[p] += mean * (double)nf;                                            \
            }                                                                           \
        }                                                                               \
    }
FOR_TYPES(K_STD)

// com_frames: per frame, out[3f..3f+2] = (Σ m·v, Σ m·v·y, Σ m·v·x) with mask m (float,
// npix = sy*sx) and pixel coordinates y = p / sx, x = p % sx (CoM; one block per frame).
#define K_COM(S, T)                                                                     \
    extern "C" __global__ void com_frames_##S(const T* __restrict__ in, const float* __restrict__ mask, \
                                              double* __restrict__ out, i64 nf, i64 npix, i64 sx) { \
        __shared__ double sh[32];                                                       \
        for (i64 f = blockIdx.x; f < nf; f += gridDim.x) {                              \
            const T* fr = in + f * npix;                                                \
            double t = 0, ty = 0, tx = 0;                                               \
            for (i64 p = threadIdx.x; p < npix; p += blockDim.x) {                      \
                double v = (double)mask[p] * (double)fr[p];                             \
                t += v;                                                                 \
                ty += v * (double)(p / sx);                                             \
                tx += v * (double)(p % sx);                                             \
            }                                                                           \
            t = block_sum(t, sh);                                                       \
            ty = block_sum(ty, sh);                                                     \
            tx = block_sum(tx, sh);                                                     \
            if (threadIdx.x == 0) {                                                     \
                out[3 * f] = t;                                                         \
                out[3 * f + 1] = ty;                                                    \
                out[3 * f + 2] = tx;                                                    \
            }                                                                           \
        }                                                                               \
    }
FOR_TYPES(K_COM)

// ring_moments: per frame, out[3f..3f+2] = (Σ m, Σ m·v, Σ m·v²) for a 0/1 mask (FEM).
#define K_MOM(S, T)                                                                     \
    extern "C" __global__ void ring_moments_##S(const T* __restrict__ in, const float* __restrict__ mask, \
                                                double* __restrict__ out, i64 nf, i64 npix) { \
        __shared__ double sh[32];                                                       \
        for (i64 f = blockIdx.x; f < nf; f += gridDim.x) {                              \
            const T* fr = in + f * npix;                                                \
            double c = 0, s = 0, s2 = 0;                                                \
            for (i64 p = threadIdx.x; p < npix; p += blockDim.x) {                      \
                double m = (double)mask[p], v = (double)fr[p];                          \
                c += m;                                                                 \
                s += m * v;                                                             \
                s2 += m * v * v;                                                        \
            }                                                                           \
            c = block_sum(c, sh);                                                       \
            s = block_sum(s, sh);                                                       \
            s2 = block_sum(s2, sh);                                                     \
            if (threadIdx.x == 0) {                                                     \
                out[3 * f] = c;                                                         \
                out[3 * f + 1] = s;                                                     \
                out[3 * f + 2] = s2;                                                    \
            }                                                                           \
        }                                                                               \
    }
FOR_TYPES(K_MOM)

// frame_min: out[f] = min over pixels of in[f, p]   (Logsum's first step)
#define K_MIN(S, T)                                                                     \
    extern "C" __global__ void frame_min_##S(const T* __restrict__ in, double* __restrict__ out, \
                                             i64 nf, i64 npix) {                        \
        __shared__ double sh[32];                                                       \
        for (i64 f = blockIdx.x; f < nf; f += gridDim.x) {                              \
            const T* fr = in + f * npix;                                                \
            double m = __longlong_as_double(0x7ff0000000000000LL);                                                       \
            for (i64 p = threadIdx.x; p < npix; p += blockDim.x) m = fmin(m, (double)fr[p]); \
            m = block_min(m, sh);                                                       \
            if (threadIdx.x == 0) out[f] = m;                                           \
        }                                                                               \
    }
FOR_TYPES(K_MIN)

// log_sum: acc[p] += Σ_f log(in[f, p] − mins[f] + 1)   (Logsum's second step)
#define K_LOG(S, T)                                                                     \
    extern "C" __global__ void log_sum_##S(const T* __restrict__ in, const double* __restrict__ mins, \
                                           double* __restrict__ acc, i64 nf, i64 npix) { \
        GRID_STRIDE(p, npix) {                                                          \
            double s = 0;                                                               \
            for (i64 f = 0; f < nf; f++) s += log((double)in[f * npix + p] - mins[f] + 1.0); \
            acc[p] += s;                                                                \
        }                                                                               \
    }
FOR_TYPES(K_LOG)

// to_f32: out[i] = (float)in[i]   (decodes a tile for the cuBLAS mask product)
#define K_F32(S, T)                                                                     \
    extern "C" __global__ void to_f32_##S(const T* __restrict__ in, float* __restrict__ out, i64 n) { \
        GRID_STRIDE(i, n) out[i] = (float)in[i];                                        \
    }
FOR_TYPES(K_F32)

// pick_frames: out[i] = in[i] for the nf·npix elements of a tile, out pointing at the
// tile's first row of the partition's frame buffer   (Pick)
#define K_PICK(S, T)                                                                    \
    extern "C" __global__ void pick_frames_##S(const T* __restrict__ in, T* __restrict__ out, \
                                               i64 nf, i64 npix) {                      \
        GRID_STRIDE(i, nf * npix) out[i] = in[i];                                       \
    }
FOR_TYPES(K_PICK)

// gather_frames: out[k, p] = in[idx[k], p] for k < nk   (a ROI's frames out of a
// device-resident partition that was cached without that ROI)
#define K_GATHER(S, T)                                                                  \
    extern "C" __global__ void gather_frames_##S(const T* __restrict__ in, const i64* __restrict__ idx, \
                                                 T* __restrict__ out, i64 nk, i64 npix) { \
        GRID_STRIDE(i, nk * npix) out[i] = in[idx[i / npix] * npix + i % npix];         \
    }
FOR_TYPES(K_GATHER)

// csr_masks: out[f·nm + m] = Σ values[j] · in[f, indices[j]] over indptr[m] ≤ j < indptr[m+1]
// for nm masks stored as CSR rows over the frame's pixels (ApplyMasks with sparse masks;
// one block per frame, the block's threads share each mask's entries).
#define K_CSR(S, T)                                                                     \
    extern "C" __global__ void csr_masks_##S(const T* __restrict__ in, const int* __restrict__ indptr, \
                                             const int* __restrict__ indices, const double* __restrict__ values, \
                                             double* __restrict__ out, i64 nf, i64 npix, i64 nm) { \
        __shared__ double sh[32];                                                       \
        for (i64 f = blockIdx.x; f < nf; f += gridDim.x) {                              \
            const T* fr = in + f * npix;                                                \
            for (i64 m = 0; m < nm; m++) {                                              \
                double s = 0;                                                           \
                for (i64 j = indptr[m] + threadIdx.x; j < indptr[m + 1]; j += blockDim.x) \
                    s += values[j] * (double)fr[indices[j]];                            \
                s = block_sum(s, sh);                                                   \
                if (threadIdx.x == 0) out[f * nm + m] = s;                              \
            }                                                                           \
        }                                                                               \
    }
FOR_TYPES(K_CSR)

// swap_bytes: out[i] = in[i] with its bytes reversed, for n elements: decodes big-endian
// frames (MIB U16/U32, ">u2" files) uploaded as stored. in may equal out (each thread
// reads and writes only its own element).
__device__ __forceinline__ unsigned char swap_bits(unsigned char v) { return v; }
__device__ __forceinline__ unsigned short swap_bits(unsigned short v) {
    return (unsigned short)((v >> 8) | (v << 8));
}
__device__ __forceinline__ unsigned int swap_bits(unsigned int v) { return __byte_perm(v, 0, 0x0123); }
__device__ __forceinline__ unsigned long long swap_bits(unsigned long long v) {
    return ((unsigned long long)__byte_perm((unsigned int)v, 0, 0x0123) << 32) |
           (unsigned long long)__byte_perm((unsigned int)(v >> 32), 0, 0x0123);
}
template <int N> struct UBits;
template <> struct UBits<1> { typedef unsigned char T; };
template <> struct UBits<2> { typedef unsigned short T; };
template <> struct UBits<4> { typedef unsigned int T; };
template <> struct UBits<8> { typedef unsigned long long T; };

#define K_SWAP(S, T)                                                                    \
    extern "C" __global__ void swap_bytes_##S(const T* in, T* out, i64 n) {             \
        typedef UBits<sizeof(T)>::T U;                                                  \
        GRID_STRIDE(i, n) ((U*)out)[i] = swap_bits(((const U*)in)[i]);                  \
    }
FOR_TYPES(K_SWAP)
