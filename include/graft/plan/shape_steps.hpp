#pragma once
/// \file
/// Literal reshape steps (`view`, `permute`, ...) and their shape algebra, written once: the loader
/// checks a step's arguments with check_step_args(), the planner predicts shapes and the host executor
/// computes strides with apply_step(), and the LibTorch executor views tensors with the same strides.

#include <graft/source.hpp>
#include <graft/tensor_meta.hpp>
#include <graft/vocabulary.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace graft {

/// A literal reshape step, as written in a reshape block.
struct shape_step {
  shape_op_kind what = shape_op_kind::view;
  std::vector<std::int64_t> args;
  source_location where;

  /// The step as written ("permute 1 0").
  std::string text() const {
    std::string out(shape_op_word(what));
    for (auto a : args) out += " " + std::to_string(a);
    return out;
  }
};

/// A tensor's sizes and element strides, as the steps transform them.
struct strided_shape {
  shape_t shape;
  shape_t strides;
};

/// Why a step's arguments are wrong in themselves (count, permutation), if they are; checked when
/// the rules load, before any tensor is known.
inline std::optional<std::string> check_step_args(const shape_step& step) {
  const shape_op_row& row = row_of(shape_op_table, step.what);
  const std::size_t n = step.args.size();
  const auto takes = [&] {
    return std::string(row.word) + " takes " + std::string(row.takes) + ", got " + std::to_string(n);
  };
  switch (row.arity) {
    case shape_op_arity::none: return n == 0 ? std::nullopt : std::optional<std::string>(takes());
    case shape_op_arity::one: return n == 1 ? std::nullopt : std::optional<std::string>(takes());
    case shape_op_arity::two: return n == 2 ? std::nullopt : std::optional<std::string>(takes());
    case shape_op_arity::every_dim: {
      if (n == 0) return std::string(row.word) + " takes " + std::string(row.takes) + ", got none";
      std::vector<bool> seen(n, false);
      for (auto a : step.args) {
        if (a < 0 || a >= static_cast<std::int64_t>(n) || seen[static_cast<std::size_t>(a)])
          return std::string(row.word) + " needs each of 0.." + std::to_string(n - 1) + " exactly once, got " +
                 step.text().substr(row.word.size() + 1);
        seen[static_cast<std::size_t>(a)] = true;
      }
      return std::nullopt;
    }
  }
  return std::nullopt;
}

/// Applies one step to `t` (a view as the destination's `target` shape for `view`, whose strides are
/// then contiguous: a strided source must be made contiguous first). Returns why the step does not
/// apply to a tensor of this shape, leaving `t` unchanged, if it does not.
inline std::optional<std::string> apply_step(const shape_step& step, strided_shape& t, const shape_t& target) {
  const auto rank = static_cast<std::int64_t>(t.shape.size());
  const auto norm = [](std::int64_t dim, std::int64_t r) { return dim < 0 ? dim + r : dim; };
  const auto at = [](std::int64_t i) { return static_cast<std::size_t>(i); };
  const auto range = [&] { return "dimension out of range for rank " + std::to_string(rank); };
  switch (step.what) {
    case shape_op_kind::view:
      if (numel(t.shape) != numel(target))
        return "cannot view " + shape_str(t.shape) + " (" + std::to_string(numel(t.shape)) + " elements) as " +
               shape_str(target) + " (" + std::to_string(numel(target)) + ")";
      t.shape = target;
      t.strides = contiguous_strides(target);
      return std::nullopt;
    case shape_op_kind::permute: {
      if (static_cast<std::int64_t>(step.args.size()) != rank) return "the tensor has rank " + std::to_string(rank);
      strided_shape next;
      for (auto i : step.args) {
        next.shape.push_back(t.shape[at(i)]);
        next.strides.push_back(t.strides[at(i)]);
      }
      t = std::move(next);
      return std::nullopt;
    }
    case shape_op_kind::transpose: {
      const auto x = norm(step.args.at(0), rank), y = norm(step.args.at(1), rank);
      if (x < 0 || y < 0 || x >= rank || y >= rank) return range();
      std::swap(t.shape[at(x)], t.shape[at(y)]);
      std::swap(t.strides[at(x)], t.strides[at(y)]);
      return std::nullopt;
    }
    case shape_op_kind::squeeze: {
      const auto x = norm(step.args.at(0), rank);
      if (x < 0 || x >= rank || t.shape[at(x)] != 1)
        return "dim " + std::to_string(step.args[0]) + " of " + shape_str(t.shape) + " is not of size 1";
      t.shape.erase(t.shape.begin() + x);
      t.strides.erase(t.strides.begin() + x);
      return std::nullopt;
    }
    case shape_op_kind::unsqueeze: {
      const auto x = norm(step.args.at(0), rank + 1);
      if (x < 0 || x > rank) return range();
      const std::int64_t stride = x < rank ? t.strides[at(x)] * t.shape[at(x)] : 1;
      t.shape.insert(t.shape.begin() + x, 1);
      t.strides.insert(t.strides.begin() + x, stride);
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace graft
