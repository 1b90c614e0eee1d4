// Tensor-core GEMVs over GGUF blocks as stored, for verification passes of several activation rows.
//
// The integer dot products of quant_gemv.cuh cost as much again for every activation row; here they run
// as int8 mma.sync (m16n8k32, 32-bit accumulate): a warp multiplies 16 weight rows by all (up to 8)
// activation rows in one instruction, so a pass of 8 rows costs about what one does. Exact like the
// dp4a path: weight codes (4..8-bit integers) meet the activations' 16-bit integers split into signed
// high and unsigned low bytes (kog_qx, quant_common.cuh), and block scales, mins and offsets apply in
// fp32 after each 32-column (Q6_K: 16-column) sum.
//
// Fragments (PTX ISA, mma.m16n8k32 with 8-bit inputs): lane = 4 * gid + tid holds A bytes of weight
// rows gid and gid + 8 at k slots 4 * tid .. +3 and 16 + 4 * tid .. +3, B bytes of activation row gid
// at the same slots, and C for weight rows gid, gid + 8 and activation rows 2 * tid, 2 * tid + 1.
// Slots are a sum's index, so any order of a block's columns serves that both A and B follow: lane tid
// takes the block's columns 8 * tid .. 8 * tid + 7 (slots 4 * tid.. then 16 + 4 * tid..), which are 8
// contiguous code bytes (or nibbles) in every format and one 16-byte chunk of the staged activations.
//
// A block has KOG_MMA_WARPS warps: `split` of them share a 16-row tile (each a contiguous share of its
// steps, partial sums reduced in shared memory), the others take further tiles; block b takes tiles b,
// b + grid, ... Each warp bulk-prefetches its next tile's bytes into L2 (the first before the wait on
// the previous kernel, so they stream while the activations are staged), then loads them BATCH steps
// at a time.
// Each format's M gives COLS (columns a step covers), BYTES (a step's bytes of a row), BATCH (steps
// whose loads go out together), a Frag of one step's bytes for the lane's two rows, `load` and `dot`.
#pragma once
#include "quant_blocks.cuh"
#include "quant_gemv.cuh"
#include "quant_kblocks.cuh"

#define KOG_MMA_WARPS 8

#if defined(__CUDA_ARCH__) && (__CUDA_ARCH__ >= 800) && !defined(__HIP_PLATFORM_AMD__)
#define KOG_HAS_IMMA 1
#endif

#ifdef KOG_HAS_IMMA
// c += A (16 x 32 bytes: a0 rows gid / slots 4tid.., a1 rows gid+8, a2 rows gid / slots 16+4tid.., a3)
// times B (32 x 8 bytes: b0 slots 4tid.., b1 slots 16+4tid..); AS / BS: signed bytes.
template <bool AS, bool BS>
__device__ __forceinline__ void kog_imma(int (&c)[4], kog_u32 a0, kog_u32 a1, kog_u32 a2, kog_u32 a3, kog_u32 b0,
                                         kog_u32 b1) {
#define KOG_IMMA(TA, TB)                                                                              \
  asm("mma.sync.aligned.m16n8k32.row.col.s32." TA "." TB ".s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, " \
      "{%0,%1,%2,%3};"                                                                                \
      : "+r"(c[0]), "+r"(c[1]), "+r"(c[2]), "+r"(c[3])                                                \
      : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1))
  if constexpr (AS && BS) {
    KOG_IMMA("s8", "s8");
  } else if constexpr (AS) {
    KOG_IMMA("s8", "u8");
  } else if constexpr (BS) {
    KOG_IMMA("u8", "s8");
  } else {
    KOG_IMMA("u8", "u8");
  }
#undef KOG_IMMA
}

// Activations staged in fragment order (stage_quant_activations with FRAG), KOG_ROWS rows.
struct kog_mma_x {
  const unsigned char* bytes;
  const float* scale;  // [n][cols / 32]
  const float* sum16;  // [n][cols / 16]
  int blocks32, groups16;
};

// The lane's B chunk of 32-column block b: {high bytes of columns 8tid.., of 8tid+4.., low, low}.
__device__ __forceinline__ uint4 kog_mma_b(const kog_mma_x& x, int b, int gid, int tid) {
  if (gid >= KOG_ROWS) return make_uint4(0u, 0u, 0u, 0u);
  return *reinterpret_cast<const uint4*>(x.bytes + ((size_t)(b * KOG_ROWS + gid) * 4 + tid) * 16);
}

