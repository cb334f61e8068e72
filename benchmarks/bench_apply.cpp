// Apply throughput on CPU (the one LibTorch benchmark TU): whole-tensor copies and dim-0 row
// selection (index_select / index_copy, with and without kept rows) through graft::apply_entry, the
// whole HigherHRNet-W48 COCO -> CrowdPose plan applied to in-memory tensors, and plain memcpy of the
// same byte count measured in the same run as the reference.
//
// GRAFT_BENCH_SMALL=1 (or --graft_small) picks tiny sizes (ctest smoke run).

#include <benchmark/benchmark.h>

#include "bench_main.hpp"

#include <graft/io/manifest.hpp>
#include <graft/plan/planner.hpp>
#include <graft/rules/load.hpp>
#include <graft/torch/apply.hpp>

#include <ATen/ATen.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

namespace {

bool small_sizes = false;

std::int64_t tensor_bytes() { return small_sizes ? (1 << 20) : (64 << 20); }  // 1 MiB / 64 MiB

std::string data_path(const std::string& rel) { return std::string(GRAFT_SOURCE_DIR) + "/" + rel; }

void set_rate(benchmark::State& state, std::int64_t bytes) {
  state.SetBytesProcessed(state.iterations() * bytes);
  state.counters["MB"] = static_cast<double>(bytes) / 1e6;
}

void bm_memcpy(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(tensor_bytes());
  std::vector<char> src(n, 1), dst(n, 0);  // touched: no page faults inside the loop
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), n);
    benchmark::ClobberMemory();
  }
  set_rate(state, static_cast<std::int64_t>(n));
}

/// Joint sets: a (20), b (15 of a's joints, reordered), c (10 of a's joints + 2 new: kept rows).
std::string joint_sets_text() {
  std::string a = "joints a = [", b = "joints b = [", c = "joints c = [";
  for (int j = 0; j < 20; ++j) a += (j ? ", j" : "j") + std::to_string(j);
  for (int j = 14; j >= 0; --j) b += (j != 14 ? ", j" : "j") + std::to_string(j * 19 / 14);
  for (int j = 0; j < 10; ++j) c += (j ? ", j" : "j") + std::to_string(2 * j);
  return a + "]\n" + b + "]\n" + c + ", new0, new1]\nmap a -> c { keep new0, new1 }\n";
}

struct single_entry {
  graft::plan plan;
  at::Tensor source, destination;
};

/// A one-tensor plan: `what` is "copy" (same shapes), "select" (dim 0 = a -> b) or "kept" (a -> c).
single_entry make_single(const std::string& what) {
  const auto rules = graft::rules::load_rules_text(
      "apply.graft",
      joint_sets_text() + "reshape \"select\" { dim 0 = a -> b }\nreshape \"kept\" { dim 0 = a -> c }\n");
  const std::int64_t row = tensor_bytes() / 4 / 20;  // float32 elements per row of a 20-row source
  const std::int64_t rows_out = what == "copy" ? 20 : what == "select" ? 15 : 12;
  graft::tensor_set s{{what, graft::dtype::float32, {20, row}, graft::tensor_role::param}};
  graft::tensor_set d{{what, graft::dtype::float32, {rows_out, row}, graft::tensor_role::param}};
  single_entry out{graft::make_plan(rules, s, d), at::randn({20, row}), at::randn({rows_out, row})};
  if (!out.plan.ok()) throw std::runtime_error("benchmark plan for '" + what + "' has errors");
  return out;
}

void bm_apply_entry(benchmark::State& state, const std::string& what) {
  single_entry x = make_single(what);
  const graft::plan_entry& e = x.plan.entries.at(0);
  const graft::source_tensors sources = [&](std::size_t) { return x.source; };
  for (auto _ : state) {
    graft::apply_entry(x.plan, e, sources, x.destination);
    benchmark::ClobberMemory();
  }
  set_rate(state, x.destination.numel() * 4);  // destination bytes written
}

/// The whole HigherHRNet-W48 COCO -> CrowdPose plan (1810 tensors, ~255 MB) applied to tensors in
/// memory: what `graft apply` does between reading and writing when copies are not zero-copy.
void bm_apply_state_dict(benchmark::State& state) {
  const auto rules = graft::rules::load_rules(data_path("rules/pose/higherhrnet_coco_to_crowdpose.graft"));
  graft::tensor_set from = graft::io::read_manifest(data_path("benchmarks/data/higherhrnet_w48_coco.tsv"));
  graft::tensor_set onto = graft::io::read_manifest(data_path("benchmarks/data/higherhrnet_w48_crowdpose.tsv"));
  if (small_sizes) {  // the same names at width 4 (branch widths 48/96/192/384 -> 4/8/16/32): ~3 MB
    for (auto* set : {&from, &onto})
      for (auto& m : *set)
        for (std::size_t i = 0; i < m.shape.size(); ++i) {
          auto& v = m.shape[i];
          if (m.name == "deconv_layers.0.0.0.weight" && i == 0)
            v -= 44;  // [48 + 2K] -> [4 + 2K]
          else if (v == 48 || v == 96 || v == 192 || v == 384)
            v /= 12;
        }
  }
  const graft::plan p = graft::make_plan(rules, from, onto);
  if (!p.ok()) throw std::runtime_error("the W48 plan has errors");
  auto make = [](const graft::tensor_set& set) {
    std::vector<at::Tensor> out;
    for (const auto& m : set)
      out.push_back(graft::dtype_is_floating(m.type) ? at::randn(m.shape) : at::zeros(m.shape, at::kLong));
    return out;
  };
  std::vector<at::Tensor> src = make(from), dst = make(onto);
  std::int64_t bytes = 0;
  for (const auto& t : dst) bytes += t.numel() * static_cast<std::int64_t>(t.element_size());
  for (auto _ : state) {
    auto summary = graft::apply(
        p, [&](std::size_t i) { return src[i]; }, [&](std::size_t i) { return dst[i]; });
    benchmark::DoNotOptimize(summary);
  }
  set_rate(state, bytes);
  state.counters["tensors"] = static_cast<double>(dst.size());
}

void register_all() {
  using benchmark::RegisterBenchmark;
  RegisterBenchmark("apply/memcpy_reference", bm_memcpy)->Unit(benchmark::kMillisecond)->UseRealTime();
  RegisterBenchmark("apply/copy", bm_apply_entry, "copy")->Unit(benchmark::kMillisecond)->UseRealTime();
  RegisterBenchmark("apply/index_select", bm_apply_entry, "select")->Unit(benchmark::kMillisecond)->UseRealTime();
  RegisterBenchmark("apply/index_select_kept_rows", bm_apply_entry, "kept")
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  RegisterBenchmark("apply/state_dict_higherhrnet_w48", bm_apply_state_dict)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) { return bench::run(argc, argv, "bench_apply", small_sizes, register_all); }
