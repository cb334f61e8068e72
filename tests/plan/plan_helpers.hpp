#pragma once
// Shared helpers for planner tests.

#include <graft/io/manifest.hpp>
#include <graft/plan/planner.hpp>
#include <graft/rules/load.hpp>

#include <filesystem>
#include <string>

namespace test {

inline graft::tensor_set manifest(const std::string& name) {
  return graft::io::read_manifest(std::filesystem::path(GRAFT_TEST_DATA_DIR) / "manifests" / (name + ".tsv"));
}

inline graft::rules::ruleset shipped(const std::string& rel) {
  graft::rules::load_options o;
  o.use_installed_rules = false;
  return graft::rules::load_rules(std::filesystem::path(GRAFT_RULES_DIR) / rel, o);
}

inline graft::rules::ruleset rules_text(const std::string& text) {
  graft::rules::load_options o;
  o.use_installed_rules = false;
  o.include_dirs.emplace_back(GRAFT_RULES_DIR);
  return graft::rules::load_rules_text("test.graft", text, o);
}

inline graft::tensor_meta t(std::string name, graft::shape_t shape, graft::dtype type = graft::dtype::float32) {
  return {std::move(name), type, std::move(shape), graft::tensor_role::param};
}

/// All problems, one per line (for failure messages).
inline std::string problems(const graft::plan& p) {
  std::string out;
  for (const auto& x : p.problems) out += x.message + "\n";
  return out;
}

/// True when the plan has a problem of `level` whose message contains `text`.
inline bool has_problem(const graft::plan& p, graft::plan_problem::severity level, const std::string& text) {
  for (const auto& x : p.problems)
    if (x.level == level && x.message.find(text) != std::string::npos) return true;
  return false;
}
inline constexpr auto error = graft::plan_problem::severity::error;
inline constexpr auto warning = graft::plan_problem::severity::warning;

}  // namespace test
