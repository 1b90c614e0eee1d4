// The streaming heart of every bf16 matrix-vector kernel: one warp computes R weight rows against
// N activation rows staged in shared memory.
// Weights move with 16-byte cp.async copies into per-lane shared-memory slots: ptxas issues ordinary
// loads a couple at a time, async copies all go out at once (KOG_SLOTS per lane in flight). The first
// batch is issued before waiting on the previous kernel (programmatic dependent launch), so weight
// traffic overlaps that kernel's tail.
#pragma once
#include "common.cuh"

#ifndef KOG_ROWS
#define KOG_ROWS 1  // activation rows per launch (1 for decode, up to k for verification); set by the builder
#endif
#define KOG_SLOTS 16          // uint4 weight slots per lane
#define KOG_GEMV_THREADS 128  // the GEMV-family kernels run 4 warps per block,
#define KOG_GEMV_MAX_THREADS 384  // the plain GEMV up to 12 for long rows (kernels/gemv.py)

__device__ __forceinline__ void copy_async_16(uint4* smem_dst, const uint4* gmem_src) {
#if defined(__CUDA_ARCH__) && (__CUDA_ARCH__ >= 800) && !defined(__HIP_PLATFORM_AMD__)
  const unsigned int dst = (unsigned int)__cvta_generic_to_shared(smem_dst);
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(dst), "l"(gmem_src) : "memory");
#else
  *smem_dst = *gmem_src;
#endif
}

// copy_async_16 for stored-block weights: the line is read under weight_policy (common.cuh). The bf16
// GEMVs keep plain copies: the policy measured +0.7-1.1% on stored blocks, nothing or -0.7% in bf16.
__device__ __forceinline__ void copy_weights_async_16(uint4* smem_dst, const uint4* gmem_src) {
#if defined(__CUDA_ARCH__) && (__CUDA_ARCH__ >= 800) && !defined(__HIP_PLATFORM_AMD__)
  const unsigned int dst = (unsigned int)__cvta_generic_to_shared(smem_dst);
  asm volatile("cp.async.cg.shared.global.L2::cache_hint [%0], [%1], 16, %2;" ::"r"(dst), "l"(gmem_src),
               "l"(weight_policy())
               : "memory");
#else
  *smem_dst = *gmem_src;
#endif
}

__device__ __forceinline__ void copy_async_commit() {
#if defined(__CUDA_ARCH__) && (__CUDA_ARCH__ >= 800) && !defined(__HIP_PLATFORM_AMD__)
  asm volatile("cp.async.commit_group;" ::: "memory");
#endif
}

__device__ __forceinline__ void copy_async_wait_all() {
#if defined(__CUDA_ARCH__) && (__CUDA_ARCH__ >= 800) && !defined(__HIP_PLATFORM_AMD__)
  asm volatile("cp.async.wait_group 0;" ::: "memory");
#endif
}

// Dynamic shared memory of a GEMV-family block: [warps x 32 lanes x KOG_SLOTS] uint4 weight slots,
// then (when x_shared) the activations [N, k] fp32, 16 floats of scratch, and the norm weight [k] bf16.
extern __shared__ uint4 kog_gemv_smem[];

__device__ __forceinline__ uint4* warp_slots() {
  return kog_gemv_smem + (threadIdx.x / KOG_WARP) * KOG_WARP * KOG_SLOTS;
}
__device__ __forceinline__ float* staged_x() {
  return reinterpret_cast<float*>(kog_gemv_smem + blockDim.x * KOG_SLOTS);
}

