#pragma once
/// \file
/// The checkpoint front door: read any supported file into an ordered list of tensor records, and
/// write .pth / .safetensors files atomically.
///
/// Formats, chosen by content: torch.save zip ("pth-zip"), legacy pre-1.6 torch.save ("pth-legacy"),
/// torch.jit.save archives ("torchscript"), and "safetensors" (a JSON header at byte 8, or any file
/// whose name ends in .safetensors that is not a torch file).
///
/// State-dict selection in torch.save files. Training scripts often wrap the weights:
/// `{"epoch": 3, "state_dict": {...}, "optimizer": {...}}`. Without a key, read_checkpoint takes:
///  1. the top-level dict itself when its values include tensors and no value is a dict of tensors
///     (a plain state dict);
///  2. else the first of these top-level keys whose value is a dict holding tensors:
///     `state_dict`, `model_state_dict`, `best_state_dict`, `state_dict_ema`, `model`, `model_state`,
///     `net`, `network`, `module`, `weights`, `params`, `ema` — also one level further down
///     (e.g. `model` → `state_dict`, reported as "model.state_dict");
///  3. else the only top-level value that is a dict holding tensors;
///  4. else a checkpoint_error listing the top-level keys.
/// An explicit key is first looked up as a whole top-level key, then as a dotted path (`a.b`).
/// For TorchScript archives the tensors are the module's attributes by dotted name, with roles
/// from each class's `__parameters__` / `__buffers__` declarations; a key selects a submodule path.
/// Entries of the chosen dict whose values are not tensors are listed in `skipped`.

#include <graft/error.hpp>
#include <graft/io/detail/bytes.hpp>
#include <graft/io/mapped_file.hpp>
#include <graft/io/pth.hpp>
#include <graft/io/pth_writer.hpp>
#include <graft/io/safetensors.hpp>
#include <graft/io/tensor_record.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace graft::io {

/// A checkpoint read by read_checkpoint.
struct checkpoint {
  std::string path;                         ///< the file
  std::string format;                       ///< "pth-zip", "pth-legacy", "torchscript" or "safetensors"
  std::vector<std::string> top_level_keys;  ///< string keys of the top-level dict (torch.save files)
  std::string chosen_key;                   ///< where the state dict was found ("" = top level)
  std::vector<tensor_record> tensors;       ///< the state dict, in file order
  std::vector<std::string> skipped;         ///< entries of the state dict that are not tensors
  metadata_t metadata;                      ///< safetensors "__metadata__"
};

/// The wrapper keys tried, in order, when looking for a state dict inside a training checkpoint.
inline constexpr std::string_view state_dict_keys[] = {
    "state_dict", "model_state_dict", "best_state_dict", "state_dict_ema", "model",  "model_state",
    "net",        "network",          "module",          "weights",        "params", "ema"};

