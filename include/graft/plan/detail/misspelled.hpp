#pragma once
/// \file
/// Misspelled `{a,b}` alternatives (internal): for an alternative no match took, the text a wildcard in
/// its group's place captures in the names the rule sees, closest to it ("did you mean"), and what
/// happened to the tensors with that text. When one of them escaped the rule (`fc.weight` copied
/// unchanged while `fc.bias` is reordered), the plan is wrong: the warning becomes an error.

#include <graft/plan/detail/alternatives.hpp>
#include <graft/plan/plan.hpp>
#include <graft/rules/joints.hpp>
#include <graft/rules/pattern.hpp>
#include <graft/source.hpp>

#include <algorithm>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace graft::detail {

/// A likely meant text for an alternative: what a wildcard in its group's place captures, closest to it.
struct alternative_guess {
  std::string text;                ///< the captured text closest to the alternative
  std::vector<std::string> names;  ///< the names in which the wildcard captured it
};

/// The guess for alternative `k` of `pat` among `names` (the names the rule is matched against), when a
/// captured text is close enough to be a typo of it. None for numbers (`{2,3}` next to `4` is no typo).
inline std::optional<alternative_guess> guess_alternative(const rules::pattern& pat, std::size_t k,
                                                          const std::vector<std::string>& names) {
  const auto& alternatives = pat.alternatives();
  const std::string& word = alternatives.at(k).text;
  if (word.empty() || std::all_of(word.begin(), word.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  const std::string& text = pat.text();
  const std::size_t open = text.rfind('{', alternatives[k].offset);
  const std::size_t close = text.find('}', alternatives[k].offset);
  if (open == std::string::npos || close == std::string::npos) return std::nullopt;
  std::set<std::string> group;  // the alternatives of k's group: names capturing one of them are matches
  bool dotted = false;
  for (const auto& a : alternatives)
    if (a.offset > open && a.offset <= close) {
      group.insert(a.text);
      dotted = dotted || a.text.find('.') != std::string::npos;
    }
  rules::pattern wide;
  std::size_t slot = 0;
  try {
    wide = rules::pattern::compile(text.substr(0, open) + (dotted ? "**" : "*") + text.substr(close + 1));
    slot = rules::pattern::compile(text.substr(0, open) + "*").capture_count() - 1;
  } catch (const rules::pattern_syntax_error&) {  // `a.**{x,y}`: no wildcard fits in its place
    return std::nullopt;
  }
  std::map<std::string, std::vector<std::string>> captured;
  std::vector<rules::capture> caps;
  for (const auto& n : names) {
    if (!wide.match(n, &caps) || slot >= caps.size() || group.count(caps[slot].text)) continue;
    auto& list = captured[caps[slot].text];
    if (std::find(list.begin(), list.end(), n) == list.end()) list.push_back(n);
  }
  std::vector<std::string> texts;
  for (const auto& [t, list] : captured) texts.push_back(t);
  const auto best = rules::closest_match(word, texts);
  if (!best) return std::nullopt;
  return alternative_guess{*best, captured[*best]};
}

/// What happened to a name a misspelled alternative likely meant, when that shows a wrong result
/// ("'fc.weight' is copied unchanged while 'fc.bias' is reordered by this rule"), else "".
using alternative_evidence = std::function<std::string(const std::string& name)>;

/// A warning (an error with `level` error) for each `{a,b}` alternative of `pat` (in `rule`, written at
/// `where`) that no match took, with a did-you-mean from `names()` (the names the rule sees); an error
/// whatever `level` when `evidence` shows a tensor with the meant name escaped the rule.
inline void report_unused_alternatives(plan& p, plan_problem::severity level, const std::string& rule,
                                       const source_location& where, const rules::pattern& pat,
                                       const alternative_hits& hits, std::size_t i,
                                       const std::function<std::vector<std::string>()>& names = {},
                                       const alternative_evidence& evidence = {}) {
  const std::vector<std::size_t> unused = hits.unused(i);
  if (unused.empty()) return;
  const std::vector<std::string> seen = names ? names() : std::vector<std::string>{};
  for (std::size_t k : unused) {
    const auto& alt = pat.alternatives()[k];
    std::string why = "every match takes another alternative";
    auto severity = level;
    if (const auto guess = guess_alternative(pat, k, seen)) {
      why = "did you mean \"" + guess->text + "\"?";
      for (const auto& n : guess->names) {
        const std::string shown = evidence ? evidence(n) : std::string();
        if (shown.empty()) continue;
        why += " " + shown;
        severity = plan_problem::severity::error;
        break;
      }
    }
    p.problems.push_back(
        plan_problem::at_rule(severity, inside_string(where, alt.offset),
                              "alternative \"" + alt.text + "\" of " + rule + " matches no tensor (" + why + ")"));
  }
}

/// True when two locations are the same place (a rule and the entries it decided).
inline bool same_place(const source_location& a, const source_location& b) {
  return a.known() && a.source() == b.source() && a.offset() == b.offset();
}

/// Whether a mapped entry moves elements (a layout that is not the identity, a permute or transpose):
/// a rule that only views or squeezes gives what a copy gives.
inline bool moves_elements(const plan_entry& e) {
  for (const auto& sel : e.selections)
    if (!sel.is_identity()) return true;
  for (const auto& step : e.steps)
    if (step.what == shape_op_kind::permute || step.what == shape_op_kind::transpose) return true;
  return false;
}

/// "'x' is reordered by this rule" for the first entry `decided` by the rule at `where`, or "".
inline std::string handled_example(const plan& p, const source_location& where, const char* verb) {
  for (const auto& e : p.entries) {
    if (!same_place(e.rule_where, where) || (!*verb && !moves_elements(e))) continue;
    std::string how = verb;
    if (how.empty()) {
      how = "mapped";
      for (const auto& sel : e.selections)
        if (reorders(sel)) how = "reordered";
    }
    return " while '" + (e.what == category::excluded ? p.rules_name(e) : p.name_of(e)) + "' is " + how +
           " by this rule";
  }
  return {};
}

/// Whether an entry moves data into a destination (copied, mapped or synthesized).
inline bool lands(const plan_entry& e) {
  return e.destination && (e.what == category::copied || e.what == category::mapped || e.what == category::synthesized);
}

/// Evidence for a reshape rule: the meant destination tensor is copied unchanged while the rule moves
/// the elements of the tensors it matched.
inline alternative_evidence reshape_evidence(const plan& p, const source_location& where) {
  return [&p, where](const std::string& name) -> std::string {
    const plan_entry* e = p.for_destination(name);
    if (!e || (e->what != category::copied && e->what != category::synthesized)) return {};
    const bool moves = std::any_of(p.entries.begin(), p.entries.end(), [&](const plan_entry& f) {
      return f.what == category::mapped && same_place(f.rule_where, where) && moves_elements(f);
    });
    if (!moves) return {};
    return "'" + name + "' is copied unchanged" + handled_example(p, where, "");
  };
}

/// Evidence for an exclude: the meant source tensor (by the name exclude sees) lands on a destination.
inline alternative_evidence exclude_evidence(const plan& p, const source_location& where) {
  return [&p, where](const std::string& name) -> std::string {
    for (const auto& e : p.entries) {
      if (!e.source || !lands(e) || p.rules_name(e) != name) continue;
      std::string what = "'" + p.source[*e.source].name + "' is " + category_name(e.what);
      if (p.destination[*e.destination].name != p.source[*e.source].name)
        what += " into '" + p.destination[*e.destination].name + "'";
      return what + handled_example(p, where, "excluded");
    }
    return {};
  };
}

/// Evidence for an include: the meant source tensor is excluded for matching no include pattern.
inline alternative_evidence include_evidence(const plan& p, const rules::pattern& pat) {
  return [&p, &pat](const std::string& name) -> std::string {
    for (const auto& e : p.entries) {
      if (!e.source || e.what != category::excluded || e.note != "matches no include pattern" ||
          p.rules_name(e) != name)
        continue;
      std::string example;
      for (const auto& f : p.entries)
        if (f.source && f.what != category::excluded && pat.match(p.rules_name(f))) {
          example = " while '" + p.rules_name(f) + "' is let through by this rule";
          break;
        }
      return "'" + p.source[*e.source].name + "' is excluded (it matches no include pattern)" + example;
    }
    return {};
  };
}

/// Evidence for a rename: a source tensor that bore the meant name lands without this rule renaming it.
inline alternative_evidence rename_evidence(const plan& p, const source_location& where) {
  return [&p, where](const std::string& name) -> std::string {
    const auto by_rule = [&](const plan_entry& e) {
      return std::any_of(e.renames.begin(), e.renames.end(),
                         [&](const rename_step& s) { return same_place(s.where, where); });
    };
    for (const auto& e : p.entries) {
      if (!e.source || !lands(e) || by_rule(e)) continue;
      bool bore = p.source[*e.source].name == name;
      for (const auto& s : e.renames) bore = bore || s.after == name;
      if (!bore) continue;
      std::string example;
      for (const auto& f : p.entries)
        for (const auto& s : f.renames)
          if (example.empty() && same_place(s.where, where))
            example = " while '" + s.before + "' is renamed to '" + s.after + "' by this rule";
      return "'" + p.source[*e.source].name + "' is " + category_name(e.what) + " into '" +
             p.destination[*e.destination].name + "' without this rename" + example;
    }
    return {};
  };
}

/// The names an `expect` line sees and its evidence: a tensor with the meant name in another category.
struct expect_names {
  const plan& p;
  category expected;
  bool source_side;                                           ///< excluded/unused: source tensors
  std::function<std::string(const plan_entry&)> source_name;  ///< a source tensor's name as expect sees it

  /// Whether `e` is the tensor named `name` on this expectation's side.
  bool names(const plan_entry& e, const std::string& name) const {
    return source_side ? e.source && source_name(e) == name
                       : e.destination && p.destination[*e.destination].name == name;
  }
  /// The names the expectation is matched against.
  std::function<std::vector<std::string>()> seen() const {
    return [this] {
      std::vector<std::string> out;
      for (const auto& e : p.entries) {
        if (source_side && e.source) out.push_back(source_name(e));
        if (!source_side && e.destination) out.push_back(p.destination[*e.destination].name);
      }
      return out;
    };
  }
  /// "'fc.bias' is kept, not copied, and this expectation does not check it", or "".
  alternative_evidence evidence() const {
    return [this](const std::string& name) -> std::string {
      for (const auto& e : p.entries)
        if (names(e, name) && e.what != expected)
          return "'" + name + "' is " + category_name(e.what) + ", not " + category_name(expected) +
                 ", and this expectation does not check it";
      return {};
    };
  }
};

}  // namespace graft::detail
