// `graft inspect FILE [--json] [--all] [--key K] [--manifest OUT.tsv]`: what a checkpoint holds, without
// loading tensor data; --manifest writes its names, dtypes and shapes as a manifest.

#include "commands.hpp"

#include <graft/detail/text.hpp>
#include <graft/io/atomic_file.hpp>
#include <graft/io/checkpoint.hpp>
#include <graft/io/manifest_writer.hpp>
#include <graft/io/shapes.hpp>
#include <graft/plan/fold.hpp>
#include <graft/plan/json.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace graft::cli {
namespace {

constexpr std::size_t max_listed = 40;          ///< tensors listed one by one before they are folded
constexpr std::size_t max_wrapper_keys = 12;    ///< wrapper keys shown (e.g. epoch, state_dict, optimizer)
constexpr std::size_t max_state_dict_keys = 5;  ///< keys shown when the top level is the state dict
constexpr std::size_t max_shapes_listed = 3;    ///< distinct shapes named on a folded line
constexpr std::size_t max_name_column = 48;     ///< names longer than this push their line's columns

std::string padded(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

/// "a, b, c, ... and 7 more": the keys at most `shown` of them, plus `always` (the state dict's key) where
/// it would be left out.
std::string key_summary(const std::vector<std::string>& keys, std::size_t shown,
                        const std::optional<std::string>& always = std::nullopt) {
  std::string out;
  std::size_t listed = 0;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i >= shown && keys[i] != always) continue;
    out += (out.empty() ? "" : ", ") + keys[i];
    ++listed;
  }
  if (listed < keys.size()) out += ", ... and " + std::to_string(keys.size() - listed) + " more";
  return out;
}

/// "float32" when all are, else "float32 8, int64 2" (by name).
std::string dtype_summary(const tensor_set& tensors, const std::vector<std::size_t>& members) {
  std::map<std::string, std::size_t> counts;
  for (std::size_t i : members) ++counts[std::string(dtype_name(tensors[i].type))];
  if (counts.size() == 1) return counts.begin()->first;
  std::string out;
  for (const auto& [name, n] : counts) out += (out.empty() ? "" : ", ") + name + " " + std::to_string(n);
  return out;
}

/// "[64]" when all have that shape; "8 x [64], 2 x []" for a few shapes (in order of appearance, counts
/// left out when each appears once); else "29 shapes from [] to [384, 384, 3, 3]" (the fewest and most elements).
std::string shape_summary(const tensor_set& tensors, const std::vector<std::size_t>& members) {
  std::map<shape_t, std::size_t> counts;
  std::vector<const shape_t*> order;  // the distinct shapes, as they first appear
  const shape_t *smallest = nullptr, *largest = nullptr;
  for (std::size_t i : members) {
    const shape_t& s = tensors[i].shape;
    auto [it, inserted] = counts.try_emplace(s, 0);
    if (inserted) order.push_back(&it->first);
    ++it->second;
    if (!smallest || numel(s) < numel(*smallest)) smallest = &s;
    if (!largest || numel(s) > numel(*largest)) largest = &s;
  }
  if (order.size() == 1) return shape_str(*order[0]);
  if (order.size() > max_shapes_listed)
    return std::to_string(order.size()) + " shapes from " + shape_str(*smallest) + " to " + shape_str(*largest);
  const bool once_each = order.size() == members.size();
  std::string out;
  for (const shape_t* s : order)
    out += (out.empty() ? "" : ", ") + (once_each ? "" : std::to_string(counts[*s]) + " x ") + shape_str(*s);
  return out;
}

/// The width of a name column holding `labels` (capped: a long name pushes only its own line).
std::size_t name_column(const std::vector<std::string>& labels) {
  std::size_t width = 0;
  for (const auto& l : labels) width = std::max(width, std::min(l.size(), max_name_column));
  return width;
}

