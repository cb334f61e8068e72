#pragma once
/// \file
/// Writing sharded safetensors checkpoints as Hugging Face does: shards `<prefix>-00001-of-0000N.safetensors`
/// beside an index `<prefix>.safetensors.index.json` (`{"metadata": {"total_size": ...}, "weight_map": ...}`).
///
/// The layout (which tensor goes in which shard) is a pure function of the tensors' names, dtypes and
/// shapes and the maximum shard size: tensors are taken in order and a new shard starts when the next
/// one would take the current shard over the maximum (a tensor larger than the maximum has a shard
/// alone). So separate processes, each given the same inputs, agree on it, and each can write only its
/// own shards (shard_selection: worker K of N, or one file by name), byte-identical to the same shards
/// of a whole run. Every shard is written atomically; the index is written last, atomically, and only
/// once every shard of the layout is on disk with the expected tensors, so a complete index implies
/// complete shards (the process that completes the set writes it).

#include <graft/error.hpp>
#include <graft/io/atomic_file.hpp>
#include <graft/io/detail/json.hpp>
#include <graft/io/format.hpp>
#include <graft/io/safetensors.hpp>
#include <graft/io/tensor_record.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace graft::io {

/// Which tensors go in which shard file.
struct shard_layout {
  std::string folder;                             ///< the index's folder
  std::string index_file;                         ///< the index's file name
  std::vector<std::string> files;                 ///< shard file names, in order
  std::vector<std::vector<std::size_t>> tensors;  ///< per shard: indices into the records, in order
  std::uint64_t total_size = 0;                   ///< bytes of every tensor (the index's "total_size")
};

/// What write_sharded_safetensors did.
struct sharded_write_result {
  std::vector<std::string> written;  ///< the shard paths this run wrote
  bool index_written = false;        ///< false while some shard of the layout is not on disk yet
  std::size_t shards_present = 0;    ///< shards of the layout on disk with their tensors (after this run)
  std::size_t shards = 0;            ///< shards in the layout
};

namespace detail {

/// "<prefix>.safetensors.index.json" → "<prefix>" ("model" when the prefix is empty).
inline std::string shard_prefix(const std::string& index_name) {
  constexpr std::string_view suffix = ".safetensors.index.json";
  std::string prefix = index_name.substr(0, index_name.size() - suffix.size());
  return prefix.empty() ? "model" : prefix;
}

/// "<prefix>-<s>-of-<n>.safetensors", numbers with five digits (more where needed), 1-based.
inline std::string shard_file_name(const std::string& prefix, std::size_t s, std::size_t n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "-%05zu-of-%05zu.safetensors", s + 1, n);
  return prefix + buf;
}

/// True when `path` is a safetensors file holding exactly `layout`'s shard `s` tensors (names, dtypes,
/// shapes, in order): a shard a run of the same conversion wrote.
inline bool shard_present(const std::string& path, const shard_layout& layout, std::size_t s,
                          const std::vector<tensor_record>& records) noexcept {
  try {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return false;
    const auto contents = read_safetensors(path);
    const auto& want = layout.tensors[s];
    if (contents.tensors.size() != want.size()) return false;
    for (std::size_t i = 0; i < want.size(); ++i) {
      const auto& got = contents.tensors[i];
      const auto& r = records[want[i]];
      if (got.name != r.name || got.type != r.type || got.shape != r.shape) return false;
    }
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace detail

/// "5GB", "500MB", "1GiB", "4096" (bytes): decimal units B, KB, MB, GB, TB and binary KiB, MiB, GiB,
/// TiB, any case, an optional space before the unit. Throws usage_error naming `what` otherwise.
inline std::uint64_t parse_byte_size(std::string_view text, const std::string& what = "size") {
  struct unit {
    std::string_view name;
    std::uint64_t bytes;
  };
  static constexpr unit units[] = {{"", 1},
                                   {"b", 1},
                                   {"kb", 1000ULL},
                                   {"mb", 1000000ULL},
                                   {"gb", 1000000000ULL},
                                   {"tb", 1000000000000ULL},
                                   {"kib", 1ULL << 10},
                                   {"mib", 1ULL << 20},
                                   {"gib", 1ULL << 30},
                                   {"tib", 1ULL << 40}};
  const auto bad = [&] {
    return usage_error(what + " must be a number of bytes with an optional unit (5GB, 500MB, 1GiB), not '" +
                       std::string(text) + "'");
  };
  std::size_t i = 0;
  std::uint64_t n = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    if (__builtin_mul_overflow(n, 10U, &n) || __builtin_add_overflow(n, std::uint64_t(text[i] - '0'), &n)) throw bad();
    ++i;
  }
  if (i == 0) throw bad();
  if (i < text.size() && text[i] == ' ') ++i;
  std::string rest(text.substr(i));
  for (auto& c : rest) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  for (const unit& u : units)
    if (rest == u.name) {
      std::uint64_t out = 0;
      if (__builtin_mul_overflow(n, u.bytes, &out)) throw bad();
      return out;
    }
  throw bad();
}

/// The layout of `records` as the shards of the index `index_path`, each at most `max_shard_bytes` of
/// tensor data (a larger tensor has a shard alone). Throws usage_error for a bad name or a zero maximum.
inline shard_layout layout_shards(const std::string& index_path, const std::vector<tensor_record>& records,
                                  std::uint64_t max_shard_bytes) {
  namespace fs = std::filesystem;
  if (!detail::ends_with(index_path, ".safetensors.index.json"))
    throw usage_error(index_path + ": a sharded checkpoint's index must be called <name>.safetensors.index.json");
  if (max_shard_bytes == 0) throw usage_error(index_path + ": the maximum shard size must be more than 0 bytes");
  shard_layout out;
  const fs::path p(index_path);
  out.folder = p.has_parent_path() ? p.parent_path().string() : std::string(".");
  out.index_file = p.filename().string();
  std::uint64_t in_shard = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const std::uint64_t n = records[i].nbytes();
    if (out.tensors.empty() || (in_shard > 0 && in_shard + n > max_shard_bytes)) {
      out.tensors.emplace_back();
      in_shard = 0;
    }
    out.tensors.back().push_back(i);
    in_shard += n;
    out.total_size += n;
  }
  if (out.tensors.empty()) out.tensors.emplace_back();  // no tensors: one empty shard, so the index names a file
  const std::string prefix = detail::shard_prefix(out.index_file);
  for (std::size_t s = 0; s < out.tensors.size(); ++s)
    out.files.push_back(detail::shard_file_name(prefix, s, out.tensors.size()));
  return out;
}

