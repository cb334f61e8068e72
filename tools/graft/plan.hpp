#pragma once
// `graft plan` and `graft explain`: compile rules against a source and a destination.

#include "check.hpp"

#include <graft/io/shapes.hpp>
#include <graft/plan/explain.hpp>
#include <graft/plan/json.hpp>
#include <graft/plan/planner.hpp>
#include <graft/plan/report.hpp>

#include <CLI/CLI.hpp>

#include <iostream>
#include <optional>
#include <string>

namespace graft::cli {

/// RULES --from SRC --onto DST [--key K] [--lenient] [--strict-rules] [-I DIR].
struct plan_inputs {
  std::string rules_file, from, onto, from_key, onto_key;
  bool lenient = false, strict_rules = false;
  rules_options rules;

  void add_to(CLI::App& cmd) {
    cmd.add_option("RULES", rules_file, "Rules file (*.graft)")->required();
    cmd.add_option("--from", from, "Source: a checkpoint (.pth, .pt, .safetensors) or a manifest (.tsv)")
        ->required()
        ->type_name("SRC");
    cmd.add_option("--onto", onto, "Destination: a checkpoint or manifest of the model to fill")
        ->required()
        ->type_name("DST");
    cmd.add_option("--key", from_key, "Entry of the source checkpoint that holds the state dict")->type_name("K");
    cmd.add_option("--onto-key", onto_key, "Entry of the destination checkpoint that holds the state dict")
        ->type_name("K");
    cmd.add_flag("--lenient", lenient, "Unused sources and uncovered destinations are warnings, not errors");
    cmd.add_flag("--strict-rules", strict_rules, "A rule that matches nothing is an error, not a warning");
    rules.add_to(cmd);
  }

  static std::optional<std::string> key(const std::string& k) {
    return k.empty() ? std::nullopt : std::optional<std::string>(k);
  }
  rules::ruleset load_rules() const { return rules::load_rules(rules_file, rules.load()); }
  tensor_set source() const { return io::read_tensor_set(from, key(from_key)); }
  tensor_set destination() const { return io::read_tensor_set(onto, key(onto_key)); }
  plan_options options() const { return {lenient, strict_rules}; }
};

struct plan_command {
  plan_inputs in;
  bool json = false;

  void add_to(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand("plan", "Show what a rules file does to every tensor, without touching data");
    in.add_to(*cmd);
    cmd->add_flag("--json", json, "Print the plan as JSON (schema: docs/plan-json.md)");
    cmd->callback([this, &exit_code] { exit_code = run(); });
  }

  int run() const {
    const auto rules = in.load_rules();
    const plan p = make_plan(rules, in.source(), in.destination(), in.options());
    std::cout << (json ? format_json(p) : format_report(p));
    return p.ok() ? 0 : 1;
  }
};

struct explain_command {
  plan_inputs in;
  std::string name;

  void add_to(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand("explain", "Every step the planner takes for one tensor name");
    in.add_to(*cmd);
    cmd->add_option("NAME", name, "A source or destination tensor name")->required();
    cmd->callback([this, &exit_code] { exit_code = run(); });
  }

  int run() const {
    const auto rules = in.load_rules();
    std::cout << explain(rules, in.source(), in.destination(), name, in.options());
    return 0;
  }
};

}  // namespace graft::cli
