// The graft command-line tool: check, plan, explain, inspect, apply.
// Exit codes: 0 success; 1 the plan violates policy (strict mode, expect); 2 bad usage or unreadable input.
// Built twice (tools/CMakeLists.txt): `graft` without LibTorch, `graft-torch` with it (GRAFT_CLI_WITH_TORCH).

#include "apply.hpp"
#include "check.hpp"
#include "inspect.hpp"
#include "plan.hpp"

#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"graft: move pretrained weights between models with a reviewable rules file"};
  app.require_subcommand(1);
  app.set_version_flag("--version", GRAFT_CLI_WITH_TORCH ? "graft 0.1.0 (with LibTorch)" : "graft 0.1.0");
  int exit_code = 0;

  graft::cli::check_command check;
  check.add_to(app, exit_code);
  graft::cli::plan_command plan;
  plan.add_to(app, exit_code);
  graft::cli::explain_command explain;
  explain.add_to(app, exit_code);
  graft::cli::inspect_command inspect;
  inspect.add_to(app, exit_code);
  graft::cli::apply_command apply;
  apply.argv = argv;
  apply.add_to(app, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  } catch (const graft::error& e) {
    std::cerr << "graft: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "graft: internal error: " << e.what() << "\n";
    return 3;
  }
  return exit_code;
}
