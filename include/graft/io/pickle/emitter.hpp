#pragma once
/// \file
/// Writing pickles (internal): a minimal emitter of the opcodes a torch state dict needs, spelled
/// with the named opcodes the unpickler reads (pickle/opcodes.hpp).

#include <graft/io/detail/bytes.hpp>
#include <graft/io/pickle/opcodes.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace graft::io::detail {

/// A minimal pickle emitter for torch state dicts.
class pickle_emitter {
public:
  std::string out;  ///< the pickle so far

  /// PROTO 2.
  void proto() {
    op(pickle_op::proto);
    out += '\x02';
  }
  /// An opcode without arguments.
  void op(pickle_op o) { out += pickle_op_char(o); }
  /// MARK.
  void mark() { op(pickle_op::mark); }
  /// A str (BINUNICODE).
  void str(std::string_view s) {
    op(pickle_op::binunicode);
    store_le<4>(out, s.size());
    out += s;
  }
  /// An int: BININT when it fits 32 bits, else an 8-byte LONG1.
  void integer(std::int64_t v) {
    if (v >= INT32_MIN && v <= INT32_MAX) {
      op(pickle_op::binint);
      store_le<4>(out, static_cast<std::uint32_t>(static_cast<std::int32_t>(v)));
    } else {
      op(pickle_op::long1);
      out += '\x08';
      store_le<8>(out, static_cast<std::uint64_t>(v));
    }
  }
  /// GLOBAL module.name.
  void global(std::string_view module, std::string_view name) {
    op(pickle_op::global);
    out += module;
    out += '\n';
    out += name;
    out += '\n';
  }
  /// A tuple of ints (MARK ... TUPLE).
  void int_tuple(const std::vector<std::int64_t>& xs) {
    mark();
    for (auto x : xs) integer(x);
    op(pickle_op::tuple);
  }
};

}  // namespace graft::io::detail
