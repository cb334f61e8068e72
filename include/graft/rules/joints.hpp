#pragma once
/// \file
/// Label sets (`joints coco = [...]`, `labels imagenet1k from "..."`) and the maps between them: which
/// source labels feed each destination label. "Joint" in the names here is any label.

#include <graft/source.hpp>
#include <graft/vocabulary.hpp>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace graft::rules {

/// The plural word of a label kind ("joints", "labels"), or its singular ("joint", "label").
inline std::string label_word(label_kind kind, bool plural = true) {
  const auto& row = row_of(label_kind_table, kind);
  return std::string(plural ? row.word : row.singular);
}

/// An ordered, named list of labels (`joints coco = [...]`, `labels pets = [...]`).
struct joint_set {
  std::string name;                 ///< the set's name
  std::vector<std::string> joints;  ///< label names in channel order
  source_location where;            ///< the `joints` / `labels` statement
  /// Each joint's index by name, when add() built the set (else index_of() searches `joints`).
  std::unordered_map<std::string, std::size_t> index = {};
  label_kind kind = label_kind::joints;  ///< the word it was declared with (reports and messages use it)

  /// Appends `joint` (and indexes it); false, the set unchanged, when it is already a member.
  bool add(const std::string& joint) {
    if (index.size() != joints.size()) reindex();
    if (!index.emplace(joint, joints.size()).second) return false;
    joints.push_back(joint);
    return true;
  }
  /// Index of a joint by name: O(1) for sets built with add(), a linear search otherwise.
  std::optional<std::size_t> index_of(std::string_view joint) const {
    if (index.size() == joints.size() && !joints.empty()) {
      auto it = index.find(std::string(joint));
      if (it == index.end()) return std::nullopt;
      return it->second;
    }
    auto it = std::find(joints.begin(), joints.end(), joint);
    if (it == joints.end()) return std::nullopt;
    return static_cast<std::size_t>(it - joints.begin());
  }
  /// Number of joints.
  std::size_t size() const noexcept { return joints.size(); }

private:
  void reindex() {
    index.clear();
    for (std::size_t i = 0; i < joints.size(); ++i) index.emplace(joints[i], i);
  }
};

/// Labels of `list` by index, joined: at most `limit` names, then "and N more" (limit 0: all).
inline std::string label_list(const std::vector<std::string>& labels, const std::vector<std::size_t>& list,
                              std::size_t limit = 0) {
  std::string out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (limit && i == limit) return out + " and " + std::to_string(list.size() - limit) + " more";
    out += (i ? ", " : "") + labels[list[i]];
  }
  return out;
}

/// How one destination joint gets its values.
struct joint_source {
  enum class kind {
    same_name,    ///< copied from the source joint of the same name
    renamed,      ///< copied from one differently named source joint (`head = nose`)
    mean,         ///< the mean of several source joints (`neck = mean(a, b)`)
    mean_of_all,  ///< the mean of every source label (`new_token = mean(*)`); `sources` stays empty
    none          ///< no source: `fill` says what its rows get
  };
  kind how = kind::none;
  std::vector<std::size_t> sources;  ///< indices into the source set
  bool acknowledged = false;         ///< none: listed in the map's `keep` or `zero` (meant to have no source)
  fill_kind fill = fill_kind::keep;  ///< none: the destination's values stay, or zeros
};

/// A resolved `map A -> B`: for every joint of B, where it comes from in A.
struct joint_mapping {
  std::string from;                           ///< source set name
  std::string to;                             ///< destination set name
  label_kind from_kind = label_kind::joints;  ///< the source set's word
  label_kind to_kind = label_kind::joints;    ///< the destination set's word
  std::vector<std::string> from_joints;       ///< the source set's joints
  std::vector<std::string> to_joints;         ///< the destination set's joints
  std::vector<joint_source> targets;          ///< one per destination joint
  source_location where;                      ///< the `map` statement (unknown for implicit same-name maps)

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

  /// The source labels destination label `j` takes (every one for mean(*)), in the map's order.
  std::vector<std::size_t> sources_of(std::size_t j) const {
    if (targets[j].how != joint_source::kind::mean_of_all) return targets[j].sources;
    std::vector<std::size_t> all(from_joints.size());
    for (std::size_t a = 0; a < all.size(); ++a) all[a] = a;
    return all;
  }

