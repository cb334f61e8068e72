#pragma once
// Building pickle bytes by hand, for tests of the restricted unpickler with hostile or unusual input.
// Spelled in raw opcode bytes on purpose, not with pickle_op: the tests then also check the named
// opcodes of graft/io/pickle/opcodes.hpp against the protocol.

#include <cstdint>
#include <string>
#include <vector>

namespace test::pickle {

/// 4 little-endian bytes.
inline std::string u32(std::uint32_t v) {
  std::string s;
  for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}
/// 8 little-endian bytes.
inline std::string u64(std::uint64_t v) {
  std::string s;
  for (int i = 0; i < 8; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}
/// BINUNICODE string.
inline std::string str(const std::string& s) { return "X" + u32(static_cast<std::uint32_t>(s.size())) + s; }
/// LONG1 with 8 bytes.
inline std::string int8b(std::int64_t v) { return std::string("\x8a\x08", 2) + u64(static_cast<std::uint64_t>(v)); }
/// A tuple of integers.
inline std::string ints(const std::vector<std::int64_t>& xs) {
  std::string s = "(";
  for (auto x : xs) s += int8b(x);
  return s + "t";
}
/// A _rebuild_tensor_v2 call on float storage `key` of `numel` elements.
inline std::string tensor(const std::string& key, std::int64_t numel, const std::vector<std::int64_t>& size,
                          const std::vector<std::int64_t>& stride, std::int64_t offset = 0) {
  return "ctorch._utils\n_rebuild_tensor_v2\n((" + str("storage") + "ctorch\nFloatStorage\n" + str(key) + str("cpu") +
         int8b(numel) + "tQ" + int8b(offset) + ints(size) + ints(stride) + "\x89" + "ccollections\nOrderedDict\n)RtR";
}

}  // namespace test::pickle
