#pragma once
// Options shared by the commands that read rules files (check, plan, explain, apply).

#include <graft/plan/plan.hpp>
#include <graft/rules/ruleset.hpp>
#include <graft/tensor_meta.hpp>

#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace graft::rules {
struct load_options;
}

namespace graft::cli {

/// -I DIR..., the folders searched by `use`.
struct rules_options {
  std::vector<std::string> include_dirs;

  rules::load_options load() const;
  void add_to(CLI::App& cmd);
};

/// RULES --from SRC --onto DST [--key K] [--lenient] [--strict-rules] [-I DIR].
struct plan_inputs {
  std::string rules_file, from, onto, from_key, onto_key;
  bool lenient = false, strict_rules = false;
  rules_options rules;

  void add_to(CLI::App& cmd);

  static std::optional<std::string> key(const std::string& k) {
    return k.empty() ? std::nullopt : std::optional<std::string>(k);
  }
  rules::ruleset load_rules() const;
  tensor_set source() const;
  tensor_set destination() const;
  plan_options options() const { return {lenient, strict_rules}; }
};

}  // namespace graft::cli
