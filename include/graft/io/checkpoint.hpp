#pragma once
/// \file
/// The checkpoint front door: the list of formats, read_checkpoint (any supported file or folder →
/// an ordered list of tensor records) and write_checkpoint (records → a file, atomically).
///
/// Formats (graft/io/format.hpp describes an entry), tried in this order, each sniffing the input:
///  - "pth-zip": torch.save zip archives (first bytes `PK\3\4`); TorchScript archives (torch.jit.save,
///    recognized inside the zip by their constants.pkl) are reported as "torchscript";
///  - "pth-legacy": pre-1.6 torch.save files (a pickle opening with a LONG1 magic number);
///  - "safetensors-sharded": a Hugging Face `*.safetensors.index.json` and its shards, or a folder
///    holding exactly one such index (graft/io/sharded.hpp);
///  - "safetensors": a JSON header at byte 8, or any file whose name ends in .safetensors; or a folder
///    holding exactly one *.safetensors file and no index.
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
#include <graft/io/format.hpp>
#include <graft/io/mapped_file.hpp>
#include <graft/io/pth.hpp>
#include <graft/io/pth_writer.hpp>
#include <graft/io/safetensors.hpp>
#include <graft/io/sharded.hpp>
#include <graft/io/tensor_record.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace graft::io {

/// Every checkpoint format, in the order their sniffs are tried (torchscript has none: see its entry).
inline constexpr const checkpoint_format* checkpoint_formats[] = {
    &pth_zip_format, &pth_legacy_format, &torchscript_format, &sharded_safetensors_format, &safetensors_format};

/// The format called `name` (as checkpoint::format spells it), or nullptr.
inline const checkpoint_format* find_format(std::string_view name) noexcept {
  for (const checkpoint_format* f : checkpoint_formats)
    if (f->name == name) return f;
  return nullptr;
}

/// The format whose writer `path`'s extension selects, or nullptr.
inline const checkpoint_format* format_for_output(std::string_view path) noexcept {
  for (const checkpoint_format* f : checkpoint_formats)
    if (f->write != nullptr && detail::has_extension(path, f->extensions)) return f;
  return nullptr;
}

/// Opens `path` for sniffing: a folder as such, anything else mapped (throws checkpoint_error when it
/// cannot be opened or is not a regular file).
inline format_probe probe_input(const std::string& path) {
  format_probe p;
  p.path = path;
  std::error_code ec;
  p.folder = std::filesystem::is_directory(path, ec);
  if (!p.folder) p.file = mapped_file::open(path);
  return p;
}

/// The format that reads `probe` (the first whose sniff accepts it), or nullptr.
inline const checkpoint_format* sniff_format(const format_probe& probe) noexcept {
  for (const checkpoint_format* f : checkpoint_formats)
    if (f->sniff != nullptr && f->sniff(probe)) return f;
  return nullptr;
}

/// Reads a checkpoint file or folder of any supported format. `key` names the wrapper entry holding
/// the state dict (see the file comment for the automatic choice); safetensors inputs ignore it.
inline checkpoint read_checkpoint(const std::string& path, const std::optional<std::string>& key = {}) {
  const format_probe probe = probe_input(path);
  const auto refuse_if_changed = [&] {  // a file rewritten while read: say so, whatever it looked like
    if (auto how = probe.file ? probe.file->change() : std::nullopt)
      throw checkpoint_error(path + ": changed while graft read it (" + *how + ")");
  };
  if (const checkpoint_format* f = sniff_format(probe)) {
    try {
      checkpoint c = f->read(probe, key);
      refuse_if_changed();
      return c;
    } catch (const error&) {
      refuse_if_changed();
      throw;
    }
  }
  if (probe.folder)
    throw checkpoint_error(path +
                           ": folder holds no checkpoint graft can read (it needs exactly one "
                           "*.safetensors.index.json, or exactly one *.safetensors file)");
  if (probe.size() == 0) throw checkpoint_error(path + ": file is empty");
  throw checkpoint_error(path + ": unrecognized checkpoint format (not torch.save, TorchScript or safetensors)");
}

/// Writes `records` atomically in the format `path`'s extension selects (.pth / .pt: a torch.save
/// zip file; .safetensors: safetensors with `options.metadata`); `options.inputs` lists files that
/// must not be replaced. Throws usage_error for any other extension.
inline void write_checkpoint(const std::string& path, const std::vector<tensor_record>& records,
                             const checkpoint_write_options& options = {}) {
  const checkpoint_format* f = format_for_output(path);
  if (f == nullptr) {
    std::string known;
    for (const checkpoint_format* g : checkpoint_formats)
      if (g->write != nullptr) known += (known.empty() ? "" : " ") + std::string(g->extensions);
    throw usage_error(path + ": cannot tell which format to write (the name must end in one of: " + known + ")");
  }
  f->write(path, records, options);
}

/// write_checkpoint with the shared write options and the safetensors metadata given apart.
inline void write_checkpoint(const std::string& path, const std::vector<tensor_record>& records,
                             const write_options& options, const metadata_t& metadata) {
  checkpoint_write_options o;
  static_cast<write_options&>(o) = options;  // every shared option: inputs, pages, kernel copy, progress
  o.metadata = metadata;
  write_checkpoint(path, records, o);
}

}  // namespace graft::io
