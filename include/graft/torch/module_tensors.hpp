#pragma once
/// \file
/// Planning against and applying to a module's parameters and buffers, for any module type with
/// `named_parameters(bool)` and `named_buffers(bool)`: `torch::nn::Module` (graft/torch/module.hpp) and
/// TorchScript's `torch::jit::Module` (graft/torch/script_module.hpp) share this one template.

#include <graft/torch/apply.hpp>

#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace graft {

namespace detail {

/// An nn::Module item (an OrderedDict entry: key(), value()).
template <class Item>
auto named_item(const Item& item, int) -> decltype(std::pair<std::string, at::Tensor>(item.key(), item.value())) {
  return {item.key(), item.value()};
}
/// A jit::Module item (a NamedTensor: name, value).
template <class Item>
std::pair<std::string, at::Tensor> named_item(const Item& item, long) {
  return {item.name, item.value};
}

/// Enables the module overloads for types with named_parameters() and named_buffers().
template <class Module>
using if_module = decltype(std::declval<const Module&>().named_parameters(true),
                           std::declval<const Module&>().named_buffers(true), void());

}  // namespace detail

/// The module's parameters then buffers, by dotted name (as `state_dict()` names them).
template <class Module, class = detail::if_module<Module>>
std::vector<std::pair<std::string, at::Tensor>> named_tensors(const Module& module) {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) out.push_back(detail::named_item(item, 0));
  for (const auto& item : module.named_buffers(/*recurse=*/true)) out.push_back(detail::named_item(item, 0));
  return out;
}

/// The name/shape set of a module's parameters and buffers.
template <class Module, class = detail::if_module<Module>>
tensor_set tensor_set_of(const Module& module) {
  tensor_set out;
  for (const auto& item : module.named_parameters(true))
    out.push_back(tensor_set_of({detail::named_item(item, 0)}, tensor_role::param).front());
  for (const auto& item : module.named_buffers(true))
    out.push_back(tensor_set_of({detail::named_item(item, 0)}, tensor_role::buffer).front());
  return out;
}

/// Applies a plan to a module in place (under no-grad), keeping each tensor's device, dtype and
/// requires_grad. The work runs on each destination tensor's device.
template <class Module, class = detail::if_module<Module>>
apply_summary apply(const plan& p, const source_tensors& sources, Module& module) {
  auto named = named_tensors(module);
  return apply(p, sources, named);
}

}  // namespace graft