// A 32-column block's integer sums for the lane's C entries: weight codes a (two words of each row,
// columns 8tid..8tid+3 and 8tid+4..8tid+7) against the block's activations.
template <bool AS>
struct kog_mma_sum {
  int hi[4], lo[4];
  __device__ __forceinline__ kog_mma_sum(const kog_u32 (&a)[2][2], const uint4& xb) {
#pragma unroll
    for (int i = 0; i < 4; ++i) hi[i] = lo[i] = 0;
    kog_imma<AS, true>(hi, a[0][0], a[1][0], a[0][1], a[1][1], xb.x, xb.y);
    kog_imma<AS, false>(lo, a[0][0], a[1][0], a[0][1], a[1][1], xb.z, xb.w);
  }
  // C entry i (weight row gid + 8 * (i >> 1), activation row 2tid + (i & 1)) in activation units.
  __device__ __forceinline__ float value(int i, float scale) const { return kog_qx_value(hi[i], lo[i], scale); }
};

// The lane's two activation rows (2tid, 2tid + 1): block b's scale and the sums of 16-column groups
// g0 .. g0 + groups - 1, zero for rows past KOG_ROWS.
struct kog_mma_rows {
  float scale[2], sum[2];
  __device__ __forceinline__ kog_mma_rows(const kog_mma_x& x, int b, int tid, int g0, int groups) {
#pragma unroll
    for (int e = 0; e < 2; ++e) {
      const int n = 2 * tid + e;
      scale[e] = sum[e] = 0.f;
      if (n < KOG_ROWS) {
        scale[e] = x.scale[n * x.blocks32 + b];
        for (int i = 0; i < groups; ++i) sum[e] += x.sum16[n * x.groups16 + g0 + i];
      }
    }
  }
};

// acc[i] += w[row] * value + off[row] * sum, the block's contribution in a format's terms.
template <bool AS>
__device__ __forceinline__ void kog_mma_add(float (&acc)[4], const kog_mma_sum<AS>& s, const kog_mma_rows& r,
                                            const float (&w)[2], const float (&off)[2]) {
#pragma unroll
  for (int i = 0; i < 4; ++i) acc[i] += w[i >> 1] * s.value(i, r.scale[i & 1]) + off[i >> 1] * r.sum[i & 1];
}

__device__ __forceinline__ uint2 kog_ldg8(const unsigned char* p) { return __ldg(reinterpret_cast<const uint2*>(p)); }

__device__ __forceinline__ kog_u32 kog_low_nibbles(kog_u32 w) { return w & 0x0f0f0f0fu; }
__device__ __forceinline__ kog_u32 kog_high_nibbles(kog_u32 w) { return (w >> 4) & 0x0f0f0f0fu; }

// Q4_K: a step is a super-block; the lane's bytes of sub-blocks 2c, 2c+1 are qs[32c + 8tid .. +8]
// (low nibbles, then high), of two rows.
struct MmaQ4_K {
  static constexpr int BYTES = 144;  // a step's bytes of one row
  static constexpr int COLS = 256, BATCH = 2;
  struct Frag {
    uint4 hdr[2];
    uint2 qs[2][4];
  };
  static __device__ __forceinline__ void load(const unsigned char* const (&row)[2], int s, int tid, Frag& f) {
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      const unsigned char* blk = row[r] + 144 * s;
      f.hdr[r] = __ldg(reinterpret_cast<const uint4*>(blk));
#pragma unroll
      for (int c = 0; c < 4; ++c) f.qs[r][c] = kog_ldg8(blk + 16 + 32 * c + 8 * tid);
    }
  }
  static __device__ __forceinline__ void dot(const Frag& f, int s, int gid, int tid, const kog_mma_x& x,
                                             float (&acc)[4]) {
    float d[2], dmin[2];
#pragma unroll
    for (int r = 0; r < 2; ++r) d[r] = kog_half_float(f.hdr[r].x & 0xffffu), dmin[r] = kog_half_float(f.hdr[r].x >> 16);
#pragma unroll
    for (int c = 0; c < 4; ++c) {
      kog_u32 sc[2], m[2];
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        const kog_u32 hdr[4] = {f.hdr[r].x, f.hdr[r].y, f.hdr[r].z, f.hdr[r].w};
        QuantQ4_K::scales_mins(hdr, c, sc[r], m[r]);
      }
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int b = 8 * s + 2 * c + h;
        kog_u32 a[2][2];
#pragma unroll
        for (int r = 0; r < 2; ++r) {
          a[r][0] = h ? kog_high_nibbles(f.qs[r][c].x) : kog_low_nibbles(f.qs[r][c].x);
          a[r][1] = h ? kog_high_nibbles(f.qs[r][c].y) : kog_low_nibbles(f.qs[r][c].y);
        }
        const kog_mma_sum<false> sum(a, kog_mma_b(x, b, gid, tid));
        const kog_mma_rows rows(x, b, tid, 2 * b, 2);
        float w[2], off[2];
#pragma unroll
        for (int r = 0; r < 2; ++r) {
          w[r] = d[r] * (float)((sc[r] >> (8 * h)) & 0xffu);
          off[r] = -dmin[r] * (float)((m[r] >> (8 * h)) & 0xffu);
        }
        kog_mma_add(acc, sum, rows, w, off);
      }
    }
  }
};

