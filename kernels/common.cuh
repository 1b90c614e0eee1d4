// Shared helpers for kog's kernels: bf16 bit tricks, warp reductions, programmatic dependent launch.
// Kept free of vendor headers so NVRTC needs no include path; HIP spellings are guarded where they differ.
#pragma once

#define KOG_WARP 32

#ifndef INFINITY  // NVRTC has no <math.h>
#define INFINITY __int_as_float(0x7f800000)
#endif

#if defined(__HIP_PLATFORM_AMD__)
#define KOG_SHFL_XOR(v, m) __shfl_xor((v), (m))
#define KOG_SHFL_UP(v, d) __shfl_up((v), (d))
#else
#define KOG_SHFL_XOR(v, m) __shfl_xor_sync(0xffffffffu, (v), (m))
#define KOG_SHFL_UP(v, d) __shfl_up_sync(0xffffffffu, (v), (d))
#endif

// Every read of data another kernel (or another block) wrote goes through here: L2 only, never L1.
// NOTE: with programmatic dependent launch a kernel overlaps the one before it, and an SM's L1 (the
// non-coherent .nc path especially) can still hold lines of a buffer from before its last rewrite; a
// decode graph read stale activations that way. Weights, written once at load, keep the cached path.
template <typename T>
__device__ __forceinline__ T load_cg(const T* p) {
#if defined(__HIP_PLATFORM_AMD__)
  return *(volatile const T*)p;
#else
  return __ldcg(p);
#endif
}

typedef unsigned short kog_bf16;  // raw bfloat16 bits

// Programmatic dependent launch (sm_90): once every block of this kernel has called
// `kog_allow_next_grid` (or exited), the next kernel may start its prologue (weight prefetch) while
// this one runs; `kog_wait_prior_grid` blocks until the previous kernel's writes are visible, so where
// the release sits changes only the overlap. The GEMVs over stored blocks release after their own
// prologue, attention after its context loop: released at entry, the next kernel's early blocks
// crowded this one's start (bench/NOTES.md). Short kernels before a large one release at entry
// (quant_gemv.cuh's EARLY): after their prologue, the next kernel's blocks started only as they
// ended. Without the launch attribute (or on other targets) both are no-ops.
// What a kernel may read before its wait: whatever no kernel of the current pass writes (weights, the
// position in `state`, K/V of earlier positions). A pass's first kernel (the embedding) releases the
// next only after its own wait, so even passes launched back to back without a graph never overlap:
// every kernel of a pass starts after the previous pass (which advances `state`) has finished.
// The one exception, a LATE quantized GEMV (quant_gemv.cuh), reads the previous kernel's input at once
// and waits at its end: the kernel before it must release it only after its own wait returned, never
// at entry, or it reads x before x is final.
#ifdef KOG_TIMELINE
// Timeline builds (bench/timeline.py; KOG_TIMELINE = slots): block (0, 0, 0) of every launch records the
// global nanosecond clock as it reaches its wait on the previous kernel and as the wait returns. Along
// a PDL chain the returns follow one another, so their differences are what each kernel adds to a step.
// Slot 0 counts the records; each record is [grid id, reached, returned].
extern "C" {
__device__ unsigned long long kog_timeline[1 + 3 * KOG_TIMELINE];
}

__device__ __forceinline__ unsigned long long kog_clock_ns() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}
#endif

__device__ __forceinline__ void kog_wait_prior_grid() {
#ifdef KOG_TIMELINE
  const unsigned long long reached = kog_clock_ns();
#endif
#if defined(__CUDA_ARCH__) && (__CUDA_ARCH__ >= 900) && !defined(__HIP_PLATFORM_AMD__)
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
#ifdef KOG_TIMELINE
  if ((blockIdx.x | blockIdx.y | blockIdx.z | threadIdx.x) == 0) {
    const unsigned long long returned = kog_clock_ns();
    unsigned long long grid;
    asm volatile("mov.u64 %0, %%gridid;" : "=l"(grid));
    const unsigned long long i = atomicAdd(&kog_timeline[0], 1ull) % KOG_TIMELINE;
    kog_timeline[1 + 3 * i] = grid, kog_timeline[2 + 3 * i] = reached, kog_timeline[3 + 3 * i] = returned;
  }
#endif
}

