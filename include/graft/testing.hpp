#pragma once
/// \file
/// Catch2 helpers for unit-testing transfer policies in your own test suite:
///
///     auto plan = graft::make_plan(rules, source, destination);
///     CHECK_THAT(plan, graft::testing::is_ok());
///     CHECK_THAT(plan, graft::testing::all_are("final_layers.**", graft::category::mapped));
///     CHECK_THAT(plan, graft::testing::carries_joints("final_layers.1.weight", {"left_shoulder", "right_ankle"}));
///     CHECK_THAT(plan, graft::testing::takes_labels("final_layers.1.weight", 0, {{"head", {}}, {"neck", {}}}));
///     CHECK_THAT(plan, graft::testing::no_unused_sources());
///
/// Works with Catch2 v3 and v2, and includes Catch2's test macros and matchers itself: v3's headers
/// (catch_test_macros, catch_tostring, matchers/catch_matchers) where <catch2/catch_test_macros.hpp>
/// is on the include path, else v2's single header <catch2/catch.hpp>. A translation unit that has
/// already included Catch2 gets the version it included (CATCH_VERSION_MAJOR). Torch-free.

#include <graft/plan/labels.hpp>
#include <graft/plan/plan.hpp>
#include <graft/rules/pattern.hpp>

#if defined(CATCH_VERSION_MAJOR)
#if CATCH_VERSION_MAJOR >= 3
#define GRAFT_TESTING_CATCH_V3 1
#else
#define GRAFT_TESTING_CATCH_V3 0
#endif
#elif __has_include(<catch2/catch_test_macros.hpp>)
#define GRAFT_TESTING_CATCH_V3 1
#else
#define GRAFT_TESTING_CATCH_V3 0
#endif

#if GRAFT_TESTING_CATCH_V3
#include <catch2/catch_test_macros.hpp>
#include <catch2/catch_tostring.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#else
#include <catch2/catch.hpp>
#endif

#include <algorithm>
#include <string>
#include <vector>

