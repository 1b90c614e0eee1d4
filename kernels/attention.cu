// Flash-decoding attention for grouped-query heads over a bf16 KV cache.
// grid (cluster, n_heads, n_rows * groups): one block covers one query head over one slice of the
// context (the query heads of a group read the same K and V, from L2 after the first); slice
// group * cluster + blockIdx.x of row blockIdx.z % n_rows. The first slices of every head and row
// come first in launch order: a grid sized for the longest context holds mostly blocks that leave at
// once at short ones, and they no longer sit ahead of the working blocks of later heads.
// head_dim / 8 lanes share a position, 8 dims each; a thread loads the K and V of PASSES positions at
// once, straight into registers (the next batch's loads go out before this one is used), and keeps a
// running softmax. attention.py picks PASSES by head_dim so that a batch is 32 positions (64 for
// head_dim 32): 256 threads with batches of 32 ran a 1.5B step 2% faster than 128 threads with
// batches of 32 or 64 (H100, bench/NOTES.md).
// Work per thread is kept small: at batch 1 the kernel is bound by each thread's dependent chain, not
// by bytes.
// Merging the slices. Short contexts with `cluster` > 1 (sm_90, grid.x a multiple of it): up to
// `cluster` slices, the blocks of the first cluster; each writes its partial result into rank 0's
// shared memory and leaves, rank 0 merges once all have arrived. Long contexts (or `cluster` = 1): up to
// grid_splits slices, and the last block of a (row, head) to finish merges them from global memory,
// found by an atomic counter; the clusters only group blocks then. A grid sized for short contexts
// (grid_splits = cluster) leaves out the blocks that would find no slice there.
// Row r is the query at position state[0] + r and sees positions 0 .. state[0] + r (causal). The
// position and the K/V of positions before state[0] (earlier passes wrote them) are read before the
// wait on the previous kernel, so those round trips overlap its tail.
#include "common.cuh"

// attention.py mirrors these three and the PASSES it picks (its cluster_context needs the kernel's slicing).
#define ATT_THREADS 256
#define ATT_WARPS (ATT_THREADS / KOG_WARP)
#define ATT_MAX_CLUSTER 8  // slices per cluster (the portable cluster size)
#define ATT_CLUSTER_BATCHES 8  // merge in a cluster while each thread has at most this many batches

// Thread-block clusters (sm_90). A block arrives on the cluster barrier as it starts (relaxed) and
// waits for that phase before its first store into another block's shared memory (which is then
// sure to have started); a store goes to the block of rank `rank`. A thread that exits counts as
// arrived, so blocks may leave with a phase still open.
__device__ __forceinline__ void kog_cluster_arrive_relaxed() {
#if defined(__CUDA_ARCH__) && (__CUDA_ARCH__ >= 900) && !defined(__HIP_PLATFORM_AMD__)
  asm volatile("barrier.cluster.arrive.relaxed.aligned;" ::: "memory");
#endif
}

__device__ __forceinline__ void kog_cluster_arrive_release() {
#if defined(__CUDA_ARCH__) && (__CUDA_ARCH__ >= 900) && !defined(__HIP_PLATFORM_AMD__)
  asm volatile("barrier.cluster.arrive.release.aligned;" ::: "memory");
#endif
}

__device__ __forceinline__ void kog_cluster_wait() {
#if defined(__CUDA_ARCH__) && (__CUDA_ARCH__ >= 900) && !defined(__HIP_PLATFORM_AMD__)
  asm volatile("barrier.cluster.wait.acquire.aligned;" ::: "memory");
#endif
}

