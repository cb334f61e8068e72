#pragma once
/// \file
/// A name/shape set from any file the planner accepts: a `.tsv` manifest or a checkpoint's header.

#include <graft/io/checkpoint.hpp>
#include <graft/io/manifest.hpp>

#include <optional>
#include <string>

namespace graft::io {

/// True when `path` names a manifest (by its `.tsv` extension).
inline bool is_manifest_path(const std::string& path) {
  return path.size() >= 4 && path.compare(path.size() - 4, 4, ".tsv") == 0;
}

/// Reads names, dtypes and shapes from a manifest or a checkpoint (no tensor bytes are copied).
inline tensor_set read_tensor_set(const std::string& path, const std::optional<std::string>& key = {}) {
  if (is_manifest_path(path)) return read_manifest(path);
  checkpoint ck = read_checkpoint(path, key);
  tensor_set out;
  out.reserve(ck.tensors.size());
  for (const auto& t : ck.tensors) out.push_back(static_cast<const tensor_meta&>(t));
  return out;
}

}  // namespace graft::io