/// Every tensor, one a line: name, shape, dtype.
void print_tensors(const tensor_set& tensors) {
  std::vector<std::string> names;
  for (const auto& t : tensors) names.push_back(t.name);
  const std::size_t width = name_column(names);
  std::size_t shape_width = 0;
  for (const auto& t : tensors) shape_width = std::max(shape_width, shape_str(t.shape).size());
  for (const auto& t : tensors) {
    std::string line = "  " + padded(t.name, width) + "  " + padded(shape_str(t.shape), shape_width) + "  ";
    std::cout << detail::printable(line + std::string(dtype_name(t.type))) << "\n";
  }
}

/// The tensors folded by module: label, count, dtypes, shapes.
void print_folded(const tensor_set& tensors) {
  std::vector<std::string> names;
  for (const auto& t : tensors) names.push_back(t.name);
  const auto folded = fold_names(names);
  std::vector<std::string> labels;
  for (const auto& f : folded) labels.push_back(f.label);
  const std::size_t width = name_column(labels);
  const std::size_t count_width = std::to_string(tensors.size()).size();
  for (const auto& f : folded) {
    std::string count = std::to_string(f.count);
    count.insert(0, count_width - count.size(), ' ');
    std::string line = "  " + padded(f.label, width) + "  " + count + "  " + dtype_summary(tensors, f.members) + "  " +
                       shape_summary(tensors, f.members);
    std::cout << detail::printable(line) << "\n";
  }
  std::cout << "  (" << tensors.size() << " tensors folded by module; --all lists each)\n";
}

struct inspect_command {
  std::string file, key, manifest;
  bool json = false, all = false;

  /// Throws usage_error for a --manifest that cannot be written (before the input is read).
  void check_manifest_path() const {
    if (manifest.empty() || manifest == "-") {
      if (manifest == "-" && (json || all))
        throw usage_error("--manifest - prints the manifest instead of the report: no --json or --all with it");
      return;
    }
    if (!io::is_manifest_path(manifest))
      throw usage_error("--manifest must end in .tsv (graft reads manifests by that extension), not '" + manifest +
                        "'");
    refuse_manifest_among({file});
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path parent = fs::path(manifest).has_parent_path() ? fs::path(manifest).parent_path() : fs::path(".");
    if (!fs::is_directory(parent, ec)) throw usage_error("--manifest folder '" + parent.string() + "' does not exist");
  }

  void refuse_manifest_among(const std::vector<std::string>& inputs) const {
    if (auto input = io::same_file_among(manifest, inputs))
      throw usage_error("--manifest '" + manifest + "' is an input (" + *input + "): refusing to overwrite it");
  }

  /// Writes the manifest (to stdout for "-"): atomically, never over an input.
  void write_manifest(const io::checkpoint& ck, const tensor_set& tensors) const {
    const std::string comment = "graft inspect --manifest of " + detail::printable(file) +
                                (ck.chosen_key.empty() ? "" : " (key " + detail::printable(ck.chosen_key) + ")") +
                                ": name, dtype, shape (empty: a scalar), param|buffer (where known)";
    if (manifest == "-") {
      std::cout << io::format_manifest(tensors, comment);
      return;
    }
    std::vector<std::string> inputs = ck.files;
    inputs.push_back(file);
    refuse_manifest_among(inputs);
    io::write_options never_over;
    never_over.inputs = std::move(inputs);
    io::write_manifest(manifest, tensors, never_over, comment);
  }

  void print_json(const io::checkpoint& ck, const tensor_set& tensors, std::size_t bytes,
                  const std::map<std::string, std::size_t>& dtypes) const {
    detail::json_writer w;
    w.begin_object();
    w.key("file").value(file);
    w.key("format").value(ck.format);
    w.key("top_level_keys").array(ck.top_level_keys);
    w.key("chosen_key").value(ck.chosen_key);
    w.key("tensor_count").value(static_cast<unsigned long long>(tensors.size()));
    w.key("total_bytes").value(static_cast<unsigned long long>(bytes));
    w.key("dtypes").begin_object();
    for (const auto& [name, n] : dtypes) w.key(name).value(static_cast<unsigned long long>(n));
    w.end_object();
    w.key("skipped").array(ck.skipped);
    w.key("tensors").begin_array();
    for (const auto& t : tensors) detail::write_tensor(w, t);
    w.end_array();
    w.end_object();
    std::cout << w.str() << "\n";
  }

