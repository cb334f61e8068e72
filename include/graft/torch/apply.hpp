#pragma once
/// \file
/// apply(): executes a plan on LibTorch tensors, in place, on the destination's device.
/// Includes narrow ATen headers only (never <torch/torch.h>).

#include <graft/apply/summary.hpp>
#include <graft/error.hpp>
#include <graft/io/tensor_record.hpp>
#include <graft/plan/plan.hpp>
#include <graft/plan/shape_steps.hpp>
#include <graft/plan/visit.hpp>
#include <graft/torch/tensor.hpp>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace graft {

/// Supplies the source tensor at an index of plan::source (any device; read-only use).
using source_tensors = std::function<at::Tensor(std::size_t index)>;

namespace detail {

/// The source tensor moved to `device` once (through pinned memory when going to CUDA).
inline at::Tensor stage(const at::Tensor& source, const at::Device& device) {
  if (source.device() == device) return source;
  if (device.is_cuda() && source.device().is_cpu()) return source.pin_memory().to(device, /*non_blocking=*/true);
  return source.to(device);
}

/// An int64 index tensor on `device`.
inline at::Tensor index_tensor(const std::vector<std::int64_t>& rows, const at::Device& device) {
  return at::tensor(rows, at::TensorOptions().dtype(at::kLong)).to(device);
}

/// The type in which means are computed for a given source dtype (as graft/apply/detail/elements.hpp's mean_type).
inline at::ScalarType mean_type(at::ScalarType t) {
  if (t == at::kDouble || t == at::kComplexDouble) return t;
  return at::isComplexType(t) ? at::kComplexFloat : at::kFloat;
}

/// Rows `rows` of `t` on `dim`: a strided view when they step evenly (mean(*) takes every row of a
/// segment: no copy of a 150,000-row embedding), else a gathered copy.
inline at::Tensor source_rows(const at::Tensor& t, std::int64_t dim, const std::vector<std::int64_t>& rows,
                              const at::Device& device) {
  const std::int64_t step = rows.size() > 1 ? rows[1] - rows[0] : 1;
  bool even = step > 0;
  for (std::size_t i = 1; even && i < rows.size(); ++i) even = rows[i] - rows[i - 1] == step;
  if (even && !rows.empty()) return t.slice(dim, rows.front(), rows.back() + 1, step);
  return t.index_select(dim, index_tensor(rows, device));
}

/// Fills `destination` through per-dimension selections of `source` (already on the device).
inline void apply_selections(const plan_entry& e, const at::Tensor& source, at::Tensor& destination) {
  const at::Device device = destination.device();
  at::Tensor current = source;
  at::Tensor filled;  // broadcastable mask of destination positions that get values
  bool all_filled = true;
  for (const auto& sel : e.selections) {
    const auto dim = sel.dim;
    auto sizes = current.sizes().vec();
    sizes[static_cast<std::size_t>(dim)] = sel.destination_size;
    const bool needs_float =
        !sel.means.empty() && !at::isFloatingType(current.scalar_type()) && !at::isComplexType(current.scalar_type());
    at::Tensor next = at::zeros(sizes, current.options().dtype(needs_float ? at::kFloat : current.scalar_type()));
    if (!sel.source_index.empty())
      next.index_copy_(dim, index_tensor(sel.destination_index, device),
                       current.index_select(dim, index_tensor(sel.source_index, device)).to(next.scalar_type()));
    for (const auto& m : sel.means) {
      if (m.same_as >= 0) {  // the mean of the same rows, computed already
        next.select(dim, m.destination)
            .copy_(next.select(dim, sel.means[static_cast<std::size_t>(m.same_as)].destination));
        continue;
      }
      at::Tensor rows = source_rows(current, dim, m.sources, device);
      next.select(dim, m.destination).copy_(rows.to(mean_type(rows.scalar_type())).mean(dim));
    }
    if (!sel.kept.empty()) {
      all_filled = false;
      at::Tensor mask = at::ones({sel.destination_size}, at::TensorOptions().dtype(at::kBool).device(device));
      mask.index_fill_(0, index_tensor(sel.kept, device), false);
      std::vector<std::int64_t> shape(destination.dim(), 1);
      shape[static_cast<std::size_t>(dim)] = sel.destination_size;
      mask = mask.view(shape);
      filled = filled.defined() ? filled.logical_and(mask) : mask;
    }
    current = next;
  }
  if (all_filled) {
    destination.copy_(current);
  } else {
    destination.copy_(at::where(filled, current.to(destination.scalar_type()), destination));
  }
}

/// Applies literal reshape steps to `source` (the shape algebra of graft/plan/shape_steps.hpp, as strided
/// views) and copies the result into `destination`.
inline void apply_steps(const plan_entry& e, const at::Tensor& source, at::Tensor& destination) {
  at::Tensor t = source;
  const shape_t target(destination.sizes().begin(), destination.sizes().end());
  for (const auto& step : e.steps) {
    if (step.what == shape_op_kind::view) {
      t = t.reshape(destination.sizes());
      continue;
    }
    strided_shape s{shape_t(t.sizes().begin(), t.sizes().end()), shape_t(t.strides().begin(), t.strides().end())};
    if (auto why = apply_step(step, s, target)) throw plan_error(step.text() + ": " + *why);
    t = t.as_strided(s.shape, s.strides, t.storage_offset());
  }
  destination.copy_(t);
}

/// The LibTorch executor of one plan entry (see visit_entry): fills `destination` in place, on its device.
struct executor {
  const source_tensors& sources;
  at::Tensor& destination;