__device__ __forceinline__ void kog_cluster_store(float* smem, unsigned int rank, float v) {
#if defined(__CUDA_ARCH__) && (__CUDA_ARCH__ >= 900) && !defined(__HIP_PLATFORM_AMD__)
  unsigned int remote;
  asm volatile("mapa.shared::cluster.u32 %0, %1, %2;"
               : "=r"(remote)
               : "r"((unsigned int)__cvta_generic_to_shared(smem)), "r"(rank));
  asm volatile("st.shared::cluster.f32 [%0], %1;" ::"r"(remote), "f"(v) : "memory");
#else
  *smem = v;  // never reached: clusters are only launched on sm_90 and later
#endif
}

// Folds the running softmax state (mb, lb, ob) into (ma, la, oa); either may be empty (m = -inf).
__device__ __forceinline__ void softmax_fold(float& ma, float& la, float (&oa)[8], float mb, float lb,
                                             const float (&ob)[8]) {
  const float m = fmaxf(ma, mb);
  const float ca = ma == -INFINITY ? 0.f : exp2f(ma - m);
  const float cb = mb == -INFINITY ? 0.f : exp2f(mb - m);
  la = la * ca + lb * cb;
#pragma unroll
  for (int e = 0; e < 8; ++e) oa[e] = oa[e] * ca + ob[e] * cb;
  ma = m;
}

