#pragma once
/// \file
/// visit_entry(): the one dispatch over what a plan entry does to its destination tensor, shared by every
/// executor (graft::apply_records, LibTorch's graft::apply, the CLI's device path).

#include <graft/error.hpp>
#include <graft/plan/plan.hpp>

namespace graft {

/// Calls the member of `v` for what `e` does to its destination and returns what it returns:
///   v.keep(e)    kept (and the source-only categories): the destination keeps its values;
///   v.copy(e)    copied: source `*e.source`, as it is (cast when `e.cast`);
///   v.select(e)  mapped by a channel layout: `e.selections`;
///   v.reshape(e) mapped by literal reshape steps: `e.steps`;
///   v.mean(e)    synthesized: the mean of the source tensors `e.mean_of` (one: a copy).
/// Throws plan_error for a conflict entry, which no executor can run.
template <class Visitor>
decltype(auto) visit_entry(const plan& p, const plan_entry& e, Visitor&& v) {
  switch (e.what) {
    case category::kept:
    case category::excluded:
    case category::unused: return v.keep(e);
    case category::copied: return v.copy(e);
    case category::mapped: return e.selections.empty() ? v.reshape(e) : v.select(e);
    case category::synthesized: return v.mean(e);
    case category::conflict: break;
  }
  throw plan_error("cannot apply a conflict entry ('" + p.name_of(e) + "'): " + e.note);
}

}  // namespace graft
