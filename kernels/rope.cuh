// Rotate-half RoPE over the rows of q, k and v (the rows d and d + head_dim/2 of a head form a pair)
// and the writes to the KV cache: shared by the bf16 q/k/v kernel, the stored-block q/k/v GEMVs and
// the RoPE/cache kernel that follows them in multi-row passes.
#pragma once
#include "common.cuh"

struct QkvPair {
  int kind;  // 0: q, 1: k, 2: v
  int head;  // within its kind
  int row0;  // first of the two rows in that kind's matrix; the second is row0 + head_dim / 2
};

__device__ __forceinline__ QkvPair qkv_pair(int p, int n_heads, int n_kv, int head_dim) {
  const int half = head_dim / 2;
  const int head = p / half, d = p % half;
  QkvPair q;
  if (head < n_heads) {
    q.kind = 0, q.head = head;
  } else if (head < n_heads + n_kv) {
    q.kind = 1, q.head = head - n_heads;
  } else {
    q.kind = 2, q.head = head - n_heads - n_kv;
  }
  q.row0 = q.head * head_dim + d;
  return q;
}

// The rotation of pair w at position pos: (sin, cos) of pos * inv_freq[d] for q and k, identity for v.
__device__ __forceinline__ float2 rope_rotation(const QkvPair& w, int pos, const float* __restrict__ inv_freq,
                                                int head_dim) {
  if (w.kind == 2) return make_float2(0.f, 1.f);
  float s, c;
  sincosf((float)pos * inv_freq[w.row0 - w.head * head_dim], &s, &c);
  return make_float2(s, c);
}

// Rotates the pair (a, b) = rows (row0, row0 + head_dim/2) of q or k by `rot` (rope_rotation), then
// stores it: q as fp32 into activation row r of q_out, k and v as bf16 into their cache at pos.
__device__ __forceinline__ void rope_store(const QkvPair& w, int r, int pos, float a, float b, float2 rot,
                                           float* __restrict__ q_out, kog_bf16* __restrict__ k_cache,
                                           kog_bf16* __restrict__ v_cache, int n_heads, int head_dim, int max_seq) {
  const int half = head_dim / 2, d = w.row0 - w.head * head_dim;
  if (w.kind != 2) {
    const float ra = a * rot.y - b * rot.x, rb = b * rot.y + a * rot.x;
    a = ra, b = rb;
  }
  if (w.kind == 0) {
    float* qo = q_out + (size_t)r * n_heads * head_dim + w.row0;
    qo[0] = a, qo[half] = b;
  } else {
    kog_bf16* cache = (w.kind == 1 ? k_cache : v_cache) + ((size_t)w.head * max_seq + pos) * head_dim + d;
    cache[0] = float_to_bf16(a), cache[half] = float_to_bf16(b);
  }
}
