// `graft apply`: convert a checkpoint into the destination's shape, per a plan; write .pth/.safetensors.
// On the CPU the plan runs on host memory (graft/apply/records.hpp): the `graft` binary does not link
// LibTorch. `--device cuda[:N]` goes to the device backend (device_backend.hpp): `graft` runs
// `graft-torch` (the same CLI built with LibTorch, installed beside it) with the same arguments.

#include "commands.hpp"
#include "device_backend.hpp"
#include "inputs.hpp"
#include "progress_line.hpp"

#include <graft/apply/records.hpp>
#include <graft/io/checkpoint.hpp>
#include <graft/io/shapes.hpp>
#include <graft/io/sharded_writer.hpp>
#include <graft/plan/json.hpp>
#include <graft/plan/planner.hpp>
#include <graft/plan/report.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <functional>
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
  std::string max_shard_size, shard, only_shard;  ///< sharded output (an index --out) only
  bool json = false;
  bool quiet = false;     ///< no report (unless the plan fails), summary or progress line
  bool verify = false;    ///< check every source storage record's CRC-32 before writing
  char** argv = nullptr;  ///< this process's arguments, which `graft` passes on to graft-torch

  bool sharded() const { return io::format_for_output(out) == &io::sharded_safetensors_format; }

  void check_output_path() const {
    if (io::format_for_output(out) == nullptr)
      throw usage_error("--out must end in .pth, .pt, .safetensors or .safetensors.index.json (sharded), not '" + out +
                        "'");
    if (!sharded() && !(max_shard_size.empty() && shard.empty() && only_shard.empty()))
      throw usage_error(
          "--max-shard-size, --shard and --only-shard need a sharded --out (NAME.safetensors.index.json)");
    if (!shard.empty() && !only_shard.empty()) throw usage_error("--shard and --only-shard cannot be combined");
    namespace fs = std::filesystem;
    std::error_code ec;
    refuse_output_among({in.rules_file, in.from, in.onto});
    const fs::path parent = fs::path(out).has_parent_path() ? fs::path(out).parent_path() : fs::path(".");
    if (!fs::is_directory(parent, ec)) throw usage_error("--out folder '" + parent.string() + "' does not exist");
  }

  /// Throws usage_error when --out is (or links to) one of `inputs`: same device and inode.
  void refuse_output_among(const std::vector<std::string>& inputs) const {
    if (auto input = io::same_file_among(out, inputs))
      throw usage_error("--out '" + out + "' is an input (" + *input + "): refusing to overwrite it");
  }

  /// Every file this run reads: the rules file and every file it `use`s, both checkpoints (every
  /// file of a sharded one).
  std::vector<std::string> files_read(const rules::ruleset& rules, const io::checkpoint& source,
                                      const io::checkpoint& target) const {
    std::vector<std::string> files = {in.rules_file, in.from, in.onto};
    for (const auto* list : {&rules.files, &source.files, &target.files})
      files.insert(files.end(), list->begin(), list->end());
    return files;
  }

  /// --max-shard-size, --shard K/N and --only-shard as write options.
  void shard_options(io::checkpoint_write_options& wo) const {
    if (!max_shard_size.empty()) wo.max_shard_bytes = io::parse_byte_size(max_shard_size, "--max-shard-size");
    if (!only_shard.empty()) wo.shards.only_file = only_shard;
    if (shard.empty()) return;
    static const std::regex k_of_n("([0-9]{1,9})/([0-9]{1,9})");
    std::smatch m;
    if (!std::regex_match(shard, m, k_of_n) || std::stoul(m[1]) == 0 || std::stoul(m[1]) > std::stoul(m[2]))
      throw usage_error("--shard must be K/N with 1 <= K <= N (this run writes the shards of worker K of N), not '" +
                        shard + "'");
    wo.shards.worker = std::stoul(m[1]) - 1;
    wo.shards.workers = std::stoul(m[2]);
  }

  /// Writes the output; returns the line saying what was written.
  std::string write(const std::vector<io::tensor_record>& records, const io::checkpoint_write_options& wo) const {
    if (!sharded()) {
      io::write_checkpoint(out, records, wo);
      return "wrote " + detail::printable(out);
    }
    const auto r = io::write_sharded_safetensors(out, records, wo);
    std::string line = "wrote " + std::to_string(r.written.size()) + " of " + std::to_string(r.shards) + " shards";
    if (r.index_written) return line + " and the index " + detail::printable(out);
    return line + " (" + std::to_string(r.shards_present) + " on disk; the index " + detail::printable(out) +
           " is written by the run that completes them)";
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
    io::checkpoint_write_options wo;  // never over an input: checked again as the output is created
    shard_options(wo);
    const bool gpu = wants_gpu();
    if (gpu) device_backend::prepare(device, argv);  // refuse before any work; graft: runs graft-torch
    if (io::is_manifest_path(in.from) || io::is_manifest_path(in.onto))
      throw usage_error("apply needs checkpoints with data: a .tsv manifest has shapes only (use `graft plan`)");
    const auto read = in.read_all(
        [](const std::string& path, const std::optional<std::string>& key) { return io::read_checkpoint(path, key); });
    const auto& [rules, source, target] = read;
    const std::vector<std::string> inputs = files_read(rules, source, target);
    refuse_output_among(inputs);  // before the plan is printed or anything is written
    wo.inputs = inputs;
    // Bounded RSS at any size: nothing in this process writes into a mapped page (apply_records
    // computes into new buffers, graft-torch copies to the device), so the pages copied out may go.
    wo.release_read_pages = true;
    // For the same reason the kernel may copy tensors straight from the input files (io/record_writer.hpp).
    wo.kernel_copy = true;
    wo.metadata = {{"format", "pt"}, {"graft_rules", in.rules_file}};
    tensor_set source_set(source.tensors.begin(), source.tensors.end());
    tensor_set target_set(target.tensors.begin(), target.tensors.end());
    const plan p = make_plan(rules, source_set, target_set, in.options());
    if (!quiet || !p.ok()) std::cout << (json ? format_json(p) : format_report(p));
    if (!p.ok()) return 1;

    std::vector<io::tensor_record> records;
    if (gpu)
      records = device_backend::apply_on_device(p, source, target, device);
    else
      records = apply_records(p, source.tensors, target.tensors);
    // A storage record the kernel copies whole keeps its declared CRC-32 unread (a corrupt one stays
    // corrupt, detectably): --verify reads every record first and refuses a corrupt one, before writing.
    if (verify)
      for (const auto& r : records) r.check_source(true);
    progress_line progress(!json && !quiet);
    wo.progress = std::ref(progress);
    const std::string wrote = write(records, wo);
    progress.clear();
    std::ostream& says = json || quiet ? std::cerr : std::cout;  // stdout holds the JSON alone
    if (!quiet) {
      std::size_t bytes = 0;
      for (const auto& r : records) bytes += r.nbytes();
      says << wrote << ": " << records.size() << " tensors, " << megabytes(bytes) << " (copied "
           << p.count(category::copied) << ", mapped " << p.count(category::mapped) << ", synthesized "
           << p.count(category::synthesized) << ", kept " << p.count(category::kept) << ")\n";
    }
    if (io::format_for_output(out) == &io::pth_zip_format) says << io::torch2_note(records);
    return 0;
  }
};

}  // namespace

