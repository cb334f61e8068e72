#pragma once
// The commands of the graft CLI, one source file each (check.cpp, plan.cpp, inspect.cpp, apply.cpp);
// main.cpp adds them to the application in this order. Each add_*_command adds one subcommand to `app`
// whose callback runs the command and stores its exit status in `exit_code` (main() returns it).

namespace CLI {
class App;
}

namespace graft::cli {

void add_check_command(CLI::App& app, int& exit_code);    ///< check.cpp
void add_plan_command(CLI::App& app, int& exit_code);     ///< plan.cpp
void add_explain_command(CLI::App& app, int& exit_code);  ///< plan.cpp
void add_inspect_command(CLI::App& app, int& exit_code);  ///< inspect.cpp
/// apply.cpp. `argv`: this process's arguments, which `graft` passes on to graft-torch for --device cuda.
void add_apply_command(CLI::App& app, int& exit_code, char** argv);

}  // namespace graft::cli
