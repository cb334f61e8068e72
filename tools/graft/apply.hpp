#pragma once
// `graft apply`: convert a checkpoint into the destination's shape, per a plan; write .pth/.safetensors.

#include "plan.hpp"

#include <graft/io/checkpoint.hpp>
#include <graft/io/pth_writer.hpp>
#include <graft/io/safetensors.hpp>
#include <graft/torch/apply.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
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

  at::Device parse_device() const {
    at::Device d(at::kCPU);
    try {
      d = at::Device(device);
    } catch (const std::exception&) {
      throw usage_error("--device must be cpu, cuda or cuda:N, not '" + device + "'");
    }
    if (d.is_cuda() && !at::hasCUDA()) throw usage_error("--device " + device + ": this LibTorch build has no CUDA");
    if (!d.is_cpu() && !d.is_cuda()) throw usage_error("--device must be cpu, cuda or cuda:N, not '" + device + "'");
    return d;
  }

  int run() const {
    check_output_path();
    const at::Device dev = parse_device();
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

    std::vector<const plan_entry*> by_destination(target.tensors.size(), nullptr);
    for (const auto& e : p.entries)
      if (e.destination) by_destination[*e.destination] = &e;
    const source_tensors sources = record_source(p, source.tensors);
    const bool progress = ::isatty(2) && target.tensors.size() > 200;
    std::vector<io::tensor_record> records;
    records.reserve(target.tensors.size());
    std::size_t bytes = 0;
    for (std::size_t d = 0; d < target.tensors.size(); ++d) {
      const io::tensor_record& templ = target.tensors[d];
      const plan_entry& e = *by_destination[d];
      if (progress && d % 50 == 0) std::fprintf(stderr, "\rapplying %zu/%zu", d, target.tensors.size());
      if (e.what == category::kept) {
        records.push_back(templ);
      } else if (e.what == category::copied && !e.cast && dev.is_cpu()) {
        io::tensor_record r = source.tensors[*e.source];  // zero-copy: the source bytes go straight out
        r.name = templ.name;
        r.role = templ.role;
        records.push_back(std::move(r));
      } else {
        at::Tensor t = e.what == category::mapped
                           ? to_tensor(templ).to(dev).clone()  // template values stay where rows are kept
                           : at::empty(templ.shape, at::TensorOptions().dtype(to_scalar_type(templ.type)).device(dev));
        apply_entry(p, e, sources, t);
        records.push_back(to_record(t.cpu(), templ.name, templ.role));
      }
      bytes += records.back().nbytes();
    }
    if (progress)
      std::fprintf(stderr, "\rapplying %zu/%zu, writing %s\n", target.tensors.size(), target.tensors.size(),
                   out.c_str());
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
