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
    const kog_u32 s0 = hdr[1], s1 = hdr[2], s2 = hdr[3];
    if (c < 2) {
      sc = s0 & 0x3f3f3f3fu;
      m = s1 & 0x3f3f3f3fu;
    } else {
      sc = (s2 & 0x0f0f0f0fu) | ((s0 >> 2) & 0x30303030u);
      m = ((s2 >> 4) & 0x0f0f0f0fu) | ((s1 >> 2) & 0x30303030u);
    }
    sc >>= 16 * (c & 1);
    m >>= 16 * (c & 1);
  }

  template <int R, int N>
  static KOG_QHD void dot(const unsigned char* const (&row)[R], int u, const float* x, int xs, const float* s,
                          int ss, float (&part)[R][N]) {
    const int b = u >> 2, c = u & 3;
    kog_u32 q[R][8];
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const kog_u4* p = reinterpret_cast<const kog_u4*>(row[r] + BLOCK_BYTES * b + 16 + 32 * c);
      const kog_u4 a = p[0], e = p[1];
      q[r][0] = a.x, q[r][1] = a.y, q[r][2] = a.z, q[r][3] = a.w;
      q[r][4] = e.x, q[r][5] = e.y, q[r][6] = e.z, q[r][7] = e.w;
    }
    float lo[R][N] = {}, hi[R][N] = {};
    const int col = UNIT * u;
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      kog_f4 xl[N], xh[N];
      kog_load_x4<N, UNIT>(x, xs, col + 4 * i, xl);
      kog_load_x4<N, UNIT>(x, xs, col + 32 + 4 * i, xh);
#pragma unroll
      for (int r = 0; r < R; ++r) {
        float f[4];
        kog_offset_floats((q[r][i] & 0x0f0f0f0fu) | 0x80808080u, f);
        kog_fma4(f, xl, lo[r]);
        kog_offset_floats(((q[r][i] >> 4) & 0x0f0f0f0fu) | 0x80808080u, f);
        kog_fma4(f, xh, hi[r]);
      }
    }
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const kog_u32* hdr = reinterpret_cast<const kog_u32*>(row[r] + BLOCK_BYTES * b);
      kog_u32 sc, m;
      scales_mins(hdr, c, sc, m);
      const float d = kog_half_float(hdr[0] & 0xffffu), dmin = kog_half_float(hdr[0] >> 16);
      const float d0 = 128.f * d * (float)(sc & 0xffu), d1 = 128.f * d * (float)((sc >> 8) & 0xffu);
      const float m0 = dmin * (float)(m & 0xffu), m1 = dmin * (float)((m >> 8) & 0xffu);
#pragma unroll
      for (int n = 0; n < N; ++n) {
        const float* sn = s + n * ss + 4 * u;
        const float sl = sn[0] + sn[1], sh = sn[2] + sn[3];
        part[r][n] += fmaf(d0, lo[r][n] - sl, -m0 * sl) + fmaf(d1, hi[r][n] - sh, -m1 * sh);
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
  static KOG_QHD void dot(const unsigned char* const (&row)[R], int u, const float* x, int xs, const float* s,
                          int ss, float (&part)[R][N]) {
    const int b = u >> 2, h = (u >> 1) & 1, g = u & 1;
    kog_u32 ql0[R][4], ql1[R][4], qh[R][4];
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const unsigned char* blk = row[r] + BLOCK_BYTES * b;
      kog_load_words<4>(blk + 64 * h + 16 * g, ql0[r]);
      kog_load_words<4>(blk + 64 * h + 32 + 16 * g, ql1[r]);
      kog_load_words<4>(blk + 128 + 32 * h + 16 * g, qh[r]);
    }
    float acc[R][4][N] = {};
    const int col = 256 * b + 128 * h + 16 * g;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      kog_f4 x4[4][N];
#pragma unroll
      for (int t = 0; t < 4; ++t) kog_load_x4<N, UNIT>(x, xs, col + 32 * t + 4 * i, x4[t]);
#pragma unroll
      for (int r = 0; r < R; ++r) {
        const kog_u32 a = ql0[r][i], c = ql1[r][i], hb = qh[r][i];
        float f[4];
        kog_offset_floats((a & 0x0f0f0f0fu) | ((hb << 4) & 0x30303030u) | 0x80808080u, f);
        kog_fma4(f, x4[0], acc[r][0]);
        kog_offset_floats((c & 0x0f0f0f0fu) | ((hb << 2) & 0x30303030u) | 0x80808080u, f);
        kog_fma4(f, x4[1], acc[r][1]);
        kog_offset_floats(((a >> 4) & 0x0f0f0f0fu) | (hb & 0x30303030u) | 0x80808080u, f);
        kog_fma4(f, x4[2], acc[r][2]);
        kog_offset_floats(((c >> 4) & 0x0f0f0f0fu) | ((hb >> 2) & 0x30303030u) | 0x80808080u, f);
        kog_fma4(f, x4[3], acc[r][3]);
      }
    }
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const unsigned char* blk = row[r] + BLOCK_BYTES * b;
      kog_u32 sc[2], dw[1];
      kog_load_words<2>(blk + 192 + 8 * h, sc);
      kog_load_words<1>(blk + 208, dw);
      const float d = kog_half_float(dw[0] & 0xffffu);
#pragma unroll
      for (int t = 0; t < 4; ++t) {
        const float dt = d * scale(sc, g, t);
#pragma unroll
        for (int n = 0; n < N; ++n) {
          const float sx = s[n * ss + (col >> 4) + 2 * t];
          part[r][n] += fmaf(128.f * dt, acc[r][t][n] - sx, -32.f * dt * sx);
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
