#pragma once
/// \file
/// apply_summary: what applying a plan did (shared by graft::apply_records and the LibTorch graft::apply).

#include <graft/plan/plan.hpp>

#include <cstddef>

namespace graft {

/// What apply() did.
struct apply_summary {
  std::size_t copied = 0;       ///< tensors copied whole
  std::size_t mapped = 0;       ///< tensors filled through layouts or literal reshapes
  std::size_t synthesized = 0;  ///< tensors built from other joints' tensors
  std::size_t kept = 0;         ///< destination tensors left untouched
  std::size_t casts = 0;        ///< tensors whose dtype was converted

  /// Counts one applied entry.
  void count(const plan_entry& e) noexcept {
    switch (e.what) {
      case category::copied: ++copied; break;
      case category::mapped: ++mapped; break;
      case category::synthesized: ++synthesized; break;
      case category::kept: ++kept; break;
      default: break;
    }
    if (e.cast) ++casts;
  }
};

}  // namespace graft
