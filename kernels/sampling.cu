// Picks the next token from fp32 logits on the device: greedy argmax at temperature 0, otherwise
// top-k / top-p (nucleus) sampling with temperature, without sorting the vocabulary.
// The cut-offs come from two-level histograms of s = (max_logit - logit) / T (probability ~ e^-s):
// level 1 finds the bin where the kept count (top-k) or mass (top-p) crosses its target, level 2 splits
// that bin 2048 ways, so the kept set is exact up to ties within 1.5e-5 in s. Then one inverse-CDF draw
// over the kept tokens in index order. One block per row; the logits stay in L2 between passes.
#include "argmax.cuh"

#define SAMPLE_THREADS 1024
#define SAMPLE_BINS 2048
#define SAMPLE_SPAN 64.f  // tokens with s beyond this (p < e^-64 of the top) are never histogrammed
#define KEEP_ALL 0x7fffffff

struct Cut {
  int b1, b2;  // keep a token iff bin1 < b1, or bin1 == b1 and bin2 <= b2
};

__device__ __forceinline__ int bin1_of(float s) {
  return s < SAMPLE_SPAN ? min((int)(s * (SAMPLE_BINS / SAMPLE_SPAN)), SAMPLE_BINS - 1) : SAMPLE_BINS;
}
__device__ __forceinline__ int bin2_of(float s, int b1) {
  const int b = (int)((s * (SAMPLE_BINS / SAMPLE_SPAN) - (float)b1) * SAMPLE_BINS);
  return min(max(b, 0), SAMPLE_BINS - 1);
}
__device__ __forceinline__ bool kept(float s, Cut c) {
  if (c.b1 == KEEP_ALL) return true;
  const int b1 = bin1_of(s);
  return b1 < c.b1 || (b1 == c.b1 && bin2_of(s, b1) <= c.b2);
}

// Exclusive prefix sum over the block; returns this thread's exclusive prefix, `total` gets the sum.
__device__ float block_exclusive_scan(float v, float* scratch, float& total) {
  const int lane = threadIdx.x % KOG_WARP, warp = threadIdx.x / KOG_WARP;
  float inc = v;
#pragma unroll
  for (int d = 1; d < KOG_WARP; d <<= 1) {
    const float o = KOG_SHFL_UP(inc, d);
    if (lane >= d) inc += o;
  }
  __syncthreads();
  if (lane == KOG_WARP - 1) scratch[warp] = inc;
  __syncthreads();
  if (warp == 0) {
    float w = lane < SAMPLE_THREADS / KOG_WARP ? scratch[lane] : 0.f;
#pragma unroll
    for (int d = 1; d < KOG_WARP; d <<= 1) {
      const float o = KOG_SHFL_UP(w, d);
      if (lane >= d) w += o;
    }
    scratch[lane] = w;  // inclusive over warps
  }
  __syncthreads();
  total = scratch[SAMPLE_THREADS / KOG_WARP - 1];
  return (warp > 0 ? scratch[warp - 1] : 0.f) + inc - v;
}

// First histogram bin whose inclusive prefix reaches `target` (SAMPLE_BINS if none); `before` gets the
// prefix ahead of it. frac >= 0 means target = frac * total instead.
__device__ int crossing_bin(const float* hist, float target, float frac, float* scratch, int* s_bin,
                            float* s_before) {
  const int t = threadIdx.x;
  const float a = hist[2 * t], b = hist[2 * t + 1];
  float total;
  const float excl = block_exclusive_scan(a + b, scratch, total);
  if (frac >= 0.f) target = frac * total;
  if (t == 0) *s_bin = SAMPLE_BINS;
  __syncthreads();
  if (excl < target && excl + a >= target) *s_bin = 2 * t, *s_before = excl;
  else if (excl + a < target && excl + a + b >= target) *s_bin = 2 * t + 1, *s_before = excl + a;
  __syncthreads();
  return *s_bin;
}

