// Manifests written (io::write_manifest, `graft inspect --manifest`) read back by io::read_manifest:
// names, dtypes, shapes (0-d and empty ones included) and roles kept; names a manifest cannot hold and
// outputs over an input refused, with nothing written.

#include <graft/io/checkpoint.hpp>
#include <graft/io/manifest.hpp>
#include <graft/io/manifest_writer.hpp>

#include "util.hpp"

using namespace graft::io;
using test::Contains;

namespace {

void check_same(const graft::tensor_set& got, const graft::tensor_set& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("tensor " << want[i].name);
    CHECK(got[i].name == want[i].name);
    CHECK(got[i].type == want[i].type);
    CHECK(got[i].shape == want[i].shape);
    CHECK(got[i].role == want[i].role);
  }
}

}  // namespace

TEST_CASE("manifest writer: a checkpoint's manifest reads back with the same names, dtypes and shapes") {
  const auto ck = read_checkpoint(io_test::fixture("all_kinds_zip.pth"));
  const graft::tensor_set tensors(ck.tensors.begin(), ck.tensors.end());
  const auto scalar = std::find_if(tensors.begin(), tensors.end(), [](const auto& t) { return t.shape.empty(); });
  REQUIRE(scalar != tensors.end());  // the fixture has a 0-d tensor: its shape field is empty
  const auto out = (io_test::scratch("manifest_round_trip") / "all_kinds.tsv").string();
  write_manifest(out, tensors, {}, "made by a test\nsecond comment line");
  check_same(read_manifest(out), tensors);
  const std::string text = io_test::read_bytes(out);
  CHECK(text.rfind("# made by a test\n# second comment line\n", 0) == 0);
  CHECK_THAT(text, Contains("\n" + scalar->name + "\tfloat64\t\n"));
}

TEST_CASE("manifest writer: roles and every dtype survive the round trip") {
  graft::tensor_set tensors = read_manifest(std::string(GRAFT_TEST_DATA_DIR) + "/manifests/resnet18_10class.tsv");
  REQUIRE(
      std::any_of(tensors.begin(), tensors.end(), [](const auto& t) { return t.role == graft::tensor_role::buffer; }));
  for (const auto& row : graft::dtype_table)
    tensors.push_back({"dtype." + std::string(row.name), row.value, {2, 0}, {}});
  check_same(parse_manifest(format_manifest(tensors), "written"), tensors);
}

TEST_CASE("manifest writer: names a manifest cannot hold are refused, and nothing is written") {
  const auto dir = io_test::scratch("manifest_refused");
  for (const std::string& name : std::vector<std::string>{"a\tb", "a\nb", "#a", "a\xff", ""}) {
    INFO("name " << name);
    const auto out = (dir / "out.tsv").string();
    graft::tensor_set tensors{{"ok", graft::dtype::float32, {1}, {}}, {name, graft::dtype::float32, {1}, {}}};
    CHECK_THROWS_AS(write_manifest(out, tensors), graft::checkpoint_error);
    CHECK_THROWS_WITH(write_manifest(out, tensors), Contains(out + ": not written: tensor '"));
    CHECK_FALSE(std::filesystem::exists(out));
  }
  graft::tensor_set twice{{"a", graft::dtype::float32, {1}, {}}, {"a", graft::dtype::float32, {1}, {}}};
  CHECK_THROWS_WITH(format_manifest(twice), Contains("'a' is listed twice"));
  CHECK(std::distance(std::filesystem::directory_iterator(dir), {}) == 0);  // no temporary file left behind
}

TEST_CASE("manifest writer: never over an input") {
  const auto dir = io_test::scratch("manifest_input");
  const auto in = io_test::write_file(dir / "in.tsv", "a\tfloat32\t2\n");
  const graft::tensor_set tensors = read_manifest(in);
  write_options options;
  options.inputs = {in};
  CHECK_THROWS_AS(write_manifest(in, {{"b", graft::dtype::int8, {}, {}}}, options), graft::usage_error);
  CHECK(io_test::read_bytes(in) == "a\tfloat32\t2\n");
}