// Block prologue, after the wait on the previous kernel: the N activation rows into shared memory,
// and with NORM each row multiplied by the norm weight and (several rows) by its RMSNorm scale, so
// the dot products that follow are plain; one row's RMS scale comes back in `rms`, for the outputs
// (one pass over the row and one barrier fewer). Returns where the activations are to be read
// (shared, or global if they did not fit, which the host allows only without NORM).
template <int N, bool NORM>
__device__ __forceinline__ const float* stage_activations(const float* x, int k, const kog_bf16* __restrict__ g,
                                                          float eps, bool x_shared, float& rms) {
  rms = 1.f;
  if (!x_shared) return x;
  float* xs = staged_x();
  float* scale = xs + N * k;
  kog_bf16* gs = reinterpret_cast<kog_bf16*>(scale + 16);
  // NOTE: async copies, all in flight at once; a load-and-store loop here waited one L2 round trip
  // per iteration (several microseconds per kernel before the first weight was touched).
  for (int i = threadIdx.x; i < N * k / 4; i += blockDim.x)
    copy_async_16(reinterpret_cast<uint4*>(xs) + i, reinterpret_cast<const uint4*>(x) + i);
  if (NORM)
    for (int i = threadIdx.x; i < k / 8; i += blockDim.x)
      copy_async_16(reinterpret_cast<uint4*>(gs) + i, reinterpret_cast<const uint4*>(g) + i);
  copy_async_commit();
  copy_async_wait_all();  // also the first weight batch, issued earlier
  __syncthreads();
  if (NORM && N == 1) {
    // One row: every warp sums part of it (one warp alone took k / 32 dependent steps while the others
    // waited at the barrier), and no division by k to find an element's row. The warps' sums go in the
    // scale slots: a static array would take shared memory from the resident grid (bench/NOTES.md).
    static_assert(KOG_GEMV_MAX_THREADS / KOG_WARP <= 16, "a warp's sum per scale slot");
    float* part = scale;
    const int lane = threadIdx.x % KOG_WARP, warp = threadIdx.x / KOG_WARP;
    float ss = 0.f;
    for (int i = threadIdx.x; i < k; i += blockDim.x) {
      const float v = xs[i];
      ss += v * v;
      xs[i] = v * bf16_to_float(gs[i]);
    }
    ss = warp_sum(ss);
    if (lane == 0) part[warp] = ss;
    __syncthreads();  // the sums, and the row times the norm weight
    float t = 0.f;
    for (int w = 0; w < (int)blockDim.x / KOG_WARP; ++w) t += part[w];
    rms = rsqrtf(t / (float)k + eps);
  } else if (NORM) {
    const int lane = threadIdx.x % KOG_WARP, warp = threadIdx.x / KOG_WARP;
    for (int r = warp; r < N; r += blockDim.x / KOG_WARP) {
      float ss = 0.f;
      for (int i = lane; i < k; i += KOG_WARP) ss += xs[r * k + i] * xs[r * k + i];
      ss = warp_sum(ss);
      if (lane == 0) scale[r] = rsqrtf(ss / (float)k + eps);
    }
    __syncthreads();
    for (int i = threadIdx.x; i < N * k; i += blockDim.x) xs[i] *= scale[i / k] * bf16_to_float(gs[i % k]);
    __syncthreads();
  }
  return xs;
}

__device__ __forceinline__ void copy_async_wait_all_but_one() {
#if defined(__CUDA_ARCH__) && (__CUDA_ARCH__ >= 800) && !defined(__HIP_PLATFORM_AMD__)
  asm volatile("cp.async.wait_group 1;" ::: "memory");
#endif
}

// A batch is U columns per lane (base, base+32, ...) of the R rows; a lane's slots hold two batches
// (double buffering: the next batch is in flight while this one is consumed).
template <int R>
struct Batch {
  static constexpr int U = KOG_SLOTS / 2 / R;
  static constexpr int COLS = KOG_WARP * U;  // uint4 columns of a row per batch
};

template <int R>
__device__ __forceinline__ void issue_batch(const uint4* const (&w)[R], int base, int k8, uint4* half, int lane) {
  constexpr int U = Batch<R>::U;
#pragma unroll
  for (int u = 0; u < U; ++u) {
    const int idx = base + u * KOG_WARP;
    if (idx < k8) {
#pragma unroll
      for (int j = 0; j < R; ++j) copy_async_16(half + (u * R + j) * KOG_WARP + lane, w[j] + idx);
    }
  }
  copy_async_commit();
}

// acc[r][j] (this lane's partial) += the batch's columns of row j times x[r]; x is [N, k] fp32 with row
// stride k, in shared memory or (x_shared false) global.
template <int N, int R>
__device__ __forceinline__ void consume_batch(const float* x, bool x_shared, int k, int base, const uint4* half,
                                              int lane, float (&acc)[N][R]) {
  constexpr int U = Batch<R>::U;
  const int k8 = k / 8;
#pragma unroll
  for (int u = 0; u < U; ++u) {
    const int idx = base + u * KOG_WARP;
    if (idx < k8) {
#pragma unroll
      for (int r = 0; r < N; ++r) {
        const float4* xr = reinterpret_cast<const float4*>(x + (size_t)r * k) + 2 * idx;
        const float4 a = x_shared ? xr[0] : load_cg(xr), b = x_shared ? xr[1] : load_cg(xr + 1);
        const float xv[8] = {a.x, a.y, a.z, a.w, b.x, b.y, b.z, b.w};
#pragma unroll
        for (int j = 0; j < R; ++j) {
          float wf[8];
          unpack8(half[(u * R + j) * KOG_WARP + lane], wf);
#pragma unroll
          for (int e = 0; e < 8; ++e) acc[r][j] = fmaf(wf[e], xv[e], acc[r][j]);
        }
      }
    }
  }
}

