// `graft apply`: convert a checkpoint into the destination's shape, per a plan; write .pth/.safetensors.
// On the CPU the plan runs on host memory (graft/apply/records.hpp): the `graft` binary does not link
// LibTorch. `--device cuda[:N]` goes to the device backend (device_backend.hpp): `graft` runs
// `graft-torch` (the same CLI built with LibTorch, installed beside it) with the same arguments.

#include "commands.hpp"
#include "device_backend.hpp"
#include "inputs.hpp"

#include <graft/apply/records.hpp>
#include <graft/io/checkpoint.hpp>
#include <graft/io/shapes.hpp>
#include <graft/plan/json.hpp>
#include <graft/plan/planner.hpp>
#include <graft/plan/report.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <regex>
#include <string>
#include <system_error>
#include <vector>

namespace graft::cli {
namespace {

/// "12.3 MB".
std::string megabytes(std::size_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return buf;
}

struct apply_command {
  plan_inputs in;
  std::string out;
  std::string device = "cpu";
  bool json = false;
  char** argv = nullptr;  ///< this process's arguments, which `graft` passes on to graft-torch

  void check_output_path() const {
    if (io::format_for_output(out) == nullptr)
      throw usage_error("--out must end in .pth, .pt or .safetensors, not '" + out + "'");
    namespace fs = std::filesystem;
    std::error_code ec;
    for (const auto& input : {in.from, in.onto})
      if (fs::exists(out, ec) && fs::equivalent(out, input, ec))
        throw usage_error("--out '" + out + "' is an input (" + input + "): refusing to overwrite it");
    const fs::path parent = fs::path(out).has_parent_path() ? fs::path(out).parent_path() : fs::path(".");
    if (!fs::is_directory(parent, ec)) throw usage_error("--out folder '" + parent.string() + "' does not exist");
  }

  /// "cpu", or "cuda"/"cuda:N"; anything else is a usage error.
  bool wants_gpu() const {
    static const std::regex gpu("cuda(:[0-9]+)?");
    if (device == "cpu") return false;
    if (std::regex_match(device, gpu)) return true;
    throw usage_error("--device must be cpu, cuda or cuda:N, not '" + device + "'");
  }

  int run() const {
    check_output_path();
    const bool gpu = wants_gpu();
    if (gpu) device_backend::prepare(device, argv);  // refuse before any work; graft: runs graft-torch
    if (io::is_manifest_path(in.from) || io::is_manifest_path(in.onto))
      throw usage_error("apply needs checkpoints with data: a .tsv manifest has shapes only (use `graft plan`)");
    const auto rules = in.load_rules();
    const io::checkpoint source = io::read_checkpoint(in.from, plan_inputs::key(in.from_key));
    const io::checkpoint target = io::read_checkpoint(in.onto, plan_inputs::key(in.onto_key));
    tensor_set source_set(source.tensors.begin(), source.tensors.end());
    tensor_set target_set(target.tensors.begin(), target.tensors.end());
    const plan p = make_plan(rules, source_set, target_set, in.options());
    std::cout << (json ? format_json(p) : format_report(p));
    if (!p.ok()) return 1;

    std::vector<io::tensor_record> records;
    if (gpu)
      records = device_backend::apply_on_device(p, source, target, device);
    else
      records = apply_records(p, source.tensors, target.tensors);
    std::size_t bytes = 0;
    for (const auto& r : records) bytes += r.nbytes();
    io::checkpoint_write_options wo;  // never over an input: every file read, shards of a sharded input included
    wo.inputs = {in.from, in.onto};
    wo.inputs.insert(wo.inputs.end(), source.files.begin(), source.files.end());
    wo.inputs.insert(wo.inputs.end(), target.files.begin(), target.files.end());
    wo.metadata = {{"format", "pt"}, {"graft_rules", in.rules_file}};
    io::write_checkpoint(out, records, wo);
    (json ? std::cerr : std::cout) << "wrote " << out << ": " << records.size() << " tensors, " << megabytes(bytes)
                                   << " (copied " << p.count(category::copied) << ", mapped "
                                   << p.count(category::mapped) << ", synthesized " << p.count(category::synthesized)
                                   << ", kept " << p.count(category::kept) << ")\n";
    if (io::format_for_output(out) == &io::pth_zip_format) (json ? std::cerr : std::cout) << io::torch2_note(records);
    return 0;
  }
};

}  // namespace

void add_apply_command(CLI::App& app, int& exit_code, char** argv) {
  auto c = std::make_shared<apply_command>();  // owned by the callback, which lives as long as `app`
  c->argv = argv;
  auto* cmd = app.add_subcommand("apply", "Write the destination checkpoint filled from the source per the rules");
  c->in.add_to(*cmd);
  cmd->add_option("--out", c->out, "Output file: .pth (torch.load-able) or .safetensors")->required()->type_name("OUT");
  cmd->add_option("--device", c->device, "Where slicing runs: cpu, cuda or cuda:N")->type_name("DEVICE");
  cmd->add_flag("--json", c->json, "Print the plan as JSON instead of the report");
  cmd->callback([c, &exit_code] { exit_code = c->run(); });
}

}  // namespace graft::cli
