#pragma once
/// \file
/// TorchScript source scraping: which attributes of a scripted class are parameters and which are
/// buffers, read from the `__parameters__` / `__buffers__` lines of the archive's `code/*.py` records.
/// A refinement only: a class whose source is missing or unreadable simply has no roles. Each source
/// record is inflated and scanned once; the total inflated is bounded (max_script_sources).

#include <graft/error.hpp>
#include <graft/io/tensor_record.hpp>
#include <graft/io/zip.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace graft::io {

/// Per class ("__torch__.a.B"): the roles of the attributes its source declares as parameters and buffers.
struct script_members {
  /// Class name → attribute name → tensor_role::param or tensor_role::buffer (a name declared as both is a
  /// parameter); classes whose source could not be read are absent.
  std::unordered_map<std::string, std::unordered_map<std::string, tensor_role>> classes;

  /// The role of attribute `name` of an object of class `cls`.
  tensor_role role(const std::string& cls, const std::string& name) const {
    auto it = classes.find(cls);
    if (it == classes.end()) return tensor_role::unknown;
    auto at = it->second.find(name);
    return at == it->second.end() ? tensor_role::unknown : at->second;
  }
};

/// Largest TorchScript source record graft inflates; a larger one is skipped (its classes get no roles).
inline constexpr std::size_t max_script_record = std::size_t{16} << 20;
/// Most bytes of TorchScript source graft inflates per archive (each record once); beyond it the
/// archive is refused.
inline constexpr std::size_t max_script_sources = std::size_t{256} << 20;

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

namespace detail {

/// The source record `<prefix>code/<module path>.py` of class `cls` ("__torch__.a.B"), and the class's
/// own name ("B"); an empty record name for a class without a module.
inline std::pair<std::string, std::string> script_source_of(const std::string& prefix, const std::string& cls) {
  auto dot = cls.rfind('.');
  if (dot == std::string::npos) return {};
  std::string file = prefix + "code/" + cls.substr(0, dot) + ".py";
  for (std::size_t i = prefix.size() + 5; i < file.size() - 3; ++i)
    if (file[i] == '.') file[i] = '/';
  return {std::move(file), cls.substr(dot + 1)};
}

/// Scans one source record once: for each top-level `class <name>(` whose name is a key of `wanted`
/// (own name → full class name), the roles its `__parameters__` / `__buffers__` lines declare, into
/// `out` (the first definition of a class counts).
inline void scan_script_source(std::string_view src, const std::unordered_map<std::string, std::string>& wanted,
                               script_members& out) {
  std::unordered_map<std::string, tensor_role>* current = nullptr;
  for (std::size_t pos = 0; pos < src.size();) {
    std::size_t next = src.find('\n', pos);
    if (next == std::string_view::npos) next = src.size();
    const std::string_view line = src.substr(pos, next - pos);
    pos = next + 1;
    if (line.empty()) continue;
    if (line[0] != ' ') {  // a top-level definition ends the class before it
      current = nullptr;
      if (line.rfind("class ", 0) != 0) continue;
      const std::size_t paren = line.find('(');
      if (paren == std::string_view::npos) continue;
      auto it = wanted.find(std::string(line.substr(6, paren - 6)));
      if (it == wanted.end() || out.classes.count(it->second)) continue;
      current = &out.classes[it->second];
    } else if (current != nullptr) {
      if (line.rfind("  __parameters__ = [", 0) == 0)
        for (auto& n : script_name_list(line)) (*current)[std::move(n)] = tensor_role::param;
      else if (line.rfind("  __buffers__ = [", 0) == 0)
        for (auto& n : script_name_list(line)) current->emplace(std::move(n), tensor_role::buffer);
    }
  }
}

}  // namespace detail

/// Reads the `__parameters__` / `__buffers__` of each class in `classes` from the archive's (deflated)
/// source records `<prefix>code/<module path>.py`: each record is inflated once and scanned once, however
/// many classes and objects use it. A missing, oversized (max_script_record) or unreadable record leaves
/// its classes without roles; more than max_script_sources bytes of source in all is refused (`label`
/// names the file).
template <class Classes>
inline script_members read_script_members(const zip_reader& zip, const std::string& prefix, const Classes& classes,
                                          const std::string& label) {
  std::unordered_map<std::string, std::unordered_map<std::string, std::string>> by_record;  // record → own → full
  for (const auto& cls : classes) {
    auto [record, own] = detail::script_source_of(prefix, std::string(cls));
    if (!record.empty()) by_record[std::move(record)].emplace(std::move(own), std::string(cls));
  }
  script_members out;
  std::size_t inflated = 0;
  for (const auto& [record, wanted] : by_record) {
    const zip_entry* e = zip.find(record);
    if (e == nullptr || e->size > max_script_record) continue;
    if (e->size > max_script_sources - inflated)
      throw checkpoint_error(label + ": TorchScript sources inflate to more than " +
                             std::to_string(max_script_sources) + " bytes (the limit, max_script_sources), at record " +
                             detail::quote_name(record));
    inflated += static_cast<std::size_t>(e->size);
    std::string src;
    try {
      src = zip.read_small(*e, max_script_record);
    } catch (const checkpoint_error&) {
      continue;  // roles are a refinement; the tensors themselves are checked elsewhere
    }
    detail::scan_script_source(src, wanted, out);
  }
  return out;
}

}  // namespace graft::io