  void keep(const plan_entry&) const {}
  void copy(const plan_entry& e) const { copy_one(*e.source); }
  void select(const plan_entry& e) const {
    apply_selections(e, stage(sources(*e.source), destination.device()), destination);
  }
  void reshape(const plan_entry& e) const {
    apply_steps(e, stage(sources(*e.source), destination.device()), destination);
  }
  void mean(const plan_entry& e) const {
    if (e.mean_of.size() == 1) {
      copy_one(e.mean_of[0]);
      return;
    }
    std::vector<at::Tensor> parts;
    for (auto s : e.mean_of) {
      at::Tensor t = stage(sources(s), destination.device());
      parts.push_back(t.to(mean_type(t.scalar_type())));
    }
    destination.copy_(at::stack(parts).mean(0));
  }

private:
  void copy_one(std::size_t s) const { destination.copy_(sources(s), /*non_blocking=*/destination.device().is_cuda()); }
};

inline std::string shape_of(const at::Tensor& t) { return shape_str(shape_t(t.sizes().begin(), t.sizes().end())); }

}  // namespace detail

/// Fills one destination tensor in place as its plan entry says (no-op for kept entries). The work
/// runs on the destination's device; each source tensor crosses to it once.
inline void apply_entry(const plan& p, const plan_entry& e, const source_tensors& sources, at::Tensor& destination) {
  c10::AutoGradMode no_grad(false);
  visit_entry(p, e, detail::executor{sources, destination});
}

/// Applies a plan to destination tensors given by plan::destination index (each filled in place).
/// Checks every tensor against the shapes the plan was made for. Throws plan_error for a failed plan.
inline apply_summary apply(const plan& p, const source_tensors& sources,
                           const std::function<at::Tensor(std::size_t index)>& destinations) {
  if (!p.ok()) throw plan_error("refusing to apply a plan with errors (run `graft plan` to see them)");
  auto checked_source = [&](std::size_t i) {
    at::Tensor t = sources(i);
    const tensor_meta& m = p.source.at(i);
    if (!t.defined() || shape_t(t.sizes().begin(), t.sizes().end()) != m.shape)
      throw usage_error("source tensor '" + m.name + "' is " + (t.defined() ? detail::shape_of(t) : "missing") +
                        ", but the plan was made for " + shape_str(m.shape));
    return t;
  };
  apply_summary summary;
  for (const auto& e : p.entries) {
    if (!e.destination) continue;
    const tensor_meta& m = p.destination[*e.destination];
    at::Tensor d = destinations(*e.destination);
    if (!d.defined() || shape_t(d.sizes().begin(), d.sizes().end()) != m.shape)
      throw usage_error("destination tensor '" + m.name + "' is " + (d.defined() ? detail::shape_of(d) : "missing") +
                        ", but the plan was made for " + shape_str(m.shape));
    apply_entry(p, e, checked_source, d);
    summary.count(e);
  }
  return summary;
}

/// Source tensors viewing checkpoint records (zero-copy); checks names against the plan.
inline source_tensors record_source(const plan& p, const std::vector<io::tensor_record>& records) {
  if (records.size() != p.source.size())
    throw usage_error("the source has " + std::to_string(records.size()) + " tensors, the plan was made for " +
                      std::to_string(p.source.size()));
  return [&p, &records](std::size_t i) {
    if (records[i].name != p.source[i].name)
      throw usage_error("source tensor " + std::to_string(i) + " is '" + records[i].name + "', the plan expects '" +
                        p.source[i].name + "'");
    return to_tensor(records[i]);
  };
}

/// The name/shape set of a list of named tensors (for planning against in-memory tensors).
inline tensor_set tensor_set_of(const std::vector<std::pair<std::string, at::Tensor>>& named,
                                tensor_role role = tensor_role::unknown) {
  tensor_set out;
  for (const auto& [name, t] : named) {
    auto type = from_scalar_type(t.scalar_type());
    if (!type) throw usage_error("tensor '" + name + "' has a dtype graft does not handle");
    out.push_back({name, *type, shape_t(t.sizes().begin(), t.sizes().end()), role});
  }
  return out;
}

/// Applies a plan to an ordered name → tensor list (a state dict), in place, looking tensors up by name.
inline apply_summary apply(const plan& p, const source_tensors& sources,
                           std::vector<std::pair<std::string, at::Tensor>>& destination) {
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < destination.size(); ++i) index.emplace(destination[i].first, i);
  return apply(p, sources, [&](std::size_t d) -> at::Tensor {
    auto it = index.find(p.destination[d].name);
    return it == index.end() ? at::Tensor() : destination[it->second].second;
  });
}

}  // namespace graft
