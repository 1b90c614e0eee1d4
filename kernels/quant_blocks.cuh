// GGUF's 32-weight block formats (ggml-common.h): Q8_0, Q5_0, Q4_1, read from their stored bytes.
//
// Each format gives `dot`: one lane's share of a fused GEMV, the unit u (32 weights) of R weight rows
// against N activation rows, added to part[r][n]; and `values`: the unit's weights as floats, the same
// arithmetic as gguf's dequantization. `x` is the padded activation rows (kog_xpad), `s` their sums over
// 16 columns. The 4- and 5-bit codes become 1 + q/128 floats (kog_offset_floats); see quant_common.cuh.
#pragma once
#include "quant_common.cuh"

// Four 4-bit fields (bit i of h -> bit 4 of byte i), for Q5_0's fifth bits.
KOG_QHD kog_u32 kog_spread_bit4(kog_u32 h) { return (h * 0x02040810u) & 0x10101010u; }

// Q8_0: {f16 d; int8 q[32]} (34 bytes), w = d * q.
struct QuantQ8_0 {
  static constexpr int UNIT = 32;
  static constexpr int BLOCK_BYTES = 34;

  template <int R, int N>
  static KOG_QHD void dot(const unsigned char* const (&row)[R], int u, const float* x, int xs, const float* s,
                          int ss, float (&part)[R][N]) {
    (void)s, (void)ss;
    kog_u32 w[R][9];
#pragma unroll
    for (int r = 0; r < R; ++r) kog_load_words<9>(row[r] + BLOCK_BYTES * u, w[r]);
    float lo[R][N] = {}, hi[R][N] = {};
    const int col = UNIT * u;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      kog_f4 xl[N], xh[N];
      kog_load_x4<N, UNIT>(x, xs, col + 4 * i, xl);
      kog_load_x4<N, UNIT>(x, xs, col + 16 + 4 * i, xh);
#pragma unroll
      for (int r = 0; r < R; ++r) {
        float f[4];
        kog_int8_floats(kog_mid_word(w[r][i], w[r][i + 1]), f);
        kog_fma4(f, xl, lo[r]);
        kog_int8_floats(kog_mid_word(w[r][i + 4], w[r][i + 5]), f);
        kog_fma4(f, xh, hi[r]);
      }
    }
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const float d = kog_half_float(w[r][0] & 0xffffu);
#pragma unroll
      for (int n = 0; n < N; ++n) part[r][n] = fmaf(d, lo[r][n] + hi[r][n], part[r][n]);
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
  static KOG_QHD void dot(const unsigned char* const (&row)[R], int u, const float* x, int xs, const float* s,
                          int ss, float (&part)[R][N]) {
    kog_u32 w[R][6];
#pragma unroll
    for (int r = 0; r < R; ++r) kog_load_words<6>(row[r] + BLOCK_BYTES * u, w[r]);
    float lo[R][N] = {}, hi[R][N] = {};
    const int col = UNIT * u;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      kog_f4 xl[N], xh[N];
      kog_load_x4<N, UNIT>(x, xs, col + 4 * i, xl);
      kog_load_x4<N, UNIT>(x, xs, col + 16 + 4 * i, xh);
#pragma unroll
      for (int r = 0; r < R; ++r) {
        const kog_u32 qh = kog_mid_word(w[r][0], w[r][1]);
        const kog_u32 qs = kog_mid_word(w[r][i + 1], w[r][i + 2]);
        float f[4];
        kog_offset_floats((qs & 0x0f0f0f0fu) | kog_spread_bit4((qh >> (4 * i)) & 15u) | 0x80808080u, f);
        kog_fma4(f, xl, lo[r]);
        kog_offset_floats(((qs >> 4) & 0x0f0f0f0fu) | kog_spread_bit4((qh >> (16 + 4 * i)) & 15u) | 0x80808080u, f);
        kog_fma4(f, xh, hi[r]);
      }
    }
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const float d = kog_half_float(w[r][0] & 0xffffu);
#pragma unroll
      for (int n = 0; n < N; ++n) {
        const float sx = s[n * ss + 2 * u] + s[n * ss + 2 * u + 1];
        part[r][n] = fmaf(128.f * d, lo[r][n] + hi[r][n] - sx, fmaf(-16.f * d, sx, part[r][n]));
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
  static KOG_QHD void dot(const unsigned char* const (&row)[R], int u, const float* x, int xs, const float* s,
                          int ss, float (&part)[R][N]) {
    kog_u32 w[R][5];
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const kog_u32* p = reinterpret_cast<const kog_u32*>(row[r] + BLOCK_BYTES * u);
#pragma unroll
      for (int i = 0; i < 5; ++i) w[r][i] = p[i];
    }
    float lo[R][N] = {}, hi[R][N] = {};
    const int col = UNIT * u;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      kog_f4 xl[N], xh[N];
      kog_load_x4<N, UNIT>(x, xs, col + 4 * i, xl);
      kog_load_x4<N, UNIT>(x, xs, col + 16 + 4 * i, xh);
#pragma unroll
      for (int r = 0; r < R; ++r) {
        float f[4];
        kog_offset_floats((w[r][i + 1] & 0x0f0f0f0fu) | 0x80808080u, f);
        kog_fma4(f, xl, lo[r]);
        kog_offset_floats(((w[r][i + 1] >> 4) & 0x0f0f0f0fu) | 0x80808080u, f);
        kog_fma4(f, xh, hi[r]);
      }
    }
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const float d = kog_half_float(w[r][0] & 0xffffu), m = kog_half_float(w[r][0] >> 16);
#pragma unroll
      for (int n = 0; n < N; ++n) {
        const float sx = s[n * ss + 2 * u] + s[n * ss + 2 * u + 1];
        part[r][n] = fmaf(128.f * d, lo[r][n] + hi[r][n] - sx, fmaf(m, sx, part[r][n]));
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