template <int N, int R>
__device__ __forceinline__ void warp_reduce_rows(float (&acc)[N][R]) {
#pragma unroll
  for (int r = 0; r < N; ++r)
#pragma unroll
    for (int j = 0; j < R; ++j) acc[r][j] = warp_sum(acc[r][j]);
}

template <int N, int R>
__device__ __forceinline__ void zero_rows(float (&acc)[N][R]) {
#pragma unroll
  for (int r = 0; r < N; ++r)
#pragma unroll
    for (int j = 0; j < R; ++j) acc[r][j] = 0.f;
}

// Lane j < R starts row j of the warp's rows on its way into L2 (see prefetch_row_l2): the copies
// of later batches then hit L2.
template <int R>
__device__ __forceinline__ void warp_prefetch_rows(const uint4* const (&rows)[R], int k, int lane) {
#pragma unroll
  for (int j = 0; j < R; ++j)
    if (j == lane) prefetch_row_l2(rows[j], k * 2);
}

struct NoPreload {
  __device__ __forceinline__ void operator()(int) const {}
};

// A warp's loop over its row groups (grid-stride) as one stream of batches, double-buffered: the
// next batch (of this group or the next one) is in flight while the current one is consumed.
// `rows_of(grp, w)` gives a group's R row pointers, `emit(grp, acc)` consumes its reduced sums (all
// lanes hold them). `preload(grp)` is called as a group's work starts, after the wait on the previous
// kernel (the first group's before the activations are staged): what emit will read from memory
// (biases, the residual) is loaded then, so the round trip overlaps the dot products instead of
// following the reduction. The first batch is issued before waiting on the previous kernel.
template <int N, int R, bool NORM, typename RowsOf, typename Emit, typename Preload = NoPreload>
__device__ __forceinline__ void gemv_blocks(int groups, int k, const float* x, const kog_bf16* __restrict__ g, float eps,
                                            bool x_shared, RowsOf rows_of, Emit emit, Preload preload = {}) {
  kog_allow_next_grid();
  constexpr int HALF = KOG_SLOTS / 2 * KOG_WARP;  // uint4 per half of a warp's slots
  const int lane = threadIdx.x % KOG_WARP;
  const int warps = blockDim.x / KOG_WARP;
  const int stride = gridDim.x * warps;
  const int k8 = k / 8;
  const int n_batches = (k8 + Batch<R>::COLS - 1) / Batch<R>::COLS;
  uint4* slots = warp_slots();
  int grp = blockIdx.x * warps + threadIdx.x / KOG_WARP;
  const uint4* w[R];
  if (grp < groups) {
    rows_of(grp, w);
    warp_prefetch_rows<R>(w, k, lane);
    issue_batch<R>(w, lane, k8, slots, lane);
  }
  if (NORM && x_shared) prefetch_norm_l2(g, k);
  // NOTE: everything above reads weights only; activations are the previous kernel's output.
  kog_wait_prior_grid();
  if (grp < groups) preload(grp);
  float rms;
  const float* xs = stage_activations<N, NORM>(x, k, g, eps, x_shared, rms);  // waits for the first batch too
  if (grp >= groups) return;
  float acc[N][R];
  zero_rows(acc);
  int batch = 0, half = 0;
  while (true) {
    int next_batch = batch + 1, next_grp = grp;
    if (next_batch == n_batches) next_batch = 0, next_grp = grp + stride;
    const bool more = next_grp < groups;
    const uint4* wn[R];
#pragma unroll
    for (int j = 0; j < R; ++j) wn[j] = w[j];
    if (more) {
      if (next_grp != grp) rows_of(next_grp, wn), warp_prefetch_rows<R>(wn, k, lane);
      issue_batch<R>(wn, next_batch * Batch<R>::COLS + lane, k8, slots + (half ^ 1) * HALF, lane);
      copy_async_wait_all_but_one();
    } else {
      copy_async_wait_all();
    }
    consume_batch<N, R>(xs, x_shared, k, batch * Batch<R>::COLS + lane, slots + half * HALF, lane, acc);
    if (batch == n_batches - 1) {
      warp_reduce_rows(acc);
      if (NORM && N == 1)
#pragma unroll
        for (int j = 0; j < R; ++j) acc[0][j] *= rms;
      emit(grp, acc);
      zero_rows(acc);
      if (more) preload(next_grp);
    }
    if (!more) break;
#pragma unroll
    for (int j = 0; j < R; ++j) w[j] = wn[j];
    batch = next_batch, grp = next_grp, half ^= 1;
  }
}
