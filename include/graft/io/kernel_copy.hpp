#pragma once
/// \file
/// kernel_copy: bytes copied from one open file to another inside the kernel by copy_file_range(2),
/// never through a user buffer; a filesystem that can share extents (Btrfs, XFS with reflink, NFS 4.2
/// server-side copy) may share them instead of copying. Linux only: elsewhere nothing is copied and the
/// caller writes the bytes itself, as it does wherever the kernel declines.

#include <cerrno>
#include <cstddef>
#include <cstdint>

#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

namespace graft::io {

/// Copies up to `n` bytes from offset `from` of `in_fd` to offset `to` of `out_fd` (file offsets of
/// neither change); returns how many it copied: `n`, or fewer where the kernel declines (files on
/// different filesystems, a kernel or filesystem without copy_file_range, an error: the caller writes
/// the rest itself and reports any error its own write meets) or the input ends early (it changed).
inline std::size_t kernel_copy(int in_fd, std::uint64_t from, int out_fd, std::uint64_t to, std::size_t n) noexcept {
#if defined(__linux__)
  std::size_t done = 0;
  while (done < n) {
    auto in_off = static_cast<off_t>(from + done);
    auto out_off = static_cast<off_t>(to + done);
    const ssize_t k = ::copy_file_range(in_fd, &in_off, out_fd, &out_off, n - done, 0);
    if (k > 0) {
      done += static_cast<std::size_t>(k);
      continue;
    }
    if (k < 0 && errno == EINTR) continue;
    break;  // 0: the input ended; < 0: the kernel declines
  }
  return done;
#else
  (void)in_fd, (void)from, (void)out_fd, (void)to, (void)n;
  return 0;
#endif
}

}  // namespace graft::io
