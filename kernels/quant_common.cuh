// Reading GGUF quant blocks exactly as the file stores them, and the integer-to-float tricks the fused
// quantized GEMVs use. Free of CUDA headers and host-compilable (KOG_QHD), so the block decoders that
// run on the GPU can also be checked on a CPU against gguf's own dequantization.
#pragma once

#if defined(__CUDACC__) || defined(__HIPCC__) || defined(__CUDACC_RTC__)
#define KOG_QHD __host__ __device__ __forceinline__
#else
#define KOG_QHD inline
#endif

typedef unsigned int kog_u32;

struct alignas(16) kog_u4 {
  kog_u32 x, y, z, w;
};

KOG_QHD float kog_bits_float(kog_u32 u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  __builtin_memcpy(&f, &u, 4);
  return f;
#endif
}

KOG_QHD kog_u32 kog_float_bits(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  kog_u32 u;
  __builtin_memcpy(&u, &f, 4);
  return u;
#endif
}

// The 4 bytes starting at byte sh/8 of the little-endian pair (lo, hi); sh in 0..32.
KOG_QHD kog_u32 kog_funnel(kog_u32 lo, kog_u32 hi, kog_u32 sh) {
#if defined(__CUDA_ARCH__)
  return __funnelshift_rc(lo, hi, sh);
#else
  return (kog_u32)(((((unsigned long long)hi) << 32) | lo) >> (sh > 32 ? 32 : sh));
#endif
}

// Byte i of the result is byte ((sel >> 4i) & 7) of the pair (a = bytes 0..3, b = bytes 4..7).
KOG_QHD kog_u32 kog_perm(kog_u32 a, kog_u32 b, kog_u32 sel) {
#if defined(__CUDA_ARCH__)
  return __byte_perm(a, b, sel);
#else
  const unsigned long long v = (((unsigned long long)b) << 32) | a;
  kog_u32 r = 0;
  for (int i = 0; i < 4; ++i) r |= (kog_u32)((v >> (8 * ((sel >> (4 * i)) & 7))) & 0xffu) << (8 * i);
  return r;
#endif
}

// An IEEE half (its 16 bits, finite) as a float, exactly, subnormals included.
// NOTE: no float denormals on the way: the runtime compiler may flush them to zero.
KOG_QHD float kog_half_float(kog_u32 h) {
#if defined(__CUDA_ARCH__)
  float f;
  asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"((unsigned short)h));
  return f;
#else
  const kog_u32 m = h & 0x3ffu;
  const float magnitude = (h & 0x7c00u) ? kog_bits_float(((h & 0x7fffu) << 13) + 0x38000000u)
                                        : (float)m * 5.9604644775390625e-08f;  // m * 2^-24
  return (h & 0x8000u) ? -magnitude : magnitude;
#endif
}

// Little-endian words of a 2-byte aligned run of bytes (a block of a format whose blocks are not
// 4-byte aligned), read with aligned 4-byte loads: the aligned base and the shift are found once, so a
// block read in several pieces at 4-byte multiples from its start pays for its alignment once.
// NOTE: a piece reads up to 4 bytes past its last word's end; callers keep that much slack. The base is
// p moved back, not p's integer masked: a pointer rebuilt from an integer loses its address space,
// and words in shared memory were read with generic 64-bit loads.
struct kog_words {
  const kog_u32* base;
  kog_u32 sh;
  KOG_QHD explicit kog_words(const unsigned char* p) {
    const kog_u32 mis = (kog_u32)reinterpret_cast<unsigned long long>(p) & 3u;
    base = reinterpret_cast<const kog_u32*>(p - mis);
    sh = mis * 8;
  }
  // NW words starting `at` bytes (a multiple of 4) past p.
  template <int NW>
  KOG_QHD void load(int at, kog_u32 (&out)[NW]) const {
    const kog_u32* w = base + at / 4;
    kog_u32 prev = w[0];
#pragma unroll
    for (int i = 0; i < NW; ++i) {
      const kog_u32 next = w[i + 1];
      out[i] = kog_funnel(prev, next, sh);
      prev = next;
    }
  }
};

// NW little-endian words of the bytes at p (p at least 2-byte aligned): kog_words for one piece.
template <int NW>
KOG_QHD void kog_load_words(const unsigned char* p, kog_u32 (&out)[NW]) {
  kog_words(p).load<NW>(0, out);
}

// Bytes 2..5 of the pair (a, b): a field that starts half-way into a word.
KOG_QHD kog_u32 kog_mid_word(kog_u32 a, kog_u32 b) { return kog_perm(a, b, 0x5432u); }

// Four-byte dot products with 32-bit accumulate: weights a (u: unsigned bytes, s: signed) times
// activation bytes b (s: the signed high bytes, u: the unsigned low bytes), plus c.
KOG_QHD int kog_dp4a_us(kog_u32 a, kog_u32 b, int c) {
#if defined(__CUDA_ARCH__)
  int d;
  asm("dp4a.u32.s32 %0, %1, %2, %3;" : "=r"(d) : "r"(a), "r"(b), "r"(c));
  return d;
#else
  for (int i = 0; i < 4; ++i) c += (int)((a >> (8 * i)) & 0xffu) * (int)(signed char)(b >> (8 * i));
  return c;
#endif
}

