#pragma once
/// \file
/// The checkpoint format interface: what every format provides (a sniff, a reader, optionally a
/// writer) and the checkpoint a reader returns. The list of formats is in graft/io/checkpoint.hpp;
/// each format defines its entry in its own header (pth.hpp, safetensors.hpp, sharded.hpp).

#include <graft/error.hpp>
#include <graft/io/atomic_file.hpp>
#include <graft/io/mapped_file.hpp>
#include <graft/io/tensor_record.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace graft::io {

/// Ordered string → string metadata (safetensors "__metadata__").
using metadata_t = std::vector<std::pair<std::string, std::string>>;

struct checkpoint_format;

/// A checkpoint read by read_checkpoint.
struct checkpoint {
  std::string path;                         ///< the file or folder that was read
  std::string format;                       ///< the format's name (`kind->name`): "pth-zip", "safetensors", ...
  const checkpoint_format* kind = nullptr;  ///< the format's entry in checkpoint_formats()
  std::vector<std::string> files;  ///< every file read (an index and its shards); outputs must not replace them
  std::vector<std::string> top_level_keys;  ///< string keys of the top-level dict (torch.save files)
  std::string chosen_key;                   ///< where the state dict was found ("" = top level)
  std::vector<tensor_record> tensors;       ///< the state dict, in file order
  std::vector<std::string> skipped;         ///< entries of the state dict that are not tensors
  metadata_t metadata;                      ///< safetensors "__metadata__" (sharded: the index's "metadata")
};

/// What a format's sniff and reader see of an input: its path, and either the mapped file or a folder.
struct format_probe {
  std::string path;                         ///< as given by the caller
  bool folder = false;                      ///< the path is a folder (then `file` is null)
  std::shared_ptr<const mapped_file> file;  ///< the whole file, mapped (null for a folder)

  /// The file's bytes (nullptr for a folder or an empty file).
  const std::byte* data() const noexcept { return file ? file->data() : nullptr; }
  /// The file's size (0 for a folder).
  std::size_t size() const noexcept { return file ? file->size() : 0; }
};

/// Hugging Face's default maximum shard size (save_pretrained's "5GB").
inline constexpr std::uint64_t default_max_shard_bytes = 5'000'000'000ULL;

/// Which shards of a sharded output one run writes: every shard, the shards of worker `worker` of
/// `workers` (shard s, 0-based, belongs to worker s % workers), or the one shard called `only_file`.
struct shard_selection {
  std::size_t worker = 0;   ///< 0-based
  std::size_t workers = 1;  ///< 1: every shard
  std::string only_file;    ///< a shard's file name ("model-00002-of-00003.safetensors"); "" for none
};

/// Options for write_checkpoint.
struct checkpoint_write_options : write_options {
  metadata_t metadata;  ///< safetensors "__metadata__" (formats without metadata ignore it)
  std::uint64_t max_shard_bytes = default_max_shard_bytes;  ///< sharded output: tensor bytes per shard at most
  shard_selection shards;                                   ///< sharded output: the shards this run writes
};

/// One checkpoint format: an entry of checkpoint_formats().
struct checkpoint_format {
  std::string_view name;     ///< shown by `graft inspect` ("format:") and in JSON output
  std::string_view summary;  ///< one line for documentation and messages
  /// Output extensions that select this format's writer, space-separated (".pth .pt"); "" for none.
  std::string_view extensions;
  /// True when this format reads the input; sees the path and the mapped file or folder; never throws.
  /// Null for a format that only another format's reader reports (TorchScript, found inside a torch zip).
  bool (*sniff)(const format_probe&) noexcept;
  /// Reads the input; `key` names the entry holding the state dict (formats without one ignore it).
  checkpoint (*read)(const format_probe&, const std::optional<std::string>& key);
  /// Writes `records` atomically, or null when the format is read-only.
  void (*write)(const std::string& path, const std::vector<tensor_record>& records,
                const checkpoint_write_options& options);
};

namespace detail {

/// True when `path` ends in `suffix`.
inline bool ends_with(std::string_view path, std::string_view suffix) noexcept {
  return path.size() >= suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// True when `path` ends in one of the space-separated `extensions`.
inline bool has_extension(std::string_view path, std::string_view extensions) noexcept {
  while (!extensions.empty()) {
    const auto space = extensions.find(' ');
    if (ends_with(path, extensions.substr(0, space))) return true;
    if (space == std::string_view::npos) break;
    extensions.remove_prefix(space + 1);
  }
  return false;
}

/// The regular files directly in `folder` whose names end in `suffix`, sorted; empty on any error.
inline std::vector<std::string> files_ending_in(const std::string& folder, std::string_view suffix) noexcept {
  std::vector<std::string> out;
  try {
    std::error_code ec;
    for (std::filesystem::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      std::error_code ec2;
      if (ends_with(name, suffix) && it->is_regular_file(ec2)) out.push_back((it->path()).string());
    }
    std::sort(out.begin(), out.end());
  } catch (...) {
    out.clear();  // out of memory while listing: the sniff says "not mine", the caller reports the input
  }
  return out;
}

/// A checkpoint of format `f` read from `probe`, with path, format and kind filled in.
inline checkpoint start_checkpoint(const format_probe& probe, const checkpoint_format& f) {
  checkpoint out;
  out.path = probe.path;
  out.format = std::string(f.name);
  out.kind = &f;
  return out;
}

}  // namespace detail

}  // namespace graft::io
