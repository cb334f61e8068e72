// The graft command-line tool: check, plan, explain, inspect, apply (one source file each, commands.hpp).
// Exit codes: 0 success; 1 the plan violates policy (strict mode, expect); 2 bad usage or unreadable input.
// Built twice (tools/CMakeLists.txt) from the same sources: `graft` with apply_cpu.cpp (no LibTorch),
// `graft-torch` with apply_torch.cpp (LibTorch) as its device backend (device_backend.hpp).

#include "commands.hpp"
#include "device_backend.hpp"

#include <graft/detail/text.hpp>
#include <graft/error.hpp>

#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>
#include <string>

#ifndef GRAFT_CLI_VERSION
#error "GRAFT_CLI_VERSION (the CMake project version, \"X.Y.Z\") is set by tools/CMakeLists.txt"
#endif

int main(int argc, char** argv) {
  CLI::App app{"graft: move pretrained weights between models with a reviewable rules file"};
  app.require_subcommand(1);
  app.set_version_flag("--version",
                       std::string("graft " GRAFT_CLI_VERSION) + graft::cli::device_backend::version_suffix());
  int exit_code = 0;

  graft::cli::add_check_command(app, exit_code);
  graft::cli::add_plan_command(app, exit_code);
  graft::cli::add_explain_command(app, exit_code);
  graft::cli::add_inspect_command(app, exit_code);
  graft::cli::add_apply_command(app, exit_code, argv);

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
    std::cerr << "graft: internal error: " << graft::detail::printable(e.what()) << "\n";
    return 3;
  }
  return exit_code;
}
