// Micro-benchmarks of graft's torch-free layers: parsing, planning, pattern matching, layout/index
// building, checkpoint header reading, and label sets at vocabulary scale (bench_labels.hpp).
//
// Sizes: the full sizes by default; GRAFT_BENCH_SMALL=1 (or --graft_small) picks tiny sizes so the
// whole binary runs in about a second (the ctest smoke test). Fixture checkpoints are written under
// GRAFT_BENCH_FIXTURE_DIR (a folder in the build tree) once and reused.

#include <benchmark/benchmark.h>

#include "bench_labels.hpp"
#include "bench_main.hpp"

#include <graft/dsl/parse.hpp>
#include <graft/io/checkpoint.hpp>
#include <graft/io/manifest.hpp>
#include <graft/io/pth_writer.hpp>
#include <graft/io/safetensors.hpp>
#include <graft/io/sharded_writer.hpp>
#include <graft/plan/planner.hpp>
#include <graft/rules/layout.hpp>
#include <graft/rules/load.hpp>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#ifdef GRAFT_BENCH_HAVE_ZLIB
#include <zlib.h>
#endif

namespace {

namespace fs = std::filesystem;
using graft::tensor_meta;
using graft::tensor_set;

bool small_sizes = false;

// ---------------------------------------------------------------------------------------------
// Synthetic rules and name sets.

/// Two joint sets: a (20 joints) and b (15 of them, reordered), so `a -> b` is a real index map.
std::string joint_sets_text() {
  std::string a = "joints a = [", b = "joints b = [";
  for (int j = 0; j < 20; ++j) a += (j ? ", j" : "j") + std::to_string(j);
  for (int j = 14; j >= 0; --j) b += (j != 14 ? ", j" : "j") + std::to_string(j * 19 / 14);
  return a + "]\n" + b + "]\n";
}

/// A rules file of `n` statements cycling through the statement kinds real files use.
std::string rules_file_text(std::size_t n) {
  std::string t = "# generated: " + std::to_string(n) + " rules\n" + joint_sets_text();
  for (std::size_t i = 0; i < n; ++i) {
    const std::string k = std::to_string(i);
    switch (i % 8) {
      case 0: t += "rename \"m" + k + ".**\" -> \"n" + k + ".$1\"\n"; break;
      case 1: t += "exclude \"x" + k + ".*.num_batches_tracked\", \"x" + k + ".aux.**\"\n"; break;
      case 2: t += "keep \"n" + k + ".extra.{weight,bias}\"   # left as initialised\n"; break;
      case 3: t += "reshape \"n" + k + ".head.{weight,bias}\" { dim 0 = a -> b, keep 1 }\n"; break;
      case 4: t += "rename \"stage" + k + ".<a>.**\" -> \"stage" + k + ".<b>.$2\"\n"; break;
      case 5: t += "include \"n" + k + ".**\"\n"; break;
      case 6: t += "reshape \"n" + k + ".fc.weight\" { dim 0 = keep, (a -> b) * 3 }\n"; break;
      case 7: t += "strip \"w" + k + ".\"\n"; break;
    }
  }
  return t;
}

/// The synthetic planning workload: 500 rules (2 strips, 300 renames, 100 excludes of which 20 start
/// with `**`, 50 keeps, 48 reshapes), and a source/destination pair of `n` names each that these
/// rules plan without errors: every name is renamed, a few are excluded, mapped or kept.
struct plan_workload {
  graft::rules::ruleset rules;
  tensor_set source, destination;
};

graft::rules::ruleset synthetic_rules() {
  std::string t = joint_sets_text();
  t += "strip \"module.\"\nstrip \"1.\"\n";
  for (int i = 0; i < 300; ++i) t += "rename \"m" + std::to_string(i) + ".**\" -> \"n" + std::to_string(i) + ".$1\"\n";
  for (int i = 0; i < 80; ++i) t += "exclude \"n" + std::to_string(i) + ".aux.*\"\n";
  for (int i = 0; i < 20; ++i) t += "exclude \"**.tmp" + std::to_string(i) + ".weight\"\n";
  for (int i = 0; i < 50; ++i) t += "keep \"n" + std::to_string(i) + ".extra.*\"\n";
  for (int i = 0; i < 48; ++i) t += "reshape \"n" + std::to_string(i) + ".head.weight\" { dim 0 = a -> b }\n";
  return graft::rules::load_rules_text("synthetic.graft", t);
}

plan_workload synthetic_plan(std::size_t n) {
  static const graft::rules::ruleset rules = synthetic_rules();
  plan_workload w{rules, {}, {}};
  const graft::shape_t small{8};
  w.source.reserve(n + 300);
  w.destination.reserve(n + 300);
  for (std::size_t k = 0; k < n; ++k) {
    const std::string block = std::to_string(k % 300),
                      rest = ".s" + std::to_string(k / 300 % 97) + ".b" + std::to_string(k / 300) + ".conv.weight";
    w.source.push_back({"m" + block + rest, graft::dtype::float32, small, graft::tensor_role::param});
    w.destination.push_back({"n" + block + rest, graft::dtype::float32, small, graft::tensor_role::param});
  }
  for (int i = 0; i < 80; ++i)
    w.source.push_back({"m" + std::to_string(i) + ".aux.w", graft::dtype::float32, small, graft::tensor_role::param});
  for (int i = 0; i < 48; ++i) {
    w.source.push_back(
        {"m" + std::to_string(i) + ".head.weight", graft::dtype::float32, {20, 8}, graft::tensor_role::param});
    w.destination.push_back(
        {"n" + std::to_string(i) + ".head.weight", graft::dtype::float32, {15, 8}, graft::tensor_role::param});
  }
  for (int i = 0; i < 50; ++i)
    w.destination.push_back(
        {"n" + std::to_string(i) + ".extra.w", graft::dtype::float32, small, graft::tensor_role::param});
  return w;
}

std::string data_path(const std::string& rel) { return std::string(GRAFT_SOURCE_DIR) + "/" + rel; }

/// Records of the shapes in `shapes`, every one viewing the same zero bytes (fixtures' bytes do not matter).
std::vector<graft::io::tensor_record> zero_records(const tensor_set& shapes) {
  std::size_t largest = 8;
  for (const auto& m : shapes)
    largest = std::max(largest, static_cast<std::size_t>(graft::numel(m.shape)) * graft::dtype_size(m.type));
  auto zeros = std::make_shared<std::vector<std::byte>>(largest);
  std::vector<graft::io::tensor_record> records;
  records.reserve(shapes.size());
  for (const auto& m : shapes) {
    graft::io::tensor_record r;
    static_cast<tensor_meta&>(r) = m;
    r.strides = graft::io::contiguous_strides(m.shape);
    r.storage = {zeros->data(), static_cast<std::size_t>(graft::numel(m.shape)) * graft::dtype_size(m.type)};
    r.owner = zeros;
    records.push_back(std::move(r));
  }
  return records;
}

// ---------------------------------------------------------------------------------------------
// Parsing.

void bm_parse_rules(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::string text = rules_file_text(n);
  for (auto _ : state) {
    auto file = graft::dsl::parse("generated.graft", text);
    benchmark::DoNotOptimize(file);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.counters["rules"] = static_cast<double>(n);
}

void bm_load_rules(benchmark::State& state) {  // parse + validation + pattern/layout compilation
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::string text = rules_file_text(n);
  for (auto _ : state) {
    auto rules = graft::rules::load_rules_text("generated.graft", text);
    benchmark::DoNotOptimize(rules);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.counters["rules"] = static_cast<double>(n);
}

// ---------------------------------------------------------------------------------------------
// Planning.

void bm_plan_synthetic(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const plan_workload w = synthetic_plan(n);
  bool ok = true;
  for (auto _ : state) {
    graft::plan p = graft::make_plan(w.rules, w.source, w.destination);
    ok = ok && p.ok();
    benchmark::DoNotOptimize(p);
  }
  if (!ok) state.SkipWithError("the synthetic plan has errors");
  state.SetComplexityN(static_cast<std::int64_t>(n));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.counters["names"] = static_cast<double>(n);
  state.counters["rules"] = 500;
  // Seconds per source name (printed in ns/us by the console reporter).
  state.counters["per_name"] = benchmark::Counter(
      static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

/// The real pose rules on the real manifests (the `graft plan` workload, rules loaded once).
void bm_plan_pose(benchmark::State& state, const std::string& rules_file, const std::string& from,
                  const std::string& onto) {
  const auto rules = graft::rules::load_rules(data_path(rules_file));
  const tensor_set source = graft::io::read_manifest(data_path(from));
  const tensor_set destination = graft::io::read_manifest(data_path(onto));
  bool ok = true;
  for (auto _ : state) {
    graft::plan p = graft::make_plan(rules, source, destination);
    ok = ok && p.ok();
    benchmark::DoNotOptimize(p);
  }
  if (!ok) state.SkipWithError("the pose plan has errors");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * source.size()));
  state.counters["tensors"] = static_cast<double>(source.size());
}

/// Rules loading (3-5 files through `use`) plus planning: what `graft plan` does besides reading files.
void bm_load_and_plan_pose(benchmark::State& state, const std::string& rules_file, const std::string& from,
                           const std::string& onto) {
  const tensor_set source = graft::io::read_manifest(data_path(from));
  const tensor_set destination = graft::io::read_manifest(data_path(onto));
  for (auto _ : state) {
    const auto rules = graft::rules::load_rules(data_path(rules_file));
    graft::plan p = graft::make_plan(rules, source, destination);
    benchmark::DoNotOptimize(p);
  }
  state.counters["tensors"] = static_cast<double>(source.size());
}

/// Writes (once) `names` as a sharded safetensors checkpoint (zero-filled, about 20 shards) in the
/// fixture folder; returns its index's path.
std::string sharded_fixture(const tensor_set& names, const std::string& name) {
  const fs::path dir = fs::path(GRAFT_BENCH_FIXTURE_DIR) / name;
  const fs::path index = dir / "model.safetensors.index.json";
  if (fs::exists(index)) return index.string();
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto records = zero_records(names);
  std::size_t largest = 0, total = 0;
  for (const auto& r : records) {
    largest = std::max(largest, r.nbytes());
    total += r.nbytes();
  }
  graft::io::checkpoint_write_options o;
  o.max_shard_bytes = total / 20 + largest;
  graft::io::write_sharded_safetensors(index.string(), records, o);
  return index.string();
}

/// What `graft plan` does with two sharded checkpoints of `n` tensors each (the synthetic workload's
/// names, ~20 shards each): read both indexes and every shard's header, then plan.
void bm_plan_sharded(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const plan_workload w = synthetic_plan(n);
  const std::string tag = std::to_string(n);
  const std::string from = sharded_fixture(w.source, "sharded_source_" + tag);
  const std::string onto = sharded_fixture(w.destination, "sharded_destination_" + tag);
  bool ok = true;
  std::size_t files = 0;
  for (auto _ : state) {
    const graft::io::checkpoint source = graft::io::read_checkpoint(from);
    const graft::io::checkpoint destination = graft::io::read_checkpoint(onto);
    files = source.files.size() + destination.files.size();
    const tensor_set s(source.tensors.begin(), source.tensors.end());
    const tensor_set d(destination.tensors.begin(), destination.tensors.end());
    graft::plan p = graft::make_plan(w.rules, s, d);
    ok = ok && p.ok();
    benchmark::DoNotOptimize(p);
  }
  if (!ok) state.SkipWithError("the sharded plan has errors");
  state.SetComplexityN(static_cast<std::int64_t>(n));
  state.counters["names"] = static_cast<double>(n);
  state.counters["files"] = static_cast<double>(files);
  state.counters["per_name"] = benchmark::Counter(
      static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// ---------------------------------------------------------------------------------------------
// Pattern matching: every name of the HigherHRNet-W32 manifest against one pattern.

std::optional<std::size_t> pose_set_sizes(std::string_view set) {
  if (set == "coco") return 17;
  if (set == "crowdpose") return 14;
  return std::nullopt;
}

void bm_match(benchmark::State& state, const std::string& pattern_text, bool with_captures) {
  const auto pat = graft::rules::pattern::compile(pattern_text, pose_set_sizes);
  const tensor_set names = graft::io::read_manifest(data_path("tests/data/manifests/higherhrnet_w32_512_coco.tsv"));
  std::vector<graft::rules::capture> caps;
  std::size_t hits = 0;
  for (auto _ : state) {
    hits = 0;
    for (const auto& t : names) hits += pat.match(t.name, with_captures ? &caps : nullptr) ? 1 : 0;
    benchmark::DoNotOptimize(hits);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * names.size()));
  state.counters["hits"] = static_cast<double>(hits);
}

// ---------------------------------------------------------------------------------------------
// Layout → index lists.

void bm_resolve_layout(benchmark::State& state, const std::string& layout_text, std::int64_t source_size,
                       std::int64_t destination_size) {
  const auto rules = graft::rules::load_rules_text(
      "layout.graft", joint_sets_text() + "reshape \"t\" { dim 0 = " + layout_text + " }\n");
  const graft::rules::dim_layout& layout = rules.reshapes.at(0).layouts.at(0);
  for (auto _ : state) {
    auto sel = graft::rules::resolve_layout(layout, source_size, destination_size, "t");
    benchmark::DoNotOptimize(sel);
  }
  state.SetItemsProcessed(state.iterations() * destination_size);  // destination rows resolved
}

// ---------------------------------------------------------------------------------------------
// Checkpoint headers: read_checkpoint maps the file and parses the pickle; no tensor byte is touched.

/// Writes (once) a checkpoint shaped like `manifest` (zero-filled; the bytes do not matter here).
std::string fixture(const std::string& manifest, const std::string& name, std::size_t limit) {
  const fs::path dir = GRAFT_BENCH_FIXTURE_DIR;
  fs::create_directories(dir);
  const fs::path path = dir / name;
  if (fs::exists(path)) return path.string();
  tensor_set shapes = graft::io::read_manifest(data_path(manifest));
  if (shapes.size() > limit) shapes.resize(limit);
  const auto records = zero_records(shapes);
  const std::string tmp = (dir / ("tmp." + name)).string();  // same extension: it picks the format
  if (path.extension() == ".safetensors")
    graft::io::write_safetensors(tmp, records, {{"format", "pt"}});
  else
    graft::io::write_pth(tmp, records);
  fs::rename(tmp, path);
  return path.string();
}

void bm_read_header(benchmark::State& state, const std::string& extension) {
  const std::size_t limit = small_sizes ? 40 : static_cast<std::size_t>(-1);
  const std::string name = std::string(small_sizes ? "small" : "higherhrnet_w48_coco") + extension;
  const std::string path = fixture("benchmarks/data/higherhrnet_w48_coco.tsv", name, limit);
  std::size_t tensors = 0;
  for (auto _ : state) {
    graft::io::checkpoint c = graft::io::read_checkpoint(path);
    tensors = c.tensors.size();
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * tensors));
  state.counters["tensors"] = static_cast<double>(tensors);
  state.counters["file_MB"] = static_cast<double>(fs::file_size(path)) / 1e6;
}

// ---------------------------------------------------------------------------------------------
// Writing: the CRC-32 every zip entry needs (graft's table-driven one, next to zlib's), and write_pth
// of the whole W48 checkpoint (fsync included) — what `graft apply` spends on its output.

std::vector<std::byte> crc_buffer() {
  std::vector<std::byte> b(small_sizes ? (1u << 20) : (64u << 20));
  std::iota(reinterpret_cast<unsigned char*>(b.data()), reinterpret_cast<unsigned char*>(b.data()) + b.size(),
            static_cast<unsigned char>(0));
  return b;
}

void bm_memcpy(benchmark::State& state) {
  const auto src = crc_buffer();
  std::vector<std::byte> dst(src.size());
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), src.size());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * src.size()));
}

