#pragma once
/// \file
/// The plan's policy checks, run once every tensor has an entry: strictness (unused sources, uncovered
/// destinations), rules that matched nothing, and `expect` lines (the planner's last stage).

#include <graft/plan/detail/alternatives.hpp>
#include <graft/plan/detail/hints.hpp>
#include <graft/plan/detail/misspelled.hpp>
#include <graft/plan/detail/pair.hpp>
#include <graft/plan/filters.hpp>
#include <graft/plan/plan.hpp>
#include <graft/plan/route.hpp>
#include <graft/rules/ruleset.hpp>

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace graft::detail {

/// Strict mode: every unused source and every uncovered destination is an error (a warning when
/// lenient), with a did-you-mean between the two lists, or the exclude that dropped a destination's
/// same-named source. Each problem names its tensor and a group (the report folds groups).
inline void report_strictness(plan& p, const std::vector<std::size_t>& uncovered) {
  const auto level = p.lenient ? plan_problem::severity::warning : plan_problem::severity::error;
  std::vector<std::string> uncovered_names;
  for (auto d : uncovered) uncovered_names.push_back(p.destination[d].name);
  std::vector<std::string> unused_names;
  std::vector<const plan_entry*> unused;
  std::map<std::string, const plan_entry*> excluded;  // routed name -> its excluded entry
  for (const auto& e : p.entries) {
    if (e.what == category::unused) {
      unused_names.push_back(p.source[*e.source].name);
      unused.push_back(&e);
    }
    if (e.what == category::excluded && e.source)
      excluded.emplace(e.renames.empty() ? p.source[*e.source].name : e.renames.back().after, &e);
  }
  const bool suggest = unused_names.size() * uncovered_names.size() <= 4'000'000;
  suggest_strip(p, level, unused_names, uncovered_names);
  suggest_module_rename(p, unused, uncovered);
  const std::string unused_group =
      std::string("unused source tensors") + (p.lenient ? "" : " (exclude them, or plan with --lenient)");
  for (const auto& e : p.entries) {
    if (e.what != category::unused) continue;
    const std::string& name = p.source[*e.source].name;
    const std::string& routed = e.renames.empty() ? name : e.renames.back().after;
    p.problems.push_back({level,
                          "unused source tensor '" + name + "'" +
                              (routed != name ? " (renamed to '" + routed + "')" : std::string()) +
                              (suggest ? rules::did_you_mean(routed, uncovered_names) : std::string()) +
                              (p.lenient ? "" : " (exclude it, or plan with --lenient)"),
                          plan_problem::subject::tensor, name, unused_group});
  }
  for (auto d : uncovered) {
    const std::string& name = p.destination[d].name;
    const std::string head = "destination tensor '" + name + "' " + describe(p.destination[d]) + " gets no source";
    if (auto it = excluded.find(name); it != excluded.end() && !it->second->note.empty()) {
      const plan_entry& x = *it->second;
      const std::string why = x.note + (x.rule_where.known() ? " (" + x.rule_where.str() + ")" : std::string());
      const std::string advice = p.lenient ? "" : " (keep it, or plan with --lenient)";
      p.problems.push_back(
          {level, head + advice + ": its same-named source is " + why, plan_problem::subject::tensor, name,
           std::string("destination tensors get no source") +
               (p.lenient ? "" : " (keep them, or plan with --lenient)") + ", their same-named sources being " + why});
      continue;
    }
    p.problems.push_back(
        {level,
         head + (suggest ? rules::did_you_mean(name, unused_names) : std::string()) +
             (p.lenient ? "" : " (keep it, or plan with --lenient)"),
         plan_problem::subject::tensor, name,
         std::string("destination tensors get no source") + (p.lenient ? "" : " (keep them, or plan with --lenient)")});
  }
}

/// The include list when it lets no source name through ("include \"a\" (file:line:col)", joined), or "".
inline std::string closed_include_list(const plan& p, const rules::ruleset& rules, const filters& lists) {
  if (rules.includes.empty() || p.source.empty()) return {};
  std::string out;
  for (std::size_t i = 0; i < rules.includes.size(); ++i) {
    if (lists.include_hits(i)) return {};
    out += (out.empty() ? "" : ", ") +
           ("include \"" + rules.includes[i].pat.text() + "\" (" + rules.includes[i].where.str() + ")");
  }
  return out + (rules.includes.size() == 1 ? " lets" : " let") + " no tensor through";
}

/// A reshape rule that matched no pair: "matches no tensor", or, when it names destination tensors that
/// no source reaches, says so (the rule is right; the names upstream are not).
inline void report_unreached_reshape(plan& p, plan_problem::severity level, const rules::reshape_rule& r) {
  std::vector<std::string> names;
  for (const auto& t : p.destination)
    if (r.pat.match(t.name)) names.push_back(t.name);
  if (names.empty()) {
    p.problems.push_back(plan_problem::at_rule(level, r.where, r.text() + " matches no tensor"));
    return;
  }
  std::string listed;
  for (std::size_t k = 0; k < names.size() && k < 3; ++k) listed += (k ? ", '" : "'") + names[k] + "'";
  if (names.size() > 3) listed += " and " + std::to_string(names.size() - 3) + " more";
  p.problems.push_back(
      plan_problem::at_rule(level, r.where,
                            r.text() + " matches destination tensor" + (names.size() == 1 ? " " : "s ") + listed +
                                " but no source tensor reaches " + (names.size() == 1 ? "it" : "them") +
                                " (see the problems about those tensors)"));
}

/// Every rule that matched nothing is a warning (an error with strict_rules), and so is every `{a,b}`
/// alternative of a rule that no match took.
inline void report_unused_rules(plan& p, const rules::ruleset& rules, const plan_options& options, const router& names,
                                const filters& lists, const pairer& pairs) {
  const auto level = options.strict_rules ? plan_problem::severity::error : plan_problem::severity::warning;
  // The names each kind of rule sees, for did-you-mean on its alternatives (built only when asked).
  const auto destination_names = [&] {
    std::vector<std::string> out;
    for (const auto& t : p.destination) out.push_back(t.name);
    return out;
  };
  const auto routed_names = [&] {
    std::vector<std::string> out;
    for (const auto& e : p.entries)
      if (e.source) out.push_back(p.rules_name(e));
    return out;
  };
  const auto every_source_name = [&] {  // each name a source tensor bore on its way through strip/rename
    std::vector<std::string> out;
    for (const auto& e : p.entries) {
      if (!e.source) continue;
      out.push_back(p.source[*e.source].name);
      for (const auto& step : e.renames)
        if (!step.after.empty()) out.push_back(step.after);
    }
    return out;
  };
  auto report = [&](const source_location& where, const std::string& text) {
    p.problems.push_back(plan_problem::at_rule(level, where, text + " matches no tensor"));
  };
  for (std::size_t i = 0; i < rules.renames.size(); ++i) {  // strip is optional: wrappers vary by checkpoint
    const rules::name_rule& r = rules.renames[i];
    if (r.what != rules::name_rule::kind::rename) continue;
    if (!names.hits(i))
      report(r.where, r.text());
    else
      report_unused_alternatives(p, level, r.text(), r.where, r.from, names.alternatives(), i, every_source_name,
                                 rename_evidence(p, r.where));
  }
  const auto patterns = [&](const std::vector<rules::located_pattern>& list, const char* word, auto hits,
                            const alternative_hits& alternatives, auto evidence) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string text = std::string(word) + " \"" + list[i].pat.text() + "\"";
      const std::string shadowed = word == std::string("include") ? shadowing_exclude(p, list[i].pat) : "";
      if (!hits(i) && !shadowed.empty())  // include and exclude contradict each other: the plan is not what was meant
        p.problems.push_back(plan_problem::at_rule(plan_problem::severity::error, list[i].where,
                                                   text + " lets no tensor through" + shadowed));
      else if (!hits(i))
        report(list[i].where, text);
      else
        report_unused_alternatives(p, level, text, list[i].where, list[i].pat, alternatives, i, routed_names,
                                   evidence(list[i]));
    }
  };
  if (closed_include_list(p, rules, lists).empty())  // else check_moves_something names the whole list
    patterns(
        rules.includes, "include", [&](std::size_t i) { return lists.include_hits(i); }, lists.include_alternatives(),
        [&](const rules::located_pattern& x) { return include_evidence(p, x.pat); });
  patterns(
      rules.excludes, "exclude", [&](std::size_t i) { return lists.exclude_hits(i); }, lists.exclude_alternatives(),
      [&](const rules::located_pattern& x) { return exclude_evidence(p, x.where); });
  for (std::size_t i = 0; i < rules.keeps.size(); ++i) {
    const std::string text = "keep \"" + rules.keeps[i].pat.text() + "\"";
    if (!lists.keep_matches(i)) {
      report(rules.keeps[i].where, text);
    } else if (!lists.keep_hits(i)) {
      // A keep of named tensors that sources fill: they are overwritten, not kept (an error); `keep "**"`,
      // the acknowledgement of whatever is left, only warns.
      const bool named = rules.keeps[i].pat.text() != "**";
      std::string filled;
      for (const auto& e : p.entries)
        if (named && filled.empty() && e.destination && e.what != category::kept &&
            rules.keeps[i].pat.match(p.destination[*e.destination].name))
          filled = ": '" + p.destination[*e.destination].name + "' is " + category_name(e.what) +
                   (e.source ? " from source '" + p.source[*e.source].name + "'" : std::string()) + ", not kept";
      p.problems.push_back(plan_problem::at_rule(named ? plan_problem::severity::error : level, rules.keeps[i].where,
                                                 text + " matches only tensors that a source fills" + filled +
                                                     " (keep does not override a source: exclude the source to "
                                                     "keep its destination)"));
    }
    if (lists.keep_matches(i))
      report_unused_alternatives(p, level, text, rules.keeps[i].where, rules.keeps[i].pat, lists.keep_alternatives(), i,
                                 destination_names);
  }
  for (std::size_t i = 0; i < rules.reshapes.size(); ++i) {
    const rules::reshape_rule& r = rules.reshapes[i];
    if (!pairs.hits(i))
      report_unreached_reshape(p, level, r);
    else
      report_unused_alternatives(p, level, r.text(), r.where, r.pat, pairs.alternatives(), i, destination_names,
                                 reshape_evidence(p, r.where));
  }
}

