// Sharded safetensors (Hugging Face *.safetensors.index.json + shards), folder inputs, and the
// format registry's choice of reader and writer.

#include <graft/io/checkpoint.hpp>
#include <graft/io/safetensors.hpp>

#include "util.hpp"

using namespace graft::io;
using test::Contains;

namespace {

/// The tensors of a fixture, written as two shards plus an index (tensor order in the index: `order`).
struct sharded_fixture {
  std::filesystem::path dir;
  std::vector<tensor_record> all;  // the fixture's tensors

  explicit sharded_fixture(const std::string& name) : dir(io_test::scratch(name)) {
    all = read_checkpoint(io_test::fixture("all_kinds.safetensors")).tensors;
    REQUIRE(all.size() >= 4);
    const std::size_t half = all.size() / 2;
    write_safetensors((dir / "model-00001-of-00002.safetensors").string(), {all.begin(), all.begin() + half},
                      {{"format", "pt"}});
    write_safetensors((dir / "model-00002-of-00002.safetensors").string(), {all.begin() + half, all.end()},
                      {{"format", "pt"}});
  }

  /// The weight_map text listing every tensor in its shard, in reverse order, plus `extra` members.
  std::string weight_map(const std::string& extra = "") const {
    std::string s;
    for (std::size_t i = all.size(); i-- > 0;) {
      s += (s.empty() ? "" : ",") + std::string("\"") + all[i].name + "\":\"model-0000" +
           (i < all.size() / 2 ? "1" : "2") + "-of-00002.safetensors\"";
    }
    return s + extra;
  }

  std::string index(const std::string& body) const {
    return io_test::write_file(dir / "model.safetensors.index.json", body);
  }
};

}  // namespace

TEST_CASE("sharded safetensors: the index's tensors, in weight_map order, zero-copy from the shards") {
  sharded_fixture fx("sharded-read");
  const std::string path =
      fx.index("{\"metadata\": {\"total_size\": 1234, \"note\": \"x\"}, \"weight_map\": {" + fx.weight_map() + "}}");
  for (const std::string& input : {path, fx.dir.string()}) {
    INFO(input);
    auto ck = read_checkpoint(input);
    CHECK(ck.format == "safetensors-sharded");
    CHECK(ck.kind == &sharded_safetensors_format);
    CHECK(ck.path == input);
    CHECK(ck.metadata == metadata_t{{"total_size", "1234"}, {"note", "x"}});
    REQUIRE(ck.files.size() == 3);
    CHECK(ck.files[0] == path);
    REQUIRE(ck.tensors.size() == fx.all.size());
    for (std::size_t i = 0; i < ck.tensors.size(); ++i) {
      const auto& want = fx.all[fx.all.size() - 1 - i];
      INFO(want.name);
      CHECK(ck.tensors[i].name == want.name);
      CHECK(ck.tensors[i].shape == want.shape);
      CHECK(ck.tensors[i].contiguous_bytes() == want.contiguous_bytes());
    }
  }
}

TEST_CASE("sharded safetensors: broken indexes are refused with the reason") {
  sharded_fixture fx("sharded-bad");
  const std::string first = fx.all.front().name, last = fx.all.back().name;
  auto refused = [&](const std::string& body, const std::string& why) {
    INFO(body);
    CHECK_THROWS_AS(read_checkpoint(fx.index(body)), graft::checkpoint_error);
    CHECK_THROWS_WITH(read_checkpoint(fx.index(body)), Contains("sharded safetensors index") && Contains(why));
  };
  refused("{\"weight_map\": {" + fx.weight_map(",\"extra\":\"model-00003-of-00002.safetensors\"") + "}}",
          "shard 'model-00003-of-00002.safetensors' is missing");
  refused("{\"weight_map\": {" + fx.weight_map(",\"ghost\":\"model-00001-of-00002.safetensors\"") + "}}",
          "tensor 'ghost' is missing from its shard 'model-00001-of-00002.safetensors'");
  // a shard holds a tensor the index does not list
  std::string without_first = fx.weight_map();
  without_first = without_first.substr(0, without_first.rfind(','));
  refused("{\"weight_map\": {" + without_first + "}}", "holds tensor '" + first + "', which the index does not list");
  // listed in the other shard
  std::string moved = fx.weight_map();
  const std::string entry = "\"" + first + "\":\"model-00001-of-00002.safetensors\"";
  REQUIRE(moved.find(entry) != std::string::npos);
  moved.replace(moved.find(entry), entry.size(), "\"" + first + "\":\"model-00002-of-00002.safetensors\"");
  refused("{\"weight_map\": {" + moved + "}}", "is in shard 'model-00001-of-00002.safetensors', but the index lists");
  for (const char* escape : {"../model-00001-of-00002.safetensors", "a/../../x.safetensors", ".", ""})
    refused("{\"weight_map\": {\"w\": \"" + std::string(escape) + "\"}}", "shard path");
  refused("{\"weight_map\": {\"w\": \"/etc/passwd\"}}", "is absolute");
  refused("{\"weight_map\": {\"w\": 3}}", "shard is not a string");
  refused("{\"metadata\": {}}", "no \"weight_map\" object");
  refused("{\"metadata\": [], \"weight_map\": {}}", "\"metadata\" is not an object");
  refused("[1]", "not a JSON object");
  refused("{\"weight_map\": {\"a\": \"x\", \"a\": \"y\"}}", "malformed JSON");
  refused("{\"weight_map\": ", "malformed JSON");
}

