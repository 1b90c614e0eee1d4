// GGUF's 32-weight block formats (ggml-common.h): Q8_0, Q5_0, Q4_1, read from their stored bytes.
//
// Each format gives `dot`: one lane's share of a fused GEMV, the unit u (32 weights) of R weight rows
// against N activation rows (kog_qx: 16-bit integers per 32 columns, see quant_common.cuh), added to
// part[r][n]; the codes meet the activations' bytes in dp4a, and block scales, offsets and mins apply
// once per group. And `values`: the unit's weights as floats, the same arithmetic as gguf's.
#pragma once
#include "quant_common.cuh"

// Four 4-bit fields (bit i of h -> bit 4 of byte i), for Q5_0's fifth bits.
KOG_QHD kog_u32 kog_spread_bit4(kog_u32 h) { return (h * 0x02040810u) & 0x10101010u; }

// Q8_0: {f16 d; int8 q[32]} (34 bytes), w = d * q.
struct QuantQ8_0 {
  static constexpr int UNIT = 32;
  static constexpr int BLOCK_BYTES = 34;

  template <int R, int N>
  static KOG_QHD void dot(const unsigned char* const (&row)[R], int u, const kog_qx& x, float (&part)[R][N]) {
    kog_u4 xh[2][N], xl[2][N];
    kog_qx_load<N, UNIT>(x, UNIT * u, xh[0], xl[0]);
    kog_qx_load<N, UNIT>(x, UNIT * u + 16, xh[1], xl[1]);
#pragma unroll
    for (int r = 0; r < R; ++r) {
      kog_u32 w[9];
      kog_load_words<9>(row[r] + BLOCK_BYTES * u, w);
      int hi[N] = {}, lo[N] = {};
#pragma unroll
      for (int i = 0; i < 8; ++i) {
        const kog_u32 q = kog_mid_word(w[i], w[i + 1]);
#pragma unroll
        for (int n = 0; n < N; ++n) {
          hi[n] = kog_dp4a_ss(q, kog_word(xh[i / 4][n], i % 4), hi[n]);
          lo[n] = kog_dp4a_su(q, kog_word(xl[i / 4][n], i % 4), lo[n]);
        }
      }
      const float d = kog_half_float(w[0] & 0xffffu);
#pragma unroll
      for (int n = 0; n < N; ++n) part[r][n] += d * kog_qx_value(hi[n], lo[n], x.scale[n * x.blocks32 + u]);
    }
  }

  template <typename Store>
  static KOG_QHD void values(const unsigned char* row, int u, Store store) {
    const unsigned char* b = row + BLOCK_BYTES * u;
    const float d = kog_half_float(b[0] | (b[1] << 8));
    for (int j = 0; j < 32; ++j) store(UNIT * u + j, d * (float)(signed char)b[2 + j]);
  }
};

// Q5_0: {f16 d; u32 qh; u8 qs[16]} (22 bytes), w[j] = d * ((qs nibble | bit j of qh << 4) - 16); low
// nibbles are weights 0..15, high nibbles 16..31.
struct QuantQ5_0 {
  static constexpr int UNIT = 32;
  static constexpr int BLOCK_BYTES = 22;

