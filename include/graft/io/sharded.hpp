#pragma once
/// \file
/// Reading sharded safetensors checkpoints as Hugging Face writes them: an index `model.safetensors.index.json`
/// (`{"metadata": {...}, "weight_map": {tensor name: shard file}}`) beside its shards
/// (`model-00001-of-00002.safetensors`, ...). Each shard is mapped and read as a single safetensors
/// file (zero-copy); the checkpoint is the union of their tensors, in the index's weight_map order.
///
/// Refused, naming the index: a shard file missing; a tensor the index lists missing from its shard;
/// a tensor in a shard that the index does not list or lists in another shard; a tensor in two
/// shards; a shard path that is empty, absolute or leads out of the index's folder (`../`).

#include <graft/error.hpp>
#include <graft/io/detail/bytes.hpp>
#include <graft/io/detail/json.hpp>
#include <graft/io/format.hpp>
#include <graft/io/mapped_file.hpp>
#include <graft/io/safetensors.hpp>
#include <graft/io/sharded_writer.hpp>

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

namespace graft::io {

namespace detail {

/// The index a folder input stands for: its only *.safetensors.index.json file.
inline std::optional<std::string> lone_safetensors_index(const std::string& folder) noexcept {
  auto files = files_ending_in(folder, ".safetensors.index.json");
  if (files.size() != 1) return std::nullopt;
  return std::move(files[0]);
}

/// A weight_map entry as a path relative to the index's folder, normalized ("./a" → "a"); throws
/// through `fail` when it is empty, absolute or leads out of the folder.
template <typename Fail>
inline std::string shard_path(const std::string& entry, const std::string& tensor, Fail&& fail) {
  namespace fs = std::filesystem;
  auto refuse = [&](const char* why) {
    fail("tensor " + quote_name(tensor) + ": shard path " + quote_name(entry) + " " + why);
  };
  if (entry.empty() || entry.find('\0') != std::string::npos) refuse("is empty or holds a NUL byte");
  const fs::path p = fs::path(entry).lexically_normal();
  if (p.is_absolute() || p.has_root_name() || p.has_root_directory()) refuse("is absolute");
  if (p.empty() || *p.begin() == ".." || p == ".") refuse("leads out of the index's folder");
  return p.generic_string();
}

/// The index's "metadata" as strings (numbers and booleans by their JSON text).
template <typename Fail>
inline metadata_t index_metadata(const json& doc, Fail&& fail) {
  metadata_t out;
  const json* m = doc.find("metadata");
  if (m == nullptr || m->k == json::kind::null) return out;
  if (m->k != json::kind::object) fail("\"metadata\" is not an object");
  for (const auto& [k, v] : m->members) {
    if (v.k == json::kind::string || v.k == json::kind::number)
      out.emplace_back(k, v.text);
    else if (v.k == json::kind::boolean)
      out.emplace_back(k, v.boolean ? "true" : "false");
    else
      fail("\"metadata\" value " + quote_name(k) + " is not a string, number or boolean");
  }
  return out;
}

inline checkpoint read_sharded_safetensors(const format_probe& probe, const std::optional<std::string>&);

}  // namespace detail

/// Sharded safetensors: a file named *.safetensors.index.json, or a folder holding exactly one; written
/// by write_sharded_safetensors (graft/io/sharded_writer.hpp).
inline constexpr checkpoint_format sharded_safetensors_format{
    "safetensors-sharded",
    "sharded safetensors (Hugging Face *.safetensors.index.json and its shards)",
    ".safetensors.index.json",
    [](const format_probe& p) noexcept {
      return p.folder ? detail::lone_safetensors_index(p.path).has_value()
                      : detail::ends_with(p.path, ".safetensors.index.json");
    },
    detail::read_sharded_safetensors,
    [](const std::string& path, const std::vector<tensor_record>& records, const checkpoint_write_options& options) {
      write_sharded_safetensors(path, records, options);
    }};

/// The reader of sharded_safetensors_format.
inline checkpoint detail::read_sharded_safetensors(const format_probe& probe, const std::optional<std::string>&) {
  namespace fs = std::filesystem;
  std::shared_ptr<const mapped_file> index = probe.file;
  if (probe.folder) {
    auto lone = lone_safetensors_index(probe.path);
    if (!lone) throw checkpoint_error(probe.path + ": the folder no longer holds exactly one index");
    index = mapped_file::open(*lone);
  }
  const std::string ipath = index->path();
  auto fail = [&](const std::string& what) { throw checkpoint_error(ipath + ": sharded safetensors index: " + what); };
  if (index->size() > max_safetensors_header) fail("index is implausibly large");
  json doc;
  try {
    doc = parse_json(as_chars(index->data(), index->size()));
  } catch (const json_budget_error& e) {
    fail(std::string("index of ") + std::to_string(index->size()) + " bytes refused: " + e.what());
  } catch (const json_error& e) {
    fail(std::string("malformed JSON: ") + e.what());
  }
  if (doc.k != json::kind::object) fail("not a JSON object");
  const json* wm = doc.find("weight_map");
  if (wm == nullptr || wm->k != json::kind::object) fail("no \"weight_map\" object");
  checkpoint out = start_checkpoint(probe, sharded_safetensors_format);
  out.metadata = index_metadata(doc, fail);
  out.files = {ipath};

  // The shards, in order of first mention; each listed tensor's shard.
  std::vector<std::string> shards;
  std::unordered_map<std::string, std::size_t> shard_of_path, listed_in;
  for (const auto& [name, v] : wm->members) {
    if (v.k != json::kind::string) fail("tensor " + quote_name(name) + ": shard is not a string");
    auto [it, fresh] = shard_of_path.emplace(shard_path(v.text, name, fail), shards.size());
    if (fresh) shards.push_back(it->first);
    listed_in.emplace(name, it->second);
  }
  const fs::path folder = fs::path(ipath).parent_path();
  std::vector<safetensors_contents> contents;
  std::unordered_map<std::string, std::pair<std::size_t, std::size_t>> found;  // name → (shard, tensor)
  for (std::size_t s = 0; s < shards.size(); ++s) {
    const std::string file = (folder / shards[s]).string();
    std::error_code ec;
    if (!fs::exists(file, ec)) fail("shard " + quote_name(shards[s]) + " is missing");
    out.files.push_back(file);
    contents.push_back(read_safetensors(file));
    const auto& tensors = contents.back().tensors;
    for (std::size_t t = 0; t < tensors.size(); ++t) {
      const std::string& name = tensors[t].name;
      auto [at, fresh] = found.emplace(name, std::make_pair(s, t));
      if (!fresh)
        fail("tensor " + quote_name(name) + " is in two shards, " + quote_name(shards[at->second.first]) + " and " +
             quote_name(shards[s]));
      auto listed = listed_in.find(name);
      if (listed == listed_in.end())
        fail("shard " + quote_name(shards[s]) + " holds tensor " + quote_name(name) +
             ", which the index does not list");
      if (listed->second != s)
        fail("tensor " + quote_name(name) + " is in shard " + quote_name(shards[s]) + ", but the index lists it in " +
             quote_name(shards[listed->second]));
    }
  }
  out.tensors.reserve(wm->members.size());
  for (const auto& [name, v] : wm->members) {
    auto at = found.find(name);
    if (at == found.end())
      fail("tensor " + quote_name(name) + " is missing from its shard " + quote_name(shards[listed_in[name]]));
    out.tensors.push_back(std::move(contents[at->second.first].tensors[at->second.second]));
  }
  return out;
}

}  // namespace graft::io
