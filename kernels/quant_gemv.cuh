// The fused dequantize-and-multiply GEMV over GGUF blocks as stored, for any format F of
// quant_blocks.cuh / quant_kblocks.cuh, and the row dequantization (embedding rows, prefill weights).
//
// Each warp streams its own groups of R weight rows (grid-stride) through KOG_QSTAGES shared-memory
// buffers with 16-byte cp.async copies of the rows' byte range, whatever the block alignment; the
// first copies go out before the wait on the previous kernel. The block stages the N activation rows
// once (RMSNorm applied, padded against bank conflicts, with 16-column sums), then each lane takes
// units of the rows' blocks and keeps per-row partial sums, reduced across the warp at the end.
#pragma once
#include "gemv_core.cuh"
#include "quant_common.cuh"

#define KOG_QSTAGES 2           // weight buffers per warp
#define KOG_QUANT_MAX_THREADS 256  // blocks of 2..8 warps, chosen by the host per shape

template <int Pending>
__device__ __forceinline__ void copy_async_wait_pending() {
#if defined(__CUDA_ARCH__) && (__CUDA_ARCH__ >= 800) && !defined(__HIP_PLATFORM_AMD__)
  asm volatile("cp.async.wait_group %0;" ::"n"(Pending) : "memory");
#endif
}

// Starts copying the bytes of weight rows [g*R, g*R + R) (clipped to `rows`) into dst, from the
// 16-byte boundary at or below their start; the rows then begin at dst + (start & 15).
template <int R>
__device__ __forceinline__ void issue_row_group(const unsigned char* W, int bpr, int rows, int g, unsigned char* dst,
                                                int lane) {
  const long long r0 = (long long)g * R;
  const long long begin = r0 * bpr, end = min(r0 + R, (long long)rows) * bpr;
  const long long a0 = begin & ~15ll;
  const int chunks = (int)(((end + 15) & ~15ll) - a0) >> 4;
  const uint4* src = reinterpret_cast<const uint4*>(W + a0);
  uint4* d = reinterpret_cast<uint4*>(dst);
  for (int c = lane; c < chunks; c += KOG_WARP) copy_async_16(d + c, src + c);
}

template <typename XT>
__device__ __forceinline__ void load16(const XT* p, float (&v)[16]);

template <>
__device__ __forceinline__ void load16<float>(const float* p, float (&v)[16]) {
  const float4* q = reinterpret_cast<const float4*>(p);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float4 a = load_cg(q + i);
    v[4 * i] = a.x, v[4 * i + 1] = a.y, v[4 * i + 2] = a.z, v[4 * i + 3] = a.w;
  }
}

template <>
__device__ __forceinline__ void load16<kog_bf16>(const kog_bf16* p, float (&v)[16]) {
  const uint4* q = reinterpret_cast<const uint4*>(p);
  float a[8], b[8];
  unpack8(load_cg(q), a);
  unpack8(load_cg(q + 1), b);
#pragma unroll
  for (int e = 0; e < 8; ++e) v[e] = a[e], v[8 + e] = b[e];
}

// Block prologue, after the wait on the previous kernel: xs[n][kog_xpad(c)] = x[n][c] (times its
// RMSNorm scale and g[c] with NORM) and sums[n][c / 16] over each 16 columns of those values.
template <int N, int Unit, bool NORM, typename XT>
__device__ __forceinline__ void stage_quant_activations(const XT* x, int k, const kog_bf16* __restrict__ g, float eps,
                                                        float* xs, int xstride, float* sums, int sstride) {
  __shared__ float scale[N];
  if (NORM) {
    const int lane = threadIdx.x % KOG_WARP, warps = blockDim.x / KOG_WARP;
    for (int r = threadIdx.x / KOG_WARP; r < N; r += warps) {
      const float s = warp_rms_scale(reinterpret_cast<const float*>(x) + (size_t)r * k, k, eps, lane);
      if (lane == 0) scale[r] = s;
    }
    __syncthreads();
  }
  const int groups = k / 16;
  for (int j = threadIdx.x; j < N * groups; j += blockDim.x) {
    const int r = j / groups, c = (j % groups) * 16;
    float v[16];
    load16<XT>(x + (size_t)r * k + c, v);
    if (NORM) {
      float ga[8], gb[8];
      unpack8(__ldg(reinterpret_cast<const uint4*>(g + c)), ga);
      unpack8(__ldg(reinterpret_cast<const uint4*>(g + c) + 1), gb);
#pragma unroll
      for (int e = 0; e < 8; ++e) v[e] = v[e] * scale[r] * ga[e], v[8 + e] = v[8 + e] * scale[r] * gb[e];
    }
    float4* dst = reinterpret_cast<float4*>(xs + (size_t)r * xstride + kog_xpad<Unit>(c));
    float total = 0.f;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      dst[i] = make_float4(v[4 * i], v[4 * i + 1], v[4 * i + 2], v[4 * i + 3]);
      total += (v[4 * i] + v[4 * i + 1]) + (v[4 * i + 2] + v[4 * i + 3]);
    }
    sums[(size_t)r * sstride + c / 16] = total;
  }
  __syncthreads();
}

