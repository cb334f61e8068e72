#pragma once
/// \file
/// Atomic output files: write to a temporary file beside the target, fsync, rename over it.
/// Refuses to replace any of the caller's input files.

#include <graft/error.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace graft::io {

/// Options shared by the checkpoint writers.
struct write_options {
  /// Files the output must not replace (the checkpoints being read: every entry of their
  /// checkpoint::files, since a sharded input is several files); compared with
  /// std::filesystem::equivalent, so links and other spellings of the same file are caught.
  std::vector<std::string> inputs;
};

/// A temporary file that becomes `path` on commit(); destroyed uncommitted, it leaves nothing behind.
class atomic_file {
public:
  /// Creates the temporary file in `path`'s folder; throws usage_error when `path` is one of `inputs`.
  atomic_file(std::string path, const std::vector<std::string>& inputs) : path_(std::move(path)) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::exists(path_, ec))
      for (const auto& in : inputs) {
        std::error_code ec2;
        if (fs::equivalent(path_, in, ec2))
          throw usage_error(path_ + ": refusing to overwrite an input checkpoint (" + in + ")");
      }
    fs::path p(path_);
    fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
    std::string tmpl = (dir / ("." + p.filename().string() + ".tmp-XXXXXX")).string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    int fd = ::mkstemp(buf.data());
    if (fd < 0) throw checkpoint_error(path_ + ": cannot create a temporary file (" + std::strerror(errno) + ")");
    tmp_.assign(buf.data());
    ::fchmod(fd, 0644);
    f_ = ::fdopen(fd, "w+b");
    if (f_ == nullptr) {
      ::close(fd);
      ::unlink(tmp_.c_str());
      throw checkpoint_error(path_ + ": cannot open a temporary file");
    }
  }
  atomic_file(const atomic_file&) = delete;
  atomic_file& operator=(const atomic_file&) = delete;
  ~atomic_file() {
    if (f_ != nullptr) std::fclose(f_);
    if (!committed_) ::unlink(tmp_.c_str());
  }

  /// The temporary file to write to.
  std::FILE* file() const noexcept { return f_; }
  /// The final path.
  const std::string& path() const noexcept { return path_; }

  /// Flushes, fsyncs and renames the temporary file to the final path.
  void commit() {
    bool ok = std::fflush(f_) == 0 && ::fsync(::fileno(f_)) == 0;
    ok = (std::fclose(f_) == 0) && ok;
    f_ = nullptr;
    if (!ok) throw checkpoint_error(path_ + ": write failed (" + std::strerror(errno) + ")");
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
  void write(const void* p, std::size_t n) {
    if (n != 0 && std::fwrite(p, 1, n, f_) != n) throw checkpoint_error(path_ + ": write failed (disk full?)");
  }

private:
  std::string path_;
  std::string tmp_;
  std::FILE* f_ = nullptr;
  bool committed_ = false;
};

}  // namespace graft::io