__device__ __forceinline__ void kog_allow_next_grid() {
#if defined(__CUDA_ARCH__) && (__CUDA_ARCH__ >= 900) && !defined(__HIP_PLATFORM_AMD__)
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

// A 16-byte load of weights that are read once per step: no L1 allocation, and `volatile` so the
// compiler keeps every load of a batch ahead of the wait and the arithmetic that follows.
__device__ __forceinline__ uint4 load_weights(const uint4* p) {
#if defined(__CUDA_ARCH__) && !defined(__HIP_PLATFORM_AMD__)
  uint4 v;
  asm volatile("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
               : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
               : "l"(p));
  return v;
#else
  return *p;
#endif
}

// The L2 policy of weight reads: a step reads each weight once, so its lines are the first to go when L2
// needs room. What a step reads again (activations, the KV cache, norm weights, biases, the kernels'
// parameters) then stays in L2 from one step to the next instead of being pushed out by the weights.
__device__ __forceinline__ unsigned long long weight_policy() {
  unsigned long long policy = 0;
#if defined(__CUDA_ARCH__) && (__CUDA_ARCH__ >= 800) && !defined(__HIP_PLATFORM_AMD__)
  asm("createpolicy.fractional.L2::evict_first.b64 %0, 1.0;" : "=l"(policy));
#endif
  return policy;
}

// Starts moving a contiguous weight row (bytes % 16 == 0) from DRAM into L2 without waiting for it.
// ptxas issues a warp's 16-byte loads only a couple at a time; this keeps whole rows in flight, so the
// loads that follow hit L2. One instruction per row on sm_90 (bulk prefetch), one per line elsewhere.
__device__ __forceinline__ void prefetch_row_l2(const void* row, int bytes) {
#if defined(__CUDA_ARCH__) && (__CUDA_ARCH__ >= 900) && !defined(__HIP_PLATFORM_AMD__)
  asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;" ::"l"(row), "r"(bytes) : "memory");
#elif defined(__CUDA_ARCH__) && !defined(__HIP_PLATFORM_AMD__)
  for (int off = 0; off < bytes; off += 128) asm volatile("prefetch.global.L2 [%0];" ::"l"((const char*)row + off));
#endif
}

// prefetch_row_l2 for weights: their lines enter L2 under weight_policy.
__device__ __forceinline__ void prefetch_weights_l2(const void* row, int bytes) {
#if defined(__CUDA_ARCH__) && (__CUDA_ARCH__ >= 900) && !defined(__HIP_PLATFORM_AMD__)
  asm volatile("cp.async.bulk.prefetch.L2.global.L2::cache_hint [%0], %1, %2;" ::"l"(row), "r"(bytes),
               "l"(weight_policy())
               : "memory");
#else
  prefetch_row_l2(row, bytes);
#endif
}

// A normed kernel's norm weight (k bf16 values, a weight: the previous kernel never writes it) on its
// way into L2 before the wait, asked for by one thread of block 0 only: every block's read after the
// wait then finds it there. From every block, all asking for the same 2-3 KB while the previous kernel
// streams, it cost 1-4.5% a step (bench/NOTES.md). Unaligned weights are left to the reads.
__device__ __forceinline__ void prefetch_norm_l2(const kog_bf16* norm, int k) {
  if (threadIdx.x == 0 && blockIdx.x == 0 && (reinterpret_cast<size_t>(norm) & 15) == 0 && k % 8 == 0)
    prefetch_row_l2(norm, k * (int)sizeof(kog_bf16));
}

__device__ __forceinline__ float bf16_lo(unsigned int u) { return __uint_as_float(u << 16); }
__device__ __forceinline__ float bf16_hi(unsigned int u) { return __uint_as_float(u & 0xffff0000u); }
__device__ __forceinline__ float bf16_to_float(kog_bf16 h) { return __uint_as_float(((unsigned int)h) << 16); }

// Round to nearest even, NaN kept quiet: the same rounding as torch's float -> bfloat16.
__device__ __forceinline__ kog_bf16 float_to_bf16(float f) {
  unsigned int u = __float_as_uint(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (kog_bf16)0x7fc0u;
  u += 0x7fffu + ((u >> 16) & 1u);
  return (kog_bf16)(u >> 16);
}

// Eight bf16 (one 16-byte load) to eight floats.
__device__ __forceinline__ void unpack8(const uint4 v, float (&f)[8]) {
  f[0] = bf16_lo(v.x); f[1] = bf16_hi(v.x);
  f[2] = bf16_lo(v.y); f[3] = bf16_hi(v.y);
  f[4] = bf16_lo(v.z); f[5] = bf16_hi(v.z);
  f[6] = bf16_lo(v.w); f[7] = bf16_hi(v.w);
}

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int m = KOG_WARP / 2; m > 0; m >>= 1) v += KOG_SHFL_XOR(v, m);
  return v;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
  for (int m = KOG_WARP / 2; m > 0; m >>= 1) v = fmaxf(v, KOG_SHFL_XOR(v, m));
  return v;
}

// 1 / RMS of one activation row, computed by a whole warp (every lane gets the result).
__device__ __forceinline__ float warp_rms_scale(const float* __restrict__ x, int k, float eps, int lane) {
  const float4* x4 = reinterpret_cast<const float4*>(x);
  float ss = 0.f;
  for (int i = lane; i < k / 4; i += KOG_WARP) {
    const float4 v = load_cg(x4 + i);
    ss += v.x * v.x + v.y * v.y + v.z * v.z + v.w * v.w;
  }
  ss = warp_sum(ss);
  return rsqrtf(ss / (float)k + eps);
}
