#pragma once
/// \file
/// Planning against and applying to a TorchScript `torch::jit::Module` (parameters and buffers).

#include <graft/torch/apply.hpp>

#include <torch/csrc/jit/api/module.h>

#include <string>
#include <utility>
#include <vector>

namespace graft {

/// The script module's parameters then buffers, by dotted name.
inline std::vector<std::pair<std::string, at::Tensor>> named_tensors(const torch::jit::Module& module) {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) out.emplace_back(item.name, item.value);
  for (const auto& item : module.named_buffers(/*recurse=*/true)) out.emplace_back(item.name, item.value);
  return out;
}

/// The name/shape set of a script module's parameters and buffers.
inline tensor_set tensor_set_of(const torch::jit::Module& module) {
  tensor_set out;
  for (const auto& item : module.named_parameters(true))
    out.push_back(tensor_set_of({{item.name, item.value}}, tensor_role::param).front());
  for (const auto& item : module.named_buffers(true))
    out.push_back(tensor_set_of({{item.name, item.value}}, tensor_role::buffer).front());
  return out;
}

/// Applies a plan to a script module in place (under no-grad).
inline apply_summary apply(const plan& p, const source_tensors& sources, torch::jit::Module& module) {
  auto named = named_tensors(module);
  return apply(p, sources, named);
}

}  // namespace graft