// Q6_K: a step is a super-block (2-byte aligned, so words come through kog_words). The lane's
// columns 8tid.. of part (h, t) (32 weights) are ql[64h + 32(t&1) + 8tid ..] nibble t>>1 and
// qh[32h + 8tid ..] bits 2t; they lie in one 16-column scale group (tid < 2: the first), so each part
// takes two mmas, each with the other group's lanes zeroed.
struct MmaQ6_K {
  static constexpr int BYTES = 210;  // a step's bytes of one row
  static constexpr int COLS = 256, BATCH = 2;
  struct Frag {
    kog_u32 ql[2][4][2], qh[2][2][2], sc[2][5];
  };
  static __device__ __forceinline__ void load(const unsigned char* const (&row)[2], int s, int tid, Frag& f) {
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      const kog_words words(row[r] + 210 * s);
#pragma unroll
      for (int j = 0; j < 4; ++j) words.load<2>(32 * j + 8 * tid, f.ql[r][j]);
#pragma unroll
      for (int h = 0; h < 2; ++h) words.load<2>(128 + 32 * h + 8 * tid, f.qh[r][h]);
      words.load<5>(192, f.sc[r]);
    }
  }
  static __device__ __forceinline__ void dot(const Frag& f, int s, int gid, int tid, const kog_mma_x& x,
                                             float (&acc)[4]) {
    float d[2];
#pragma unroll
    for (int r = 0; r < 2; ++r) d[r] = kog_half_float(f.sc[r][4] & 0xffffu);
    const bool first = tid < 2;
#pragma unroll
    for (int h = 0; h < 2; ++h)
#pragma unroll
      for (int t = 0; t < 4; ++t) {
        const int b = 8 * s + 4 * h + t;
        kog_u32 a[2][2][2];  // [scale group][row][word]
#pragma unroll
        for (int r = 0; r < 2; ++r)
#pragma unroll
          for (int i = 0; i < 2; ++i) {
            const kog_u32 q = ((f.ql[r][2 * h + (t & 1)][i] >> (4 * (t >> 1))) & 0x0f0f0f0fu) |
                              (((f.qh[r][h][i] >> (2 * t)) & 0x03030303u) << 4);
            a[0][r][i] = first ? q : 0u;
            a[1][r][i] = first ? 0u : q;
          }
        const uint4 xb = kog_mma_b(x, b, gid, tid);
#pragma unroll
        for (int half = 0; half < 2; ++half) {
          const kog_mma_sum<false> sum(a[half], xb);
          const kog_mma_rows rows(x, b, tid, 2 * b + half, 1);
          float w[2], off[2];
#pragma unroll
          for (int r = 0; r < 2; ++r) {
            const int i = 8 * h + 2 * t + half;  // scales[i]
            w[r] = d[r] * (float)(int)(signed char)((f.sc[r][i >> 2] >> (8 * (i & 3))) & 0xffu);
            off[r] = -32.f * w[r];
          }
          kog_mma_add(acc, sum, rows, w, off);
        }
      }
  }
};

