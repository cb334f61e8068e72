#pragma once
/// \file
/// Reading torch.save files: the zip format (PyTorch >= 1.6), the legacy pre-1.6 format, and the
/// tensors of TorchScript archives (torch.jit.save). The pickles are read by the restricted
/// unpickler; tensors become tensor_records whose bytes stay in the mapped file. Also the state-dict
/// selection (see graft/io/checkpoint.hpp) and the formats' entries: pth_zip_format,
/// pth_legacy_format, torchscript_format. TorchScript source scraping is in graft/io/torchscript.hpp.

#include <graft/error.hpp>
#include <graft/io/detail/archive_records.hpp>
#include <graft/io/detail/bytes.hpp>
#include <graft/io/format.hpp>
#include <graft/io/mapped_file.hpp>
#include <graft/io/pickle.hpp>
#include <graft/io/pth_writer.hpp>
#include <graft/io/source_crc.hpp>
#include <graft/io/tensor_record.hpp>
#include <graft/io/torchscript.hpp>
#include <graft/io/zip.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace graft::io {

/// A loaded torch.save / torch.jit.save file: its object tree and the storages its tensors use.
struct pickled_checkpoint {
  std::string path;                                     ///< the file, for messages
  std::string format;                                   ///< "pth-zip", "pth-legacy" or "torchscript"
  pickle_document doc;                                  ///< the unpickled object
  std::unordered_map<std::string, byte_span> storages;  ///< storage key → bytes (whole root storage)
  /// Zip archives: storage key → its record and declared CRC-32, checked when the bytes are first copied.
  std::unordered_map<std::string, std::shared_ptr<const source_crc>> sources;
  std::shared_ptr<const void> owner;  ///< keeps the storages' bytes alive
  bool torchscript = false;           ///< a torch.jit.save archive
  script_members script;              ///< TorchScript only: declared parameters and buffers

  /// TorchScript only: the role of attribute `name` of an object of class `cls`.
  tensor_role script_role(const std::string& cls, const std::string& name) const { return script.role(cls, name); }

  /// The record for a tensor value of `doc` named `name`; validates that it lies inside its storage.
  tensor_record bind(const pickle_value& tensor, std::string name) const {
    const tensor_ref& t = tensor.tensor();
    const storage_ref& s = t.storage->storage();
    auto it = storages.find(s.key);
    if (it == storages.end())
      throw checkpoint_error(path + ": tensor " + detail::quote_name(name) + " uses storage " +
                             detail::quote_name(s.key) + ", which the file does not contain");
    const std::size_t es = dtype_size(s.type);
    byte_span bytes = it->second;
    if (s.view_numel >= 0) {
      auto off = static_cast<std::uint64_t>(s.view_offset) * es, len = static_cast<std::uint64_t>(s.view_numel) * es;
      if (off > bytes.size || len > bytes.size - off)
        throw checkpoint_error(path + ": tensor " + detail::quote_name(name) + ": storage view outside its storage");
      bytes = {bytes.data + off, static_cast<std::size_t>(len)};
    }
    tensor_record r;
    r.name = std::move(name);
    r.type = t.type.value_or(s.type);  // _rebuild_tensor_v3 names it; otherwise the typed storage does
    r.shape = t.shape;
    r.role = t.role;
    r.strides = t.strides;
    r.storage_offset = t.storage_offset;
    r.storage = bytes;
    r.owner = owner;
    if (auto source = sources.find(s.key); source != sources.end()) r.source = source->second;
    validate_record(r, path);
    return r;
  }
};

namespace detail {

/// Checks a storage's declared element count against the bytes available for it.
inline void check_storage_size(const std::string& path, const storage_ref& s, std::uint64_t available) {
  std::uint64_t need = 0;
  if (__builtin_mul_overflow(static_cast<std::uint64_t>(s.numel), dtype_size(s.type), &need) || need > available)
    throw checkpoint_error(path + ": storage " + quote_name(s.key) + " declares " + std::to_string(s.numel) + " " +
                           std::string(dtype_name(s.type)) + " elements but only " + std::to_string(available) +
                           " bytes are there");
}

/// The magic number opening a legacy torch.save file, as LONG1 little-endian bytes.
inline constexpr unsigned char legacy_magic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};