namespace detail {

inline bool holds_tensors(const pickle_value& v) {
  if (v.kind != pickle_kind::dict) return false;
  for (const auto& [k, x] : v.entries)
    if (x->kind == pickle_kind::tensor) return true;
  return false;
}

inline bool holds_tensor_dicts(const pickle_value& v) {
  for (const auto& [k, x] : v.entries)
    if (holds_tensors(*x)) return true;
  return false;
}

inline const pickle_value* find_path(const pickle_value& root, const std::string& key) {
  if (root.kind != pickle_kind::dict) return nullptr;
  if (const pickle_value* v = root.find(key)) return v;
  const pickle_value* cur = &root;
  std::size_t b = 0;
  for (;;) {
    auto dot = key.find('.', b);
    std::string part = key.substr(b, dot == std::string::npos ? std::string::npos : dot - b);
    if (cur->kind != pickle_kind::dict) return nullptr;
    cur = cur->find(part);
    if (cur == nullptr || dot == std::string::npos) return cur;
    b = dot + 1;
  }
}

inline std::string join_keys(const std::vector<std::string>& keys) {
  std::string s;
  for (std::size_t i = 0; i < keys.size() && i < 30; ++i) s += (i ? ", " : "") + quote_name(keys[i]);
  if (keys.size() > 30) s += ", ...";
  return s.empty() ? "none" : s;
}

inline void collect_state_dict(const pickled_checkpoint& pc, const pickle_value& d, checkpoint& out) {
  for (const auto& [k, v] : d.entries) {
    std::string name = k->kind == pickle_kind::string    ? k->text
                       : k->kind == pickle_kind::integer ? std::to_string(k->integer)
                                                         : std::string("<") + kind_name(k->kind) + ">";
    if (v->kind == pickle_kind::tensor)
      out.tensors.push_back(pc.bind(*v, name));
    else
      out.skipped.push_back(name);
  }
}

inline void collect_script(const pickled_checkpoint& pc, const pickle_value& obj, const std::string& prefix,
                           checkpoint& out, int depth) {
  if (depth > 64) throw checkpoint_error(pc.path + ": TorchScript module nesting too deep");
  if (obj.items.empty() || obj.items[0]->kind != pickle_kind::dict) return;
  for (const auto& [k, v] : obj.items[0]->entries) {
    if (k->kind != pickle_kind::string) continue;
    std::string name = prefix + k->text;
    if (v->kind == pickle_kind::tensor) {
      out.tensors.push_back(pc.bind(*v, name));
      tensor_role role = pc.script_role(obj.text, k->text);
      if (role != tensor_role::unknown) out.tensors.back().role = role;
    } else if (v->kind == pickle_kind::object) {
      collect_script(pc, *v, name + ".", out, depth + 1);
    }
  }
}

inline void select_torchscript(const pickled_checkpoint& pc, const std::optional<std::string>& key, checkpoint& out) {
  const pickle_value* obj = &pc.doc.root();
  if (obj->kind != pickle_kind::object)
    throw checkpoint_error(pc.path + ": TorchScript archive does not hold a module");
  if (!obj->items.empty() && obj->items[0]->kind == pickle_kind::dict)
    for (const auto& [k, v] : obj->items[0]->entries)
      if (k->kind == pickle_kind::string && v->kind == pickle_kind::object) out.top_level_keys.push_back(k->text);
  if (key && !key->empty()) {
    std::size_t b = 0;
    for (;;) {
      auto dot = key->find('.', b);
      std::string part = key->substr(b, dot == std::string::npos ? std::string::npos : dot - b);
      const pickle_value* next = nullptr;
      if (!obj->items.empty() && obj->items[0]->kind == pickle_kind::dict) next = obj->items[0]->find(part);
      if (next == nullptr || next->kind != pickle_kind::object)
        throw checkpoint_error(pc.path + ": TorchScript module has no submodule " + quote_name(*key));
      obj = next;
      if (dot == std::string::npos) break;
      b = dot + 1;
    }
    out.chosen_key = *key;
  }
  collect_script(pc, *obj, "", out, 0);
}

inline void select_state_dict(const pickled_checkpoint& pc, const std::optional<std::string>& key, checkpoint& out) {
  const pickle_value& root = pc.doc.root();
  if (root.kind == pickle_kind::dict)
    for (const auto& [k, v] : root.entries)
      if (k->kind == pickle_kind::string) out.top_level_keys.push_back(k->text);
  if (key) {
    const pickle_value* v = key->empty() ? &root : find_path(root, *key);
    if (v == nullptr)
      throw checkpoint_error(pc.path + ": no key " + quote_name(*key) +
                             " (top-level keys: " + join_keys(out.top_level_keys) + ")");
    if (v->kind != pickle_kind::dict)
      throw checkpoint_error(pc.path + ": " + quote_name(*key) + " is a " + kind_name(v->kind) + ", not a state dict");
    out.chosen_key = *key;
    collect_state_dict(pc, *v, out);
    return;
  }
  if (root.kind != pickle_kind::dict)
    throw checkpoint_error(pc.path + ": top level is a " + kind_name(root.kind) + ", not a dict of tensors");
  if (root.entries.empty() || (holds_tensors(root) && !holds_tensor_dicts(root))) {
    collect_state_dict(pc, root, out);
    return;
  }
  for (std::string_view k : state_dict_keys) {
    const pickle_value* v = root.find(k);
    if (v == nullptr || v->kind != pickle_kind::dict) continue;
    if (holds_tensors(*v)) {
      out.chosen_key = std::string(k);
      collect_state_dict(pc, *v, out);
      return;
    }
    for (std::string_view k2 : state_dict_keys) {
      const pickle_value* v2 = v->find(k2);
      if (v2 != nullptr && holds_tensors(*v2)) {
        out.chosen_key = std::string(k) + "." + std::string(k2);
        collect_state_dict(pc, *v2, out);
        return;
      }
    }
  }
  const pickle_value* only = nullptr;
  std::string only_key;
  int count = 0;
  for (const auto& [k, v] : root.entries)
    if (k->kind == pickle_kind::string && holds_tensors(*v)) {
      ++count;
      only = v;
      only_key = k->text;
    }
  if (count == 1) {
    out.chosen_key = only_key;
    collect_state_dict(pc, *only, out);
    return;
  }
  throw checkpoint_error(pc.path + ": cannot tell which entry holds the state dict (top-level keys: " +
                         join_keys(out.top_level_keys) + "); name one with a key");
}

}  // namespace detail

/// Reads a checkpoint of any supported format. `key` names the wrapper entry holding the state dict
/// (see the file comment for the automatic choice); safetensors files ignore it.
inline checkpoint read_checkpoint(const std::string& path, const std::optional<std::string>& key = {}) {
  auto file = mapped_file::open(path);
  checkpoint out;
  out.path = path;
  const std::byte* d = file->data();
  const std::size_t n = file->size();
  bool pth =
      (n >= 4 && detail::load_u32(d) == 0x04034b50) || (n >= 3 && d[0] == std::byte{0x80} && d[2] == std::byte{0x8a});
  const bool named_safetensors = path.size() >= 12 && path.compare(path.size() - 12, 12, ".safetensors") == 0;
  bool safetensors = named_safetensors || (n >= 9 && d[8] == std::byte{'{'});
  if (pth) {
    pickled_checkpoint pc = read_pth(std::move(file));
    out.format = pc.format;
    if (pc.format == "torchscript")
      detail::select_torchscript(pc, key, out);
    else
      detail::select_state_dict(pc, key, out);
    return out;
  }
  if (safetensors) {
    safetensors_contents sc = read_safetensors(std::move(file));
    out.format = "safetensors";
    out.tensors = std::move(sc.tensors);
    out.metadata = std::move(sc.metadata);
    return out;
  }
  if (n == 0) throw checkpoint_error(path + ": file is empty");
  throw checkpoint_error(path + ": unrecognized checkpoint format (not torch.save, TorchScript or safetensors)");
}

/// Writes `records` atomically as safetensors when `path` ends in ".safetensors", else as a
/// torch.save zip file; `options.inputs` lists files that must not be replaced.
inline void write_checkpoint(const std::string& path, const std::vector<tensor_record>& records,
                             const write_options& options = {}, const metadata_t& metadata = {}) {
  if (path.size() >= 12 && path.compare(path.size() - 12, 12, ".safetensors") == 0) {
    write_safetensors(path, records, metadata, options);
  } else {
    pth_write_options opt;
    opt.inputs = options.inputs;
    write_pth(path, records, opt);
  }
}

}  // namespace graft::io
