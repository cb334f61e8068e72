#pragma once
/// \file
/// A non-owning view of bytes (pointer + length).

#include <cstddef>

namespace graft::io {

/// A read-only run of bytes, usually inside a mapped checkpoint file.
struct byte_span {
  const std::byte* data = nullptr;  ///< first byte
  std::size_t size = 0;             ///< length in bytes

  /// One past the last byte.
  const std::byte* end() const noexcept { return data + size; }
  /// True when the span holds no bytes.
  bool empty() const noexcept { return size == 0; }
};

}  // namespace graft::io