inline pickled_checkpoint read_pth_zip(std::shared_ptr<const mapped_file> file) {
  const std::string& path = file->path();
  zip_reader zip(file->data(), file->size(), path);
  // The archive's folder: "archive/" (PyTorch >= 1.10 names it so) or the file's stem.
  const zip_entry* pkl = nullptr;
  std::string prefix;
  for (const auto& e : zip.entries()) {
    auto slash = e.name.find('/');
    if (slash != std::string::npos && e.name.compare(slash + 1, std::string::npos, "data.pkl") == 0) {
      pkl = &e;
      prefix = e.name.substr(0, slash + 1);
      break;
    }
  }
  if (pkl == nullptr)
    throw checkpoint_error(path + ": zip archive has no <archive>/data.pkl record; not a torch.save file");
  const bool big_endian = check_archive_records(zip, prefix, path);
  bool torchscript = zip.find(prefix + "constants.pkl") != nullptr;
  zip.verify_crc(*pkl);
  pickled_checkpoint out;
  out.path = path;
  out.format = torchscript ? "torchscript" : "pth-zip";
  out.torchscript = torchscript;
  unpickle_options opt;
  opt.torchscript = torchscript;
  out.doc = unpickle(zip.bytes(*pkl), path, opt);
  auto swapped = big_endian ? std::make_shared<swapped_storages>() : nullptr;
  std::unordered_map<std::string, std::size_t> widths;  // big-endian: each storage's swap unit
  for (const pickle_value* sv : out.doc.storages()) {
    const storage_ref& s = sv->storage();
    if (swapped && widths.emplace(s.key, swap_width(s)).first->second != swap_width(s))
      throw checkpoint_error(path + ": big-endian storage " + quote_name(s.key) +
                             " is viewed as dtypes of different sizes; cannot tell how to byte-swap it");
    if (out.storages.count(s.key)) continue;
    const zip_entry* e = zip.find(prefix + "data/" + s.key);
    if (e == nullptr)
      throw checkpoint_error(path + ": storage record " + quote_name(prefix + "data/" + s.key) +
                             " is missing from the archive");
    check_storage_size(path, s, e->size);
    auto source =
        std::make_shared<const source_crc>(path + ": zip: entry " + quote_name(e->name), zip.bytes(*e), e->crc32, file);
    if (swapped) {
      source->check();  // the swapped copy is made now, from every byte
      out.storages.emplace(s.key, swap_storage(*swapped, s, zip.bytes(*e)));
    } else {
      out.storages.emplace(s.key, zip.bytes(*e));
      out.sources.emplace(s.key, std::move(source));
    }
  }
  if (torchscript) {
    std::unordered_set<std::string_view> classes;
    for (const pickle_value* o : out.doc.objects()) classes.insert(o->text);
    out.script = read_script_members(zip, prefix, classes, path);
  }
  if (swapped) swapped->file = std::move(file);
  out.owner = swapped ? std::shared_ptr<const void>(std::move(swapped)) : std::move(file);
  return out;
}

