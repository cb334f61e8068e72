// `graft inspect FILE [--json] [--key K]`: what a checkpoint holds, without loading tensor data.

#include "commands.hpp"

#include <graft/detail/text.hpp>
#include <graft/io/checkpoint.hpp>
#include <graft/io/shapes.hpp>
#include <graft/plan/fold.hpp>
#include <graft/plan/json.hpp>

#include <CLI/CLI.hpp>

#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace graft::cli {
namespace {

struct inspect_command {
  std::string file, key;
  bool json = false;

  int run() const {
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
    std::vector<std::string> names;
    for (const auto& t : tensors) {
      bytes += static_cast<std::size_t>(numel(t.shape)) * dtype_size(t.type);
      ++dtypes[std::string(dtype_name(t.type))];
      names.push_back(t.name);
    }
    if (json) {
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
      return 0;
    }
    using detail::printable;  // names, keys and paths come from the file or the command line
    std::cout << printable(file) << "\n";
    std::cout << "  format:     " << ck.format << "\n";
    if (!ck.top_level_keys.empty()) {
      std::string keys;
      for (const auto& k : ck.top_level_keys) keys += (keys.empty() ? "" : ", ") + k;
      std::cout << "  top level:  " << printable(keys) << "\n";
      std::cout << "  state dict: " << (ck.chosen_key.empty() ? "(the top level)" : printable(ck.chosen_key)) << "\n";
    }
    std::cout << "  tensors:    " << tensors.size() << " (" << bytes << " bytes)\n";
    std::string types;
    for (const auto& [name, n] : dtypes) types += (types.empty() ? "" : ", ") + name + " " + std::to_string(n);
    std::cout << "  dtypes:     " << types << "\n";
    if (!ck.skipped.empty()) std::cout << "  not tensors: " << ck.skipped.size() << " entries skipped\n";
    std::cout << "\n";
    if (tensors.size() <= 40) {
      for (const auto& t : tensors)
        std::cout << "  " << printable(t.name) << "  " << shape_str(t.shape) << " " << dtype_name(t.type) << "\n";
    } else {
      for (const auto& f : fold_names(names)) std::cout << "  " << printable(f.label) << "  (" << f.count << ")\n";
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
  cmd->callback([c, &exit_code] { exit_code = c->run(); });
}

}  // namespace graft::cli
