#pragma once
/// \file
/// CRC-32 (the zip/zlib polynomial), as zip records declare it: carry-less multiplication folding
/// (PCLMULQDQ, ~10 GB/s) on x86-64 processors that have it, slicing-by-8 tables elsewhere and for the
/// tail; both checked against the bit-by-bit definition (tests/io/crc32.cpp).

#include <array>
#include <cstddef>
#include <cstdint>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define GRAFT_CRC32_CLMUL 1
#include <immintrin.h>
#endif

namespace graft::io {

namespace detail {

/// Slicing-by-8 tables for the reflected CRC-32 polynomial 0xEDB88320: table[0] is the classic byte
/// table, table[k][b] the CRC of byte b followed by k zero bytes.
inline constexpr std::array<std::array<std::uint32_t, 256>, 8> make_crc_tables() {
  std::array<std::array<std::uint32_t, 256>, 8> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[0][i] = c;
  }
  for (std::size_t k = 1; k < 8; ++k)
    for (std::size_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xffu];
  return t;
}
inline constexpr std::array<std::array<std::uint32_t, 256>, 8> crc_tables = make_crc_tables();

/// The CRC register (not inverted) after `n` more bytes, by slicing-by-8 tables.
inline std::uint32_t crc32_tables(std::uint32_t crc, const unsigned char* p, std::size_t n) noexcept {
  const auto& t = crc_tables;
  // Eight bytes per step (slicing-by-8), assembled byte by byte so it is endian- and alignment-neutral.
  for (; n >= 8; p += 8, n -= 8) {
    const std::uint32_t lo =
        crc ^ (std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24);
    crc = t[7][lo & 0xffu] ^ t[6][(lo >> 8) & 0xffu] ^ t[5][(lo >> 16) & 0xffu] ^ t[4][lo >> 24] ^ t[3][p[4]] ^
          t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
  }
  for (; n > 0; ++p, --n) crc = t[0][(crc ^ *p) & 0xffu] ^ (crc >> 8);
  return crc;
}

#ifdef GRAFT_CRC32_CLMUL
/// Whether this processor has PCLMULQDQ and SSE4.1 (asked once).
inline bool have_clmul() noexcept {
  static const bool yes = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  }();
  return yes;
}

/// One folding step: the 128 bits of `x` carried forward by the constants `k`, xored into `next`.
__attribute__((target("pclmul,sse4.1"))) inline __m128i crc32_fold(__m128i x, __m128i k, __m128i next) noexcept {
  return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x11), _mm_clmulepi64_si128(x, k, 0x00)), next);
}

/// The CRC register (not inverted) after `n` more bytes, `n` a multiple of 16 and at least 64, by
/// folding four 128-bit lanes with carry-less multiplication, then Barrett reduction (Gopal et al.,
/// "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ", Intel, 2009; the constants are the
/// bit-reflected x^k mod P of that paper for P = 0x104C11DB7).
__attribute__((target("pclmul,sse4.1"))) inline std::uint32_t crc32_clmul(std::uint32_t crc, const unsigned char* p,
                                                                          std::size_t n) noexcept {
  const __m128i k1k2 = _mm_set_epi64x(0x01c6e41596, 0x0154442bd4);  // fold by 4 lanes (512 bits)
  const __m128i k3k4 = _mm_set_epi64x(0x00ccaa009e, 0x01751997d0);  // fold by 1 lane (128 bits)
  const __m128i k5 = _mm_set_epi64x(0, 0x0163cd6124);               // 64 -> 32 bits
  const __m128i poly = _mm_set_epi64x(0x01f7011641, 0x01db710641);  // P' and mu for Barrett reduction
  const __m128i low32 = _mm_setr_epi32(~0, 0, ~0, 0);
  const auto load = [](const unsigned char* q) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q)); };

  __m128i x1 = _mm_xor_si128(load(p), _mm_cvtsi32_si128(static_cast<int>(crc)));
  __m128i x2 = load(p + 16), x3 = load(p + 32), x4 = load(p + 48);
  p += 64;
  n -= 64;
  for (; n >= 64; p += 64, n -= 64) {
    x1 = crc32_fold(x1, k1k2, load(p));
    x2 = crc32_fold(x2, k1k2, load(p + 16));
    x3 = crc32_fold(x3, k1k2, load(p + 32));
    x4 = crc32_fold(x4, k1k2, load(p + 48));
  }
  x1 = crc32_fold(x1, k3k4, x2);
  x1 = crc32_fold(x1, k3k4, x3);
  x1 = crc32_fold(x1, k3k4, x4);
  for (; n >= 16; p += 16, n -= 16) x1 = crc32_fold(x1, k3k4, load(p));

  // 128 -> 64 bits, then 64 -> 32 bits.
  x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), _mm_clmulepi64_si128(x1, k3k4, 0x10));
  x1 = _mm_xor_si128(_mm_srli_si128(x1, 4), _mm_clmulepi64_si128(_mm_and_si128(x1, low32), k5, 0x00));
  // Barrett reduction to the 32-bit remainder.
  __m128i t = _mm_clmulepi64_si128(_mm_and_si128(x1, low32), poly, 0x10);
  t = _mm_clmulepi64_si128(_mm_and_si128(t, low32), poly, 0x00);
  return static_cast<std::uint32_t>(_mm_extract_epi32(_mm_xor_si128(x1, t), 1));
}
#endif

}  // namespace detail

/// Which CRC-32 implementation crc32_update uses on this processor: "pclmul" or "slicing-by-8".
inline const char* crc32_implementation() noexcept {
#ifdef GRAFT_CRC32_CLMUL
  if (detail::have_clmul()) return "pclmul";
#endif
  return "slicing-by-8";
}

/// Continues a CRC-32 (zip/zlib polynomial) over `n` more bytes; start with crc = 0.
inline std::uint32_t crc32_update(std::uint32_t crc, const void* data, std::size_t n) noexcept {
  auto p = static_cast<const unsigned char*>(data);
  crc = ~crc;
#ifdef GRAFT_CRC32_CLMUL
  if (n >= 64 && detail::have_clmul()) {
    const std::size_t whole = n & ~std::size_t{15};
    crc = detail::crc32_clmul(crc, p, whole);
    p += whole;
    n -= whole;
  }
#endif
  return ~detail::crc32_tables(crc, p, n);
}

}  // namespace graft::io
