// GGUF's 256-weight super-block formats (ggml-common.h): Q4_K and Q6_K, read from their stored bytes.
// Same face as quant_blocks.cuh; a unit here is 64 weights, four units per super-block.
#pragma once
#include "quant_common.cuh"

// Q4_K: {f16 d; f16 dmin; u8 scales[12]; u8 qs[128]} (144 bytes). Sub-block j (32 weights) has 6-bit
// scale sc_j and min m_j; w = d * sc_j * nibble - dmin * m_j. Unit c (0..3) is sub-blocks 2c (low
// nibbles of qs[32c..32c+31]) and 2c+1 (their high nibbles): 64 consecutive columns.
struct QuantQ4_K {
  static constexpr int UNIT = 64;
  static constexpr int BLOCK_BYTES = 144;

  // 6-bit scales (sc) and mins (m) of sub-blocks 2c and 2c+1, as the low two bytes of each word.
  static KOG_QHD void scales_mins(const kog_u32* hdr, int c, kog_u32& sc, kog_u32& m) {
    // Both forms, then a select: the lanes of a warp take units of different c, and a branch here
    // ran both sides one after the other anyway.
    const kog_u32 s0 = hdr[1], s1 = hdr[2], s2 = hdr[3];
    const kog_u32 sc_lo = s0 & 0x3f3f3f3fu, m_lo = s1 & 0x3f3f3f3fu;
    const kog_u32 sc_hi = (s2 & 0x0f0f0f0fu) | ((s0 >> 2) & 0x30303030u);
    const kog_u32 m_hi = ((s2 >> 4) & 0x0f0f0f0fu) | ((s1 >> 2) & 0x30303030u);
    const kog_u32 shift = 16 * (c & 1);
    sc = (c < 2 ? sc_lo : sc_hi) >> shift;
    m = (c < 2 ? m_lo : m_hi) >> shift;
  }

  template <int R, int N>
  static KOG_QHD void dot(const unsigned char* const (&row)[R], int u, const kog_qx& x, float (&part)[R][N]) {
    const int b = u >> 2, c = u & 3;
    kog_u4 xh[4][N], xl[4][N];
#pragma unroll
    for (int g = 0; g < 4; ++g) kog_qx_load<N, UNIT>(x, UNIT * u + 16 * g, xh[g], xl[g]);
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const kog_u32* hdr = reinterpret_cast<const kog_u32*>(row[r] + BLOCK_BYTES * b);
      const kog_u4* p = reinterpret_cast<const kog_u4*>(row[r] + BLOCK_BYTES * b + 16 + 32 * c);
      const kog_u4 qa = p[0], qb = p[1];
      const kog_u32 q[8] = {qa.x, qa.y, qa.z, qa.w, qb.x, qb.y, qb.z, qb.w};
      int hi[2][N] = {}, lo[2][N] = {};
#pragma unroll
      for (int i = 0; i < 8; ++i) {
        const kog_u32 a = q[i] & 0x0f0f0f0fu, e = (q[i] >> 4) & 0x0f0f0f0fu;
#pragma unroll
        for (int n = 0; n < N; ++n) {
          hi[0][n] = kog_dp4a_us(a, kog_word(xh[i / 4][n], i % 4), hi[0][n]);
          lo[0][n] = kog_dp4a_uu(a, kog_word(xl[i / 4][n], i % 4), lo[0][n]);
          hi[1][n] = kog_dp4a_us(e, kog_word(xh[2 + i / 4][n], i % 4), hi[1][n]);
          lo[1][n] = kog_dp4a_uu(e, kog_word(xl[2 + i / 4][n], i % 4), lo[1][n]);
        }
      }
      kog_u32 sc, m;
      scales_mins(hdr, c, sc, m);
      const float d = kog_half_float(hdr[0] & 0xffffu), dmin = kog_half_float(hdr[0] >> 16);
      const float d0 = d * (float)(sc & 0xffu), d1 = d * (float)((sc >> 8) & 0xffu);
      const float m0 = dmin * (float)(m & 0xffu), m1 = dmin * (float)((m >> 8) & 0xffu);
#pragma unroll
      for (int n = 0; n < N; ++n) {
        const float* s16 = x.sum16 + n * x.groups16 + 4 * u;
        const float* s32 = x.scale + n * x.blocks32 + 2 * u;
        part[r][n] += d0 * kog_qx_value(hi[0][n], lo[0][n], s32[0]) - m0 * (s16[0] + s16[1]) +
                      d1 * kog_qx_value(hi[1][n], lo[1][n], s32[1]) - m1 * (s16[2] + s16[3]);
      }
    }
  }

  template <typename Store>
  static KOG_QHD void values(const unsigned char* row, int u, Store store) {
    const int b = u >> 2, c = u & 3;
    const unsigned char* blk = row + BLOCK_BYTES * b;
    const kog_u32* hdr = reinterpret_cast<const kog_u32*>(blk);
    kog_u32 sc, m;
    scales_mins(hdr, c, sc, m);
    const float d = kog_half_float(hdr[0] & 0xffffu), dmin = kog_half_float(hdr[0] >> 16);
    const float d0 = d * (float)(sc & 0xffu), d1 = d * (float)((sc >> 8) & 0xffu);
    const float m0 = dmin * (float)(m & 0xffu), m1 = dmin * (float)((m >> 8) & 0xffu);
    for (int l = 0; l < 32; ++l) {
      const int q = blk[16 + 32 * c + l];
      store(UNIT * u + l, d0 * (float)(q & 15) - m0);
      store(UNIT * u + 32 + l, d1 * (float)(q >> 4) - m1);
    }
  }
};

