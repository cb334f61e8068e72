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

/// Checks every `expect` line against the plan's entries.
inline void check_expectations(plan& p, const rules::ruleset& rules) {
  const auto error = [&](std::string message) {
    p.problems.push_back({plan_problem::severity::error, std::move(message)});
  };
  for (const auto& x : rules.expects) {
    const std::string rule = "expect " + category_name(x.expected) + " \"" + x.pat.text() + "\"";
    std::size_t matched = 0, failed = 0;
    std::string first_failures;
    // excluded/unused are about source tensors (by their names in the source); every other
    // category is about destination tensors.
    const bool source_side = x.expected == category::excluded || x.expected == category::unused;
    for (const auto& e : p.entries) {
      const bool hit = source_side ? (e.source && !e.destination && x.pat.match(p.source[*e.source].name))
                                   : (e.destination && x.pat.match(p.destination[*e.destination].name));
      if (!hit) continue;
      ++matched;
      if (e.what == x.expected) continue;
      if (++failed <= 3)
        first_failures +=
            (first_failures.empty() ? "" : ", ") +
            ("'" + (source_side ? p.source[*e.source].name : p.name_of(e)) + "' is " + category_name(e.what));
    }
    if (!matched) {
      error(x.where.str() + ": " + rule + " failed: no " + (source_side ? "source-only" : "destination") +
            " tensor matches" +
            (source_side ? " (excluded and unused name source tensors that reach no destination)"
                         : " (this category names destination tensors)"));
    } else if (failed) {
      error(x.where.str() + ": " + rule + " failed: " + first_failures +
            (failed > 3 ? " (and " + std::to_string(failed - 3) + " more)" : std::string()));
    }
  }
}

}  // namespace graft::detail