/// The index's JSON text: total_size, then `metadata` (as strings), then the weight map in record order.
inline std::string format_shard_index(const shard_layout& layout, const std::vector<tensor_record>& records,
                                      const metadata_t& metadata) {
  std::string out = "{\n  \"metadata\": {\"total_size\": " + std::to_string(layout.total_size);
  for (const auto& [k, v] : metadata) {
    if (k == "total_size") continue;
    out += ", ";
    detail::json_quote(out, k);
    out += ": ";
    detail::json_quote(out, v);
  }
  out += "},\n  \"weight_map\": {";
  bool first = true;
  for (std::size_t s = 0; s < layout.tensors.size(); ++s)
    for (std::size_t i : layout.tensors[s]) {
      out += first ? "\n    " : ",\n    ";
      first = false;
      detail::json_quote(out, records[i].name);
      out += ": ";
      detail::json_quote(out, layout.files[s]);
    }
  out += first ? "}\n}\n" : "\n  }\n}\n";
  return out;
}

/// Writes the shards `selection` names (each atomically, never over an input), then the index, last
/// and atomically, if every shard of the layout is now on disk. See the file comment.
/// `options.max_shard_bytes` and `options.shards` say how big shards are and which this run writes.
inline sharded_write_result write_sharded_safetensors(const std::string& index_path,
                                                      const std::vector<tensor_record>& records,
                                                      const checkpoint_write_options& options = {}) {
  namespace fs = std::filesystem;
  const shard_layout layout = layout_shards(index_path, records, options.max_shard_bytes);
  const shard_selection& selection = options.shards;
  if (selection.workers == 0 || selection.worker >= selection.workers)
    throw usage_error("shard selection: worker " + std::to_string(selection.worker + 1) + " of " +
                      std::to_string(selection.workers) + " does not exist");
  std::vector<bool> selected(layout.files.size(), false);
  for (std::size_t s = 0; s < layout.files.size(); ++s)
    selected[s] = selection.only_file.empty() ? s % selection.workers == selection.worker
                                              : layout.files[s] == selection.only_file;
  if (!selection.only_file.empty() && std::find(selected.begin(), selected.end(), true) == selected.end()) {
    std::string names;
    for (const auto& f : layout.files) names += (names.empty() ? "" : ", ") + f;
    throw usage_error("no shard " + detail::quote_name(selection.only_file) + " in this layout (" +
                      std::to_string(layout.files.size()) + " shards: " + names + ")");
  }
  const auto path_of = [&](std::size_t s) { return (fs::path(layout.folder) / layout.files[s]).string(); };
  std::vector<std::string> outputs = {index_path};  // refused before anything is written
  for (std::size_t s = 0; s < layout.files.size(); ++s)
    if (selected[s]) outputs.push_back(path_of(s));
  for (const auto& path : outputs)
    if (auto input = same_file_among(path, options.inputs))
      throw usage_error(path + " is an input (" + *input + "): refusing to overwrite it");
  sharded_write_result result;
  result.shards = layout.files.size();
  // One meter over the selected shards: each shard's writer reports into it.
  std::uint64_t total = 0;
  for (std::size_t s = 0; s < layout.files.size(); ++s)
    if (selected[s])
      for (std::size_t i : layout.tensors[s]) total += records[i].nbytes();
  progress_meter meter(options, total, outputs.size() - 1);
  write_options shard_options = options;
  write_progress before;  // bytes of the shards already written (and of those, copied by the kernel)
  if (options.progress)
    shard_options.progress = [&](const write_progress& p) {
      if (p.files_done == 0)
        meter.wrote(static_cast<std::size_t>(before.bytes_done + p.bytes_done - meter.now().bytes_done),
                    static_cast<std::size_t>(before.bytes_by_kernel + p.bytes_by_kernel - meter.now().bytes_by_kernel));
    };
  for (std::size_t s = 0; s < layout.files.size(); ++s) {
    if (!selected[s]) continue;
    std::vector<tensor_record> shard;
    shard.reserve(layout.tensors[s].size());
    for (std::size_t i : layout.tensors[s]) shard.push_back(records[i]);
    const std::string path = path_of(s);
    write_safetensors(path, shard, options.metadata, shard_options);
    result.written.push_back(path);
    before = meter.now();
    meter.committed();
  }
  for (std::size_t s = 0; s < layout.files.size(); ++s)
    if (selected[s] || detail::shard_present(path_of(s), layout, s, records)) ++result.shards_present;
  if (result.shards_present == layout.files.size()) {
    const std::string text = format_shard_index(layout, records, options.metadata);
    atomic_file out(index_path, options.inputs);
    out.write(text.data(), text.size());
    out.commit();
    result.index_written = true;
  }
  return result;
}

}  // namespace graft::io
