#pragma once
/// \file
/// Read-only memory mapping of a whole file (POSIX), owned through a shared_ptr so that tensor byte
/// spans can keep the mapping alive.

#include <graft/error.hpp>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace graft::io {

/// A read-only view of a whole file's bytes, mapped into memory; not copyable, share it by shared_ptr.
class mapped_file {
public:
  /// Maps `path` read-only; throws graft::checkpoint_error naming the path on failure.
  static std::shared_ptr<const mapped_file> open(const std::string& path) {
    return std::shared_ptr<const mapped_file>(new mapped_file(path));
  }

  mapped_file(const mapped_file&) = delete;
  mapped_file& operator=(const mapped_file&) = delete;
  ~mapped_file() {
    if (data_ != nullptr && size_ != 0) ::munmap(const_cast<std::byte*>(data_), size_);
  }

  /// First byte of the file (nullptr for an empty file).
  const std::byte* data() const noexcept { return data_; }
  /// File size in bytes.
  std::size_t size() const noexcept { return size_; }
  /// The path the file was opened with.
  const std::string& path() const noexcept { return path_; }

private:
  explicit mapped_file(const std::string& path) : path_(path) {
    // O_NONBLOCK: opening a FIFO without a writer must not hang (it is refused below as not a regular file).
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) fail("cannot open");
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      int e = errno;
      ::close(fd);
      errno = e;
      fail("cannot stat");
    }
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      throw checkpoint_error(path_ + ": not a regular file");
    }
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ != 0) {
      // Private and writable: a tensor made from these pages may be modified in place; the changes
      // go to copy-on-write pages and never reach the file.
      void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, fd, 0);
      if (p == MAP_FAILED) {
        int e = errno;
        ::close(fd);
        errno = e;
        fail("cannot map");
      }
      data_ = static_cast<const std::byte*>(p);
    }
    ::close(fd);
  }

  [[noreturn]] void fail(const char* what) const {
    throw checkpoint_error(path_ + ": " + what + " (" + std::strerror(errno) + ")");
  }

  std::string path_;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace graft::io
