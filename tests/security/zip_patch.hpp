#pragma once
// Lies in zip archives for the security tests: rewrite an entry's central-directory fields (CRC-32,
// method, uncompressed size) in bytes that zip_writer wrote honestly.

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace security_test {

/// Stores `v` as `n` little-endian bytes at `at`.
inline void poke_le(std::string& zip, std::size_t at, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) zip[at + static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
}

/// The offset of the central-directory record of entry `name` in `zip` (throws when there is none).
inline std::size_t central_record(const std::string& zip, const std::string& name) {
  const std::string sig("PK\x01\x02", 4);
  for (std::size_t at = zip.find(sig); at != std::string::npos; at = zip.find(sig, at + 1)) {
    if (at + 46 > zip.size()) break;
    const std::size_t nlen = static_cast<unsigned char>(zip[at + 28]) | static_cast<unsigned char>(zip[at + 29]) << 8;
    if (zip.compare(at + 46, nlen, name) == 0 && nlen == name.size()) return at;
  }
  throw std::logic_error("no central directory record for " + name);
}

/// Declares `crc` as entry `name`'s CRC-32.
inline void set_crc(std::string& zip, const std::string& name, std::uint32_t crc) {
  poke_le(zip, central_record(zip, name) + 16, crc, 4);
}

/// Declares entry `name` (written stored, holding raw deflate data) deflated, inflating to `size`
/// bytes whose CRC-32 is `crc`.
inline void set_deflated(std::string& zip, const std::string& name, std::uint32_t size, std::uint32_t crc) {
  const std::size_t at = central_record(zip, name);
  poke_le(zip, at + 10, 8, 2);
  poke_le(zip, at + 16, crc, 4);
  poke_le(zip, at + 24, size, 4);
}

/// Raw deflate data (one fixed-Huffman block) inflating to `n` >= 1 bytes 'a': a literal, then
/// copies of 258 bytes at distance 1 and literals for the rest. About 13 bits per 258 bytes.
inline std::string deflated_as(std::size_t n) {
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  auto put = [&](std::uint32_t v, int len) {  // LSB-first
    bits |= v << count;
    count += len;
    while (count >= 8) {
      out += static_cast<char>(bits & 0xff);
      bits >>= 8;
      count -= 8;
    }
  };
  auto huffman = [&](std::uint32_t code, int len) {  // Huffman codes go MSB-first
    for (int i = len - 1; i >= 0; --i) put((code >> i) & 1u, 1);
  };
  auto literal_a = [&] { huffman(0x30 + 'a', 8); };
  put(1, 1);  // BFINAL
  put(1, 2);  // fixed Huffman
  literal_a();
  std::size_t left = n - 1;
  for (; left >= 258; left -= 258) {
    huffman(0xc0 + (285 - 280), 8);  // length 258
    huffman(0, 5);                   // distance 1
  }
  for (; left > 0; --left) literal_a();
  huffman(0, 7);  // end of block
  if (count > 0) put(0, 8 - count);
  return out;
}

}  // namespace security_test
