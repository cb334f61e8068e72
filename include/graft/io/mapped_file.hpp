#pragma once
/// \file
/// Read-only memory mapping of a whole file (POSIX), owned through a shared_ptr so that tensor byte
/// spans can keep the mapping alive. A file that changes while mapped (truncated, rewritten) never
/// crashes graft: detail/mapping_guard.hpp turns the SIGBUS into zero pages, and change() (checked
/// at the end of every read and before every output is committed) reports it.

#include <graft/error.hpp>
#include <graft/io/detail/mapping_guard.hpp>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace graft::io {

/// Where bytes of a mapped input lie in its file: the mapped file's open descriptor and their offset.
struct file_location {
  int fd = -1;               ///< valid while the mapped_file lives
  std::uint64_t offset = 0;  ///< of the first byte
};

/// The most bytes a writer passes (or asks the kernel to copy) at a time: write_in_pieces.
inline constexpr std::size_t write_piece_bytes = std::size_t{8} << 20;

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
    {
      std::lock_guard<std::mutex> lock(live_mutex());
      live().erase(this);
    }
    detail::unguard_mapping(slot_);
    if (data_ != nullptr && size_ != 0) ::munmap(const_cast<std::byte*>(data_), size_);
    if (fd_ >= 0) ::close(fd_);
  }

  /// First byte of the file (nullptr for an empty file).
  const std::byte* data() const noexcept { return data_; }
  /// File size in bytes.
  std::size_t size() const noexcept { return size_; }
  /// The path the file was opened with.
  const std::string& path() const noexcept { return path_; }

  /// How the file changed since it was mapped ("size 10 -> 4 bytes", "modified", "pages lost"), or
  /// nothing when it did not; its bytes are then not to be trusted.
  std::optional<std::string> change() const {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return std::string("cannot stat (") + std::strerror(errno) + ")";
    if (static_cast<std::size_t>(st.st_size) != size_)
      return "size " + std::to_string(size_) + " -> " + std::to_string(st.st_size) + " bytes";
    if (st.st_mtim.tv_sec != mtime_.tv_sec || st.st_mtim.tv_nsec != mtime_.tv_nsec) return std::string("modified");
    if (detail::mapping_faulted(slot_)) return std::string("pages lost (truncated and regrown)");
    return std::nullopt;
  }

  /// "PATH changed while graft read it (HOW)" for the first mapped file, of all alive in this
  /// process, that changed; nothing when none did.
  static std::optional<std::string> any_changed() {
    std::lock_guard<std::mutex> lock(live_mutex());
    for (const mapped_file* f : live())
      if (auto how = f->change()) return f->path_ + " changed while graft read it (" + *how + ")";
    return std::nullopt;
  }

  /// Where [p, p + n) lies in the file of the live mapped_file holding all of it; nothing when no
  /// mapped_file does (the bytes are a copy, or span two mappings).
  static std::optional<file_location> locate(const std::byte* p, std::size_t n) noexcept {
    if (n == 0) return std::nullopt;
    std::lock_guard<std::mutex> lock(live_mutex());
    const auto at = reinterpret_cast<std::uintptr_t>(p);
    const mapped_file* f = holding(at);
    if (f == nullptr) return std::nullopt;
    const std::uintptr_t offset = at - reinterpret_cast<std::uintptr_t>(f->data_);
    if (n > f->size_ - offset) return std::nullopt;
    return file_location{f->fd_, offset};
  }

  /// Drops the pages holding [p, p + n) from this process's resident set (madvise MADV_DONTNEED),
  /// where they lie in a live mapped_file: the file's pages stay in the page cache and come back, from
  /// the file, when next read. Bytes outside every mapped_file are left alone. Only for mappings nothing
  /// has written into: a page changed through the private mapping would lose the change (the graft CLI
  /// never writes into a mapping; the Python module's tensors may, so it never releases).
  static void release_resident(const std::byte* p, std::size_t n) noexcept {
    if (n == 0) return;
    static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    std::lock_guard<std::mutex> lock(live_mutex());
    const auto at = reinterpret_cast<std::uintptr_t>(p);
    const mapped_file* f = holding(at);
    if (f == nullptr) return;
    // Whole pages, rounded outwards: a neighbouring record's page read again costs a fault, no more.
    const std::uintptr_t from = at / page * page;
    const std::uintptr_t to = std::min(at + n, reinterpret_cast<std::uintptr_t>(f->data_) + f->size_);
    ::madvise(reinterpret_cast<void*>(from), to - from, MADV_DONTNEED);
  }

private:
  static std::mutex& live_mutex() {
    static std::mutex m;
    return m;
  }
  static std::set<const mapped_file*>& live() {
    static std::set<const mapped_file*> s;
    return s;
  }
  /// The live mapped_file whose mapping holds address `at`, or null; the caller holds live_mutex().
  static const mapped_file* holding(std::uintptr_t at) noexcept {
    for (const mapped_file* f : live()) {
      const auto begin = reinterpret_cast<std::uintptr_t>(f->data_);
      if (f->size_ != 0 && at >= begin && at - begin < f->size_) return f;
    }
    return nullptr;
  }

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
    mtime_ = st.st_mtim;
    fd_ = fd;  // kept open: change() asks the mapped file itself, whatever its path names now
    if (size_ != 0) {
      // Private and writable: a tensor made from these pages may be modified in place; the changes
      // go to copy-on-write pages and never reach the file.
      void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, fd, 0);
      if (p == MAP_FAILED) {
        int e = errno;
        ::close(fd);
        errno = e;
        fd_ = -1;
        fail("cannot map");
      }
      data_ = static_cast<const std::byte*>(p);
      slot_ = detail::guard_mapping(data_, size_);
    }
    std::lock_guard<std::mutex> lock(live_mutex());
    live().insert(this);
  }

  [[noreturn]] void fail(const char* what) const {
    throw checkpoint_error(path_ + ": " + what + " (" + std::strerror(errno) + ")");
  }

  std::string path_;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  int fd_ = -1;
  int slot_ = -1;
  struct timespec mtime_ {};
};

/// Passes [data, data + n) to `write(const std::byte*, std::size_t)` in pieces of at most
/// write_piece_bytes; with
/// `release`, each piece's mapped pages are dropped from the resident set once written
/// (mapped_file::release_resident).
template <class Write>
void write_in_pieces(const std::byte* data, std::size_t n, bool release, Write&& write) {
  for (std::size_t at = 0; at < n; at += write_piece_bytes) {
    const std::size_t len = std::min(write_piece_bytes, n - at);
    write(data + at, len);
    if (release) mapped_file::release_resident(data + at, len);
  }
}

}  // namespace graft::io
