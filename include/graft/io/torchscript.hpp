#pragma once
/// \file
/// TorchScript source scraping: which attributes of a scripted class are parameters and which are
/// buffers, read from the `__parameters__` / `__buffers__` lines of the archive's `code/*.py` records.
/// A refinement only: a class whose source is missing or unreadable simply has no roles.

#include <graft/error.hpp>
#include <graft/io/tensor_record.hpp>
#include <graft/io/zip.hpp>

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace graft::io {

/// Per class ("__torch__.a.B"): the attribute names its source declares as parameters and as buffers.
struct script_members {
  /// Class name → (`__parameters__`, `__buffers__`); classes whose source could not be read are absent.
  std::unordered_map<std::string, std::pair<std::vector<std::string>, std::vector<std::string>>> classes;

  /// The role of attribute `name` of an object of class `cls`.
  tensor_role role(const std::string& cls, const std::string& name) const {
    auto it = classes.find(cls);
    if (it == classes.end()) return tensor_role::unknown;
    for (const auto& p : it->second.first)
      if (p == name) return tensor_role::param;
    for (const auto& b : it->second.second)
      if (b == name) return tensor_role::buffer;
    return tensor_role::unknown;
  }
};

namespace detail {

/// The quoted names in a TorchScript source line like `  __parameters__ = ["weight", "bias", ]`.
inline std::vector<std::string> script_name_list(std::string_view line) {
  std::vector<std::string> out;
  auto open = line.find('[');
  auto close = line.rfind(']');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return out;
  std::string_view body = line.substr(open + 1, close - open - 1);
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '"') continue;
    auto end = body.find('"', i + 1);
    if (end == std::string_view::npos) break;
    out.emplace_back(body.substr(i + 1, end - i - 1));
    i = end;
  }
  return out;
}

}  // namespace detail

/// Reads `__parameters__` / `__buffers__` of class `cls` from the archive's (deflated) source record
/// `<prefix>code/<module path>.py` into `out`; leaves `out` unchanged when the source is missing or unreadable.
inline void read_script_members(const zip_reader& zip, const std::string& prefix, const std::string& cls,
                                script_members& out) {
  auto dot = cls.rfind('.');
  if (dot == std::string::npos) return;
  std::string file = prefix + "code/" + cls.substr(0, dot) + ".py";
  for (std::size_t i = prefix.size() + 5; i < file.size() - 3; ++i)
    if (file[i] == '.') file[i] = '/';
  const zip_entry* e = zip.find(file);
  if (e == nullptr) return;
  std::string src;
  try {
    src = zip.read_small(*e, 16u << 20);
  } catch (const checkpoint_error&) {
    return;  // roles are a refinement; the tensors themselves are checked elsewhere
  }
  const std::string head = "class " + cls.substr(dot + 1) + "(";
  std::size_t at = src.rfind(head, 0) == 0 ? 0 : src.find("\n" + head);
  if (at == std::string::npos) return;
  if (at != 0) ++at;  // the class line itself
  std::pair<std::vector<std::string>, std::vector<std::string>> members;
  std::size_t pos = src.find('\n', at);
  while (pos != std::string::npos && pos + 1 < src.size()) {
    std::size_t next = src.find('\n', pos + 1);
    std::string_view line(src.data() + pos + 1, (next == std::string::npos ? src.size() : next) - pos - 1);
    if (!line.empty() && line[0] != ' ') break;  // the next top-level definition
    if (line.rfind("  __parameters__ = [", 0) == 0)
      members.first = detail::script_name_list(line);
    else if (line.rfind("  __buffers__ = [", 0) == 0)
      members.second = detail::script_name_list(line);
    pos = next;
  }
  out.classes.emplace(cls, std::move(members));
}

}  // namespace graft::io