// Q8_0: a step is a block; the lane's codes are bytes 2 + 8tid .. of it.
struct MmaQ8_0 {
  static constexpr int BYTES = 34;  // a step's bytes of one row
  static constexpr int COLS = 32, BATCH = 8;
  struct Frag {
    kog_u32 q[2][2], d[2][1];
  };
  static __device__ __forceinline__ void load(const unsigned char* const (&row)[2], int s, int tid, Frag& f) {
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      const unsigned char* blk = row[r] + 34 * s;
      kog_load_words<2>(blk + 2 + 8 * tid, f.q[r]);
      kog_load_words<1>(blk, f.d[r]);
    }
  }
  static __device__ __forceinline__ void dot(const Frag& f, int s, int gid, int tid, const kog_mma_x& x,
                                             float (&acc)[4]) {
    const kog_mma_sum<true> sum(f.q, kog_mma_b(x, s, gid, tid));
    const kog_mma_rows rows(x, s, tid, 0, 0);
    const float w[2] = {kog_half_float(f.d[0][0] & 0xffffu), kog_half_float(f.d[1][0] & 0xffffu)};
    const float off[2] = {0.f, 0.f};
    kog_mma_add(acc, sum, rows, w, off);
  }
};

// Q5_0: a step is a block; columns 8tid.. are nibbles (low for tid < 2, else high) of qs bytes
// 8(tid&1) .., with fifth bits qh bits 8tid ...
struct MmaQ5_0 {
  static constexpr int BYTES = 22;  // a step's bytes of one row
  static constexpr int COLS = 32, BATCH = 8;
  struct Frag {
    kog_u32 w[2][6];
  };
  static __device__ __forceinline__ void load(const unsigned char* const (&row)[2], int s, int tid, Frag& f) {
#pragma unroll
    for (int r = 0; r < 2; ++r) kog_load_words<6>(row[r] + 22 * s, f.w[r]);
  }
  static __device__ __forceinline__ void dot(const Frag& f, int s, int gid, int tid, const kog_mma_x& x,
                                             float (&acc)[4]) {
    kog_u32 a[2][2];
    float w[2], off[2];
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      const kog_u32 qh = (kog_mid_word(f.w[r][0], f.w[r][1]) >> (8 * tid)) & 0xffu;
#pragma unroll
      for (int i = 0; i < 2; ++i) {
        const kog_u32 qs = (tid & 1) ? kog_mid_word(f.w[r][3 + i], f.w[r][4 + i])  // qs bytes 8 + 4i ..
                                     : kog_mid_word(f.w[r][1 + i], f.w[r][2 + i]);
        a[r][i] = (tid < 2 ? kog_low_nibbles(qs) : kog_high_nibbles(qs)) | kog_spread_bit4((qh >> (4 * i)) & 15u);
      }
      w[r] = kog_half_float(f.w[r][0] & 0xffffu);
      off[r] = -16.f * w[r];
    }
    const kog_mma_sum<false> sum(a, kog_mma_b(x, s, gid, tid));
    kog_mma_add(acc, sum, kog_mma_rows(x, s, tid, 2 * s, 2), w, off);
  }
};

// Q4_1: a step is a block (4-byte aligned); columns 8tid.. are nibbles (low for tid < 2) of qs words
// 2(tid&1), +1.
struct MmaQ4_1 {
  static constexpr int BYTES = 20;  // a step's bytes of one row
  static constexpr int COLS = 32, BATCH = 8;
  struct Frag {
    kog_u32 dm[2], q[2][2];
  };
  static __device__ __forceinline__ void load(const unsigned char* const (&row)[2], int s, int tid, Frag& f) {
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      const kog_u32* p = reinterpret_cast<const kog_u32*>(row[r] + 20 * s);
      f.dm[r] = __ldg(p);
      f.q[r][0] = __ldg(p + 1 + 2 * (tid & 1));
      f.q[r][1] = __ldg(p + 2 + 2 * (tid & 1));
    }
  }
  static __device__ __forceinline__ void dot(const Frag& f, int s, int gid, int tid, const kog_mma_x& x,
                                             float (&acc)[4]) {
    kog_u32 a[2][2];
    float w[2], off[2];
#pragma unroll
    for (int r = 0; r < 2; ++r) {
#pragma unroll
      for (int i = 0; i < 2; ++i) a[r][i] = tid < 2 ? kog_low_nibbles(f.q[r][i]) : kog_high_nibbles(f.q[r][i]);
      w[r] = kog_half_float(f.dm[r] & 0xffffu);
      off[r] = kog_half_float(f.dm[r] >> 16);
    }
    const kog_mma_sum<false> sum(a, kog_mma_b(x, s, gid, tid));
    kog_mma_add(acc, sum, kog_mma_rows(x, s, tid, 2 * s, 2), w, off);
  }
};

