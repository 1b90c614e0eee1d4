// The streaming heart of every bf16 matrix-vector kernel: one warp computes R weight rows against
// N activation rows. Weights move in 16-byte loads, U of them per row in flight per lane; the first
// batch is issued before waiting on the previous kernel, so weight traffic overlaps its tail.
#pragma once
#include "common.cuh"

#ifndef KOG_ROWS
#define KOG_ROWS 1  // activation rows per launch (1 for decode, up to k for verification); set by the builder
#endif

// acc[r][j] (this lane's partial) += sum over the lane's columns of w[j][c] * x[r][c] * (NORM ? g[c] : 1).
// w[j] points at row j as uint4 (8 bf16 each); x is fp32 [N, k] with row stride x_stride; k8 = k / 8.
template <int N, int R, int U, bool NORM>
__device__ __forceinline__ void warp_rows_dot(const uint4* const (&w)[R], const float* __restrict__ x,
                                              int x_stride, const uint4* __restrict__ g, int k8, int lane,
                                              float (&acc)[N][R]) {
  for (int base = lane; base < k8; base += KOG_WARP * U) {
    // NOTE: every lane issues all U loads unpredicated (dead columns re-read column k8-1, one shared
    // sector) and masks them afterwards; predicated loads make ptxas issue them one at a time.
    uint4 wv[R][U];
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int idx = min(base + u * KOG_WARP, k8 - 1);
#pragma unroll
      for (int j = 0; j < R; ++j) wv[j][u] = load_weights(w[j] + idx);
    }
    // NOTE: activations are written by the previous kernel; read them only after this.
    kog_wait_prior_grid();
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const bool live = base + u * KOG_WARP < k8;
      const int idx = min(base + u * KOG_WARP, k8 - 1);
      float gv[8];
      if (NORM) unpack8(__ldg(g + idx), gv);
#pragma unroll
      for (int r = 0; r < N; ++r) {
        const float4* xr = reinterpret_cast<const float4*>(x + (size_t)r * x_stride) + 2 * idx;
        const float4 a = load_cg(xr), b = load_cg(xr + 1);
        float xs[8] = {a.x, a.y, a.z, a.w, b.x, b.y, b.z, b.w};
        if (NORM) {
#pragma unroll
          for (int e = 0; e < 8; ++e) xs[e] *= gv[e];
        }
#pragma unroll
        for (int j = 0; j < R; ++j) {
          float wf[8];
          unpack8(live ? wv[j][u] : make_uint4(0u, 0u, 0u, 0u), wf);
#pragma unroll
          for (int e = 0; e < 8; ++e) acc[r][j] = fmaf(wf[e], xs[e], acc[r][j]);
        }
      }
    }
  }
  kog_wait_prior_grid();  // a lane with no columns must still order itself after the previous kernel
}

// Lane j < R starts row j of the warp's next rows on its way into L2 (see prefetch_row_l2).
template <int R>
__device__ __forceinline__ void warp_prefetch_rows(const kog_bf16* const (&rows)[R], int k, int lane) {
  if (lane < R) {
#pragma unroll
    for (int j = 0; j < R; ++j)
      if (j == lane) prefetch_row_l2(rows[j], k * 2);
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

// RMSNorm scales for the N activation rows (NORM kernels only), every lane gets them.
template <int N>
__device__ __forceinline__ void warp_rms_scales(const float* __restrict__ x, int x_stride, int k, float eps,
                                                int lane, float (&scale)[N]) {
#pragma unroll
  for (int r = 0; r < N; ++r) scale[r] = warp_rms_scale(x + (size_t)r * x_stride, k, eps, lane);
}
