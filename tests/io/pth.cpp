// Reading torch.save files (zip and legacy formats) and TorchScript archives, bit-exactly.

#include <graft/io/checkpoint.hpp>

#include "util.hpp"

#include <map>

using namespace graft::io;
using test::Contains;

TEST_CASE("pth: every dtype, views, shared storage, 0-d and empty tensors, both formats") {
  for (const char* name : {"all_kinds_zip.pth", "all_kinds_legacy.pth"}) {
    INFO(name);
    auto path = io_test::fixture(name);
    auto ck = read_checkpoint(path);
    CHECK(ck.format == (std::string(name).find("zip") != std::string::npos ? "pth-zip" : "pth-legacy"));
    CHECK(ck.chosen_key.empty());
    io_test::check_against(ck.tensors, path);
    auto find = [&](const std::string& n) -> const tensor_record& {
      for (const auto& r : ck.tensors)
        if (r.name == n) return r;
      FAIL("no tensor " << n);
      throw 0;
    };
    const auto& off = find("view.offset");
    const auto& tr = find("view.transposed");
    const auto& whole = find("view.whole");
    CHECK(off.storage_offset == 5);
    CHECK(tr.strides == std::vector<std::int64_t>{1, 4});
    CHECK_FALSE(tr.is_contiguous());
    CHECK(find("view.strided").strides == std::vector<std::int64_t>{6, 2});
    // views share one storage, zero-copy
    CHECK(off.storage.data == whole.storage.data);
    CHECK(tr.storage.data == whole.storage.data);
    CHECK(find("scalar").shape.empty());
    CHECK(find("empty").numel() == 0);
    // the bytes are in the mapped file
    CHECK(whole.owner != nullptr);
  }
}

TEST_CASE("pth: a module state_dict with its _metadata") {
  for (const char* name : {"module_zip.pth", "module_legacy.pth"}) {
    INFO(name);
    auto path = io_test::fixture(name);
    auto ck = read_checkpoint(path);
    io_test::check_against(ck.tensors, path);
    CHECK(ck.skipped.empty());
  }
}

TEST_CASE("pth: wrapped training checkpoints select the state dict") {
  for (const char* name : {"wrapped_zip.pth", "wrapped_legacy.pth"}) {
    INFO(name);
    auto path = io_test::fixture(name);
    auto ck = read_checkpoint(path);
    CHECK(ck.chosen_key == "state_dict");
    CHECK(ck.top_level_keys == std::vector<std::string>{"epoch", "best_acc", "arch", "big", "neg", "flags", "blob",
                                                        "perf", "state_dict", "optimizer"});
    io_test::check_against(ck.tensors, path);
    // explicit keys
    CHECK(read_checkpoint(path, std::string("state_dict")).tensors.size() == ck.tensors.size());
    CHECK_THROWS_WITH(read_checkpoint(path, std::string("nope")),
                      Contains("no key 'nope'") && Contains("'state_dict'"));
    CHECK_THROWS_WITH(read_checkpoint(path, std::string("epoch")), Contains("is a int, not a state dict"));
    // the whole pickle was read: python values came through
    auto pc = read_pth(path);
    const auto& root = pc.doc.root();
    CHECK(root.find("epoch")->integer == 7);
    CHECK(root.find("best_acc")->floating == 0.625);
    CHECK(root.find("arch")->text == "pose_hrnet");
    CHECK(root.find("big")->kind == pickle_kind::big_integer);
    CHECK(root.find("neg")->integer == -123456789012);
    CHECK(root.find("blob")->kind == pickle_kind::bytes);
    CHECK(root.find("blob")->text == std::string("\x00\x01\xff", 3));
    CHECK(root.find("perf")->kind == pickle_kind::object);  // a numpy scalar, kept opaque
  }
}

TEST_CASE("pth: parameters are marked as such") {
  for (const char* name : {"params_zip.pth", "params_legacy.pth"}) {
    INFO(name);
    auto path = io_test::fixture(name);
    auto ck = read_checkpoint(path);
    io_test::check_against(ck.tensors, path);
    for (const auto& r : ck.tensors) CHECK(r.role == graft::tensor_role::param);
  }
}

TEST_CASE("pth: nested keys by dotted path") {
  for (const char* name : {"nested_zip.pth", "nested_legacy.pth"}) {
    INFO(name);
    auto path = io_test::fixture(name);
    auto ck = read_checkpoint(path);  // the only dict of tensors is two levels down: ema → state_dict
    CHECK(ck.chosen_key == "ema.state_dict");
    io_test::check_against(ck.tensors, path);
    auto ck2 = read_checkpoint(path, std::string("ema.state_dict"));
    io_test::check_against(ck2.tensors, path);
  }
}

TEST_CASE("torchscript: parameters and buffers by dotted names") {
  auto path = io_test::fixture("module_script.pt");
  auto ck = read_checkpoint(path);
  CHECK(ck.format == "torchscript");
  io_test::check_against(ck.tensors, path);
  for (const auto& r : ck.tensors) {
    INFO(r.name);
    bool buffer = r.name.find("running") != std::string::npos || r.name.find("num_batches") != std::string::npos;
    CHECK(r.role == (buffer ? graft::tensor_role::buffer : graft::tensor_role::param));
  }
  auto sub = read_checkpoint(path, std::string("1"));
  REQUIRE(sub.tensors.size() == 5);
  CHECK(sub.tensors[0].name == "weight");
  CHECK_THROWS_WITH(read_checkpoint(path, std::string("9")), Contains("no submodule '9'"));
}

TEST_CASE("torchscript: user classes, two classes in one source file, roles from the source") {
  auto path = io_test::fixture("user_script.pt");
  auto ck = read_checkpoint(path);
  io_test::check_against(ck.tensors, path);
  std::map<std::string, graft::tensor_role> roles;
  for (const auto& r : ck.tensors) roles[r.name] = r.role;
  CHECK(roles["head"] == graft::tensor_role::param);
  CHECK(roles["steps"] == graft::tensor_role::buffer);
  CHECK(roles["block.scale"] == graft::tensor_role::param);
  CHECK(roles["block.shift"] == graft::tensor_role::buffer);
  CHECK(ck.top_level_keys == std::vector<std::string>{"block"});
}
