// `graft plan` and `graft explain`: compile rules against a source and a destination.

#include "commands.hpp"
#include "inputs.hpp"

#include <graft/plan/explain.hpp>
#include <graft/plan/json.hpp>
#include <graft/plan/planner.hpp>
#include <graft/plan/report.hpp>

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <string>

namespace graft::cli {
namespace {

struct plan_command {
  plan_inputs in;
  bool json = false;

  int run() const {
    const auto read = in.read_tensor_sets();
    const plan p = make_plan(read.rules, read.source, read.destination, in.options());
    std::cout << (json ? format_json(p) : format_report(p));
    return p.ok() ? 0 : 1;
  }
};

struct explain_command {
  plan_inputs in;
  std::string name;

  int run() const {
    const auto read = in.read_tensor_sets();
    std::cout << explain(read.rules, read.source, read.destination, name, in.options());
    return 0;
  }
};

}  // namespace

void add_plan_command(CLI::App& app, int& exit_code) {
  auto c = std::make_shared<plan_command>();  // owned by the callback, which lives as long as `app`
  auto* cmd = app.add_subcommand("plan", "Show what a rules file does to every tensor, without touching data");
  c->in.add_to(*cmd);
  cmd->add_flag("--json", c->json, "Print the plan as JSON (schema: docs/plan-json.md)");
  cmd->callback([c, &exit_code] { exit_code = c->run(); });
}

void add_explain_command(CLI::App& app, int& exit_code) {
  auto c = std::make_shared<explain_command>();
  auto* cmd = app.add_subcommand("explain", "Every step the planner takes for one tensor name");
  c->in.add_to(*cmd);
  cmd->add_option("NAME", c->name, "A source or destination tensor name")->required();
  cmd->callback([c, &exit_code] { exit_code = c->run(); });
}

}  // namespace graft::cli
