#pragma once
// The shared main() of graft's benchmark programs: `--graft_small` (or GRAFT_BENCH_SMALL=1) selects
// tiny sizes for CI smoke runs; every other argument goes to Google Benchmark.

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <vector>

namespace bench {

/// Parses the size switch into `small_sizes`, registers (after that) and runs the benchmarks.
template <typename Register>
int run(int argc, char** argv, const char* program, bool& small_sizes, Register register_all) {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--graft_small") == 0)
      small_sizes = true;
    else
      args.push_back(argv[i]);
  }
  if (const char* env = std::getenv("GRAFT_BENCH_SMALL"); env && *env && std::strcmp(env, "0") != 0) small_sizes = true;
  int n = static_cast<int>(args.size());
  try {
    register_all();
    benchmark::Initialize(&n, args.data());
    if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
  } catch (const std::exception& e) {
    std::cerr << program << ": " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace bench
