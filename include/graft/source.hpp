#pragma once
/// \file
/// Rules-file text and positions into it that outlive the parser.

#include <graft/detail/text.hpp>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace graft {

/// The full text of one rules file, shared by every position that points into it.
class source_text {
public:
  /// Takes the file's name (as shown in messages) and its contents.
  source_text(std::string path, std::string text) : path_(std::move(path)), text_(std::move(text)) {
    line_starts_.push_back(0);
    for (std::size_t i = 0; i < text_.size(); ++i)
      if (text_[i] == '\n') line_starts_.push_back(i + 1);
  }

  /// The file name used in messages.
  const std::string& path() const noexcept { return path_; }
  /// The whole text.
  const std::string& text() const noexcept { return text_; }

  /// 1-based line and column (in bytes) of a byte offset.
  std::pair<std::size_t, std::size_t> line_column(std::size_t offset) const {
    offset = std::min(offset, text_.size());
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    const std::size_t line = static_cast<std::size_t>(it - line_starts_.begin());
    return {line, offset - line_starts_[line - 1] + 1};
  }

  /// The text of a 1-based line, without its line break.
  std::string_view line_text(std::size_t line) const {
    if (line == 0 || line > line_starts_.size()) return {};
    const std::size_t begin = line_starts_[line - 1];
    std::size_t end = line < line_starts_.size() ? line_starts_[line] - 1 : text_.size();
    if (end > begin && text_[end - 1] == '\r') --end;
    return std::string_view(text_).substr(begin, end - begin);
  }

private:
  std::string path_;
  std::string text_;
  std::vector<std::size_t> line_starts_;
};

/// A position in a rules file: the shared text and a byte offset into it.
class source_location {
public:
  source_location() = default;
  /// Points at byte `offset` of `source`.
  source_location(std::shared_ptr<const source_text> source, std::size_t offset)
      : source_(std::move(source)), offset_(offset) {}

  /// True when the location points into a file.
  bool known() const noexcept { return source_ != nullptr; }
  /// The file name, or "<unknown>".
  std::string file() const { return source_ ? source_->path() : std::string("<unknown>"); }
  /// 1-based line (0 when unknown).
  std::size_t line() const { return source_ ? source_->line_column(offset_).first : 0; }
  /// 1-based column in bytes (0 when unknown).
  std::size_t column() const { return source_ ? source_->line_column(offset_).second : 0; }
  /// Byte offset into the file.
  std::size_t offset() const noexcept { return offset_; }
  /// The shared text (may be null).
  const std::shared_ptr<const source_text>& source() const noexcept { return source_; }

  /// "file:line:col".
  std::string str() const {
    if (!source_) return "<unknown>";
    auto [l, c] = source_->line_column(offset_);
    return source_->path() + ":" + std::to_string(l) + ":" + std::to_string(c);
  }

  /// The source line followed by a caret line under this column ("" when unknown).
  std::string excerpt() const {
    if (!source_) return {};
    auto [l, c] = source_->line_column(offset_);
    std::string_view text = source_->line_text(l);
    constexpr std::size_t max_width = 160;
    std::size_t shift = 0;
    if (text.size() > max_width && c > max_width / 2) {  // keep long lines readable
      shift = std::min(c - max_width / 2, text.size() - max_width / 2);
    }
    const std::string_view shown = text.substr(shift, max_width);
    std::string line(shown);
    // Control bytes (but tabs) and bytes that are not UTF-8 show as '?', one each, so the caret still lines up.
    detail::split_unsafe(
        shown, [](std::size_t, std::size_t) {},
        [&line](std::size_t i, std::size_t n) {
          if (line[i] != '\t') line.replace(i, n, n, '?');
        });
    std::string caret;
    for (std::size_t i = shift; i + 1 < c && i < text.size(); ++i) caret += text[i] == '\t' ? '\t' : ' ';
    caret += '^';
    std::string out;
    out.reserve(line.size() + caret.size() + 8);
    if (shift) out += "...";
    out += line;
    out += '\n';
    if (shift) out += "   ";
    out += caret;
    return out;
  }

private:
  std::shared_ptr<const source_text> source_;
  std::size_t offset_ = 0;
};

}  // namespace graft
