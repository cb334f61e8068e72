// libFuzzer entry point; built once per target with -DGRAFT_FUZZ_TARGET=<function in targets.hpp>.
// Each input runs under its limits (run_limited: heap within 64 x its size + 64 MiB, 10 s).
#define GRAFT_FUZZ_METER_IMPLEMENTATION
#include "targets.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#ifndef GRAFT_FUZZ_TARGET
#error "define GRAFT_FUZZ_TARGET to one of the functions in targets.hpp"
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    graft_fuzz::run_limited(&graft_fuzz::GRAFT_FUZZ_TARGET, data, size);
  } catch (const graft_fuzz::contract_violation& e) {
    std::fprintf(stderr, "graft fuzz: contract violated: %s\n", e.what());
    std::abort();  // libFuzzer saves the input as a crash
  }
  return 0;
}
