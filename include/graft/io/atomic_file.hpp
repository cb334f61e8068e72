#pragma once
/// \file
/// Atomic output files: write to a temporary file beside the target (through a file_sink), fsync,
/// rename over it.
/// Refuses to replace any of the caller's input files, and to commit while a mapped input has changed
/// (mapped_file::any_changed). The result has an existing target's mode (and owner, where allowed);
/// a new one gets 0666 & ~umask, as any new file.

#include <graft/error.hpp>
#include <graft/io/file_sink.hpp>
#include <graft/io/mapped_file.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace graft::io {

/// How far a write has got: tensor bytes written of all it will write, and files committed of all.
struct write_progress {
  std::uint64_t bytes_done = 0;       ///< tensor bytes written so far
  std::uint64_t bytes_total = 0;      ///< tensor bytes the whole write will write
  std::uint64_t bytes_by_kernel = 0;  ///< of bytes_done, those the kernel copied file to file (kernel_copy)
  std::size_t files_done = 0;         ///< output files committed so far
  std::size_t files_total = 1;        ///< output files the write makes (shards; 1 otherwise)
};

/// Options shared by the checkpoint writers.
struct write_options {
  /// Files the output must not replace (the checkpoints being read: every entry of their
  /// checkpoint::files, since a sharded input is several files); compared with
  /// std::filesystem::equivalent, so links and other spellings of the same file are caught.
  std::vector<std::string> inputs;
  /// After each piece of a record is written, drop the mapped input pages it came from from the
  /// process's resident set (mapped_file::release_resident), so peak RSS stays bounded whatever the
  /// checkpoint's size. Only where nothing writes into mapped tensors: the graft CLI sets it.
  bool release_read_pages = false;
  /// Have the kernel copy tensor bytes that lie whole in a mapped input straight from its file to the
  /// output (kernel_copy; io/record_writer.hpp), where it can; a torch.save storage record copied whole
  /// into a .pth keeps its declared CRC-32, unread. Copies the file's bytes, not the mapping's: only
  /// where nothing writes into mapped tensors (the graft CLI sets it, the Python module does not).
  bool kernel_copy = false;
  /// Called after each piece (at most 8 MiB) of tensor bytes is written and after each output file is
  /// committed, from the writing thread; may be empty. An exception it throws ends the write, nothing committed.
  std::function<void(const write_progress&)> progress;
};

/// Counts one write's progress and reports it to write_options::progress.
class progress_meter {
public:
  /// A write of `bytes_total` tensor bytes into `files_total` files, reported to `options.progress`.
  progress_meter(const write_options& options, std::uint64_t bytes_total, std::size_t files_total = 1)
      : report_(options.progress) {
    now_.bytes_total = bytes_total;
    now_.files_total = files_total;
  }
  /// `n` more tensor bytes written, `by_kernel` of them copied by the kernel.
  void wrote(std::size_t n, std::size_t by_kernel = 0) {
    now_.bytes_done += n;
    now_.bytes_by_kernel += by_kernel;
    if (report_) report_(now_);
  }
  /// One more output file committed.
  void committed() {
    ++now_.files_done;
    if (report_) report_(now_);
  }
  /// The state so far.
  const write_progress& now() const noexcept { return now_; }

private:
  const std::function<void(const write_progress&)>& report_;
  write_progress now_;
};

/// The first of `inputs` that is the same file as `path` (same device and inode, links followed), or
/// nothing (also when `path` does not exist).
inline std::optional<std::string> same_file_among(const std::string& path, const std::vector<std::string>& inputs) {
  struct stat out {};
  if (::stat(path.c_str(), &out) != 0) return std::nullopt;
  for (const auto& in : inputs) {
    struct stat st {};
    if (::stat(in.c_str(), &st) == 0 && st.st_dev == out.st_dev && st.st_ino == out.st_ino) return in;
  }
  return std::nullopt;
}

namespace detail {

/// Creates `dir/.NAME.tmp-XXXXXX` with mode 0666 (the umask applies, as to any new file); returns its fd.
inline int create_temporary(const std::filesystem::path& dir, const std::string& name, std::string& tmp) {
  static std::atomic<unsigned> counter{0};
  static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto x = static_cast<unsigned long long>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
             (static_cast<unsigned long long>(::getpid()) << 32) ^ (counter.fetch_add(1) * 0x9e3779b97f4a7c15ULL);
    std::string suffix;
    for (int i = 0; i < 6; ++i, x /= 36) suffix += digits[x % 36];
    tmp = (dir / ("." + name + ".tmp-" + suffix)).string();
    const int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  errno = EEXIST;
  return -1;
}

/// Gives the temporary file `fd` the owner and mode of the existing `target` (a new target: nothing
/// to do). The owner is kept where this process may (root, or the group among its own).
inline void copy_target_attributes(int fd, const std::string& target) {
  struct stat st {};
  if (::stat(target.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
  if (::fchown(fd, st.st_uid, st.st_gid) != 0) (void)!::fchown(fd, static_cast<uid_t>(-1), st.st_gid);
  ::fchmod(fd, st.st_mode & 0777);
}

}  // namespace detail

/// A temporary file that becomes `path` on commit(); destroyed uncommitted, it leaves nothing behind.
class atomic_file {
public:
  /// Creates the temporary file in `path`'s folder; throws usage_error when `path` is one of `inputs`.
  atomic_file(std::string path, const std::vector<std::string>& inputs) : path_(std::move(path)) {
    namespace fs = std::filesystem;
    if (auto in = same_file_among(path_, inputs))
      throw usage_error(path_ + ": refusing to overwrite an input (" + *in + ")");
    fs::path p(path_);
    fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
    int fd = detail::create_temporary(dir, p.filename().string(), tmp_);
    if (fd < 0) throw checkpoint_error(path_ + ": cannot create a temporary file (" + std::strerror(errno) + ")");
    detail::copy_target_attributes(fd, path_);
    fd_ = fd;
    sink_.emplace(fd, path_);
  }
  atomic_file(const atomic_file&) = delete;
  atomic_file& operator=(const atomic_file&) = delete;
  ~atomic_file() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(tmp_.c_str());
  }

  /// The temporary file's writer.
  file_sink& sink() noexcept { return *sink_; }
  /// The final path.
  const std::string& path() const noexcept { return path_; }

  /// Flushes, fsyncs and renames the temporary file to the final path.
  void commit() {
    sink_->flush();
    int e = ::fsync(fd_) == 0 ? 0 : errno;
    if (::close(fd_) != 0 && e == 0) e = errno;
    fd_ = -1;
    if (e != 0) sink_->write_failed(e);
    sink_->refuse_changed_inputs();
    if (::rename(tmp_.c_str(), path_.c_str()) != 0)
      throw checkpoint_error(path_ + ": cannot rename the temporary file into place (" + std::strerror(errno) + ")");
    committed_ = true;
    std::filesystem::path p(path_);
    std::string dir = p.has_parent_path() ? p.parent_path().string() : std::string(".");
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
  }

  /// Writes bytes; throws on failure.
  void write(const void* p, std::size_t n) { sink_->write(p, n); }

  /// Appends up to `n` bytes at `from` copied by the kernel (kernel_copy); returns how many it copied:
  /// the caller writes the rest.
  std::size_t copy_in_kernel(const file_location& from, std::size_t n) { return sink_->copy_in_kernel(from, n); }

private:
  std::string path_;
  std::string tmp_;
  int fd_ = -1;
  std::optional<file_sink> sink_;
  bool committed_ = false;
};

}  // namespace graft::io