void bm_crc32_graft(benchmark::State& state) {
  const auto b = crc_buffer();
  state.SetLabel(graft::io::crc32_implementation());
  for (auto _ : state) benchmark::DoNotOptimize(graft::io::crc32_update(0, b.data(), b.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * b.size()));
}

/// The portable path alone (slicing-by-8), which serves processors without PCLMULQDQ and every tail.
void bm_crc32_tables(benchmark::State& state) {
  const auto b = crc_buffer();
  const auto* p = reinterpret_cast<const unsigned char*>(b.data());
  for (auto _ : state) benchmark::DoNotOptimize(graft::io::detail::crc32_tables(~0u, p, b.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * b.size()));
}

#ifdef GRAFT_BENCH_HAVE_ZLIB
void bm_crc32_zlib(benchmark::State& state) {
  const auto b = crc_buffer();
  if (::crc32(0L, reinterpret_cast<const Bytef*>(b.data()), static_cast<uInt>(b.size())) !=
      graft::io::crc32_update(0, b.data(), b.size()))
    state.SkipWithError("zlib and graft disagree on the CRC-32");
  for (auto _ : state)
    benchmark::DoNotOptimize(::crc32(0L, reinterpret_cast<const Bytef*>(b.data()), static_cast<uInt>(b.size())));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * b.size()));
}
#endif