// y[n, o] = residual[n, o] + bias[o] + sum_c deq(W)[o, c] * a[n, c], as quant_gemv_body, over 16-row
// tiles. `split`: warps a tile (divides KOG_MMA_WARPS).
template <class F, class M, typename XT, bool NORM, bool PRE = false>
__device__ __forceinline__ void quant_mma_body(const unsigned char* __restrict__ W, int bpr, int rows, int k,
                                               const XT* x, const kog_bf16* __restrict__ norm, float eps,
                                               const kog_bf16* __restrict__ bias, const float* residual, float* y,
                                               int split) {
  constexpr int N = KOG_ROWS;
  __shared__ float red[KOG_QUANT_MAX_THREADS / KOG_WARP][N];
  __shared__ float rms[N];
  const int lane = threadIdx.x % KOG_WARP, warp = threadIdx.x / KOG_WARP;
  const int gid = lane >> 2, tid = lane & 3;
  unsigned char* smem = reinterpret_cast<unsigned char*>(kog_gemv_smem);
  kog_mma_x xq;
  xq.bytes = smem;
  xq.blocks32 = k / 32;
  xq.groups16 = k / 16;
  float* scale = reinterpret_cast<float*>(smem + (size_t)N * 2 * k);
  float* sum16 = scale + N * xq.blocks32;
  float* part = sum16 + N * xq.groups16;  // [warps][32 lanes][4]
  xq.scale = scale;
  xq.sum16 = sum16;
  const int per_block = KOG_MMA_WARPS / split, slot = warp / split, part_of = warp % split;
  const int tiles = (rows + 15) / 16, steps = k / M::COLS;
  // The warp's steps of a tile: a contiguous share, so each of its rows is one byte range.
  const int s_begin = steps * part_of / split, s_end = steps * (part_of + 1) / split;
  // Tiles go to blocks in turn (block b: b, b + grid, ...), so no block takes more than one extra.
  auto tile_of = [&](int j) { return blockIdx.x + gridDim.x * (j * per_block + slot); };
  auto prefetch = [&](int tile) {  // the warp's bytes of the tile into L2, one bulk prefetch a row
    if (tile < tiles && lane < 16 && s_begin < s_end) {
      const long long row = min(16 * tile + lane, rows - 1), begin = row * bpr + (long long)s_begin * M::BYTES;
      const long long a0 = begin & ~15ll, a1 = (row * bpr + (long long)s_end * M::BYTES + 15) & ~15ll;
      prefetch_weights_l2(W + a0, (int)(a1 - a0));  // NOTE: may reach 15 bytes past the matrix: its slack
    }
  };
  prefetch(tile_of(0));  // weights only: before the wait on the previous kernel, alongside the staging
  kog_wait_prior_grid();
  if constexpr (PRE) {  // x is the image kog_silu_image wrote
    copy_image_in(smem, x, (size_t)N * (2 * k + 4 * (xq.blocks32 + xq.groups16)));
  } else {
    stage_quant_activations<N, F::UNIT, NORM, XT, true>(x, k, norm, smem, scale, sum16, red);
  }
  kog_allow_next_grid();  // after the prologue, as quant_gemv_body
  if (threadIdx.x < N) {
    float t = 0.f;
    if (NORM)
      for (int w = 0; w < KOG_MMA_WARPS; ++w) t += red[w][threadIdx.x];
    rms[threadIdx.x] = NORM ? rsqrtf(t / (float)k + eps) : 1.f;
  }
  __syncthreads();
  auto store = [&](int row, int n, float v) {
    const size_t at = (size_t)n * rows + row;
    v = v * rms[n] + (bias ? bf16_to_float(bias[row]) : 0.f);
    if (residual) v += load_cg(residual + at);  // NOTE: residual may alias y; same element, same thread
    y[at] = v;
  };
  for (int j = 0; blockIdx.x + gridDim.x * j * per_block < tiles; ++j) {  // block-uniform
    const int tile = tile_of(j);
    prefetch(tile_of(j + 1));
    float acc[4] = {0.f, 0.f, 0.f, 0.f};
    if (tile < tiles) {  // warp-uniform, as every mma below needs
      const unsigned char* row[2];
#pragma unroll
      for (int r = 0; r < 2; ++r) row[r] = W + (size_t)min(16 * tile + gid + 8 * r, rows - 1) * bpr;
      for (int s0 = s_begin; s0 < s_end; s0 += M::BATCH) {
        typename M::Frag f[M::BATCH];
#pragma unroll
        for (int i = 0; i < M::BATCH; ++i)
          if (s0 + i < s_end) M::load(row, s0 + i, tid, f[i]);
#pragma unroll
        for (int i = 0; i < M::BATCH; ++i)
          if (s0 + i < s_end) M::dot(f[i], s0 + i, gid, tid, xq, acc);
      }
    }
    if (split == 1) {
      if (tile < tiles)
#pragma unroll
        for (int i = 0; i < 4; ++i) {
          const int row = 16 * tile + gid + 8 * (i >> 1), n = 2 * tid + (i & 1);
          if (row < rows && n < N) store(row, n, acc[i]);
        }
      continue;
    }
#pragma unroll
    for (int i = 0; i < 4; ++i) part[(warp * KOG_WARP + lane) * 4 + i] = acc[i];
    __syncthreads();
    for (int o = threadIdx.x; o < per_block * 128; o += blockDim.x) {
      const int s = o / 128, i = (o / 8) % 16, n = o % 8;
      const int t = blockIdx.x + gridDim.x * (j * per_block + s), row = 16 * t + i;
      if (t >= tiles || row >= rows || n >= N) continue;
      const int src = ((i % 8) * 4 + n / 2) * 4 + (i / 8) * 2 + (n & 1);
      float v = 0.f;
      for (int w = 0; w < split; ++w) v += part[(s * split + w) * KOG_WARP * 4 + src];
      store(row, n, v);
    }
    __syncthreads();
  }
}