inline pickled_checkpoint read_pth_legacy(std::shared_ptr<const mapped_file> file) {
  const std::string& path = file->path();
  byte_span all{file->data(), file->size()};
  std::size_t pos = 0;
  auto next = [&]() {
    pickle_document d = unpickle({all.data + pos, all.size - pos}, path);
    pos += d.consumed();
    return d;
  };
  {
    pickle_document magic = next();
    const pickle_value& m = magic.root();
    if (m.kind != pickle_kind::big_integer || m.text.size() != sizeof legacy_magic ||
        std::memcmp(m.text.data(), legacy_magic, sizeof legacy_magic) != 0)
      throw checkpoint_error(path + ": not a torch.save file (bad magic number)");
  }
  {
    pickle_document proto = next();
    if (proto.root().kind != pickle_kind::integer || proto.root().integer != 1001)
      throw checkpoint_error(path + ": unsupported legacy protocol version");
  }
  {
    pickle_document info = next();
    const pickle_value* le = info.root().kind == pickle_kind::dict ? info.root().find("little_endian") : nullptr;
    if (le == nullptr || le->kind != pickle_kind::boolean)
      throw checkpoint_error(path + ": legacy sys_info record is malformed");
    if (!le->boolean) throw checkpoint_error(path + ": file was written on a big-endian machine; not supported");
  }
  pickled_checkpoint out;
  out.path = path;
  out.format = "pth-legacy";
  out.doc = next();
  pickle_document keys = next();
  if (keys.root().kind != pickle_kind::list) throw checkpoint_error(path + ": legacy storage key list is malformed");
  std::unordered_map<std::string, const storage_ref*> declared;
  for (const pickle_value* sv : out.doc.storages()) {
    auto [it, fresh] = declared.emplace(sv->storage().key, &sv->storage());
    if (!fresh && (it->second->type != sv->storage().type || it->second->numel != sv->storage().numel))
      throw checkpoint_error(path + ": storage " + quote_name(sv->storage().key) +
                             " is declared with two different types or sizes");
  }
  for (const pickle_value* k : keys.root().items) {
    if (k->kind != pickle_kind::string) throw checkpoint_error(path + ": legacy storage key is not a string");
    auto it = declared.find(k->text);
    if (it == declared.end())
      throw checkpoint_error(path + ": storage " + quote_name(k->text) + " is listed but never used");
    const storage_ref& s = *it->second;
    if (all.size - pos < 8) throw checkpoint_error(path + ": storage " + quote_name(s.key) + " is truncated");
    std::uint64_t count = load_u64(all.data + pos);
    pos += 8;
    if (count != static_cast<std::uint64_t>(s.numel))
      throw checkpoint_error(path + ": storage " + quote_name(s.key) + " holds " + std::to_string(count) +
                             " elements but the pickle declares " + std::to_string(s.numel));
    check_storage_size(path, s, all.size - pos);
    std::size_t n = static_cast<std::size_t>(count) * dtype_size(s.type);
    if (!out.storages.emplace(s.key, byte_span{all.data + pos, n}).second)
      throw checkpoint_error(path + ": storage " + quote_name(s.key) + " is listed twice");
    pos += n;
  }
  for (const auto& [key, s] : declared)
    if (!out.storages.count(key))
      throw checkpoint_error(path + ": storage " + quote_name(key) + " is used but its data is missing");
  out.owner = std::move(file);
  return out;
}

}  // namespace detail

namespace detail {

/// True when the bytes open like a zip archive (torch.save >= 1.6, torch.jit.save).
inline bool is_zip_magic(const std::byte* d, std::size_t n) noexcept { return n >= 4 && load_u32(d) == 0x04034b50; }

/// True when the bytes open like a legacy torch.save file (a pickle protocol >= 2 LONG1 magic number).
inline bool is_legacy_pth_magic(const std::byte* d, std::size_t n) noexcept {
  return n >= 3 && d[0] == std::byte{0x80} && d[2] == std::byte{0x8a};
}

}  // namespace detail

/// Reads a torch.save file (zip or legacy format) or a torch.jit.save archive, choosing by content.
inline pickled_checkpoint read_pth(std::shared_ptr<const mapped_file> file) {
  const std::byte* d = file->data();
  const std::size_t n = file->size();
  if (detail::is_zip_magic(d, n)) return detail::read_pth_zip(std::move(file));
  if (detail::is_legacy_pth_magic(d, n)) return detail::read_pth_legacy(std::move(file));
  if (n >= 262 && detail::as_chars(d + 257, 5) == "ustar")
    throw checkpoint_error(file->path() + ": tar-format checkpoints (PyTorch < 0.4) are not supported");
  throw checkpoint_error(file->path() + ": not a torch.save file");
}