// y[n, o] = residual[n, o] + bias[o] + sum_c deq(W)[o, c] * a[n, c], a = x (or its RMSNorm with
// norm), for the KOG_ROWS activation rows. W: rows x bpr bytes of F blocks (+16 bytes of slack).
template <class F, int R, typename XT, bool NORM>
__device__ __forceinline__ void quant_gemv_body(const unsigned char* __restrict__ W, int bpr, int rows, int k,
                                                const XT* x, const kog_bf16* __restrict__ norm, float eps,
                                                const kog_bf16* __restrict__ bias, const float* residual, float* y,
                                                int stage_bytes) {
  constexpr int N = KOG_ROWS;
  kog_allow_next_grid();
  const int lane = threadIdx.x % KOG_WARP, warp = threadIdx.x / KOG_WARP, warps = blockDim.x / KOG_WARP;
  const int xstride = kog_xpad<F::UNIT>(k), sstride = k / 16;
  float* xs = reinterpret_cast<float*>(kog_gemv_smem);
  float* sums = xs + N * xstride;
  unsigned char* bufs = reinterpret_cast<unsigned char*>(kog_gemv_smem) +
                        ((N * (xstride + sstride) * 4 + 15) & ~15) + (size_t)warp * KOG_QSTAGES * stage_bytes;
  const int groups = (rows + R - 1) / R, stride = gridDim.x * warps;
  const int first = blockIdx.x * warps + warp;
#pragma unroll
  for (int s = 0; s < KOG_QSTAGES; ++s) {
    if (first + s * stride < groups) issue_row_group<R>(W, bpr, rows, first + s * stride, bufs + s * stage_bytes, lane);
    copy_async_commit();
  }
  // NOTE: only weights were touched above; the activations are the previous kernel's output.
  kog_wait_prior_grid();
  stage_quant_activations<N, F::UNIT, NORM, XT>(x, k, norm, eps, xs, xstride, sums, sstride);
  const int units = k / F::UNIT;
  int slot = 0;
  for (int g = first; g < groups; g += stride) {
    copy_async_wait_pending<KOG_QSTAGES - 1>();
    __syncwarp();  // every lane's copies of this group have landed
    unsigned char* buf = bufs + slot * stage_bytes;
    const long long start = (long long)g * R * bpr;
    const int live = min(R, rows - g * R);
    const unsigned char* rowp[R];
#pragma unroll
    for (int j = 0; j < R; ++j) rowp[j] = buf + (start & 15) + (size_t)min(j, live - 1) * bpr;  // extra rows dropped
    float part[R][N];
#pragma unroll
    for (int j = 0; j < R; ++j)
#pragma unroll
      for (int n = 0; n < N; ++n) part[j][n] = 0.f;
    for (int u = lane; u < units; u += KOG_WARP) F::template dot<R, N>(rowp, u, xs, xstride, sums, sstride, part);
    __syncwarp();  // the buffer is free again
    if (g + KOG_QSTAGES * stride < groups) issue_row_group<R>(W, bpr, rows, g + KOG_QSTAGES * stride, buf, lane);
    copy_async_commit();
    slot = slot + 1 == KOG_QSTAGES ? 0 : slot + 1;
#pragma unroll
    for (int j = 0; j < R; ++j)
#pragma unroll
      for (int n = 0; n < N; ++n) part[j][n] = warp_sum(part[j][n]);
    if (lane == 0) {
#pragma unroll
      for (int j = 0; j < R; ++j) {
        if (j >= live) break;
        const int row = g * R + j;
        const float b = bias ? bf16_to_float(bias[row]) : 0.f;
#pragma unroll
        for (int n = 0; n < N; ++n) {
          const size_t at = (size_t)n * rows + row;
          float v = part[j][n] + b;
          if (residual) v += load_cg(residual + at);  // NOTE: residual may alias y; same element, same lane
          y[at] = v;
        }
      }
    }
  }
  copy_async_wait_pending<0>();
}