namespace graft::testing {

namespace detail {
/// Catch2's base class of matchers of T (Catch::MatcherBase in v2, Catch::Matchers::MatcherBase in v3).
#if GRAFT_TESTING_CATCH_V3
template <typename T>
using matcher_base = Catch::Matchers::MatcherBase<T>;
#else
template <typename T>
using matcher_base = Catch::MatcherBase<T>;
#endif
}  // namespace detail

/// For one destination tensor: each joint segment's destination joints and the source joints
/// feeding them (empty = kept), as "segment:joint" → sources.
struct joint_feed {
  std::string destination_joint;     ///< a joint of the destination set
  std::vector<std::string> sources;  ///< source joints feeding it (one: copied, several: mean, none: kept)
  std::int64_t dim = 0;              ///< the dimension
  std::size_t segment = 0;           ///< which joint segment of that dimension (0, 1, ...)
};

/// The joint feeds of a mapped destination tensor (empty for tensors without joint layouts).
inline std::vector<joint_feed> joint_feeds(const plan& p, const std::string& destination) {
  std::vector<joint_feed> out;
  const plan_entry* e = p.for_destination(destination);
  if (!e) return out;
  for (const auto& sel : e->selections) {
    for (std::size_t i = 0; i < sel.joint_spans.size(); ++i) {
      const auto& map = *sel.joint_spans[i].map;
      for (std::size_t j = 0; j < map.to_joints.size(); ++j) {
        joint_feed f{map.to_joints[j], {}, sel.dim, i};
        for (auto s : map.targets[j].sources) f.sources.push_back(map.from_joints[s]);
        out.push_back(std::move(f));
      }
    }
  }
  return out;
}

/// Matches a plan without errors; describes the errors otherwise.
class is_ok_matcher : public detail::matcher_base<plan> {
public:
  bool match(const plan& p) const override { return p.ok(); }
  std::string describe() const override { return "has no errors"; }
};

/// The plan has no errors.
inline is_ok_matcher is_ok() { return {}; }

/// Matches when every tensor named by `pattern` is in `expected` (and at least one is).
class category_matcher : public detail::matcher_base<plan> {
public:
  category_matcher(std::string pattern, category expected) : text_(std::move(pattern)), expected_(expected) {
    pattern_ = rules::pattern::compile(text_);
  }
  bool match(const plan& p) const override {
    const bool source_side = expected_ == category::excluded || expected_ == category::unused;
    failures_.clear();
    std::size_t matched = 0;
    for (const auto& e : p.entries) {
      const std::string* name = nullptr;
      if (source_side && e.source && !e.destination) name = &p.source[*e.source].name;
      if (!source_side && e.destination) name = &p.destination[*e.destination].name;
      if (!name || !pattern_.match(*name)) continue;
      ++matched;
      if (e.what != expected_) failures_ += "\n  '" + *name + "' is " + category_name(e.what);
    }
    if (!matched) failures_ = "\n  no tensor matches";
    return failures_.empty();
  }
  std::string describe() const override {
    return "has every \"" + text_ + "\" " + category_name(expected_) + failures_;
  }

private:
  std::string text_;
  rules::pattern pattern_;
  category expected_;
  mutable std::string failures_;
};

/// Every tensor matching `pattern` is in `expected` (destination names; source names for excluded/unused).
inline category_matcher all_are(std::string pattern, category expected) {
  return category_matcher(std::move(pattern), expected);
}
/// Every destination tensor matching `pattern` is copied.
inline category_matcher copies(std::string pattern) { return all_are(std::move(pattern), category::copied); }
/// Every destination tensor matching `pattern` is mapped.
inline category_matcher maps(std::string pattern) { return all_are(std::move(pattern), category::mapped); }
/// Every destination tensor matching `pattern` is kept.
inline category_matcher keeps(std::string pattern) { return all_are(std::move(pattern), category::kept); }
/// Every destination tensor matching `pattern` is synthesized.
inline category_matcher synthesizes(std::string pattern) { return all_are(std::move(pattern), category::synthesized); }
/// Every source tensor matching `pattern` is excluded.
inline category_matcher excludes(std::string pattern) { return all_are(std::move(pattern), category::excluded); }

/// Matches when, in every joint segment of `tensor`, each listed destination joint gets values from
/// the source (copied or synthesized), and — with `only` — no other joint does.
class joints_matcher : public detail::matcher_base<plan> {
public:
  joints_matcher(std::string tensor, std::vector<std::string> joints, bool only)
      : tensor_(std::move(tensor)), joints_(std::move(joints)), only_(only) {}
  bool match(const plan& p) const override {
    problems_.clear();
    const auto feeds = joint_feeds(p, tensor_);
    if (feeds.empty()) {
      problems_ = "\n  '" + tensor_ + "' has no joint layout";
      return false;
    }
    for (const auto& f : feeds) {
      const bool listed = std::find(joints_.begin(), joints_.end(), f.destination_joint) != joints_.end();
      if (listed && f.sources.empty())
        problems_ += "\n  " + f.destination_joint + " (dim " + std::to_string(f.dim) + ", segment " +
                     std::to_string(f.segment) + ") gets no source values";
      if (only_ && !listed && !f.sources.empty())
        problems_ += "\n  " + f.destination_joint + " also gets source values";
    }
    for (const auto& j : joints_)
      if (std::none_of(feeds.begin(), feeds.end(), [&](const joint_feed& f) { return f.destination_joint == j; }))
        problems_ += "\n  " + j + " is not a destination joint of '" + tensor_ + "'";
    return problems_.empty();
  }
  std::string describe() const override {
    std::string list;
    for (const auto& j : joints_) list += (list.empty() ? "" : ", ") + j;
    return std::string(only_ ? "carries exactly" : "carries") + " joints {" + list + "} in '" + tensor_ + "'" +
           problems_;
  }

private:
  std::string tensor_;
  std::vector<std::string> joints_;
  bool only_;
  mutable std::string problems_;
};

/// Each listed destination joint of `tensor` gets values from the source, in every joint segment.
inline joints_matcher carries_joints(std::string tensor, std::vector<std::string> joints) {
  return joints_matcher(std::move(tensor), std::move(joints), false);
}
/// As carries_joints, and every other joint keeps the destination's values.
inline joints_matcher carries_only_joints(std::string tensor, std::vector<std::string> joints) {
  return joints_matcher(std::move(tensor), std::move(joints), true);
}

/// What a destination label's rows should take: source labels (one: a copy, several: their mean, none:
/// kept).
struct label_origin {
  std::string label;                 ///< a destination label
  std::vector<std::string> sources;  ///< the source labels its rows take
};

/// Matches when, in every joint segment of dimension `dim` of `tensor`, each destination label's rows
/// take what `origins` says, and each label not listed takes its source namesake (none: kept). Reads
/// the plan's row lists, as `expect labels` does.
class labels_matcher : public detail::matcher_base<plan> {
public:
  labels_matcher(std::string tensor, std::int64_t dim, std::vector<label_origin> origins)
      : tensor_(std::move(tensor)), dim_(dim), origins_(std::move(origins)) {}
  bool match(const plan& p) const override {
    problems_.clear();
    const plan_entry* e = p.for_destination(tensor_);
    const rules::dim_selection* sel = e ? selection_on(*e, dim_) : nullptr;
    if (!sel || sel->joint_spans.empty()) {
      problems_ = "\n  '" + tensor_ + "' has no joint layout on dim " + std::to_string(dim_);
      return false;
    }
    rules::joint_mapping expected;  // the one being compared, kept alive for label_mismatches
    const auto expected_of = [&](const rules::joint_span& span) -> const rules::joint_mapping& {
      return expected = expected_for(*span.map);
    };
    for (const auto& m : label_mismatches(*sel, expected_of)) problems_ += "\n  " + m;
    return problems_.empty();
  }
  std::string describe() const override {
    return "takes the stated labels in dim " + std::to_string(dim_) + " of '" + tensor_ + "'" + problems_;
  }

private:
  /// The map `actual` should be: namesakes, with the listed origins in their place.
  rules::joint_mapping expected_for(const rules::joint_mapping& actual) const {
    rules::joint_mapping want = actual;
    const auto index = [](const std::vector<std::string>& list, const std::string& name) {
      return static_cast<std::size_t>(std::find(list.begin(), list.end(), name) - list.begin());
    };
    for (std::size_t j = 0; j < want.to_joints.size(); ++j) {
      const std::size_t same = index(want.from_joints, want.to_joints[j]);
      want.targets[j].sources.clear();
      if (same < want.from_joints.size()) want.targets[j].sources.push_back(same);
    }
    for (const auto& o : origins_) {
      const std::size_t j = index(want.to_joints, o.label);
      if (j == want.to_joints.size()) {
        problems_ += "\n  '" + o.label + "' is not a label of " + want.to;
        continue;
      }
      want.targets[j].sources.clear();
      for (const auto& s : o.sources) {
        const std::size_t from = index(want.from_joints, s);
        if (from == want.from_joints.size())
          problems_ += "\n  '" + s + "' is not a label of " + want.from;
        else
          want.targets[j].sources.push_back(from);
      }
    }
    return want;
  }