// Smallest kept set (within `prior`) whose count reaches `count` (by_mass false) or whose mass reaches
// frac of the mass `prior` keeps (by_mass true).
__device__ Cut find_cut(const float* logits, int vocab, float m, float inv_t, Cut prior, bool by_mass, float count,
                        float frac, float* hist, float* scratch, int* s_bin, float* s_before) {
  for (int i = threadIdx.x; i < SAMPLE_BINS; i += SAMPLE_THREADS) hist[i] = 0.f;
  __syncthreads();
  for (int i = threadIdx.x; i < vocab; i += SAMPLE_THREADS) {
    const float s = (m - load_cg(logits + i)) * inv_t;
    const int b = bin1_of(s);
    if (b < SAMPLE_BINS && kept(s, prior)) atomicAdd(&hist[b], by_mass ? expf(-s) : 1.f);
  }
  __syncthreads();
  const int b1 = crossing_bin(hist, count, by_mass ? frac : -1.f, scratch, s_bin, s_before);
  if (b1 == SAMPLE_BINS) return Cut{KEEP_ALL, 0};
  const float target = by_mass ? frac * scratch[SAMPLE_THREADS / KOG_WARP - 1] - *s_before : count - *s_before;
  __syncthreads();
  for (int i = threadIdx.x; i < SAMPLE_BINS; i += SAMPLE_THREADS) hist[i] = 0.f;
  __syncthreads();
  for (int i = threadIdx.x; i < vocab; i += SAMPLE_THREADS) {
    const float s = (m - load_cg(logits + i)) * inv_t;
    if (bin1_of(s) == b1 && kept(s, prior)) atomicAdd(&hist[bin2_of(s, b1)], by_mass ? expf(-s) : 1.f);
  }
  __syncthreads();
  int b2 = crossing_bin(hist, target, -1.f, scratch, s_bin, s_before);
  if (b2 == SAMPLE_BINS) b2 = SAMPLE_BINS - 1;  // rounding left the target just out of reach
  return Cut{b1, b2};
}

__device__ __forceinline__ float uniform_from(unsigned long long seed, unsigned long long counter) {
  unsigned long long z = seed + 0x9e3779b97f4a7c15ull * (counter + 1);  // splitmix64
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return (float)(z >> 40) * (1.f / 16777216.f);  // [0, 1)
}

extern "C" __global__ void __launch_bounds__(SAMPLE_THREADS)
    sample_tokens(const float* __restrict__ logits,  // [n_rows, vocab]
                  int vocab,
                  const float* __restrict__ fparams,  // [temperature, top_p]
                  const int* __restrict__ iparams,    // [top_k, seed_lo, seed_hi]
                  const float* __restrict__ u_given,  // nullable [n_rows]: the uniform draws, for tests
                  int* ids_out,                       // [n_rows]
                  int* state, int* next_ids, int* history, int history_len) {  // nullable: decode bookkeeping, 1 row
  __shared__ float hist[SAMPLE_BINS];
  __shared__ float scratch[KOG_WARP];
  __shared__ float s_v[KOG_WARP];
  __shared__ int s_i[KOG_WARP];
  __shared__ int s_bin, s_token;
  __shared__ float s_before;
  kog_allow_next_grid();
  kog_wait_prior_grid();
  const int r = blockIdx.x, t = threadIdx.x;
  const float* row = logits + (size_t)r * vocab;
  const float temperature = load_cg(fparams), top_p = load_cg(fparams + 1);
  const int top_k = load_cg(iparams);

  float best = -INFINITY;
  int best_i = 0x7fffffff;
  for (int i = t; i < vocab; i += SAMPLE_THREADS) {
    const float v = load_cg(row + i);
    if (argmax_better(v, i, best, best_i)) best = v, best_i = i;
  }
  block_argmax(best, best_i, s_v, s_i);
  int token = best_i == 0x7fffffff ? 0 : best_i;

  if (temperature > 0.f) {
    const float inv_t = 1.f / temperature;
    Cut cut{KEEP_ALL, 0};
    if (top_k > 0 && top_k < vocab)
      cut = find_cut(row, vocab, best, inv_t, cut, false, (float)top_k, 0.f, hist, scratch, &s_bin, &s_before);
    if (top_p < 1.f) cut = find_cut(row, vocab, best, inv_t, cut, true, 0.f, top_p, hist, scratch, &s_bin, &s_before);

    const int seg = (vocab + SAMPLE_THREADS - 1) / SAMPLE_THREADS;
    const int lo = min(vocab, t * seg), hi = min(vocab, lo + seg);
    float local = 0.f;
    int last_kept = -1;
    for (int i = lo; i < hi; ++i) {
      const float s = (best - load_cg(row + i)) * inv_t;
      if (kept(s, cut)) local += expf(-s), last_kept = i;
    }
    float total;
    const float excl = block_exclusive_scan(local, scratch, total);
    const unsigned long long seed =
        (unsigned int)load_cg(iparams + 1) | ((unsigned long long)(unsigned int)load_cg(iparams + 2) << 32);
    const unsigned long long draw = state ? (unsigned int)load_cg(state + 1) : 0u;
    const float u = u_given ? load_cg(u_given + r) : uniform_from(seed, (draw << 8) + r);
    const float target = u * total;
    if (t == 0) s_token = -1;
    __syncthreads();
    if (local > 0.f && excl <= target && target < excl + local) {
      float run = excl;
      int pick = last_kept;
      for (int i = lo; i < hi; ++i) {
        const float s = (best - load_cg(row + i)) * inv_t;
        if (!kept(s, cut)) continue;
        run += expf(-s);
        if (target < run) {
          pick = i;
          break;
        }
      }
      s_token = pick;
    }
    __syncthreads();
    if (s_token >= 0) {
      token = s_token;
    } else {  // target fell past the rounded total: the last kept token
      float lv = (float)last_kept;
      int li = 0;
      block_argmax(lv, li, s_v, s_i);
      token = (int)lv;
    }
  }
  if (t == 0) {
    ids_out[r] = token;
    if (state && gridDim.x == 1) advance_decode_state(token, state, next_ids, history, history_len);
  }
}