/// Reads a torch.save file from `path`.
inline pickled_checkpoint read_pth(const std::string& path) { return read_pth(mapped_file::open(path)); }

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

/// The most submodules (counted along every path: a module shared by two parents counts twice) a
/// TorchScript archive may name; modules that each hold the next twice would otherwise name 2^64.
inline constexpr std::size_t max_script_modules = std::size_t{1} << 20;

inline void collect_script(const pickled_checkpoint& pc, const pickle_value& obj, const std::string& prefix,
                           checkpoint& out, int depth, std::size_t& modules) {
  if (depth > 64) throw checkpoint_error(pc.path + ": TorchScript module nesting too deep");
  if (++modules > max_script_modules)
    throw checkpoint_error(pc.path + ": TorchScript module tree names more than " + std::to_string(max_script_modules) +
                           " submodules (modules shared along many paths)");
  if (obj.items.empty() || obj.items[0]->kind != pickle_kind::dict) return;
  for (const auto& [k, v] : obj.items[0]->entries) {
    if (k->kind != pickle_kind::string) continue;
    std::string name = prefix + k->text;
    if (v->kind == pickle_kind::tensor) {
      out.tensors.push_back(pc.bind(*v, name));
      tensor_role role = pc.script_role(obj.text, k->text);
      if (role != tensor_role::unknown) out.tensors.back().role = role;
    } else if (v->kind == pickle_kind::object) {
      collect_script(pc, *v, name + ".", out, depth + 1, modules);
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
  std::size_t modules = 0;
  collect_script(pc, *obj, "", out, 0, modules);
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

namespace detail {

inline checkpoint read_torch_checkpoint(const format_probe& probe, const std::optional<std::string>& key);

inline void write_pth_checkpoint(const std::string& path, const std::vector<tensor_record>& records,
                                 const checkpoint_write_options& options) {
  pth_write_options po;
  static_cast<write_options&>(po) = options;  // every shared option: inputs, pages, kernel copy, progress
  write_pth(path, records, po);
}

}  // namespace detail

/// torch.save zip archives (PyTorch >= 1.6); the reader reports TorchScript archives as torchscript_format.
inline constexpr checkpoint_format pth_zip_format{
    "pth-zip",
    "torch.save zip archive (PyTorch >= 1.6)",
    ".pth .pt",
    [](const format_probe& p) noexcept { return detail::is_zip_magic(p.data(), p.size()); },
    detail::read_torch_checkpoint,
    detail::write_pth_checkpoint};

/// Legacy torch.save files (before PyTorch 1.6).
inline constexpr checkpoint_format pth_legacy_format{
    "pth-legacy",
    "legacy torch.save file (before PyTorch 1.6)",
    "",
    [](const format_probe& p) noexcept { return detail::is_legacy_pth_magic(p.data(), p.size()); },
    detail::read_torch_checkpoint,
    nullptr};

/// torch.jit.save archives: no sniff of its own, pth_zip_format's reader finds them (constants.pkl).
inline constexpr checkpoint_format torchscript_format{"torchscript", "TorchScript archive (torch.jit.save)", "",
                                                      nullptr,       detail::read_torch_checkpoint,          nullptr};

/// The reader of the three torch entries: the format comes from the file's content.
inline checkpoint detail::read_torch_checkpoint(const format_probe& probe, const std::optional<std::string>& key) {
  pickled_checkpoint pc = read_pth(probe.file);
  const checkpoint_format& f = pc.torchscript                             ? torchscript_format
                               : is_zip_magic(probe.data(), probe.size()) ? pth_zip_format
                                                                          : pth_legacy_format;
  checkpoint out = start_checkpoint(probe, f);
  out.files = {probe.path};
  if (pc.torchscript)
    select_torchscript(pc, key, out);
  else
    select_state_dict(pc, key, out);
  return out;
}

}  // namespace graft::io