  std::string tensor_;
  std::int64_t dim_;
  std::vector<label_origin> origins_;
  mutable std::string problems_;
};

/// Dimension `dim` of `tensor` takes each listed label from the listed source labels (none: kept),
/// and every other label from its source namesake.
inline labels_matcher takes_labels(std::string tensor, std::int64_t dim, std::vector<label_origin> origins) {
  return labels_matcher(std::move(tensor), dim, std::move(origins));
}

/// Matches when no source tensor is unused (every one is used or deliberately excluded).
class no_unused_matcher : public detail::matcher_base<plan> {
public:
  bool match(const plan& p) const override {
    names_.clear();
    for (const auto& e : p.entries)
      if (e.what == category::unused) names_ += "\n  " + p.source[*e.source].name;
    return names_.empty();
  }
  std::string describe() const override { return "has no unused source tensor" + names_; }

private:
  mutable std::string names_;
};

/// No source tensor is unused.
inline no_unused_matcher no_unused_sources() { return {}; }

}  // namespace graft::testing

namespace Catch {
/// Shows a plan in Catch's messages by its totals instead of "{?}".
template <>
struct StringMaker<graft::plan> {
  static std::string convert(const graft::plan& p) {
    std::string out = "plan (";
    for (const graft::category_row& c : graft::category_table)
      if (p.count(c.value)) out += std::to_string(p.count(c.value)) + " " + std::string(c.word) + ", ";
    return out + (p.ok() ? "ok)" : "FAILED)");
  }
};
}  // namespace Catch
