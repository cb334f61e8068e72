// Reading checkpoints written by PyTorch 2.6 (tests/data/io/torch2.6/: the fixtures of
// tests/data/io/make_fixtures.py, written by Debian 13's python3-torch), bit-exactly, in the same
// suite that reads Debian 12's PyTorch 1.13 files. 2.x archives add `byteorder` and
// `.data/serialization_id` records; its new dtypes (uint16/32/64, float8, complex) are refused
// clearly until graft handles them.

#include <graft/io/checkpoint.hpp>

#include "util.hpp"

#include <string>

using namespace graft::io;
using test::Contains;

namespace {
std::string fixture26(const std::string& name) { return io_test::fixture("torch2.6/" + name); }
}  // namespace

TEST_CASE("torch 2.6: every fixture reads tensor for tensor, byte for byte") {
  const struct {
    const char* name;
    const char* format;
    const char* chosen_key;
  } cases[] = {
      {"all_kinds_zip.pth", "pth-zip", ""},
      {"all_kinds_legacy.pth", "pth-legacy", ""},
      {"module_zip.pth", "pth-zip", ""},
      {"module_legacy.pth", "pth-legacy", ""},
      {"params_zip.pth", "pth-zip", ""},
      {"params_legacy.pth", "pth-legacy", ""},
      {"wrapped_zip.pth", "pth-zip", "state_dict"},
      {"wrapped_legacy.pth", "pth-legacy", "state_dict"},
      {"nested_zip.pth", "pth-zip", "ema.state_dict"},
      {"nested_legacy.pth", "pth-legacy", "ema.state_dict"},
      {"module_script.pt", "torchscript", ""},
      {"user_script.pt", "torchscript", ""},
      {"all_kinds.safetensors", "safetensors", ""},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    const std::string path = fixture26(c.name);
    const checkpoint ck = read_checkpoint(path);
    CHECK(ck.format == c.format);
    CHECK(ck.chosen_key == c.chosen_key);
    io_test::check_against(ck.tensors, path);
  }
}

TEST_CASE("torch 2.6: parameters are marked as such") {
  for (const char* name : {"params_zip.pth", "params_legacy.pth"}) {
    INFO(name);
    for (const auto& r : read_checkpoint(fixture26(name)).tensors) CHECK(r.role == graft::tensor_role::param);
  }
}

TEST_CASE("torch 2.6: dtypes graft does not handle yet are refused with the global that builds them") {
  CHECK_THROWS_WITH(read_checkpoint(fixture26("new_dtypes_zip.pth")),
                    Contains("new_dtypes_zip.pth") && Contains("_rebuild_tensor_v3"));
}