void add_apply_command(CLI::App& app, int& exit_code, char** argv) {
  auto c = std::make_shared<apply_command>();  // owned by the callback, which lives as long as `app`
  c->argv = argv;
  auto* cmd = app.add_subcommand("apply", "Write the destination checkpoint filled from the source per the rules");
  c->in.add_to(*cmd);
  cmd->add_option("--out", c->out,
                  "Output file: .pth (torch.load-able), .safetensors, or NAME.safetensors.index.json (sharded)")
      ->required()
      ->type_name("OUT");
  cmd->add_option("--max-shard-size", c->max_shard_size, "Sharded output: tensor bytes per shard at most (default 5GB)")
      ->type_name("SIZE");
  cmd->add_option("--shard", c->shard, "Sharded output: write only the shards of worker K of N (shard s: s % N == K-1)")
      ->type_name("K/N");
  cmd->add_option("--only-shard", c->only_shard, "Sharded output: write only this shard file (by its name)")
      ->type_name("FILE");
  cmd->add_option("--device", c->device, "Where slicing runs: cpu, cuda or cuda:N")->type_name("DEVICE");
  cmd->add_flag("--json", c->json, "Print the plan as JSON instead of the report");
  cmd->add_flag("--quiet", c->quiet,
                "Print nothing when all goes well: no report (a failing plan's still prints), summary or progress");
  cmd->add_flag("--verify", c->verify,
                "Check the CRC-32 of every source storage record copied, before writing (unchecked, a record "
                "copied whole into a .pth keeps its CRC: a corrupt one stays detectably corrupt)");
  cmd->callback([c, &exit_code] { exit_code = c->run(); });
}

}  // namespace graft::cli