KOG_QHD int kog_dp4a_uu(kog_u32 a, kog_u32 b, int c) {
#if defined(__CUDA_ARCH__)
  int d;
  asm("dp4a.u32.u32 %0, %1, %2, %3;" : "=r"(d) : "r"(a), "r"(b), "r"(c));
  return d;
#else
  for (int i = 0; i < 4; ++i) c += (int)((a >> (8 * i)) & 0xffu) * (int)((b >> (8 * i)) & 0xffu);
  return c;
#endif
}

KOG_QHD int kog_dp4a_ss(kog_u32 a, kog_u32 b, int c) {
#if defined(__CUDA_ARCH__)
  int d;
  asm("dp4a.s32.s32 %0, %1, %2, %3;" : "=r"(d) : "r"(a), "r"(b), "r"(c));
  return d;
#else
  for (int i = 0; i < 4; ++i) c += (int)(signed char)(a >> (8 * i)) * (int)(signed char)(b >> (8 * i));
  return c;
#endif
}

KOG_QHD int kog_dp4a_su(kog_u32 a, kog_u32 b, int c) {
#if defined(__CUDA_ARCH__)
  int d;
  asm("dp4a.s32.u32 %0, %1, %2, %3;" : "=r"(d) : "r"(a), "r"(b), "r"(c));
  return d;
#else
  for (int i = 0; i < 4; ++i) c += (int)(signed char)(a >> (8 * i)) * (int)((b >> (8 * i)) & 0xffu);
  return c;
#endif
}

// Activations as the GEMVs read them (staged once per block): each row's values in 32-column blocks
// as 16-bit integers v = round(x / scale), scale = max|x| / 32767 per block, split into signed high
// bytes h = v >> 8 and unsigned low bytes l = v & 255, so sum(q * x) = scale * (256 * sum(q * h) +
// sum(q * l)) runs on dp4a. Per 16 columns: 16 h bytes then 16 l bytes; 16 bytes of padding after
// every `Unit` columns keep lanes that read consecutive units on different banks. Alongside: each
// block's scale, and scale * sum(v) over every 16 columns (for the formats' offsets and mins).
struct kog_qx {
  const unsigned char* bytes;  // row 0; rows `row_bytes` apart
  const float* scale;          // [n][cols / 32]
  const float* sum16;          // [n][cols / 16]
  int row_bytes, blocks32, groups16;
};

template <int Unit>
KOG_QHD int kog_qx_row_bytes(int cols) {
  return cols / Unit * (2 * Unit + 16);
}

// Byte offset of the 16-column group holding column col (col % 16 == 0) within an activation row.
template <int Unit>
KOG_QHD int kog_qx_group(int col) {
  return col / Unit * (2 * Unit + 16) + (col % Unit) / 16 * 32;
}

// The h and l words of the 16-column group at col for each of the N activation rows.
template <int N, int Unit>
KOG_QHD void kog_qx_load(const kog_qx& x, int col, kog_u4 (&h)[N], kog_u4 (&l)[N]) {
  const int at = kog_qx_group<Unit>(col);
#pragma unroll
  for (int n = 0; n < N; ++n) {
    const kog_u4* p = reinterpret_cast<const kog_u4*>(x.bytes + n * x.row_bytes + at);
    h[n] = p[0];
    l[n] = p[1];
  }
}

KOG_QHD kog_u32 kog_word(const kog_u4& v, int i) { return i == 0 ? v.x : i == 1 ? v.y : i == 2 ? v.z : v.w; }

// scale * (256 * hi + lo): a group's integer dot product back in activation units.
KOG_QHD float kog_qx_value(int hi, int lo, float scale) { return (float)(hi * 256 + lo) * scale; }

KOG_QHD int kog_round(float f) {
#if defined(__CUDA_ARCH__)
  return __float2int_rn(f);
#else
  return (int)__builtin_nearbyintf(f);
#endif
}

// Eight activations of one 32-column block (whose largest magnitude is amax) as 16-bit integers:
// their high bytes (h0: values 0..3, h1: 4..7), low bytes, and their sum. Returns the block's scale.
KOG_QHD float kog_qx_pack8(const float (&v)[8], float amax, kog_u32& h0, kog_u32& h1, kog_u32& l0, kog_u32& l1,
                           int& sum) {
  const float inv = amax > 0.f ? 32767.f / amax : 0.f;
  kog_u32 q[8];
  sum = 0;
#pragma unroll
  for (int e = 0; e < 8; ++e) {
    int t = kog_round(v[e] * inv);
    t = t > 32767 ? 32767 : t < -32767 ? -32767 : t;
    sum += t;
    q[e] = (kog_u32)t;
  }
  l0 = kog_perm(kog_perm(q[0], q[1], 0x0040u), kog_perm(q[2], q[3], 0x0040u), 0x5410u);
  l1 = kog_perm(kog_perm(q[4], q[5], 0x0040u), kog_perm(q[6], q[7], 0x0040u), 0x5410u);
  h0 = kog_perm(kog_perm(q[0], q[1], 0x0051u), kog_perm(q[2], q[3], 0x0051u), 0x5410u);
  h1 = kog_perm(kog_perm(q[4], q[5], 0x0051u), kog_perm(q[6], q[7], 0x0051u), 0x5410u);
  return amax / 32767.f;
}