  void print_report(const io::checkpoint& ck, const tensor_set& tensors, std::size_t bytes,
                    const std::map<std::string, std::size_t>& dtypes) const {
    using detail::printable;  // names, keys and paths come from the file or the command line
    std::cout << printable(file) << "\n";
    std::cout << "  format:     " << ck.format << "\n";
    if (!ck.top_level_keys.empty()) {
      const auto& keys = ck.top_level_keys;
      const bool script = ck.format == "torchscript";  // its top-level keys are submodules
      const std::string count =
          std::to_string(keys.size()) + (script ? " submodule" : " key") + (keys.size() == 1 ? "" : "s");
      if (ck.chosen_key.empty() && !script)  // the keys are the tensors' names, listed below anyway
        std::cout << "  top level:  " << count
                  << ", the state dict itself: " << printable(key_summary(keys, max_state_dict_keys)) << "\n";
      else
        std::cout << "  top level:  " << count << ": "
                  << printable(key_summary(keys, max_wrapper_keys, ck.chosen_key.substr(0, ck.chosen_key.find('.'))))
                  << "\n";
      std::cout << "  state dict: " << (ck.chosen_key.empty() ? "(the top level)" : printable(ck.chosen_key)) << "\n";
    }
    std::cout << "  tensors:    " << tensors.size() << " (" << bytes << " bytes)\n";
    std::string types;
    for (const auto& [name, n] : dtypes) types += (types.empty() ? "" : ", ") + name + " " + std::to_string(n);
    std::cout << "  dtypes:     " << types << "\n";
    if (!ck.skipped.empty()) std::cout << "  not tensors: " << ck.skipped.size() << " entries skipped\n";
    std::cout << "\n";
    if (all || tensors.size() <= max_listed)
      print_tensors(tensors);
    else
      print_folded(tensors);
  }

  int run() const {
    check_manifest_path();
    io::checkpoint ck;
    tensor_set tensors;
    if (io::is_manifest_path(file)) {
      ck.path = file;
      ck.format = "manifest";
      tensors = io::read_manifest(file);
    } else {
      ck = io::read_checkpoint(file, key.empty() ? std::nullopt : std::optional<std::string>(key));
      tensors.assign(ck.tensors.begin(), ck.tensors.end());
    }
    std::size_t bytes = 0;
    std::map<std::string, std::size_t> dtypes;
    for (const auto& t : tensors) {
      bytes += static_cast<std::size_t>(numel(t.shape)) * dtype_size(t.type);
      ++dtypes[std::string(dtype_name(t.type))];
    }
    if (manifest == "-") {
      write_manifest(ck, tensors);
      return 0;
    }
    if (json)
      print_json(ck, tensors, bytes, dtypes);
    else
      print_report(ck, tensors, bytes, dtypes);
    if (!manifest.empty()) {
      write_manifest(ck, tensors);
      if (!json) std::cout << "\nwrote " << detail::printable(manifest) << ": " << tensors.size() << " tensors\n";
    }
    return 0;
  }
};

}  // namespace

void add_inspect_command(CLI::App& app, int& exit_code) {
  auto c = std::make_shared<inspect_command>();  // owned by the callback, which lives as long as `app`
  auto* cmd =
      app.add_subcommand("inspect", "Show a checkpoint's format, wrapper keys and tensors (reads headers only)");
  cmd->add_option("FILE", c->file, "A checkpoint (.pth, .pt, .safetensors) or a manifest (.tsv)")->required();
  cmd->add_option("--key", c->key, "Entry that holds the state dict (default: found automatically)")->type_name("K");
  cmd->add_flag("--json", c->json, "Print JSON");
  cmd->add_flag("--all", c->all, "List every tensor (name, shape, dtype), also when there are more than 40");
  cmd->add_option("--manifest", c->manifest,
                  "Also write the tensors as a manifest (.tsv: name, dtype, shape, param|buffer); - prints it instead")
      ->type_name("OUT.tsv");
  cmd->callback([c, &exit_code] { exit_code = c->run(); });
}

}  // namespace graft::cli