  template <int R, int N>
  static KOG_QHD void dot(const unsigned char* const (&row)[R], int u, const kog_qx& x, float (&part)[R][N]) {
    kog_u4 xh[2][N], xl[2][N];
    kog_qx_load<N, UNIT>(x, UNIT * u, xh[0], xl[0]);
    kog_qx_load<N, UNIT>(x, UNIT * u + 16, xh[1], xl[1]);
#pragma unroll
    for (int r = 0; r < R; ++r) {
      kog_u32 w[6];
      kog_load_words<6>(row[r] + BLOCK_BYTES * u, w);
      const kog_u32 qh = kog_mid_word(w[0], w[1]);
      int hi[N] = {}, lo[N] = {};
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const kog_u32 qs = kog_mid_word(w[i + 1], w[i + 2]);
        const kog_u32 a = (qs & 0x0f0f0f0fu) | kog_spread_bit4((qh >> (4 * i)) & 15u);
        const kog_u32 b = ((qs >> 4) & 0x0f0f0f0fu) | kog_spread_bit4((qh >> (16 + 4 * i)) & 15u);
#pragma unroll
        for (int n = 0; n < N; ++n) {
          hi[n] = kog_dp4a_us(a, kog_word(xh[0][n], i), kog_dp4a_us(b, kog_word(xh[1][n], i), hi[n]));
          lo[n] = kog_dp4a_uu(a, kog_word(xl[0][n], i), kog_dp4a_uu(b, kog_word(xl[1][n], i), lo[n]));
        }
      }
      const float d = kog_half_float(w[0] & 0xffffu);
#pragma unroll
      for (int n = 0; n < N; ++n) {
        const float* s16 = x.sum16 + n * x.groups16 + 2 * u;
        const float dot = kog_qx_value(hi[n], lo[n], x.scale[n * x.blocks32 + u]);
        part[r][n] += d * (dot - 16.f * (s16[0] + s16[1]));
      }
    }
  }

  template <typename Store>
  static KOG_QHD void values(const unsigned char* row, int u, Store store) {
    const unsigned char* b = row + BLOCK_BYTES * u;
    const float d = kog_half_float(b[0] | (b[1] << 8));
    const kog_u32 qh = b[2] | (b[3] << 8) | (b[4] << 16) | ((kog_u32)b[5] << 24);
    for (int j = 0; j < 16; ++j) {
      const int q0 = (b[6 + j] & 15) | (((qh >> j) & 1) << 4);
      const int q1 = (b[6 + j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
      store(UNIT * u + j, d * (float)(q0 - 16));
      store(UNIT * u + j + 16, d * (float)(q1 - 16));
    }
  }
};

// Q4_1: {f16 d; f16 m; u8 qs[16]} (20 bytes, so 4-byte aligned), w = d * nibble + m.
struct QuantQ4_1 {
  static constexpr int UNIT = 32;
  static constexpr int BLOCK_BYTES = 20;

  template <int R, int N>
  static KOG_QHD void dot(const unsigned char* const (&row)[R], int u, const kog_qx& x, float (&part)[R][N]) {
    kog_u4 xh[2][N], xl[2][N];
    kog_qx_load<N, UNIT>(x, UNIT * u, xh[0], xl[0]);
    kog_qx_load<N, UNIT>(x, UNIT * u + 16, xh[1], xl[1]);
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const kog_u32* p = reinterpret_cast<const kog_u32*>(row[r] + BLOCK_BYTES * u);
      int hi[N] = {}, lo[N] = {};
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const kog_u32 qs = p[1 + i];
        const kog_u32 a = qs & 0x0f0f0f0fu, b = (qs >> 4) & 0x0f0f0f0fu;
#pragma unroll
        for (int n = 0; n < N; ++n) {
          hi[n] = kog_dp4a_us(a, kog_word(xh[0][n], i), kog_dp4a_us(b, kog_word(xh[1][n], i), hi[n]));
          lo[n] = kog_dp4a_uu(a, kog_word(xl[0][n], i), kog_dp4a_uu(b, kog_word(xl[1][n], i), lo[n]));
        }
      }
      const float d = kog_half_float(p[0] & 0xffffu), m = kog_half_float(p[0] >> 16);
#pragma unroll
      for (int n = 0; n < N; ++n) {
        const float* s16 = x.sum16 + n * x.groups16 + 2 * u;
        part[r][n] += d * kog_qx_value(hi[n], lo[n], x.scale[n * x.blocks32 + u]) + m * (s16[0] + s16[1]);
      }
    }
  }

  template <typename Store>
  static KOG_QHD void values(const unsigned char* row, int u, Store store) {
    const unsigned char* b = row + BLOCK_BYTES * u;
    const float d = kog_half_float(b[0] | (b[1] << 8)), m = kog_half_float(b[2] | (b[3] << 8));
    for (int j = 0; j < 16; ++j) {
      store(UNIT * u + j, d * (float)(b[4 + j] & 15) + m);
      store(UNIT * u + j + 16, d * (float)(b[4 + j] >> 4) + m);
    }
  }
};
