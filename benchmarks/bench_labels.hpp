#pragma once
// bench_core, label sets at vocabulary scale: parse a 150,000-line label file, build the map between
// two vocabularies (150,000 -> 152,064 tokens, 2,064 of them new and `* = mean(*)`), and plan the
// embedding and output projection of a 152,064 x 4096 model from a 150,000 x 4096 one.
// docs/performance.md has the figures.

#include <benchmark/benchmark.h>

#include <graft/plan/planner.hpp>
#include <graft/rules/load.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace bench_labels {

namespace fs = std::filesystem;

/// Token `i` of the synthetic vocabularies: byte-pair-like text, some with spaces, quotes or UTF-8.
std::string token(std::size_t i) {
  switch (i % 5) {
    case 0: return "tok" + std::to_string(i);
    case 1: return "\xC4\xA0word" + std::to_string(i);  // "Ġword" (GPT-2's space marker)
    case 2: return "two words " + std::to_string(i);
    case 3: return "it's-" + std::to_string(i);
    default: return "caf\xC3\xA9_" + std::to_string(i);
  }
}

/// Writes `name` (a label file of tokens `tokens`, in that order) under `dir` once; returns its path.
fs::path label_file(const fs::path& dir, const std::string& name, const std::vector<std::size_t>& tokens) {
  const fs::path path = dir / name;
  if (fs::exists(path)) return path;
  fs::create_directories(dir);
  std::ofstream out(path, std::ios::binary);
  out << "# " << tokens.size() << " synthetic tokens\n";
  for (auto t : tokens) out << token(t) << "\n";
  return path;
}

/// The two vocabularies: old = tokens 0..n-1; new = old's tokens shuffled, then `added` new ones, the
/// new ones interleaved (what a retrained tokenizer gives).
struct vocabularies {
  fs::path dir, rules;
  std::size_t old_size = 0, new_size = 0;
};

inline vocabularies make_vocabularies(const fs::path& fixtures, std::size_t old_size, std::size_t added) {
  vocabularies v;
  v.dir = fixtures / ("vocab_" + std::to_string(old_size) + "_" + std::to_string(added));
  v.old_size = old_size;
  v.new_size = old_size + added;
  std::vector<std::size_t> old_tokens(old_size), new_tokens(old_size + added);
  for (std::size_t i = 0; i < old_size; ++i) old_tokens[i] = i;
  for (std::size_t i = 0; i < new_tokens.size(); ++i) new_tokens[i] = i;
  std::mt19937_64 rng(15);
  std::shuffle(new_tokens.begin(), new_tokens.end(), rng);
  label_file(v.dir, "old.labels", old_tokens);
  label_file(v.dir, "new.labels", new_tokens);
  v.rules = v.dir / "vocab.graft";
  if (!fs::exists(v.rules))
    std::ofstream(v.rules) << "labels old from \"old.labels\"\nlabels new from \"new.labels\"\n"
                              "map old -> new { * = mean(*) }\n"
                              "reshape \"{embed_tokens,lm_head}.weight\" { dim 0 = old -> new }\n";
  return v;
}

inline graft::rules::ruleset load(const fs::path& rules) {
  graft::rules::load_options options;
  options.use_installed_rules = false;
  return graft::rules::load_rules(rules, options);
}

/// Parse one label file of state.range(0) labels (the loader's whole path: read, split, index).
inline void bm_parse_label_file(benchmark::State& state, const fs::path& fixtures) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto v = make_vocabularies(fixtures, n, n * 2064 / 150000);
  const fs::path rules = v.dir / "one_set.graft";
  if (!fs::exists(rules)) std::ofstream(rules) << "labels old from \"old.labels\"\n";
  for (auto _ : state) benchmark::DoNotOptimize(load(rules));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

/// Load both vocabularies and build `map old -> new { * = mean(*) }`.
inline void bm_build_map(benchmark::State& state, const fs::path& fixtures) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto v = make_vocabularies(fixtures, n, n * 2064 / 150000);
  for (auto _ : state) benchmark::DoNotOptimize(load(v.rules));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * (v.old_size + v.new_size)));
}

/// Plan the embedding and output projection ([vocabulary, 4096] each) from the loaded rules.
inline void bm_plan_embedding(benchmark::State& state, const fs::path& fixtures) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto v = make_vocabularies(fixtures, n, n * 2064 / 150000);
  const auto rules = load(v.rules);
  const auto set = [](std::size_t rows) {
    graft::tensor_set s;
    for (const char* name : {"embed_tokens.weight", "lm_head.weight", "norm.weight"})
      s.push_back({name, graft::dtype::bfloat16,
                   std::string(name) == "norm.weight" ? graft::shape_t{4096}
                                                      : graft::shape_t{static_cast<std::int64_t>(rows), 4096}});
    return s;
  };
  const auto source = set(v.old_size), destination = set(v.new_size);
  std::size_t index_bytes = 0;
  for (auto _ : state) {
    auto p = graft::make_plan(rules, source, destination);
    if (!p.ok()) state.SkipWithError("the vocabulary plan has errors");
    index_bytes = 0;
    for (const auto& e : p.entries)
      for (const auto& sel : e.selections) {
        index_bytes += (sel.source_index.size() + sel.destination_index.size() + sel.kept.size()) * 8;
        for (const auto& m : sel.means) index_bytes += sizeof m + m.sources.size() * 8;
      }
    benchmark::DoNotOptimize(p);
  }
  state.counters["index_MB"] = static_cast<double>(index_bytes) / 1e6;
  state.counters["destination_rows"] = static_cast<double>(v.new_size);
}

/// Registers the three, at 150,000 labels (1,000 with small sizes).
inline void register_label_benchmarks(bool small, const fs::path& fixtures) {
  const std::int64_t n = small ? 1'000 : 150'000;
  benchmark::RegisterBenchmark("labels/parse_label_file", bm_parse_label_file, fixtures)
      ->Arg(n)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("labels/build_vocabulary_map", bm_build_map, fixtures)
      ->Arg(n)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("labels/plan_embedding_x4096", bm_plan_embedding, fixtures)
      ->Arg(n)
      ->Unit(benchmark::kMillisecond);
}

}  // namespace bench_labels