  /// The source joints that no destination joint takes, in source order.
  std::vector<std::size_t> dropped() const {
    std::vector<bool> used(from_joints.size(), false);
    for (const auto& t : targets) {
      if (t.how == joint_source::kind::mean_of_all) return {};
      for (auto s : t.sources) used[s] = true;
    }
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

  /// "12 of 14 joints; head = nose, neck = mean(left_shoulder, right_shoulder); a, b = mean(*); x kept;
  /// y zeroed": each list cut to `limit` names ("2064 = mean(*): a, b, ... and 2054 more"; 0: all).
  std::string summary(std::size_t limit = 10) const {
    std::string out = std::to_string(covered()) + " of " + std::to_string(targets.size()) + " " + label_word(to_kind);
    std::string synthesized;
    std::size_t shown = 0, more = 0;
    std::vector<std::size_t> of_all, kept, zeroed;
    for (std::size_t j = 0; j < targets.size(); ++j) {
      const auto& t = targets[j];
      std::string item;
      if (t.how == joint_source::kind::renamed) {
        item = to_joints[j] + " = " + from_joints[t.sources[0]];
      } else if (t.how == joint_source::kind::mean) {
        std::string args;
        for (auto s : t.sources) args += (args.empty() ? "" : ", ") + from_joints[s];
        item = to_joints[j] + " = mean(" + args + ")";
      } else if (t.how == joint_source::kind::mean_of_all) {
        of_all.push_back(j);
      } else if (t.how == joint_source::kind::none) {
        (t.fill == fill_kind::zero ? zeroed : kept).push_back(j);
      }
      if (item.empty()) continue;
      if (limit && shown == limit) {
        ++more;
        continue;
      }
      synthesized += (synthesized.empty() ? "" : ", ") + item;
      ++shown;
    }
    if (more) synthesized += " and " + std::to_string(more) + " more";
    if (!synthesized.empty()) out += "; " + synthesized;
    // "a, b = mean(*)", or with more than `limit`: "2064 = mean(*): a, b, ... and 2054 more".
    const auto group = [&](const std::vector<std::size_t>& list, const std::string& what) -> std::string {
      if (list.empty()) return {};
      const std::string names = label_list(to_joints, list, limit);
      return "; " + (limit && list.size() > limit ? std::to_string(list.size()) + " " + what + ": " + names
                                                  : names + " " + what);
    };
    out += group(of_all, "= mean(*)");
    out += group(kept, std::string(row_of(fill_table, fill_kind::keep).done));
    out += group(zeroed, std::string(row_of(fill_table, fill_kind::zero).done));
    return out;
  }
};

/// The Levenshtein distance of `a` and `b` when it is at most `limit`, else `limit + 1`: only the
/// band of cells within `limit` of the diagonal is computed, O(min(|a|, |b|) x limit) time and
/// O(max(|a|, |b|)) memory; nothing at all when the lengths differ by more than `limit`.
inline std::size_t edit_distance_within(std::string_view a, std::string_view b, std::size_t limit) {
  if (a.size() > b.size()) std::swap(a, b);
  const std::size_t over = limit + 1;
  if (b.size() - a.size() > limit) return over;
  std::vector<std::size_t> row(b.size() + 1, over);  // row[j]: distance of a[0..i) and b[0..j), clipped
  for (std::size_t j = 0; j <= b.size() && j <= limit; ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    const std::size_t lo = i > limit ? i - limit : 1, hi = std::min(b.size(), i + limit);
    std::size_t diagonal = row[lo - 1];
    row[lo - 1] = lo == 1 ? std::min(i, over) : over;  // left of the band: farther than `limit`
    std::size_t best = row[lo - 1];
    for (std::size_t j = lo; j <= hi; ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({up + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1), over});
      diagonal = up;
      best = std::min(best, row[j]);
    }
    if (best > limit) return over;  // every path through this row is already too far
  }
  return row[b.size()];
}

/// Levenshtein distance, for "did you mean".
inline std::size_t edit_distance(std::string_view a, std::string_view b) {
  return edit_distance_within(a, b, std::max(a.size(), b.size()));
}

/// The most edit-distance cells one did-you-mean computes (closest_match): about 2^24, tens of
/// milliseconds; candidates beyond it are not compared. Far above what the names of a real model
/// need (2,000 candidates of 60 characters take about 5M).
inline constexpr std::size_t max_suggestion_cells = std::size_t{1} << 24;

/// The closest candidate to `word`, when close enough to be a likely typo (at most a third of its
/// length, and 2, away). Bounded: candidates whose length alone is too far are skipped, each distance
/// stops at the best so far, and no comparison starts that would pass max_suggestion_cells.
template <typename Range>
std::optional<std::string> closest_match(std::string_view word, const Range& candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  std::size_t cells = 0;
  for (const auto& c : candidates) {
    const std::string_view candidate(c);
    const std::size_t limit = best_distance - 1;
    const std::size_t longer = std::max(word.size(), candidate.size());
    if (longer - std::min(word.size(), candidate.size()) > limit) continue;
    const std::size_t work = std::min(word.size(), candidate.size()) * (2 * limit + 1) + longer;
    if (work > max_suggestion_cells - cells) continue;
    cells += work;
    const std::size_t d = edit_distance_within(word, candidate, limit);
    if (d < best_distance) {
      best_distance = d;
      best = std::string(candidate);
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