// out[r, :] = deq(W)[ids ? ids[r] : r, :] for r < n, fp32 or bf16 (row stride out_stride elements).
template <class F, typename OT>
__device__ __forceinline__ void quant_rows_body(const unsigned char* __restrict__ W, int bpr, int k, const int* ids,
                                                int n, OT* out, int out_stride) {
  kog_allow_next_grid();
  kog_wait_prior_grid();  // ids may be the previous kernel's output
  const int units = k / F::UNIT;
  const long long total = (long long)n * units;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x) {
    const int r = (int)(i / units), u = (int)(i % units);
    const long long src = ids ? (long long)load_cg(ids + r) : r;
    OT* o = out + (size_t)r * out_stride;
    F::values(W + src * bpr, u, [&](int c, float v) {
      if constexpr (sizeof(OT) == 2) {
        o[c] = float_to_bf16(v);
      } else {
        o[c] = v;
      }
    });
  }
}

#define KOG_QGEMV_ARGS                                                                                     \
  const unsigned char *__restrict__ W, int bpr, int rows, int k, const void *x, const kog_bf16 *__restrict__ norm, \
      float eps, const kog_bf16 *__restrict__ bias, const float *residual, float *y, int stage_bytes
#define KOG_QGEMV_PASS(XT) W, bpr, rows, k, reinterpret_cast<const XT*>(x), norm, eps, bias, residual, y, stage_bytes
#define KOG_QROWS_ARGS \
  const unsigned char *__restrict__ W, int bpr, int k, const int *ids, int n, void *out, int out_stride

#define KOG_QUANT_GEMV(PREFIX, FMT, R)                                                                    \
  extern "C" __global__ void __launch_bounds__(KOG_QUANT_MAX_THREADS) PREFIX##_gemv_bf16_r##R(KOG_QGEMV_ARGS) {    \
    quant_gemv_body<FMT, R, kog_bf16, false>(KOG_QGEMV_PASS(kog_bf16));                                   \
  }                                                                                                       \
  extern "C" __global__ void __launch_bounds__(KOG_QUANT_MAX_THREADS) PREFIX##_gemv_f32_r##R(KOG_QGEMV_ARGS) {     \
    quant_gemv_body<FMT, R, float, false>(KOG_QGEMV_PASS(float));                                         \
  }                                                                                                       \
  extern "C" __global__ void __launch_bounds__(KOG_QUANT_MAX_THREADS) PREFIX##_gemv_f32_norm_r##R(KOG_QGEMV_ARGS) { \
    quant_gemv_body<FMT, R, float, true>(KOG_QGEMV_PASS(float));                                          \
  }

// Rows per warp times activation rows is kept at most 4 (registers), so a module built for more
// activation rows carries only the narrower variants.
#if KOG_ROWS <= 2
#define KOG_QUANT_GEMV_R2(PREFIX, FMT) KOG_QUANT_GEMV(PREFIX, FMT, 2)
#else
#define KOG_QUANT_GEMV_R2(PREFIX, FMT)
#endif
#if KOG_ROWS == 1
#define KOG_QUANT_GEMV_R4(PREFIX, FMT) KOG_QUANT_GEMV(PREFIX, FMT, 4)
#else
#define KOG_QUANT_GEMV_R4(PREFIX, FMT)
#endif

// Every kernel of one format: GEMVs for 1, 2 and 4 weight rows per warp, and row dequantization.
#define KOG_QUANT_KERNELS(PREFIX, FMT)                                                        \
  KOG_QUANT_GEMV(PREFIX, FMT, 1)                                                              \
  KOG_QUANT_GEMV_R2(PREFIX, FMT)                                                              \
  KOG_QUANT_GEMV_R4(PREFIX, FMT)                                                              \
  extern "C" __global__ void __launch_bounds__(256) PREFIX##_rows_f32(KOG_QROWS_ARGS) {       \
    quant_rows_body<FMT, float>(W, bpr, k, ids, n, reinterpret_cast<float*>(out), out_stride); \
  }                                                                                           \
  extern "C" __global__ void __launch_bounds__(256) PREFIX##_rows_bf16(KOG_QROWS_ARGS) {      \
    quant_rows_body<FMT, kog_bf16>(W, bpr, k, ids, n, reinterpret_cast<kog_bf16*>(out), out_stride); \
  }
