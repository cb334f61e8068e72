#pragma once
/// \file
/// The plan's policy checks, run once every tensor has an entry: strictness (unused sources, uncovered
/// destinations), rules that matched nothing, and `expect` lines (the planner's last stage).

#include <graft/plan/detail/pair.hpp>
#include <graft/plan/filters.hpp>
#include <graft/plan/plan.hpp>
#include <graft/plan/route.hpp>
#include <graft/rules/ruleset.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace graft::detail {

/// Strict mode: every unused source and every uncovered destination is an error (a warning when
/// lenient), with a did-you-mean between the two lists.
inline void report_strictness(plan& p, const std::vector<std::size_t>& uncovered) {
  const auto level = p.lenient ? plan_problem::severity::warning : plan_problem::severity::error;
  std::vector<std::string> uncovered_names;
  for (auto d : uncovered) uncovered_names.push_back(p.destination[d].name);
  std::vector<std::string> unused_names;
  for (const auto& e : p.entries)
    if (e.what == category::unused) unused_names.push_back(p.source[*e.source].name);
  const bool suggest = unused_names.size() * uncovered_names.size() <= 4'000'000;
  for (const auto& e : p.entries) {
    if (e.what != category::unused) continue;
    const std::string& name = p.source[*e.source].name;
    const std::string& routed = e.renames.empty() ? name : e.renames.back().after;
    p.problems.push_back({level, "unused source tensor '" + name + "'" +
                                     (routed != name ? " (renamed to '" + routed + "')" : std::string()) +
                                     (suggest ? rules::did_you_mean(routed, uncovered_names) : std::string()) +
                                     (p.lenient ? "" : " (exclude it, or plan with --lenient)")});
  }
  for (auto d : uncovered) {
    const std::string& name = p.destination[d].name;
    p.problems.push_back({level, "destination tensor '" + name + "' " + describe(p.destination[d]) + " gets no source" +
                                     (suggest ? rules::did_you_mean(name, unused_names) : std::string()) +
                                     (p.lenient ? "" : " (keep it, or plan with --lenient)")});
  }
}

/// Every rule that matched nothing is a warning (an error with strict_rules).
inline void report_unused_rules(plan& p, const rules::ruleset& rules, const plan_options& options, const router& names,
                                const filters& lists, const pairer& pairs) {
  const auto level = options.strict_rules ? plan_problem::severity::error : plan_problem::severity::warning;
  auto report = [&](const source_location& where, const std::string& text) {
    p.problems.push_back({level, where.str() + ": " + text + " matches no tensor"});
  };
  for (std::size_t i = 0; i < rules.renames.size(); ++i)  // strip is optional: wrappers vary by checkpoint
    if (!names.hits(i) && rules.renames[i].what == rules::name_rule::kind::rename)
      report(rules.renames[i].where, rules.renames[i].text());
  for (std::size_t i = 0; i < rules.includes.size(); ++i)
    if (!lists.include_hits(i)) report(rules.includes[i].where, "include \"" + rules.includes[i].pat.text() + "\"");
  for (std::size_t i = 0; i < rules.excludes.size(); ++i)
    if (!lists.exclude_hits(i)) report(rules.excludes[i].where, "exclude \"" + rules.excludes[i].pat.text() + "\"");
  for (std::size_t i = 0; i < rules.keeps.size(); ++i) {
    const std::string text = "keep \"" + rules.keeps[i].pat.text() + "\"";
    if (!lists.keep_matches(i)) {
      report(rules.keeps[i].where, text);
    } else if (!lists.keep_hits(i)) {
      p.problems.push_back({level, rules.keeps[i].where.str() + ": " + text +
                                       " matches only tensors that a source fills (keep does not override a "
                                       "source: exclude the source to keep its destination)"});
    }
  }
  for (std::size_t i = 0; i < rules.reshapes.size(); ++i)
    if (!pairs.hits(i)) report(rules.reshapes[i].where, rules.reshapes[i].text());
}

/// Checks every `expect` line against the plan's entries. Destination-side categories (copied, mapped,
/// synthesized, kept, conflict) match destination names. excluded and unused match source tensors by
/// the name `exclude` sees: after the strip and rename rules (wrappers gone). A rename that writes a
/// joint (`<set>` in its template) moves a tensor into the destination's joint numbering, so for a
/// tensor such a rule matched (and for one a rename dropped) the name is the one that rule saw. Every
/// source tensor is checked, paired ones too: `expect excluded` on a tensor that is copied fails.
inline void check_expectations(plan& p, const rules::ruleset& rules) {
  const auto error = [&](std::string message) {
    p.problems.push_back({plan_problem::severity::error, std::move(message)});
  };
  const auto writes_joint = [&](const rename_step& step) {
    for (const auto& r : rules.renames)
      if (r.what == rules::name_rule::kind::rename && r.where.source() == step.where.source() &&
          r.where.offset() == step.where.offset())
        return r.to.writes_joint();
    return false;
  };
  // The source-side name of an entry's source tensor (see above).
  const auto source_name = [&](const plan_entry& e) -> std::string {
    std::string name = p.source[*e.source].name;
    for (const auto& step : e.renames) {
      if (step.after.empty() || writes_joint(step)) return step.before;
      name = step.after;
    }
    return name;
  };
  for (const auto& x : rules.expects) {
    const std::string rule = "expect " + category_name(x.expected) + " \"" + x.pat.text() + "\"";
    std::size_t matched = 0, failed = 0;
    std::string first_failures;
    const bool source_side = x.expected == category::excluded || x.expected == category::unused;
    for (const auto& e : p.entries) {
      std::string name;
      if (source_side) {
        if (!e.source) continue;
        name = source_name(e);
      } else {
        if (!e.destination) continue;
        name = p.destination[*e.destination].name;
      }
      if (!x.pat.match(name)) continue;
      ++matched;
      if (e.what == x.expected) continue;
      if (++failed > 3) continue;
      std::string what = "'" + (source_side ? p.source[*e.source].name : name) + "'";
      if (source_side && name != p.source[*e.source].name) what += " (as '" + name + "')";
      what += " is " + category_name(e.what);
      if (source_side && e.destination && p.destination[*e.destination].name != name)
        what += " into '" + p.destination[*e.destination].name + "'";
      first_failures += (first_failures.empty() ? "" : ", ") + what;
    }
    if (matched && failed) {
      error(x.where.str() + ": " + rule + " failed: " + first_failures +
            (failed > 3 ? " (and " + std::to_string(failed - 3) + " more)" : std::string()));
      continue;
    }
    if (matched) continue;
    if (!source_side) {
      error(x.where.str() + ": " + rule +
            " failed: no destination tensor matches (this category names destination tensors)");
      continue;
    }
    // Nothing matches: say so, and point at a source tensor the pattern matches by its unrouted name.
    std::string hint;
    for (const auto& e : p.entries)
      if (e.source && x.pat.match(p.source[*e.source].name)) {
        hint = "; '" + p.source[*e.source].name +
               "' matches by its name in the source, but this category names "
               "source tensors as exclude sees them, after strip and rename: '" +
               source_name(e) + "'";
        break;
      }
    error(x.where.str() + ": " + rule + " failed: no source tensor matches" +
          (hint.empty() ? " (excluded and unused name source tensors after strip and rename, as exclude sees them)"
                        : hint));
  }
}

}  // namespace graft::detail
