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

struct alignas(16) kog_f4 {  // four floats read or written by one 16-byte access
  float x, y, z, w;
};
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

// An IEEE half (its 16 bits, finite) as a float, exactly: subnormals too, without half intrinsics.
KOG_QHD float kog_half_float(kog_u32 h) {
  const float magnitude = kog_bits_float((h & 0x7fffu) << 13) * 5.192296858534828e33f;  // * 2^112
  return kog_bits_float(kog_float_bits(magnitude) | ((h & 0x8000u) << 16));
}

// NW little-endian words of the bytes at p (p at least 2-byte aligned), from NW + 1 aligned 4-byte
// loads. NOTE: reads up to 4 bytes past the last word's end; callers keep that much slack.
template <int NW>
KOG_QHD void kog_load_words(const unsigned char* p, kog_u32 (&out)[NW]) {
  const unsigned long long at = (unsigned long long)p;
  const kog_u32* w = reinterpret_cast<const kog_u32*>(at & ~3ull);
  const kog_u32 sh = (kog_u32)(at & 3) * 8;
  kog_u32 prev = w[0];
#pragma unroll
  for (int i = 0; i < NW; ++i) {
    const kog_u32 next = w[i + 1];
    out[i] = kog_funnel(prev, next, sh);
    prev = next;
  }
}

// Bytes 2..5 of the pair (a, b): a field that starts half-way into a word.
KOG_QHD kog_u32 kog_mid_word(kog_u32 a, kog_u32 b) { return kog_perm(a, b, 0x5432u); }

// Four bytes 0x80 | q (q < 128) as the floats 1 + q / 128, one byte permute each and exact.
// Dot products then run on these: sum(q * x) = 128 * (sum(v * x) - sum(x)), with sum(x) precomputed.
KOG_QHD void kog_offset_floats(kog_u32 bytes, float (&f)[4]) {
  f[0] = kog_bits_float(kog_perm(bytes, 0x3f000000u, 0x7044u));
  f[1] = kog_bits_float(kog_perm(bytes, 0x3f000000u, 0x7144u));
  f[2] = kog_bits_float(kog_perm(bytes, 0x3f000000u, 0x7244u));
  f[3] = kog_bits_float(kog_perm(bytes, 0x3f000000u, 0x7344u));
}

// Four signed bytes as exact floats (2^23 + (q + 128) built by a byte permute, minus 2^23 + 128).
KOG_QHD void kog_int8_floats(kog_u32 bytes, float (&f)[4]) {
  const kog_u32 u = bytes ^ 0x80808080u;
  f[0] = kog_bits_float(kog_perm(u, 0x4b000000u, 0x7440u)) - 8388736.f;
  f[1] = kog_bits_float(kog_perm(u, 0x4b000000u, 0x7441u)) - 8388736.f;
  f[2] = kog_bits_float(kog_perm(u, 0x4b000000u, 0x7442u)) - 8388736.f;
  f[3] = kog_bits_float(kog_perm(u, 0x4b000000u, 0x7443u)) - 8388736.f;
}

KOG_QHD kog_f4 kog_load_f4(const float* p) { return *reinterpret_cast<const kog_f4*>(p); }

// Activations in shared memory are padded by 4 floats after every `Unit` columns, so lanes that read
// the same offset of consecutive units hit different banks.
template <int Unit>
KOG_QHD int kog_xpad(int col) {
  return col + (col / Unit) * 4;
}

// acc[n] += sum over 4 of f[e] * x[e] for each of N activation rows (x4[n] holds the 4 activations).
template <int N>
KOG_QHD void kog_fma4(const float (&f)[4], const kog_f4 (&x4)[N], float (&acc)[N]) {
#pragma unroll
  for (int n = 0; n < N; ++n) {
    acc[n] = fmaf(f[0], x4[n].x, acc[n]);
    acc[n] = fmaf(f[1], x4[n].y, acc[n]);
    acc[n] = fmaf(f[2], x4[n].z, acc[n]);
    acc[n] = fmaf(f[3], x4[n].w, acc[n]);
  }
}

// The 4 activations of each row n at padded column `col` (x: row 0, stride floats between rows).
template <int N, int Unit>
KOG_QHD void kog_load_x4(const float* x, int stride, int col, kog_f4 (&x4)[N]) {
  const int at = kog_xpad<Unit>(col);
#pragma unroll
  for (int n = 0; n < N; ++n) x4[n] = kog_load_f4(x + n * stride + at);
}
