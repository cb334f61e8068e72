#pragma once
// `graft apply`'s progress on long writes: one stderr line, redrawn in place, for a terminal only:
//   "graft: 2.1 GB of 8.6 GB (24%), shard 1 of 2, 1.4 GB/s, 5 s left"
// Drawn only when stderr is a terminal and the write moves more than 1 GB; at most every 0.2 s; the
// line is cleared when the write ends (or fails), so the summary and any error print on a clean line.

#include <graft/io/atomic_file.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include <unistd.h>

namespace graft::cli {

/// Draws write_progress on one updating stderr line (see the file comment); a no-op when not enabled.
class progress_line {
public:
  /// Writes smaller than this many tensor bytes show no progress.
  static constexpr std::uint64_t threshold_bytes = 1'000'000'000ULL;

  /// Enabled when `wanted` (no --json, no --quiet) and stderr is a terminal.
  explicit progress_line(bool wanted) : enabled_(wanted && ::isatty(STDERR_FILENO) == 1) {}
  progress_line(const progress_line&) = delete;
  progress_line& operator=(const progress_line&) = delete;
  ~progress_line() { clear(); }

  /// Receives one progress report (write_options::progress).
  void operator()(const io::write_progress& p) {
    if (!enabled_ || p.bytes_total < threshold_bytes) return;
    const auto now = std::chrono::steady_clock::now();
    if (!started_) {
      started_ = true;
      start_ = now;
    }
    const bool last = p.files_done == p.files_total;
    if (!last && drawn_ && now - last_draw_ < std::chrono::milliseconds(200)) return;
    last_draw_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    std::string line = "graft: " + gigabytes(p.bytes_done) + " of " + gigabytes(p.bytes_total) + " (" +
                       std::to_string(p.bytes_total ? p.bytes_done * 100 / p.bytes_total : 100) + "%)";
    if (p.files_total > 1)
      line += ", shard " + std::to_string(std::min(p.files_done + 1, p.files_total)) + " of " +
              std::to_string(p.files_total);
    if (seconds > 0.05 && p.bytes_done > 0) {
      const double rate = static_cast<double>(p.bytes_done) / seconds;
      line += ", " + gigabytes(static_cast<std::uint64_t>(rate)) + "/s, " +
              std::to_string(static_cast<long long>(static_cast<double>(p.bytes_total - p.bytes_done) / rate + 0.5)) +
              " s left";
    }
    std::fprintf(stderr, "\r%s\033[K", line.c_str());
    std::fflush(stderr);
    drawn_ = true;
  }

  /// Removes the line, if drawn.
  void clear() {
    if (!drawn_) return;
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    drawn_ = false;
  }

private:
  static std::string gigabytes(std::uint64_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f GB", static_cast<double>(bytes) / 1e9);
    return buf;
  }

  bool enabled_;
  bool started_ = false;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace graft::cli
