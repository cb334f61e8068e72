#pragma once
/// \file
/// Joint sets and the maps between them: which source joints feed each destination joint.

#include <graft/source.hpp>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace graft::rules {

/// An ordered, named list of joints (`joints coco = [...]`).
struct joint_set {
  std::string name;                 ///< the set's name
  std::vector<std::string> joints;  ///< joint names in channel order
  source_location where;            ///< the `joints` statement

  /// Index of a joint by name.
  std::optional<std::size_t> index_of(std::string_view joint) const {
    auto it = std::find(joints.begin(), joints.end(), joint);
    if (it == joints.end()) return std::nullopt;
    return static_cast<std::size_t>(it - joints.begin());
  }
  /// Number of joints.
  std::size_t size() const noexcept { return joints.size(); }
};

/// How one destination joint gets its values.
struct joint_source {
  enum class kind {
    same_name,  ///< copied from the source joint of the same name
    renamed,    ///< copied from one differently named source joint (`head = nose`)
    mean,       ///< the mean of several source joints (`neck = mean(a, b)`)
    none        ///< no source: keeps the destination's values
  };
  kind how = kind::none;
  std::vector<std::size_t> sources;  ///< indices into the source set
  bool acknowledged = false;         ///< none: listed in the map's `keep` (its values are meant to stay)
};

/// A resolved `map A -> B`: for every joint of B, where it comes from in A.
struct joint_mapping {
  std::string from;                      ///< source set name
  std::string to;                        ///< destination set name
  std::vector<std::string> from_joints;  ///< the source set's joints
  std::vector<std::string> to_joints;    ///< the destination set's joints
  std::vector<joint_source> targets;     ///< one per destination joint
  source_location where;                 ///< the `map` statement (unknown for implicit same-name maps)

  /// The destination joint that copies source joint `index` one-to-one (first such), if any.
  std::optional<std::size_t> destination_of(std::size_t index) const {
    for (std::size_t j = 0; j < targets.size(); ++j) {
      const auto& t = targets[j];
      if ((t.how == joint_source::kind::same_name || t.how == joint_source::kind::renamed) && t.sources.size() == 1 &&
          t.sources[0] == index)
        return j;
    }
    return std::nullopt;
  }

  /// The destination joints without a source that no `keep` acknowledges (strict plans refuse them).
  std::vector<std::size_t> unacknowledged() const {
    std::vector<std::size_t> out;
    for (std::size_t j = 0; j < targets.size(); ++j)
      if (targets[j].how == joint_source::kind::none && !targets[j].acknowledged) out.push_back(j);
    return out;
  }

  /// The source joints that no destination joint takes, in source order.
  std::vector<std::size_t> dropped() const {
    std::vector<bool> used(from_joints.size(), false);
    for (const auto& t : targets)
      for (auto s : t.sources) used[s] = true;
    std::vector<std::size_t> out;
    for (std::size_t a = 0; a < used.size(); ++a)
      if (!used[a]) out.push_back(a);
    return out;
  }

  /// Number of destination joints that receive values from the source.
  std::size_t covered() const {
    return static_cast<std::size_t>(std::count_if(
        targets.begin(), targets.end(), [](const joint_source& t) { return t.how != joint_source::kind::none; }));
  }

  /// "12 of 14 joints; head = nose, neck = mean(left_shoulder, right_shoulder); x kept".
  std::string summary() const {
    std::string out = std::to_string(covered()) + " of " + std::to_string(targets.size()) + " joints";
    std::string synthesized, kept;
    for (std::size_t j = 0; j < targets.size(); ++j) {
      const auto& t = targets[j];
      if (t.how == joint_source::kind::renamed) {
        synthesized += (synthesized.empty() ? "" : ", ") + to_joints[j] + " = " + from_joints[t.sources[0]];
      } else if (t.how == joint_source::kind::mean) {
        std::string args;
        for (auto s : t.sources) args += (args.empty() ? "" : ", ") + from_joints[s];
        synthesized += (synthesized.empty() ? "" : ", ") + to_joints[j] + " = mean(" + args + ")";
      } else if (t.how == joint_source::kind::none) {
        kept += (kept.empty() ? "" : ", ") + to_joints[j];
      }
    }
    if (!synthesized.empty()) out += "; " + synthesized;
    if (!kept.empty()) out += "; " + kept + " kept";
    return out;
  }
};

/// Levenshtein distance, for "did you mean".
inline std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

/// The closest candidate to `word`, when close enough to be a likely typo.
template <typename Range>
std::optional<std::string> closest_match(std::string_view word, const Range& candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = std::string(c);
    }
  }
  return best;
}

/// " (did you mean 'x'?)" or "".
template <typename Range>
std::string did_you_mean(std::string_view word, const Range& candidates) {
  auto best = closest_match(word, candidates);
  return best ? " (did you mean '" + *best + "'?)" : std::string();
}

}  // namespace graft::rules
