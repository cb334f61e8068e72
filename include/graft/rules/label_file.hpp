#pragma once
/// \file
/// Label files (`labels imagenet1k from "imagenet1k.labels"`): one label per line, read into a list
/// with each label's position, or refused at file:line:col.
///
/// The format: UTF-8 (a leading byte-order mark is skipped), LF or CRLF line ends. Each line is trimmed
/// of spaces and tabs; a blank line is skipped; a line starting with `#` is a comment; a line starting
/// with `"` is one quoted label with the rules files' escapes (`\"`, `\\`, `\n`, `\t`) — for labels that
/// start with `#` or `"` or have spaces at either end; any other line is its label as written. Control
/// characters (other than through escapes) and empty labels are refused. Duplicates are the compiler's
/// to refuse (it names both lines).

#include <graft/detail/text.hpp>
#include <graft/detail/utf8.hpp>
#include <graft/error.hpp>
#include <graft/rules/layout.hpp>
#include <graft/rules/name_template.hpp>
#include <graft/source.hpp>

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace graft::rules {

/// The largest label file graft reads: 256 MiB (a 150,000-token vocabulary is a few MB).
inline constexpr std::size_t max_label_file_bytes = std::size_t{256} << 20;

/// True when `path` may be read as a label file: `*.labels` or `*.txt` (no other file is read, nor a
/// line of it shown in an error).
inline bool is_label_file_name(const std::filesystem::path& path) {
  return path.extension() == ".labels" || path.extension() == ".txt";
}

/// One label of a label file and the byte offset where it stands.
struct file_label {
  std::string text;
  std::size_t offset = 0;
};

namespace detail {

/// The label of a quoted line `"..."` (from its opening quote at `at`), escapes resolved; throws at
/// the first fault.
inline std::string quoted_label(const std::shared_ptr<const source_text>& file, std::string_view line, std::size_t at) {
  std::string out;
  std::size_t i = 1;
  for (; i < line.size() && line[i] != '"'; ++i) {
    if (line[i] != '\\') {
      out += line[i];
      continue;
    }
    const char next = i + 1 < line.size() ? line[i + 1] : '\0';
    const char resolved = next == '"' ? '"' : next == '\\' ? '\\' : next == 'n' ? '\n' : next == 't' ? '\t' : '\0';
    if (resolved == '\0')
      throw rules_error(source_location(file, at + i), "unknown escape in a quoted label (use \\\" \\\\ \\n \\t)");
    out += resolved;
    ++i;
  }
  if (i >= line.size()) throw rules_error(source_location(file, at), "a quoted label needs its closing '\"'");
  if (i + 1 != line.size())
    throw rules_error(source_location(file, at + i + 1), "nothing may follow a quoted label on its line");
  return out;
}

}  // namespace detail

/// The labels of a label file, in order. Throws graft::rules_error at the faulty line.
inline std::vector<file_label> parse_label_file(const std::shared_ptr<const source_text>& file) {
  const std::string_view text = file->text();
  std::vector<file_label> out;
  std::size_t begin = text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    std::size_t first = begin, last = end;
    if (last > first && text[last - 1] == '\r') --last;
    while (first < last && (text[first] == ' ' || text[first] == '\t')) ++first;
    while (last > first && (text[last - 1] == ' ' || text[last - 1] == '\t')) --last;
    const std::string_view line = text.substr(first, last - first);
    const std::size_t next = end + 1;
    if (line.empty() || line[0] == '#') {
      begin = next;
      continue;
    }
    if (const auto bad = graft::detail::invalid_utf8_at(line); bad != std::string_view::npos)
      throw rules_error(source_location(file, first + bad),
                        "a label file must be UTF-8: " + graft::detail::utf8_problem("the label", line));
    for (std::size_t i = 0; i < line.size(); ++i) {
      const auto c = static_cast<unsigned char>(line[i]);
      if (c < 0x20 || c == 0x7f)
        throw rules_error(source_location(file, first + i),
                          "control character in a label (write it quoted with an escape: \\t, \\n)");
    }
    file_label label{line[0] == '"' ? detail::quoted_label(file, line, first) : std::string(line), first};
    if (label.text.empty()) throw rules_error(source_location(file, first), "empty label (\"\")");
    if (label.text.size() > max_name_bytes)
      throw rules_error(source_location(file, first), "a label of " + std::to_string(label.text.size()) +
                                                          " bytes (at most " + std::to_string(max_name_bytes) + ")");
    if (out.size() == static_cast<std::size_t>(max_layout_rows))
      throw rules_error(source_location(file, first), "more than " + std::to_string(max_layout_rows) +
                                                          " labels in one file (a layout takes no more)");
    out.push_back(std::move(label));
    begin = next;
  }
  return out;
}

}  // namespace graft::rules
