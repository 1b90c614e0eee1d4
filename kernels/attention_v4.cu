// Flash-decoding attention for grouped-query heads over a bf16 KV cache.
// grid (n_kv, max_splits, n_rows): one block streams one KV head over one slice of the context for
// all the query heads of its group (K and V are read once), keeping a running softmax per head.
// Each tile of K and V lands in shared memory through cp.async (all of it in flight at once); the
// last block of a (row, KV head) to finish merges the slices' partial results.
// Row r is the query at position state[0] + r and sees positions 0 .. state[0] + r (causal).
#include "gemv_core.cuh"

#define ATT_THREADS 128
#define ATT_TILE 64         // positions per shared-memory tile
#define ATT_MAX_GROUP 8     // query heads per KV head
#define ATT_MAX_HEAD_DIM 256
#define ATT_MIN_CHUNK 64    // fewest positions worth a block of their own
#define ATT_MERGE_CHUNK 8   // partial results merged per pass through shared memory

extern __shared__ uint4 att_tiles[];  // [2][ATT_TILE][head_dim * 2 + 16 bytes]: K then V, rows padded;
                                      // after the loop, the stripe sums (group * 32 KB / 8)

extern "C" __global__ void __launch_bounds__(ATT_THREADS)
    attention_decode(const float* q,                        // [n_rows, n_heads, head_dim], RoPE applied
                     const kog_bf16* __restrict__ k_cache,  // [n_kv, max_seq, head_dim], this layer
                     const kog_bf16* __restrict__ v_cache,
                     const int* state,  // state[0]: position of row 0
                     float* __restrict__ out,  // [n_rows, n_heads, head_dim]
                     float* part_o,            // [n_rows, n_heads, max_splits, head_dim]
                     float* part_ml,           // [n_rows, n_heads, max_splits, 2]
                     int* counters,            // [n_rows, n_kv], zero between launches
                     int n_heads, int n_kv, int head_dim, int max_seq,
                     int max_splits,       // even, so each head's (m, l) pairs start 16-byte aligned
                     float scale_log2) {  // log2(e) / sqrt(head_dim)
  kog_allow_next_grid();
  const int kvh = blockIdx.x, split = blockIdx.y, r = blockIdx.z;
  const int tid = threadIdx.x, lane = tid % KOG_WARP, warp = tid / KOG_WARP;
  const int group = n_heads / n_kv;
  kog_wait_prior_grid();

  const int len = load_cg(state) + r + 1;
  const int n_splits = min(max_splits, (len + ATT_MIN_CHUNK - 1) / ATT_MIN_CHUNK);
  if (split >= n_splits) return;
  const int chunk = (len + n_splits - 1) / n_splits;
  const int begin = min(len, split * chunk), end = min(len, begin + chunk);

  __shared__ __align__(16) float qs[ATT_MAX_GROUP][ATT_MAX_HEAD_DIM];
  __shared__ float ps[ATT_MAX_GROUP][ATT_TILE];
  __shared__ float m_run[ATT_MAX_GROUP], l_run[ATT_MAX_GROUP], corr[ATT_MAX_GROUP];
  __shared__ __align__(16) float red[2 * ATT_THREADS * ATT_MAX_GROUP];  // the merge's (m, l) pairs
  __shared__ bool s_last;

  const int row16 = head_dim / 8 + 1;  // a tile row in uint4, padded by one against bank conflicts
  uint4* k_tile = att_tiles;
  uint4* v_tile = att_tiles + ATT_TILE * row16;
  const kog_bf16* k_head = k_cache + (size_t)kvh * max_seq * head_dim;
  const kog_bf16* v_head = v_cache + (size_t)kvh * max_seq * head_dim;

  const size_t q_base = ((size_t)r * n_heads + (size_t)kvh * group) * head_dim;
  // NOTE: every load from global memory in this kernel is an async copy issued in bulk: a plain
  // load-then-store loop costs one L2 round trip per iteration, which dominated the kernel.
  for (int i = tid; i < group * head_dim / 4; i += ATT_THREADS) {
    const int g = i / (head_dim / 4), c = i % (head_dim / 4);
    copy_async_16(reinterpret_cast<uint4*>(&qs[g][0]) + c, reinterpret_cast<const uint4*>(q + q_base) + i);
  }
  copy_async_commit();
  if (tid < group) m_run[tid] = -INFINITY, l_run[tid] = 0.f;

  // Phase C layout: head_dim / 8 threads share a position, 8 dims (one uint4) each.
  const int per_pos = head_dim / 8;
  const int d8 = tid % per_pos, stripe = tid / per_pos, n_stripes = ATT_THREADS / per_pos;
  float acc[ATT_MAX_GROUP][8];
#pragma unroll
  for (int g = 0; g < ATT_MAX_GROUP; ++g)
#pragma unroll
    for (int e = 0; e < 8; ++e) acc[g][e] = 0.f;

  for (int tile = begin; tile < end; tile += ATT_TILE) {
    const int tlen = min(ATT_TILE, end - tile);
    __syncthreads();  // the previous tile is fully consumed (and qs / m_run are set on the first)
    for (int i = tid; i < tlen * per_pos; i += ATT_THREADS) {
      const int t = i / per_pos, c = i % per_pos;
      const size_t at = (size_t)(tile + t) * head_dim;
      copy_async_16(k_tile + t * row16 + c, reinterpret_cast<const uint4*>(k_head + at) + c);
      copy_async_16(v_tile + t * row16 + c, reinterpret_cast<const uint4*>(v_head + at) + c);
    }
    copy_async_commit();
    copy_async_wait_all();
    __syncthreads();
    // A: scores of one position per thread, all heads of the group (log2 domain).
    if (tid < tlen) {
      const uint4* kr = k_tile + tid * row16;
      float s[ATT_MAX_GROUP];
#pragma unroll
      for (int g = 0; g < ATT_MAX_GROUP; ++g) s[g] = 0.f;
      for (int c = 0; c < per_pos; ++c) {
        float kf[8];
        unpack8(kr[c], kf);
#pragma unroll
        for (int g = 0; g < ATT_MAX_GROUP; ++g) {
          if (g < group) {
            const float4* q4 = reinterpret_cast<const float4*>(&qs[g][c * 8]);
            const float4 qa = q4[0], qb = q4[1];
            s[g] = fmaf(kf[0], qa.x, s[g]), s[g] = fmaf(kf[1], qa.y, s[g]);
            s[g] = fmaf(kf[2], qa.z, s[g]), s[g] = fmaf(kf[3], qa.w, s[g]);
            s[g] = fmaf(kf[4], qb.x, s[g]), s[g] = fmaf(kf[5], qb.y, s[g]);
            s[g] = fmaf(kf[6], qb.z, s[g]), s[g] = fmaf(kf[7], qb.w, s[g]);
          }
        }
      }
#pragma unroll
      for (int g = 0; g < ATT_MAX_GROUP; ++g)
        if (g < group) ps[g][tid] = s[g] * scale_log2;
    }
    __syncthreads();
    // B: running max / sum per head, one warp per head; ps becomes the tile's probabilities.
    for (int g = warp; g < group; g += ATT_THREADS / KOG_WARP) {
      float mx = -INFINITY;
      for (int t = lane; t < tlen; t += KOG_WARP) mx = fmaxf(mx, ps[g][t]);
      mx = warp_max(mx);
      const float m_new = fmaxf(m_run[g], mx);
      float sum = 0.f;
      for (int t = lane; t < tlen; t += KOG_WARP) {
        const float p = exp2f(ps[g][t] - m_new);
        ps[g][t] = p;
        sum += p;
      }
      sum = warp_sum(sum);
      if (lane == 0) {
        const float c = exp2f(m_run[g] - m_new);
        corr[g] = c;
        l_run[g] = l_run[g] * c + sum;
        m_run[g] = m_new;
      }
    }
    __syncthreads();
    // C: rescale and accumulate p * V.
#pragma unroll
    for (int g = 0; g < ATT_MAX_GROUP; ++g) {
      if (g < group) {
        const float c = corr[g];
#pragma unroll
        for (int e = 0; e < 8; ++e) acc[g][e] *= c;
      }
    }
    for (int t = stripe; t < tlen; t += n_stripes) {
      float vf[8];
      unpack8(v_tile[t * row16 + d8], vf);
#pragma unroll
      for (int g = 0; g < ATT_MAX_GROUP; ++g) {
        if (g < group) {
          const float p = ps[g][t];
#pragma unroll
          for (int e = 0; e < 8; ++e) acc[g][e] = fmaf(p, vf[e], acc[g][e]);
        }
      }
    }
  }
  copy_async_wait_all();  // an empty slice never waited for its q copies
  __syncthreads();

  // Sum the stripes of every head at once: sums[g][stripe][d] (n_stripes * head_dim = 8 * ATT_THREADS)
  // in the tile memory, then each thread adds up its (head, dim) outputs over the stripes.
  float* sums = reinterpret_cast<float*>(att_tiles);
#pragma unroll
  for (int g = 0; g < ATT_MAX_GROUP; ++g) {
    if (g < group) {
      float4* dst = reinterpret_cast<float4*>(sums + ((size_t)g * n_stripes + stripe) * head_dim + d8 * 8);
      dst[0] = make_float4(acc[g][0], acc[g][1], acc[g][2], acc[g][3]);
      dst[1] = make_float4(acc[g][4], acc[g][5], acc[g][6], acc[g][7]);
    }
  }
  __syncthreads();
  for (int i = tid; i < group * head_dim; i += ATT_THREADS) {
    const int g = i / head_dim, d = i % head_dim, h = kvh * group + g;
    const float* col = sums + (size_t)g * n_stripes * head_dim + d;
    float o = 0.f;
    for (int st = 0; st < n_stripes; ++st) o += col[(size_t)st * head_dim];
    if (n_splits == 1) {
      out[((size_t)r * n_heads + h) * head_dim + d] = o / l_run[g];
    } else {
      part_o[(((size_t)r * n_heads + h) * max_splits + split) * head_dim + d] = o;
      if (d == 0) {
        float* ml = part_ml + (((size_t)r * n_heads + h) * max_splits + split) * 2;
        ml[0] = m_run[g], ml[1] = l_run[g];
      }
    }
  }
  if (n_splits == 1) return;

  __threadfence();
  __syncthreads();
  int* counter = counters + r * n_kv + kvh;
  if (tid == 0) s_last = atomicAdd(counter, 1) == n_splits - 1;
  __syncthreads();
  if (!s_last) return;
  __threadfence();
  // Merge: out = sum_s o_s 2^(m_s - M) / sum_s l_s 2^(m_s - M), partials staged by async copies.
  const size_t head0 = (size_t)r * n_heads + kvh * group;
  float* mls = red;  // [group][max_splits][2]
  for (int i = tid; i < group * max_splits / 2; i += ATT_THREADS)
    copy_async_16(reinterpret_cast<uint4*>(mls) + i, reinterpret_cast<const uint4*>(part_ml + head0 * max_splits * 2) + i);
  copy_async_commit();
  copy_async_wait_all();
  __syncthreads();
  if (tid < group) {
    const float* ml = mls + tid * max_splits * 2;
    float m = -INFINITY;
    for (int s = 0; s < n_splits; ++s) m = fmaxf(m, ml[2 * s]);
    float l = 0.f;
    for (int s = 0; s < n_splits; ++s) l += ml[2 * s + 1] * exp2f(ml[2 * s] - m);
    m_run[tid] = m, l_run[tid] = l;
  }
  float* os = reinterpret_cast<float*>(att_tiles);  // [group][ATT_MERGE_CHUNK][head_dim], fits the tiles
  float o[ATT_MAX_GROUP * ATT_MAX_HEAD_DIM / ATT_THREADS];  // this thread's outputs: i = tid + j * threads
#pragma unroll
  for (int j = 0; j < ATT_MAX_GROUP * ATT_MAX_HEAD_DIM / ATT_THREADS; ++j) o[j] = 0.f;
  for (int s0 = 0; s0 < n_splits; s0 += ATT_MERGE_CHUNK) {
    const int cnt = min(ATT_MERGE_CHUNK, n_splits - s0);
    __syncthreads();  // the previous chunk is consumed
    for (int i = tid; i < group * cnt * head_dim / 4; i += ATT_THREADS) {
      const int g = i / (cnt * head_dim / 4), rest = i % (cnt * head_dim / 4);
      const float* src = part_o + ((head0 + g) * max_splits + s0) * head_dim;
      copy_async_16(reinterpret_cast<uint4*>(os + (size_t)g * ATT_MERGE_CHUNK * head_dim) + rest,
                    reinterpret_cast<const uint4*>(src) + rest);
    }
    copy_async_commit();
    copy_async_wait_all();
    __syncthreads();
#pragma unroll
    for (int j = 0; j < ATT_MAX_GROUP * ATT_MAX_HEAD_DIM / ATT_THREADS; ++j) {
      const int i = tid + j * ATT_THREADS;
      if (i < group * head_dim) {
        const int g = i / head_dim, d = i % head_dim;
        const float* ml = mls + g * max_splits * 2;
        for (int s = 0; s < cnt; ++s)
          o[j] += os[((size_t)g * ATT_MERGE_CHUNK + s) * head_dim + d] * exp2f(ml[2 * (s0 + s)] - m_run[g]);
      }
    }
  }
#pragma unroll
  for (int j = 0; j < ATT_MAX_GROUP * ATT_MAX_HEAD_DIM / ATT_THREADS; ++j) {
    const int i = tid + j * ATT_THREADS;
    if (i < group * head_dim) out[(head0 + i / head_dim) * head_dim + i % head_dim] = o[j] / l_run[i / head_dim];
  }
  if (tid == 0) *counter = 0;
}
