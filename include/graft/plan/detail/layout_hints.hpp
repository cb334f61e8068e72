#pragma once
/// \file
/// Root-cause hints for a layout that does not fit its tensors (internal): the likely mistake, found by
/// redoing the layout's length arithmetic with one thing changed — another dim, the maps' `->` turned
/// round, another joint set, another `keep` count.

#include <graft/rules/layout.hpp>
#include <graft/rules/ruleset.hpp>
#include <graft/tensor_meta.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace graft::detail {

/// The known (not inferred) lengths of a layout on both sides, and whether it has an inferred keep.
struct layout_lengths {
  std::int64_t source = 0, destination = 0;
  bool inferred = false;

  /// Whether lengths like these fit a dim of `s` -> `d` rows (as resolve_layout decides).
  bool fit(std::int64_t s, std::int64_t d) const {
    if (inferred) return s - source == d - destination && s - source >= 0;
    return source == s && destination == d;
  }
};

inline layout_lengths lengths_of(const rules::dim_layout& layout) {
  layout_lengths out;
  for (const auto& seg : layout.segments) {
    if (seg.what == rules::layout_segment::kind::keep_inferred) {
      out.inferred = true;
      continue;
    }
    out.source += *seg.source_length();
    out.destination += *seg.destination_length();
  }
  return out;
}

/// " (dim 1 has 17 -> 14 rows, which this layout fits: did you mean dim 1?)" when another dim's sizes fit.
inline std::string other_dim_hint(const rules::dim_layout& layout, const shape_t& a, const shape_t& b) {
  const layout_lengths n = lengths_of(layout);
  for (std::size_t d = 0; d < a.size() && d < b.size(); ++d) {
    if (static_cast<std::int64_t>(d) == layout.dim || !n.fit(a[d], b[d])) continue;
    return " (dim " + std::to_string(d) + " has " + std::to_string(a[d]) + " -> " + std::to_string(b[d]) +
           " rows, which this layout fits: did you mean dim " + std::to_string(d) + "?)";
  }
  return {};
}

/// " (... did you mean coco -> crowdpose?)" when the layout fits with its maps turned round.
inline std::string reversed_maps_hint(const rules::dim_layout& layout, std::int64_t s, std::int64_t d) {
  layout_lengths n = lengths_of(layout);
  std::string meant;
  for (const auto& seg : layout.segments) {
    if (seg.what != rules::layout_segment::kind::joints) continue;
    const std::int64_t from = seg.repeat * static_cast<std::int64_t>(seg.map->from_joints.size());
    const std::int64_t to = seg.repeat * static_cast<std::int64_t>(seg.map->to_joints.size());
    n.source += to - from;
    n.destination += from - to;
    if (meant.empty()) meant = seg.map->to + " -> " + seg.map->from;
  }
  if (meant.empty() || !n.fit(s, d)) return {};
  return " (turned round, the maps fit: is a `->` written the wrong way? did you mean " + meant + "?)";
}

/// " (did you mean coco -> crowdpose? crowdpose has 14 joints)" when another joint set in one joint
/// segment makes the layout fit.
inline std::string other_set_hint(const rules::dim_layout& layout, const rules::ruleset& rules, std::int64_t s,
                                  std::int64_t d) {
  const layout_lengths n = lengths_of(layout);
  for (const auto& seg : layout.segments) {
    if (seg.what != rules::layout_segment::kind::joints) continue;
    const auto from = static_cast<std::int64_t>(seg.map->from_joints.size());
    const auto to = static_cast<std::int64_t>(seg.map->to_joints.size());
    for (const auto& set : rules.joint_sets) {
      const auto size = static_cast<std::int64_t>(set.joints.size());
      layout_lengths as_to = n, as_from = n;
      as_to.destination += seg.repeat * (size - to);
      as_from.source += seg.repeat * (size - from);
      const std::string has =
          "? " + set.name + " has " + std::to_string(size) + " " + rules::label_word(set.kind) + ")";
      if (set.name != seg.map->to && as_to.fit(s, d))
        return " (did you mean " + seg.map->from + " -> " + set.name + has;
      if (set.name != seg.map->from && as_from.fit(s, d))
        return " (did you mean " + set.name + " -> " + seg.map->to + has;
    }
  }
  return {};
}

/// " (keep 2 fits: or write keep without a count, inferred)" when another count in one `keep N` fits.
inline std::string keep_count_hint(const rules::dim_layout& layout, std::int64_t s, std::int64_t d) {
  const layout_lengths n = lengths_of(layout);
  if (n.inferred || s - n.source != d - n.destination) return {};
  const std::int64_t delta = s - n.source;
  for (const auto& seg : layout.segments)
    if (seg.what == rules::layout_segment::kind::keep && seg.count + delta > 0)
      return " (keep " + std::to_string(seg.count + delta) + " fits where " + seg.text() +
             " stands: or write keep without a count, and graft infers it)";
  return {};
}

/// The first hint that explains why `layout` does not fit tensors of shapes `a` -> `b`, or "".
inline std::string layout_fit_hint(const rules::dim_layout& layout, const rules::ruleset& rules, const shape_t& a,
                                   const shape_t& b) {
  const auto dim = static_cast<std::size_t>(layout.dim);
  if (dim >= a.size() || dim >= b.size()) return {};
  const std::int64_t s = a[dim], d = b[dim];
  for (const std::string& hint : {other_dim_hint(layout, a, b), reversed_maps_hint(layout, s, d),
                                  other_set_hint(layout, rules, s, d), keep_count_hint(layout, s, d)})
    if (!hint.empty()) return hint;
  return {};
}

}  // namespace graft::detail