/// A plan that copies, maps and synthesizes nothing is an error (lenient plans, whose unused sources and
/// uncovered destinations are already warnings, only when the include list is the cause), and so is an
/// include list that lets no source name through; both name their cause first. True when the problem it
/// added is a summary of other findings (no include list is the cause), which the planner ranks after them.
inline bool check_moves_something(plan& p, const rules::ruleset& rules, const filters& lists) {
  const std::string closed = closed_include_list(p, rules, lists);
  const std::size_t moved = p.count(category::copied) + p.count(category::mapped) + p.count(category::synthesized);
  if (moved || p.entries.empty()) {
    if (!closed.empty())
      p.problems.push_back({plan_problem::severity::error,
                            closed + " (no source name matches the include list, so every source is excluded)",
                            plan_problem::subject::rule});
    return false;
  }
  std::string cause = closed;
  if (cause.empty() && p.source.empty()) cause = "the source has no tensors";
  if (cause.empty() && p.destination.empty()) cause = "the destination has no tensors";
  if (cause.empty()) {
    cause = "of " + std::to_string(p.source.size()) + " source tensors";
    for (category c : {category::excluded, category::unused, category::conflict})
      if (const std::size_t n = p.count(c)) cause += ", " + std::to_string(n) + " are " + category_name(c);
    cause += "; no source tensor lands on a destination tensor";
  }
  if (p.lenient && closed.empty()) return false;
  p.problems.push_back({plan_problem::severity::error, "nothing is copied, mapped or synthesized: " + cause,
                        plan_problem::subject::plan});
  return closed.empty();
}