#define ARGMAX_THREADS 256
#define ARGMAX_LOADS 4  // logits a thread has in flight

// Greedy choice for fp32 logits of n rows, spread over the GPU: each block takes a stride of every
// row (a 152k vocabulary read by one block, as sample_tokens does, took ~23 us on an H200), and the
// last block to finish merges the blocks' bests (argmax.cuh), so ids are ready when the launch ends.
extern "C" __global__ void __launch_bounds__(ARGMAX_THREADS)
    argmax_tokens(const float* logits, int n, int vocab,
                  float* part_val, int* part_idx,  // [n, gridDim.x] block partials
                  int* counter,                    // zero between launches
                  int* ids_out,                    // [n]
                  int* state, int* next_ids, int* history, int history_len) {  // nullable: decode bookkeeping, 1 row
  __shared__ float s_v[KOG_WARP];
  __shared__ int s_i[KOG_WARP];
  __shared__ bool s_last;
  kog_allow_next_grid();
  kog_wait_prior_grid();
  const int stride = gridDim.x * blockDim.x;
  for (int r = 0; r < n; ++r) {
    const float* row = logits + (size_t)r * vocab;
    float v = -INFINITY;
    int i = 0x7fffffff;
    for (int base = blockIdx.x * blockDim.x + threadIdx.x; base < vocab; base += ARGMAX_LOADS * stride) {
      float x[ARGMAX_LOADS];
#pragma unroll
      for (int u = 0; u < ARGMAX_LOADS; ++u) {
        const int j = base + u * stride;
        x[u] = j < vocab ? load_cg(row + j) : -INFINITY;
      }
#pragma unroll
      for (int u = 0; u < ARGMAX_LOADS; ++u) {
        const int j = base + u * stride;
        if (j < vocab && argmax_better(x[u], j, v, i)) v = x[u], i = j;
      }
    }
    block_argmax(v, i, s_v, s_i);
    if (threadIdx.x == 0) part_val[r * gridDim.x + blockIdx.x] = v, part_idx[r * gridDim.x + blockIdx.x] = i;
  }
  if (!argmax_last_block(counter, &s_last)) return;
  argmax_merge_rows(part_val, part_idx, n, ids_out, counter, s_v, s_i, state, next_ids, history, history_len);
}