#define KOG_QUANT_MMA(PREFIX, FMT, MMA, KIND, XT, NORM, PRE)                                              \
  extern "C" __global__ void __launch_bounds__(KOG_MMA_WARPS * KOG_WARP) PREFIX##_mma_##KIND(KOG_QMMA_ARGS) { \
    quant_mma_body<FMT, MMA, XT, NORM, PRE>(W, bpr, rows, k, reinterpret_cast<const XT*>(x), norm, eps, bias, \
                                            residual, y, split);                                         \
  }
#define KOG_QMMA_ARGS                                                                                      \
  const unsigned char *__restrict__ W, int bpr, int rows, int k, const void *x, const kog_bf16 *__restrict__ norm, \
      float eps, const kog_bf16 *__restrict__ bias, const float *residual, float *y, int split

// The tensor-core GEMVs of one format, for each kind of activation input (see KOG_QUANT_GEMV).
// (For SiLU pairs, PREFIX_mma_silu_image writes the staged image that PREFIX_mma_image copies.)
#define KOG_QUANT_MMA_KERNELS(PREFIX, FMT, MMA)                                                         \
  KOG_QUANT_MMA(PREFIX, FMT, MMA, bf16, kog_bf16, false, false)                                        \
  KOG_QUANT_MMA(PREFIX, FMT, MMA, f32, float, false, false)                                            \
  KOG_QUANT_MMA(PREFIX, FMT, MMA, f32_norm, float, true, false)                                        \
  KOG_QUANT_MMA(PREFIX, FMT, MMA, image, unsigned char, false, true)                                   \
  extern "C" __global__ void __launch_bounds__(256) PREFIX##_mma_silu_image(const float* x, int k, void* image) { \
    kog_silu_image<32, true>(x, k, reinterpret_cast<unsigned char*>(image));                          \
  }
#else
#define KOG_QUANT_MMA_KERNELS(PREFIX, FMT, MMA)  // no int8 mma.sync on this target: the dp4a GEMVs serve
#endif
