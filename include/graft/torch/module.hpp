#pragma once
/// \file
/// Planning against and applying to a `torch::nn::Module` (its named parameters and buffers).

#include <graft/torch/apply.hpp>

#include <torch/nn/module.h>

#include <string>
#include <utility>
#include <vector>

namespace graft {

/// The module's parameters then buffers, by dotted name (as `state_dict()` names them).
inline std::vector<std::pair<std::string, at::Tensor>> named_tensors(const torch::nn::Module& module) {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) out.emplace_back(item.key(), item.value());
  for (const auto& item : module.named_buffers(/*recurse=*/true)) out.emplace_back(item.key(), item.value());
  return out;
}

/// The name/shape set of a module's parameters and buffers.
inline tensor_set tensor_set_of(const torch::nn::Module& module) {
  tensor_set out;
  for (const auto& item : module.named_parameters(true))
    out.push_back(tensor_set_of({{item.key(), item.value()}}, tensor_role::param).front());
  for (const auto& item : module.named_buffers(true))
    out.push_back(tensor_set_of({{item.key(), item.value()}}, tensor_role::buffer).front());
  return out;
}

/// Applies a plan to a module in place (under no-grad), keeping each tensor's device, dtype and
/// requires_grad. The work runs on each destination tensor's device.
inline apply_summary apply(const plan& p, const source_tensors& sources, torch::nn::Module& module) {
  auto named = named_tensors(module);
  return apply(p, sources, named);
}

}  // namespace graft
