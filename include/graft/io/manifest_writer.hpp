#pragma once
/// \file
/// Writing name/shape manifests (`.tsv`), the format `io/manifest.hpp` reads: one tensor a line,
/// `name<TAB>dtype<TAB>shape[<TAB>param|buffer]`, the shape's sizes comma-separated (empty for a
/// scalar), the role left out where it is not known; `#` starts a comment line.

#include <graft/detail/text.hpp>
#include <graft/detail/utf8.hpp>
#include <graft/error.hpp>
#include <graft/io/atomic_file.hpp>
#include <graft/tensor_meta.hpp>

#include <set>
#include <string>
#include <string_view>

namespace graft::io {

/// Why `name` cannot be a manifest's first field, or "" when it can.
inline std::string manifest_name_problem(std::string_view name) {
  if (name.empty()) return "an empty name";
  if (name.find_first_of("\t\n") != std::string_view::npos) return "a tab or a line break in the name";
  if (name.front() == '#') return "a name starting with '#' (a comment line in a manifest)";
  return graft::detail::utf8_problem("tensor name", name);
}

/// The manifest text of `tensors`, after `comment` (each of its lines as a `# ` line; none when empty).
/// Throws checkpoint_error naming the first tensor a manifest cannot hold, and for a name listed twice.
inline std::string format_manifest(const tensor_set& tensors, std::string_view comment = {}) {
  std::string out;
  if (!comment.empty()) {
    out += "# ";
    for (char c : comment) out += c == '\n' ? std::string("\n# ") : std::string(1, c);
    out += '\n';
  }
  std::set<std::string_view> seen;
  for (const auto& t : tensors) {
    if (auto problem = manifest_name_problem(t.name); !problem.empty())
      throw checkpoint_error("tensor '" + graft::detail::printable(t.name) +
                             "' cannot be written to a manifest: " + problem);
    if (!seen.insert(t.name).second)
      throw checkpoint_error("tensor '" + graft::detail::printable(t.name) + "' is listed twice");
    out += t.name;
    out += '\t';
    out += dtype_name(t.type);
    out += '\t';
    for (std::size_t i = 0; i < t.shape.size(); ++i) out += (i ? "," : "") + std::to_string(t.shape[i]);
    if (t.role != tensor_role::unknown) out += t.role == tensor_role::param ? "\tparam" : "\tbuffer";
    out += '\n';
  }
  return out;
}

/// Writes the manifest of `tensors` to `path` atomically (never over one of `options.inputs`).
/// Throws checkpoint_error (a tensor a manifest cannot hold, a failed write) or usage_error (an input).
inline void write_manifest(const std::string& path, const tensor_set& tensors, const write_options& options = {},
                           std::string_view comment = {}) {
  const std::string text = [&] {
    try {
      return format_manifest(tensors, comment);
    } catch (const checkpoint_error& e) {
      throw checkpoint_error(path + ": not written: " + e.what());
    }
  }();
  atomic_file out(path, options.inputs);
  out.write(text.data(), text.size());
  out.commit();
}

}  // namespace graft::io
