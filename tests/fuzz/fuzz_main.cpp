// libFuzzer entry point; built once per target with -DGRAFT_FUZZ_TARGET=<function in targets.hpp>.
#include "targets.hpp"

#include <cstddef>
#include <cstdint>

#ifndef GRAFT_FUZZ_TARGET
#error "define GRAFT_FUZZ_TARGET to one of the functions in targets.hpp"
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  graft_fuzz::GRAFT_FUZZ_TARGET(data, size);
  return 0;
}