// Q6_K: {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d} (210 bytes, so only 2-byte aligned). Half h
// (128 weights) has ql[64h..], qh[32h..], scales[8h..]: weight 128h + 32t + l (t 0..3, l 0..31) is
// ql[64h + l + 32(t&1)] nibble t>>1, plus bits 2t..2t+1 of qh[32h + l] as bits 4..5, minus 32, times
// d * scales[8h + 2t + l/16]. Unit (h, g), g = l/16, is the 4 x 16 weights sharing those bytes.
struct QuantQ6_K {
  static constexpr int UNIT = 64;
  static constexpr int BLOCK_BYTES = 210;

  static KOG_QHD float scale(const kog_u32 (&sc)[2], int g, int t) {
    const kog_u32 word = sc[t >> 1], shift = 8 * (g + 2 * (t & 1));
    return (float)(int)(signed char)((word >> shift) & 0xffu);
  }

  template <int R, int N>
  static KOG_QHD void dot(const unsigned char* const (&row)[R], int u, const kog_qx& x, float (&part)[R][N]) {
    const int b = u >> 2, h = (u >> 1) & 1, g = u & 1;
    const int col = 256 * b + 128 * h + 16 * g;  // group t's 16 columns start at col + 32t
    kog_u4 xh[4][N], xl[4][N];
#pragma unroll
    for (int t = 0; t < 4; ++t) kog_qx_load<N, UNIT>(x, col + 32 * t, xh[t], xl[t]);
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const unsigned char* blk = row[r] + BLOCK_BYTES * b;
      const kog_words words(blk);  // every piece below starts at a multiple of 4 bytes into the block
      kog_u32 ql0[4], ql1[4], qh[4];
      words.load<4>(64 * h + 16 * g, ql0);
      words.load<4>(64 * h + 32 + 16 * g, ql1);
      words.load<4>(128 + 32 * h + 16 * g, qh);
      int hi[4][N] = {}, lo[4][N] = {};
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const kog_u32 a = ql0[i], c = ql1[i], hb = qh[i];
        const kog_u32 q[4] = {
            (a & 0x0f0f0f0fu) | ((hb << 4) & 0x30303030u),
            (c & 0x0f0f0f0fu) | ((hb << 2) & 0x30303030u),
            ((a >> 4) & 0x0f0f0f0fu) | (hb & 0x30303030u),
            ((c >> 4) & 0x0f0f0f0fu) | ((hb >> 2) & 0x30303030u),
        };
#pragma unroll
        for (int t = 0; t < 4; ++t)
#pragma unroll
          for (int n = 0; n < N; ++n) {
            hi[t][n] = kog_dp4a_us(q[t], kog_word(xh[t][n], i), hi[t][n]);
            lo[t][n] = kog_dp4a_uu(q[t], kog_word(xl[t][n], i), lo[t][n]);
          }
      }
      kog_u32 sc[2], dw[1];
      words.load<2>(192 + 8 * h, sc);
      words.load<1>(208, dw);
      const float d = kog_half_float(dw[0] & 0xffffu);
#pragma unroll
      for (int t = 0; t < 4; ++t) {
        const float dt = d * scale(sc, g, t);
#pragma unroll
        for (int n = 0; n < N; ++n) {
          const int at = col + 32 * t;
          const float dot = kog_qx_value(hi[t][n], lo[t][n], x.scale[n * x.blocks32 + at / 32]);
          part[r][n] += dt * (dot - 32.f * x.sum16[n * x.groups16 + at / 16]);
        }
      }
    }
  }

  template <typename Store>
  static KOG_QHD void values(const unsigned char* row, int u, Store store) {
    const int b = u >> 2, h = (u >> 1) & 1, g = u & 1;
    const unsigned char* blk = row + BLOCK_BYTES * b;
    const float d = kog_half_float(blk[208] | (blk[209] << 8));
    for (int t = 0; t < 4; ++t) {
      const float dt = d * (float)(signed char)blk[192 + 8 * h + 2 * t + g];
      for (int e = 0; e < 16; ++e) {
        const int l = 16 * g + e;
        const int low = (blk[64 * h + l + 32 * (t & 1)] >> (4 * (t >> 1))) & 15;
        const int high = (blk[128 + 32 * h + l] >> (2 * t)) & 3;
        store(256 * b + 128 * h + 32 * t + l, dt * (float)((low | (high << 4)) - 32));
      }
    }
  }
};
