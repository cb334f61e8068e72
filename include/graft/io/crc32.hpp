#pragma once
/// \file
/// CRC-32 (the zip/zlib polynomial), as zip records declare it.

#include <array>
#include <cstddef>
#include <cstdint>

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

}  // namespace detail

/// Continues a CRC-32 (zip/zlib polynomial) over `n` more bytes; start with crc = 0.
inline std::uint32_t crc32_update(std::uint32_t crc, const void* data, std::size_t n) noexcept {
  const auto& t = detail::crc_tables;
  auto p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  // Eight bytes per step (slicing-by-8), assembled byte by byte so it is endian- and alignment-neutral.
  for (; n >= 8; p += 8, n -= 8) {
    const std::uint32_t lo =
        crc ^ (std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24);
    crc = t[7][lo & 0xffu] ^ t[6][(lo >> 8) & 0xffu] ^ t[5][(lo >> 16) & 0xffu] ^ t[4][lo >> 24] ^ t[3][p[4]] ^
          t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
  }
  for (; n > 0; ++p, --n) crc = t[0][(crc ^ *p) & 0xffu] ^ (crc >> 8);
  return ~crc;
}

}  // namespace graft::io
