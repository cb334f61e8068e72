#pragma once
/// \file
/// Reading torch.save files: the zip format (PyTorch >= 1.6), the legacy pre-1.6 format, and the
/// tensors of TorchScript archives (torch.jit.save). The pickles are read by the restricted
/// unpickler; tensors become tensor_records whose bytes stay in the mapped file.

#include <graft/error.hpp>
#include <graft/io/detail/bytes.hpp>
#include <graft/io/mapped_file.hpp>
#include <graft/io/pickle.hpp>
#include <graft/io/tensor_record.hpp>
#include <graft/io/zip.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace graft::io {

/// A loaded torch.save / torch.jit.save file: its object tree and the storages its tensors use.
struct pickled_checkpoint {
  std::string path;                                     ///< the file, for messages
  std::string format;                                   ///< "pth-zip", "pth-legacy" or "torchscript"
  pickle_document doc;                                  ///< the unpickled object
  std::unordered_map<std::string, byte_span> storages;  ///< storage key → bytes (whole root storage)
  std::shared_ptr<const void> owner;                    ///< keeps the storages' bytes alive
  /// TorchScript only: per class ("__torch__.a.B"), the attribute names its source declares in
  /// `__parameters__` and `__buffers__` (classes whose source could not be read are absent).
  std::unordered_map<std::string, std::pair<std::vector<std::string>, std::vector<std::string>>> script_members;

  /// TorchScript only: the role of attribute `name` of an object of class `cls`.
  tensor_role script_role(const std::string& cls, const std::string& name) const {
    auto it = script_members.find(cls);
    if (it == script_members.end()) return tensor_role::unknown;
    for (const auto& p : it->second.first)
      if (p == name) return tensor_role::param;
    for (const auto& b : it->second.second)
      if (b == name) return tensor_role::buffer;
    return tensor_role::unknown;
  }

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
    r.type = s.type;
    r.shape = t.shape;
    r.role = t.role;
    r.strides = t.strides;
    r.storage_offset = t.storage_offset;
    r.storage = bytes;
    r.owner = owner;
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

/// Reads `__parameters__` / `__buffers__` of class `cls` from the archive's deflated source records.
inline void read_script_members(const zip_reader& zip, const std::string& prefix, const std::string& cls,
                                pickled_checkpoint& out) {
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
      members.first = script_name_list(line);
    else if (line.rfind("  __buffers__ = [", 0) == 0)
      members.second = script_name_list(line);
    pos = next;
  }
  out.script_members.emplace(cls, std::move(members));
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
  if (const zip_entry* bo = zip.find(prefix + "byteorder")) {
    auto b = zip.bytes(*bo);
    if (as_chars(b.data, b.size) != "little")
      throw checkpoint_error(path + ": byteorder is " + quote_name(as_chars(b.data, b.size)) +
                             "; only little-endian files are supported");
  }
  bool torchscript = zip.find(prefix + "constants.pkl") != nullptr;
  zip.verify_crc(*pkl);
  pickled_checkpoint out;
  out.path = path;
  out.format = torchscript ? "torchscript" : "pth-zip";
  unpickle_options opt;
  opt.torchscript = torchscript;
  out.doc = unpickle(zip.bytes(*pkl), path, opt);
  for (const pickle_value* sv : out.doc.storages()) {
    const storage_ref& s = sv->storage();
    if (out.storages.count(s.key)) continue;
    const zip_entry* e = zip.find(prefix + "data/" + s.key);
    if (e == nullptr)
      throw checkpoint_error(path + ": storage record " + quote_name(prefix + "data/" + s.key) +
                             " is missing from the archive");
    check_storage_size(path, s, e->size);
    out.storages.emplace(s.key, zip.bytes(*e));
  }
  if (torchscript)
    for (const pickle_value* o : out.doc.objects())
      if (!out.script_members.count(o->text)) read_script_members(zip, prefix, o->text, out);
  out.owner = std::move(file);
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

/// Reads a torch.save file (zip or legacy format) or a torch.jit.save archive, choosing by content.
inline pickled_checkpoint read_pth(std::shared_ptr<const mapped_file> file) {
  const std::byte* d = file->data();
  const std::size_t n = file->size();
  if (n >= 4 && detail::load_u32(d) == 0x04034b50) return detail::read_pth_zip(std::move(file));
  if (n >= 3 && d[0] == std::byte{0x80} && d[2] == std::byte{0x8a}) return detail::read_pth_legacy(std::move(file));
  if (n >= 262 && detail::as_chars(d + 257, 5) == "ustar")
    throw checkpoint_error(file->path() + ": tar-format checkpoints (PyTorch < 0.4) are not supported");
  throw checkpoint_error(file->path() + ": not a torch.save file");
}

/// Reads a torch.save file from `path`.
inline pickled_checkpoint read_pth(const std::string& path) { return read_pth(mapped_file::open(path)); }

}  // namespace graft::io
