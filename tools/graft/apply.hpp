#pragma once
// `graft apply`: convert a checkpoint into the destination's shape, per a plan; write .pth/.safetensors.
// On the CPU the plan runs on host memory (graft/apply/records.hpp): the `graft` binary does not link
// LibTorch. `--device cuda[:N]` needs LibTorch: `graft` runs `graft-torch` (the same CLI built with
// GRAFT_CLI_WITH_TORCH=1, installed beside it) with the same arguments.

#include "plan.hpp"

#include <graft/apply/records.hpp>
#include <graft/io/checkpoint.hpp>
#include <graft/io/pth_writer.hpp>
#include <graft/io/safetensors.hpp>
#if GRAFT_CLI_WITH_TORCH
#include <graft/torch/apply.hpp>
#endif

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <regex>
#include <string>
#include <system_error>
#include <vector>

#include <unistd.h>

namespace graft::cli {

inline bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// "12.3 MB".
inline std::string megabytes(std::size_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return buf;
}

struct apply_command {
  plan_inputs in;
  std::string out;
  std::string device = "cpu";
  bool json = false;
  char** argv = nullptr;  ///< this process's arguments, which `graft` passes on to graft-torch (set by main())

  void add_to(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand("apply", "Write the destination checkpoint filled from the source per the rules");
    in.add_to(*cmd);
    cmd->add_option("--out", out, "Output file: .pth (torch.load-able) or .safetensors")->required()->type_name("OUT");
    cmd->add_option("--device", device, "Where slicing runs: cpu, cuda or cuda:N")->type_name("DEVICE");
    cmd->add_flag("--json", json, "Print the plan as JSON instead of the report");
    cmd->callback([this, &exit_code] { exit_code = run(); });
  }

  void check_output_path() const {
    if (!ends_with(out, ".pth") && !ends_with(out, ".pt") && !ends_with(out, ".safetensors"))
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

#if GRAFT_CLI_WITH_TORCH
  /// The LibTorch device named by --device; a usage error when this LibTorch cannot use it.
  at::Device torch_device() const {
    at::Device dev(at::kCPU);
    try {
      dev = at::Device(device);
    } catch (const std::exception&) {
      throw usage_error("--device must be cpu, cuda or cuda:N, not '" + device + "'");
    }
    if (dev.is_cuda() && !at::hasCUDA()) throw usage_error("--device " + device + ": this LibTorch build has no CUDA");
    return dev;
  }

  /// The output records: mapped and synthesized tensors computed with LibTorch on `dev`, copied ones
  /// zero-copy on the CPU (the output is a file: only the slicing needs the device).
  std::vector<io::tensor_record> apply_on_device(const plan& p, const io::checkpoint& source,
                                                 const io::checkpoint& target, const at::Device& dev) const {
    std::vector<const plan_entry*> by_destination(target.tensors.size(), nullptr);
    for (const auto& e : p.entries)
      if (e.destination) by_destination[*e.destination] = &e;
    const source_tensors sources = record_source(p, source.tensors);
    std::vector<io::tensor_record> records;
    records.reserve(target.tensors.size());
    for (std::size_t d = 0; d < target.tensors.size(); ++d) {
      const io::tensor_record& templ = target.tensors[d];
      const plan_entry& e = *by_destination[d];
      if (e.what == category::kept) {
        records.push_back(templ);
      } else if (e.what == category::copied) {
        records.push_back(copied_record(source.tensors[*e.source], templ));  // no round trip through the GPU
      } else {
        at::Tensor t = e.what == category::mapped
                           ? to_tensor(templ).to(dev).clone()  // template values stay where rows are kept
                           : at::empty(templ.shape, at::TensorOptions().dtype(to_scalar_type(templ.type)).device(dev));
        apply_entry(p, e, sources, t);
        records.push_back(to_record(t.cpu(), templ.name, templ.role));
      }
    }
    return records;
  }
#else
  /// Runs `graft-torch` (beside this program) with this process's arguments; returns only on failure.
  [[noreturn]] void run_torch_build() const {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    const fs::path helper = ec ? fs::path("graft-torch") : self.parent_path() / "graft-torch";
    if (!fs::exists(helper, ec))
      throw usage_error("--device " + device + " needs LibTorch: " + helper.string() +
                        " (the graft CLI built with LibTorch) is not installed");
    std::fflush(nullptr);
    ::execv(helper.c_str(), argv);
    throw usage_error("cannot run " + helper.string() + ": " + std::strerror(errno));
  }
#endif

  int run() const {
    check_output_path();
    const bool gpu = wants_gpu();
#if GRAFT_CLI_WITH_TORCH
    const at::Device dev = gpu ? torch_device() : at::Device(at::kCPU);  // refuse before any work
#else
    if (gpu) run_torch_build();
#endif
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
#if GRAFT_CLI_WITH_TORCH
    if (gpu)
      records = apply_on_device(p, source, target, dev);
    else
#endif
      records = apply_records(p, source.tensors, target.tensors);
    std::size_t bytes = 0;
    for (const auto& r : records) bytes += r.nbytes();
    io::write_options wo;
    wo.inputs = {in.from, in.onto};
    if (ends_with(out, ".safetensors")) {
      io::write_safetensors(out, records, {{"format", "pt"}, {"graft_rules", in.rules_file}}, wo);
    } else {
      io::pth_write_options po;
      po.inputs = wo.inputs;
      io::write_pth(out, records, po);
    }
    (json ? std::cerr : std::cout) << "wrote " << out << ": " << records.size() << " tensors, " << megabytes(bytes)
                                   << " (copied " << p.count(category::copied) << ", mapped "
                                   << p.count(category::mapped) << ", synthesized " << p.count(category::synthesized)
                                   << ", kept " << p.count(category::kept) << ")\n";
    return 0;
  }
};

}  // namespace graft::cli
