#pragma once
/// \file
/// file_sink: the one way graft's writers put bytes into an output file. Appends go through a 1 MiB
/// buffer and reach the file by positional writes (pwrite), so the file offset is never moved and
/// nothing is read back; bytes already appended can be patched in place (a zip entry's CRC-32); the
/// kernel can append file ranges itself (kernel_copy). Every 8 MiB that reaches the file, the sink
/// starts its writeback (sync_file_range), so the disk writes while graft goes on and the committing
/// fsync waits for little.

#include <graft/error.hpp>
#include <graft/io/kernel_copy.hpp>
#include <graft/io/mapped_file.hpp>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace graft::io {

/// A buffered, positional writer appending to an open file from its start; `flush()` before the
/// descriptor is used otherwise (fsync, close). Errors throw checkpoint_error naming `label`.
class file_sink {
public:
  /// Appends to `fd` (not owned) from offset 0; `label` names the file in errors.
  file_sink(int fd, std::string label) : fd_(fd), label_(std::move(label)) { buffer_.reserve(buffer_bytes); }
  file_sink(const file_sink&) = delete;
  file_sink& operator=(const file_sink&) = delete;

  /// How many bytes have been appended (the offset the next one lands at).
  std::uint64_t size() const noexcept { return flushed_ + buffer_.size(); }

  /// Appends `n` bytes.
  void write(const void* p, std::size_t n) {
    if (n == 0) return;
    if (buffer_.size() + n > buffer_bytes) flush();
    if (n >= buffer_bytes) {  // a large piece goes straight to the file
      put_at(flushed_, p, n);
      flushed_ += n;
      start_writeback();
      return;
    }
    const auto* b = static_cast<const std::byte*>(p);
    buffer_.insert(buffer_.end(), b, b + n);
  }

  /// Overwrites `n` bytes already appended, at offset `at`.
  void patch(std::uint64_t at, const void* p, std::size_t n) {
    if (at + n > size()) fail("patch past the end");
    const auto* b = static_cast<const std::byte*>(p);
    if (at >= flushed_) {
      std::copy(b, b + n, buffer_.begin() + static_cast<std::ptrdiff_t>(at - flushed_));
      return;
    }
    const std::size_t in_file = static_cast<std::size_t>(std::min<std::uint64_t>(n, flushed_ - at));
    put_at(at, b, in_file);
    std::copy(b + in_file, b + n, buffer_.begin());
  }

  /// Appends up to `n` bytes at `from` copied by the kernel (kernel_copy); returns how many it
  /// copied: the caller appends the rest.
  std::size_t copy_in_kernel(const file_location& from, std::size_t n) {
    flush();
    const std::size_t k = kernel_copy(from.fd, from.offset, fd_, flushed_, n);
    flushed_ += k;
    if (k != 0) start_writeback();
    return k;
  }

  /// Writes the buffer to the file.
  void flush() {
    if (buffer_.empty()) return;
    put_at(flushed_, buffer_.data(), buffer_.size());
    flushed_ += buffer_.size();
    buffer_.clear();
    start_writeback();
  }

  /// Throws checkpoint_error when a mapped input changed (mapped_file::any_changed), naming it: its
  /// bytes in the output may be zeros or a mix of versions.
  void refuse_changed_inputs() const {
    if (auto what = mapped_file::any_changed())
      throw checkpoint_error(label_ + ": not written: " + *what + "; the input must not change until graft is done");
  }

  /// Throws checkpoint_error for a failed write with errno `e`; a changed mapped input is named first
  /// (write(2) from a truncated mapping fails with EFAULT).
  [[noreturn]] void write_failed(int e) const {
    refuse_changed_inputs();
    throw checkpoint_error(label_ + ": write failed (" + std::strerror(e) + ")");
  }

private:
  static constexpr std::size_t buffer_bytes = std::size_t{1} << 20;
  static constexpr std::uint64_t writeback_bytes = std::uint64_t{8} << 20;

  [[noreturn]] void fail(const std::string& what) const { throw checkpoint_error(label_ + ": " + what); }

  void put_at(std::uint64_t at, const void* p, std::size_t n) {
    const auto* b = static_cast<const char*>(p);
    while (n != 0) {
      const ssize_t k = ::pwrite(fd_, b, n, static_cast<off_t>(at));
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) write_failed(k < 0 ? errno : EIO);
      b += k, at += static_cast<std::uint64_t>(k), n -= static_cast<std::size_t>(k);
    }
  }

  /// Starts writing [written_back_, flushed_) to disk, asynchronously, once it is 8 MiB or more.
  void start_writeback() noexcept {
#if defined(__linux__)
    if (flushed_ - written_back_ < writeback_bytes) return;
    (void)::sync_file_range(fd_, static_cast<off_t>(written_back_), static_cast<off_t>(flushed_ - written_back_),
                            SYNC_FILE_RANGE_WRITE);
    written_back_ = flushed_;
#endif
  }

  int fd_;
  std::string label_;
  std::vector<std::byte> buffer_;   // bytes [flushed_, size()) not yet in the file
  std::uint64_t flushed_ = 0;       // bytes in the file
  std::uint64_t written_back_ = 0;  // of those, the ones whose writeback was started
};

}  // namespace graft::io