void bm_write(benchmark::State& state, const std::string& extension) {
  const std::size_t limit = small_sizes ? 40 : static_cast<std::size_t>(-1);
  const std::string name = std::string(small_sizes ? "small" : "higherhrnet_w48_coco") + ".pth";
  const graft::io::checkpoint c =
      graft::io::read_checkpoint(fixture("benchmarks/data/higherhrnet_w48_coco.tsv", name, limit));
  std::size_t bytes = 0;
  for (const auto& r : c.tensors) bytes += r.nbytes();
  const std::string out = (fs::path(GRAFT_BENCH_FIXTURE_DIR) / ("written" + extension)).string();
  for (auto _ : state) {
    if (extension == ".pth")
      graft::io::write_pth(out, c.tensors);
    else
      graft::io::write_safetensors(out, c.tensors, {});
  }
  fs::remove(out);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

void register_all() {
  using benchmark::RegisterBenchmark;
  const std::int64_t parse_rules = small_sizes ? 100 : 10'000;
  RegisterBenchmark("parse/rules_file", bm_parse_rules)->Arg(parse_rules)->Unit(benchmark::kMillisecond);
  RegisterBenchmark("parse/load_rules", bm_load_rules)->Arg(parse_rules)->Unit(benchmark::kMillisecond);

  auto* plan = RegisterBenchmark("plan/synthetic_500_rules", bm_plan_synthetic);
  if (small_sizes) {
    plan->Arg(1'000)->Arg(2'000);
  } else {
    plan->Arg(1'000)->Arg(10'000)->Arg(100'000)->Arg(1'000'000);
  }
  plan->Complexity(benchmark::oN)->Unit(benchmark::kMillisecond);
  auto* sharded = RegisterBenchmark("plan/sharded_index_read_and_plan", bm_plan_sharded);
  if (small_sizes)
    sharded->Arg(2'000);
  else
    sharded->Arg(10'000)->Arg(100'000);
  sharded->Unit(benchmark::kMillisecond);

  struct pose {
    const char* label;
    const char* rules;
    const char* from;
    const char* onto;
  };
  const pose poses[] = {
      {"higherhrnet_w32", "rules/pose/higherhrnet_coco_to_crowdpose.graft",
       "tests/data/manifests/higherhrnet_w32_512_coco.tsv", "tests/data/manifests/higherhrnet_w32_512_crowdpose.tsv"},
      {"higherhrnet_w48", "rules/pose/higherhrnet_coco_to_crowdpose.graft", "benchmarks/data/higherhrnet_w48_coco.tsv",
       "benchmarks/data/higherhrnet_w48_crowdpose.tsv"},
      {"dekr_w32", "rules/pose/dekr_coco_to_crowdpose.graft", "tests/data/manifests/dekr_w32_coco.tsv",
       "tests/data/manifests/dekr_w32_crowdpose.tsv"},
  };
  for (const auto& p : poses) {
    RegisterBenchmark((std::string("plan/pose/") + p.label).c_str(), bm_plan_pose, p.rules, p.from, p.onto)
        ->Unit(benchmark::kMillisecond);
    RegisterBenchmark((std::string("plan/load_rules_and_plan/") + p.label).c_str(), bm_load_and_plan_pose, p.rules,
                      p.from, p.onto)
        ->Unit(benchmark::kMillisecond);
  }

  const std::pair<const char*, const char*> patterns[] = {
      {"literal", "stage4.0.fuse_layers.0.1.0.weight"},
      {"star", "stage4.*.fuse_layers.0.*.0.weight"},
      {"globstar_tail", "stage4.**"},
      {"globstar_head", "**.bn1.running_var"},
      {"globstar_middle", "stage{2,3,4}.**.conv2.weight"},
      {"alternatives", "final_layers.{0,1}.{weight,bias}"},
      {"joint", "stage4.<coco>.**"},
  };
  for (const auto& [label, text] : patterns) {
    RegisterBenchmark((std::string("match/") + label).c_str(), bm_match, text, false)->Unit(benchmark::kMicrosecond);
    RegisterBenchmark((std::string("match_captures/") + label).c_str(), bm_match, text, true)
        ->Unit(benchmark::kMicrosecond);
  }

  RegisterBenchmark("layout/coco_to_crowdpose_x2_keep", bm_resolve_layout, "keep, a -> b, a -> b", 48 + 40, 48 + 30);
  RegisterBenchmark("layout/joint_major_x15", bm_resolve_layout, "(a -> b) * 15", 20 * 15, 15 * 15);
  RegisterBenchmark("layout/block_major_x15", bm_resolve_layout, "15 * (a -> b)", 20 * 15, 15 * 15);
  const std::int64_t big = small_sizes ? 100 : 100'000;
  RegisterBenchmark("layout/keep_large_plus_joints", bm_resolve_layout, "keep, a -> b", big + 20, big + 15);

  RegisterBenchmark("read_header/pth", bm_read_header, ".pth")->Unit(benchmark::kMicrosecond);
  RegisterBenchmark("read_header/safetensors", bm_read_header, ".safetensors")->Unit(benchmark::kMicrosecond);

  RegisterBenchmark("write/memcpy_reference", bm_memcpy)->Unit(benchmark::kMillisecond);
  RegisterBenchmark("write/crc32_graft", bm_crc32_graft)->Unit(benchmark::kMillisecond);
  RegisterBenchmark("write/crc32_tables", bm_crc32_tables)->Unit(benchmark::kMillisecond);
#ifdef GRAFT_BENCH_HAVE_ZLIB
  RegisterBenchmark("write/crc32_zlib", bm_crc32_zlib)->Unit(benchmark::kMillisecond);
#endif
  RegisterBenchmark("write/write_pth", bm_write, ".pth")->Unit(benchmark::kMillisecond)->UseRealTime();
  RegisterBenchmark("write/write_safetensors", bm_write, ".safetensors")->Unit(benchmark::kMillisecond)->UseRealTime();

  bench_labels::register_label_benchmarks(small_sizes, GRAFT_BENCH_FIXTURE_DIR);
}

}  // namespace

int main(int argc, char** argv) { return bench::run(argc, argv, "bench_core", small_sizes, register_all); }
