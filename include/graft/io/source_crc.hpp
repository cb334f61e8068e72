#pragma once
/// \file
/// source_crc: the CRC-32 a zip record declares for the bytes a tensor's storage is read from, checked
/// once, when those bytes are first copied (written out or read into memory), so that a corrupt
/// record is refused instead of being written elsewhere under a fresh, valid CRC.

#include <graft/detail/text.hpp>
#include <graft/error.hpp>
#include <graft/io/byte_span.hpp>
#include <graft/io/crc32.hpp>
#include <graft/io/mapped_file.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

namespace graft::io {

/// A source record's bytes and declared CRC-32, with whether they have been found to match.
class source_crc {
public:
  /// The record `bytes` (kept alive by `owner`), declaring `crc`; `label` names it in errors
  /// ("<file>: zip: entry 'archive/data/0'").
  source_crc(std::string label, byte_span bytes, std::uint32_t crc, std::shared_ptr<const void> owner)
      : label_(std::move(label)), bytes_(bytes), crc_(crc), owner_(std::move(owner)) {}

  /// The record's bytes.
  byte_span bytes() const noexcept { return bytes_; }
  /// The CRC-32 the record declares (not necessarily its bytes': see checked()).
  std::uint32_t declared() const noexcept { return crc_; }
  /// True once the bytes were found to match the declared CRC-32.
  bool checked() const noexcept { return ok_.load(std::memory_order_acquire); }
  /// Throws checkpoint_error unless `crc`, computed over exactly bytes(), is the declared CRC-32. A
  /// mismatch while a mapped input has changed (truncated pages read as zeros) is left to the output's
  /// commit, which refuses it naming the output and the changed input (atomic_file).
  void expect(std::uint32_t crc) const {
    if (crc != crc_ && mapped_file::any_changed()) return;
    if (crc != crc_)
      throw checkpoint_error(label_ + " fails its CRC-32 check (declared " + hex(crc_) + ", the bytes give " +
                             hex(crc) + "): the record is corrupt; refusing to copy its bytes");
    ok_.store(true, std::memory_order_release);
  }
  /// Checks the record's bytes, unless already checked; with `release_pages`, their mapped pages are
  /// dropped from the resident set as they are read (mapped_file::release_resident).
  void check(bool release_pages = false) const {
    if (checked()) return;
    std::uint32_t crc = 0;
    write_in_pieces(bytes_.data, bytes_.size, release_pages,
                    [&](const std::byte* p, std::size_t n) { crc = crc32_update(crc, p, n); });
    expect(crc);
  }

private:
  static std::string hex(std::uint32_t v) {
    std::string s = "0x";
    for (int k = 24; k >= 0; k -= 8) graft::detail::append_hex_byte(s, static_cast<unsigned char>(v >> k));
    return s;
  }

  std::string label_;
  byte_span bytes_;
  std::uint32_t crc_;
  std::shared_ptr<const void> owner_;
  mutable std::atomic<bool> ok_{false};
};

}  // namespace graft::io