TEST_CASE("sharded safetensors: a tensor in two shards is refused") {
  auto dir = io_test::scratch("sharded-twice");
  auto all = read_checkpoint(io_test::fixture("all_kinds.safetensors")).tensors;
  write_safetensors((dir / "a.safetensors").string(), {all[0], all[1]});
  write_safetensors((dir / "b.safetensors").string(), {all[1], all[2]});
  const std::string index =
      io_test::write_file(dir / "m.safetensors.index.json",
                          "{\"weight_map\": {\"" + all[0].name + "\": \"a.safetensors\", \"" + all[1].name +
                              "\": \"./a.safetensors\", \"" + all[2].name + "\": \"sub/../b.safetensors\"}}");
  CHECK_THROWS_WITH(read_checkpoint(index),
                    Contains("tensor '" + all[1].name + "' is in two shards, 'a.safetensors' and 'b.safetensors'"));
}

TEST_CASE("folder inputs: one index, or one safetensors file, anything else is refused") {
  auto dir = io_test::scratch("folder-inputs");
  CHECK_THROWS_WITH(read_checkpoint(dir.string()), Contains("folder holds no checkpoint graft can read"));
  auto all = read_checkpoint(io_test::fixture("all_kinds.safetensors")).tensors;
  write_safetensors((dir / "only.safetensors").string(), all);
  auto ck = read_checkpoint(dir.string());
  CHECK(ck.format == "safetensors");
  CHECK(ck.files == std::vector<std::string>{(dir / "only.safetensors").string()});
  CHECK(ck.tensors.size() == all.size());
  write_safetensors((dir / "second.safetensors").string(), all);
  CHECK_THROWS_WITH(read_checkpoint(dir.string()), Contains("folder holds no checkpoint"));
  io_test::write_file(dir / "a.safetensors.index.json", "{\"weight_map\": {}}");
  CHECK(read_checkpoint(dir.string()).format == "safetensors-sharded");
  io_test::write_file(dir / "b.safetensors.index.json", "{\"weight_map\": {}}");
  CHECK_THROWS_WITH(read_checkpoint(dir.string()), Contains("folder holds no checkpoint"));
}

TEST_CASE("format registry: one entry per name, sniffed from content or name, writers by extension") {
  for (const checkpoint_format* f : checkpoint_formats) {
    INFO(f->name);
    CHECK(find_format(f->name) == f);
    CHECK(f->read != nullptr);
    CHECK(f->extensions.empty() == (f->write == nullptr));
  }
  CHECK(find_format("nope") == nullptr);
  CHECK(format_for_output("a.pth") == &pth_zip_format);
  CHECK(format_for_output("a.pt") == &pth_zip_format);
  CHECK(format_for_output("dir/a.safetensors") == &safetensors_format);
  CHECK(format_for_output("a.bin") == nullptr);
  CHECK(format_for_output("model.safetensors.index.json") ==
        &sharded_safetensors_format);  // written since sharded_writer.hpp
  CHECK(read_checkpoint(io_test::fixture("module_script.pt")).kind == &torchscript_format);
  CHECK(read_checkpoint(io_test::fixture("all_kinds_legacy.pth")).kind == &pth_legacy_format);
  CHECK(read_checkpoint(io_test::fixture("all_kinds_zip.pth")).kind == &pth_zip_format);
}

TEST_CASE("write_checkpoint: options carry the inputs and the safetensors metadata") {
  auto dir = io_test::scratch("write-checkpoint");
  auto src = read_checkpoint(io_test::fixture("all_kinds_zip.pth"));
  checkpoint_write_options o;
  o.metadata = {{"format", "pt"}, {"graft_rules", "r.graft"}};
  o.inputs = {io_test::fixture("all_kinds_zip.pth")};
  write_checkpoint((dir / "a.safetensors").string(), src.tensors, o);
  CHECK(read_checkpoint((dir / "a.safetensors").string()).metadata == o.metadata);
  write_checkpoint((dir / "a.pt").string(), src.tensors, o);
  CHECK(read_checkpoint((dir / "a.pt").string()).format == "pth-zip");
  const auto copy = (dir / "in.pth").string();
  write_checkpoint(copy, src.tensors);
  o.inputs = {copy};
  CHECK_THROWS_AS(write_checkpoint(copy, src.tensors, o), graft::usage_error);
  CHECK_THROWS_WITH(write_checkpoint((dir / "a.bin").string(), src.tensors),
                    Contains("cannot tell which format to write") && Contains(".pth .pt .safetensors"));
  CHECK_FALSE(std::filesystem::exists(dir / "a.bin"));
}