// PASSES: positions per thread per batch; all their loads are in flight together.
template <int PASSES>
__device__ __forceinline__ void attention_body(
    const float* q,                        // [n_rows, n_heads, head_dim], RoPE applied
    const kog_bf16* __restrict__ k_cache,  // [n_kv, max_seq, head_dim], this layer
    const kog_bf16* __restrict__ v_cache,
    const int* state,         // state[0]: position of row 0
    float* __restrict__ out,  // [n_rows, n_heads, head_dim]
    float* part_o,            // [n_rows, n_heads, max_splits, head_dim]
    float* part_ml,           // [n_rows, n_heads, max_splits, 2]
    int* counters,            // [n_rows, n_heads], zero between launches
    int n_heads, int n_kv, int head_dim, int max_seq, int max_splits,
    int grid_splits,   // slices a row the grid holds (<= max_splits)
    float scale_log2,  // log2(e) / sqrt(head_dim)
    int cluster) {     // blocks per cluster along x (= the most splits), or 1
  const int groups = (grid_splits + gridDim.x - 1) / gridDim.x, n_rows = gridDim.z / groups;
  const int split = blockIdx.z / n_rows * gridDim.x + blockIdx.x, h = blockIdx.y, r = blockIdx.z % n_rows;
  const int tid = threadIdx.x, lane = tid % KOG_WARP, warp = tid / KOG_WARP;
  const int kvh = h / (n_heads / n_kv);
  const int lanes = head_dim / 8;                  // lanes per position (4..32, a power of two)
  const int slot = tid / lanes, d8 = tid % lanes;  // this thread's position slot and 8 dims
  const int n_slots = ATT_THREADS / lanes;
  const int batch = n_slots * PASSES;              // positions one batch covers
  __shared__ float s_ml[ATT_WARPS][2];
  __shared__ __align__(16) float s_o[ATT_WARPS][256];  // each warp's output; later the merge weights
  __shared__ bool s_last;

  // Before the wait on the previous kernel: the position (written only between passes) and the cached
  // K/V of positions before this pass's rows (written by earlier passes); only q and the rows' own
  // K/V are the previous kernel's output.
  const int fresh = load_cg(state);  // this pass's rows sit at positions fresh ..
  const int len = fresh + r + 1;
  const bool in_cluster = cluster > 1 && len <= cluster * ATT_CLUSTER_BATCHES * batch;
  // A grid of fewer slices than the context could use (a graph for short contexts) stays correct
  // past them: its slices just take more positions each.
  const int n_splits = min(in_cluster ? cluster : grid_splits, (len + batch - 1) / batch);
  if (split >= n_splits) return;  // past the last slice (counts as arrived on the cluster's barrier)
  const bool cluster_merge = in_cluster && n_splits > 1;
  if (cluster_merge) kog_cluster_arrive_relaxed();
  const int chunk = (len + n_splits - 1) / n_splits;
  const int begin = min(len, split * chunk), end = min(len, begin + chunk);

  const uint4* k_head = reinterpret_cast<const uint4*>(k_cache + (size_t)kvh * max_seq * head_dim) + d8;
  const uint4* v_head = reinterpret_cast<const uint4*>(v_cache + (size_t)kvh * max_seq * head_dim) + d8;
  const size_t row_head = (size_t)r * n_heads + h;

  // A batch's K and V of the positions in [lo, hi); past the slice's end a harmless re-read.
  uint4 kr[PASSES], vr[PASSES];
  auto issue = [&](int base, int lo, int hi, uint4(&kd)[PASSES], uint4(&vd)[PASSES]) {
#pragma unroll
    for (int p = 0; p < PASSES; ++p) {
      const int pos = min(base + p * n_slots + slot, end - 1);
      if (pos >= lo && pos < hi) {
        kd[p] = load_cg(k_head + (size_t)pos * lanes);
        vd[p] = load_cg(v_head + (size_t)pos * lanes);
      }
    }
  };
  if (begin < end) issue(begin, 0, fresh, kr, vr);
  kog_wait_prior_grid();
  if (begin < end) issue(begin, fresh, end, kr, vr);

  float qf[8];
  {
    const float4* q4 = reinterpret_cast<const float4*>(q + row_head * head_dim + d8 * 8);
    const float4 a = load_cg(q4), b = load_cg(q4 + 1);
    qf[0] = a.x * scale_log2, qf[1] = a.y * scale_log2, qf[2] = a.z * scale_log2, qf[3] = a.w * scale_log2;
    qf[4] = b.x * scale_log2, qf[5] = b.y * scale_log2, qf[6] = b.z * scale_log2, qf[7] = b.w * scale_log2;
  }
  float m = -INFINITY, l = 0.f, acc[8];
#pragma unroll
  for (int e = 0; e < 8; ++e) acc[e] = 0.f;

  for (int base = begin; base < end; base += batch) {
    uint4 kn[PASSES], vn[PASSES];
    if (base + batch < end) issue(base + batch, 0, end, kn, vn);
#pragma unroll
    for (int p = 0; p < PASSES; ++p) {
      float kf[8], vf[8];
      unpack8(kr[p], kf);
      float s = 0.f;
#pragma unroll
      for (int e = 0; e < 8; ++e) s = fmaf(kf[e], qf[e], s);
      for (int off = lanes / 2; off > 0; off >>= 1) s += KOG_SHFL_XOR(s, off);
      if (base + p * n_slots + slot >= end) continue;  // the whole slot agrees, after the shuffles
      unpack8(vr[p], vf);
      const float mn = fmaxf(m, s);
      const float c = exp2f(m - mn), pe = exp2f(s - mn);  // m = -inf gives c = 0
      l = l * c + pe;
#pragma unroll
      for (int e = 0; e < 8; ++e) acc[e] = fmaf(pe, vf[e], acc[e] * c);
      m = mn;
    }
#pragma unroll
    for (int p = 0; p < PASSES; ++p) kr[p] = kn[p], vr[p] = vn[p];
  }

  kog_allow_next_grid();  // the next kernel launches once every block has read its context
  // Fold the slots of a warp together (lanes `lanes` apart hold the same dims of other positions),
  // then the warps through shared memory.
  for (int off = lanes; off < KOG_WARP; off <<= 1) {
    float ob[8];
#pragma unroll
    for (int e = 0; e < 8; ++e) ob[e] = KOG_SHFL_XOR(acc[e], off);
    const float mb = KOG_SHFL_XOR(m, off), lb = KOG_SHFL_XOR(l, off);
    softmax_fold(m, l, acc, mb, lb, ob);
  }
  if (lane < lanes) {
    float4* dst = reinterpret_cast<float4*>(&s_o[warp][d8 * 8]);
    dst[0] = make_float4(acc[0], acc[1], acc[2], acc[3]);
    dst[1] = make_float4(acc[4], acc[5], acc[6], acc[7]);
    if (lane == 0) s_ml[warp][0] = m, s_ml[warp][1] = l;
  }
  __syncthreads();
  float mx = -INFINITY;
#pragma unroll
  for (int w = 0; w < ATT_WARPS; ++w) mx = fmaxf(mx, s_ml[w][0]);
  float wc[ATT_WARPS], sum = 0.f;
#pragma unroll
  for (int w = 0; w < ATT_WARPS; ++w) {
    wc[w] = s_ml[w][0] == -INFINITY ? 0.f : exp2f(s_ml[w][0] - mx);
    sum += s_ml[w][1] * wc[w];
  }
  // Rank 0's: every slice's result for a cluster merge, o[256], m, l.
  __shared__ __align__(16) float s_parts[ATT_MAX_CLUSTER][260];
  if (cluster_merge) kog_cluster_wait();  // every block of the cluster has started
  for (int d = tid; d < head_dim; d += ATT_THREADS) {
    float o = 0.f;
#pragma unroll
    for (int w = 0; w < ATT_WARPS; ++w) o += s_o[w][d] * wc[w];
    if (n_splits == 1) {
      out[row_head * head_dim + d] = o / sum;
    } else if (in_cluster) {
      kog_cluster_store(&s_parts[split][d], 0, o);
      if (d == 0) kog_cluster_store(&s_parts[split][256], 0, mx), kog_cluster_store(&s_parts[split][257], 0, sum);
    } else {
      const size_t at = row_head * max_splits + split;
      part_o[at * head_dim + d] = o;
      if (d == 0) part_ml[at * 2] = mx, part_ml[at * 2 + 1] = sum;
    }
  }
  if (n_splits == 1) return;
  if (in_cluster) {
    kog_cluster_arrive_release();  // this slice's result is in rank 0's shared memory
    if (split != 0) return;
    kog_cluster_wait();
    for (int d = tid; d < head_dim; d += ATT_THREADS) {
      float mc = -INFINITY;
#pragma unroll
      for (int c = 0; c < ATT_MAX_CLUSTER; ++c)
        if (c < n_splits) mc = fmaxf(mc, s_parts[c][256]);
      float o = 0.f, total = 0.f;
#pragma unroll
      for (int c = 0; c < ATT_MAX_CLUSTER; ++c) {
        if (c < n_splits) {
          const float w = s_parts[c][256] == -INFINITY ? 0.f : exp2f(s_parts[c][256] - mc);
          o = fmaf(s_parts[c][d], w, o), total = fmaf(s_parts[c][257], w, total);
        }
      }
      out[row_head * head_dim + d] = o / total;
    }
    return;
  }

  __threadfence();
  __syncthreads();
  int* counter = counters + row_head;
  if (tid == 0) s_last = atomicAdd(counter, 1) == n_splits - 1;
  __syncthreads();
  if (!s_last) return;
  __threadfence();
  // Merge: out = sum_s o_s 2^(m_s - M) / sum_s l_s 2^(m_s - M). A thread sums 4 dims over a stripe of
  // the splits (stripe, stripe + stripes, ...), loading LOADS splits' partials at once; warp 0 loads
  // the (m, l) pairs (four a lane at once) meanwhile and turns them into weights. So the merge waits on
  // L2 about once per round of LOADS * stripes splits.
  // Partials a thread loads at once: as many as keep the kernel's registers (and blocks an SM) where
  // they were without the merge (ptxas: 60 with two for PASSES 1, 77 with four for PASSES 2).
  constexpr int LOADS = PASSES == 1 ? 2 : 4;
  const int quads = head_dim / 4, stripes = ATT_THREADS / quads;  // head_dim <= 256: stripes >= 4
  const int stripe = tid / quads, d4 = tid % quads;
  const float4* src = reinterpret_cast<const float4*>(part_o + row_head * max_splits * head_dim) + d4;
  const float2* ml = reinterpret_cast<const float2*>(part_ml + row_head * max_splits * 2);
  float* wts = &s_o[0][0];     // [max_splits], max_splits <= 512
  float* sums = &s_o[0][512];  // [stripes, head_dim]: 1,024 floats
  __shared__ float s_inv_total;
  float4 o4 = make_float4(0.f, 0.f, 0.f, 0.f);
  for (int s0 = 0; s0 < n_splits; s0 += LOADS * stripes) {
    float4 x[LOADS];
#pragma unroll
    for (int j = 0; j < LOADS; ++j) {
      const int s = s0 + j * stripes + stripe;
      if (s < n_splits) x[j] = load_cg(src + (size_t)s * quads);
    }
    if (s0 == 0) {  // uniform: every thread takes the first round
      if (warp == 0) {
        float2 v[4];
        auto load4 = [&](int g) {
#pragma unroll
          for (int j = 0; j < 4; ++j) {
            const int s = g + j * KOG_WARP + lane;
            v[j] = s < n_splits ? load_cg(ml + s) : make_float2(-INFINITY, 0.f);
          }
        };
        float mxs = -INFINITY;
        for (int g = 0; g < n_splits; g += 4 * KOG_WARP) {
          load4(g);
#pragma unroll
          for (int j = 0; j < 4; ++j) mxs = fmaxf(mxs, v[j].x);
        }
        mxs = warp_max(mxs);
        float total = 0.f;
        for (int g = 0; g < n_splits; g += 4 * KOG_WARP) {
          if (n_splits > 4 * KOG_WARP) load4(g);  // one group is still in v
#pragma unroll
          for (int j = 0; j < 4; ++j) {
            const int s = g + j * KOG_WARP + lane;
            const float c = v[j].x == -INFINITY ? 0.f : exp2f(v[j].x - mxs);
            if (s < n_splits) wts[s] = c;
            total = fmaf(v[j].y, c, total);
          }
        }
        total = warp_sum(total);
        if (lane == 0) s_inv_total = 1.f / total;
      }
      __syncthreads();
    }
#pragma unroll
    for (int j = 0; j < LOADS; ++j) {
      const int s = s0 + j * stripes + stripe;
      if (s < n_splits) {
        const float w = wts[s];
        o4.x = fmaf(x[j].x, w, o4.x), o4.y = fmaf(x[j].y, w, o4.y);
        o4.z = fmaf(x[j].z, w, o4.z), o4.w = fmaf(x[j].w, w, o4.w);
      }
    }
  }
  reinterpret_cast<float4*>(sums + stripe * head_dim)[d4] = o4;
  __syncthreads();
  for (int d = tid; d < head_dim; d += ATT_THREADS) {
    float o = 0.f;
    for (int st = 0; st < stripes; ++st) o += sums[st * head_dim + d];
    out[row_head * head_dim + d] = o * s_inv_total;
  }
  if (tid == 0) *counter = 0;
}

#define KOG_ATTENTION(PASSES)                                                                               \
  extern "C" __global__ void __launch_bounds__(ATT_THREADS) attention_decode_p##PASSES(                     \
      const float* q, const kog_bf16* __restrict__ k_cache, const kog_bf16* __restrict__ v_cache,          \
      const int* state, float* __restrict__ out, float* part_o, float* part_ml, int* counters, int n_heads, \
      int n_kv, int head_dim, int max_seq, int max_splits, int grid_splits, float scale_log2, int cluster) { \
    attention_body<PASSES>(q, k_cache, v_cache, state, out, part_o, part_ml, counters, n_heads, n_kv,       \
                           head_dim, max_seq, max_splits, grid_splits, scale_log2, cluster);                \
  }
KOG_ATTENTION(1)
KOG_ATTENTION(2)
KOG_ATTENTION(4)