/// Checks every `expect` line against the plan's entries. Destination-side categories (copied, mapped,
/// synthesized, kept, conflict) match destination names. excluded and unused match source tensors by
/// the name `exclude` sees: after the strip and rename rules (wrappers gone). A rename that writes a
/// joint (`<set>` in its template) moves a tensor into the destination's joint numbering, so for a
/// tensor such a rule matched (and for one a rename dropped) the name is the one that rule saw. Every
/// source tensor is checked, paired ones too: `expect excluded` on a tensor that is copied fails.
inline void check_expectations(plan& p, const rules::ruleset& rules, const plan_options& options) {
  const auto error = [&](const source_location& at, const std::string& text) {
    p.problems.push_back(plan_problem::at_rule(plan_problem::severity::error, at, text));
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
  alternative_hits alternatives(rules.expects.size(),
                                [&](std::size_t i) -> const rules::pattern& { return rules.expects[i].pat; });
  for (std::size_t i = 0; i < rules.expects.size(); ++i) {
    const rules::expectation& x = rules.expects[i];
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
      alternatives.note(i, x.pat, name);
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
      error(x.where, rule + " failed: " + first_failures +
                         (failed > 3 ? " (and " + std::to_string(failed - 3) + " more)" : std::string()));
      continue;
    }
    if (matched) {
      const expect_names names{p, x.expected, source_side, source_name};
      report_unused_alternatives(p,
                                 options.strict_rules ? plan_problem::severity::error : plan_problem::severity::warning,
                                 rule, x.where, x.pat, alternatives, i, names.seen(), names.evidence());
      continue;
    }
    if (!source_side) {
      const std::string renamed = renamed_away(p, x.pat);
      error(x.where, rule + " failed: no destination tensor matches" +
                         (renamed.empty() ? " (this category names destination tensors)" : renamed));
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
    error(x.where,
          rule + " failed: no source tensor matches" +
              (hint.empty() ? " (excluded and unused name source tensors after strip and rename, as exclude sees them)"
                            : hint));
  }
}

}  // namespace graft::detail
