// CRC-32 (io/crc32.hpp): the zip check values, and both implementations (PCLMULQDQ folding where the
// processor has it, slicing-by-8 tables) against the textbook bit-by-bit definition at every length,
// offset and split that reaches each of their loops.

#include <graft/io/crc32.hpp>

#include "support/catch.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

using namespace graft::io;

namespace {

/// The reference: the textbook bit-by-bit CRC-32, independent of graft's tables and constants.
std::uint32_t reference(const unsigned char* p, std::size_t n) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return ~c;
}

/// `n` bytes that are not a pattern any fold could mistake for another (a multiplicative hash).
std::vector<unsigned char> noise(std::size_t n) {
  std::vector<unsigned char> bytes(n);
  for (std::size_t i = 0; i < n; ++i) bytes[i] = static_cast<unsigned char>((i * 2654435761u) >> 11);
  return bytes;
}

}  // namespace

TEST_CASE("crc32 matches the zip check value") {
  CHECK(crc32_update(0, "123456789", 9) == 0xCBF43926u);
  std::uint32_t c = crc32_update(0, "12345", 5);
  CHECK(crc32_update(c, "6789", 4) == 0xCBF43926u);
  CHECK(crc32_update(0, "", 0) == 0u);
  CHECK(crc32_update(0, "The quick brown fox jumps over the lazy dog", 43) == 0x414FA339u);
  const std::string zeros(4096, '\0');  // a long run: every fold of the fast path
  CHECK(crc32_update(0, zeros.data(), zeros.size()) ==
        reference(reinterpret_cast<const unsigned char*>(zeros.data()), zeros.size()));
}

TEST_CASE("crc32 agrees with the bit-by-bit definition at every length, offset and split") {
  // Up to 700 bytes: the 4-lane fold loop (64 bytes a step), the 16-byte loop and the byte tail.
  const std::vector<unsigned char> bytes = noise(720);
  for (std::size_t offset = 0; offset < 16; ++offset)
    for (std::size_t n = 0; offset + n <= bytes.size(); ++n) {
      const unsigned char* p = bytes.data() + offset;
      const std::uint32_t want = reference(p, n);
      INFO("offset " << offset << ", " << n << " bytes, " << crc32_implementation());
      REQUIRE(crc32_update(0, p, n) == want);
      REQUIRE(~detail::crc32_tables(~0u, p, n) == want);
      const std::size_t split = n / 3;
      REQUIRE(crc32_update(crc32_update(0, p, split), p + split, n - split) == want);
    }
}

TEST_CASE("crc32 over 16 MiB in uneven pieces equals one pass and the definition") {
  const std::vector<unsigned char> bytes = noise((std::size_t{16} << 20) + 13);
  const std::uint32_t want = reference(bytes.data(), bytes.size());
  CHECK(crc32_update(0, bytes.data(), bytes.size()) == want);
  std::uint32_t c = 0;
  for (std::size_t at = 0, piece = 1; at < bytes.size(); at += piece, piece = piece * 7 % 100003 + 1)
    c = crc32_update(c, bytes.data() + at, std::min(piece, bytes.size() - at));
  CHECK(c == want);
}

#ifdef GRAFT_CRC32_CLMUL
TEST_CASE("crc32 uses carry-less multiplication where the processor has it") {
  if (!detail::have_clmul()) {
    WARN("not checked: this processor lacks PCLMULQDQ or SSE4.1 (the tables served every case above)");
    return;
  }
  CHECK(std::string(crc32_implementation()) == "pclmul");
  const std::vector<unsigned char> bytes = noise(64 * 20);
  for (std::size_t n = 64; n <= bytes.size(); n += 16) {
    INFO(n << " bytes");
    REQUIRE(~detail::crc32_clmul(~0u, bytes.data(), n) == reference(bytes.data(), n));
    REQUIRE(~detail::crc32_clmul(0x12345678u, bytes.data(), n) == ~detail::crc32_tables(0x12345678u, bytes.data(), n));
  }
}
#endif
