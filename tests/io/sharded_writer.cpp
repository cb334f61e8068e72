// Writing sharded safetensors: the layout (a pure function of names, dtypes, shapes and the maximum
// shard size), shards written by separate runs byte-identical to a whole run, the index written last
// and only when every shard is on disk, and the size option's syntax.

#include <graft/io/checkpoint.hpp>
#include <graft/io/sharded_writer.hpp>

#include "util.hpp"

#include <filesystem>
#include <map>

using namespace graft::io;
using test::Contains;

namespace {

namespace fs = std::filesystem;

std::vector<tensor_record> fixture_tensors() {
  auto t = read_checkpoint(io_test::fixture("all_kinds.safetensors")).tensors;
  REQUIRE(t.size() >= 6);
  return t;
}

/// A maximum shard size that puts the fixture's tensors into several shards.
std::uint64_t small_max(const std::vector<tensor_record>& t) {
  std::uint64_t total = 0;
  for (const auto& r : t) total += r.nbytes();
  return total / 3 + 1;
}

checkpoint_write_options options_for(std::uint64_t max, shard_selection s = {}) {
  checkpoint_write_options o;
  o.metadata = {{"format", "pt"}};
  o.max_shard_bytes = max;
  o.shards = std::move(s);
  return o;
}

/// Every file of `dir`, name → bytes.
std::map<std::string, std::string> files_of(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    out[e.path().filename().string()] = io_test::read_bytes(e.path().string());
  return out;
}

}  // namespace

TEST_CASE("shard layout: tensors in order, a new shard when the next would exceed the maximum") {
  const auto t = fixture_tensors();
  const auto max = small_max(t);
  const auto layout = layout_shards("out/llm.safetensors.index.json", t, max);
  REQUIRE(layout.files.size() >= 3);
  CHECK(layout.folder == "out");
  CHECK(layout.files[0] == "llm-00001-of-0000" + std::to_string(layout.files.size()) + ".safetensors");
  std::size_t next = 0;
  std::uint64_t total = 0;
  for (std::size_t s = 0; s < layout.tensors.size(); ++s) {
    std::uint64_t bytes = 0;
    for (auto i : layout.tensors[s]) {
      CHECK(i == next++);  // every tensor once, in order
      bytes += t[i].nbytes();
    }
    CHECK((bytes <= max || layout.tensors[s].size() == 1));
    if (s + 1 < layout.tensors.size()) CHECK(bytes + t[layout.tensors[s + 1].front()].nbytes() > max);
    total += bytes;
  }
  CHECK(next == t.size());
  CHECK(layout.total_size == total);
  const auto tiny = layout_shards("x.safetensors.index.json", t, 1);  // each tensor alone (empty ones join)
  std::size_t nonempty = 0;
  for (const auto& r : t) nonempty += r.nbytes() > 0;
  CHECK(tiny.files.size() == nonempty);
  for (const auto& shard : tiny.tensors) {
    std::size_t with_bytes = 0;
    for (auto i : shard) with_bytes += t[i].nbytes() > 0;
    CHECK(with_bytes == 1);
  }
  CHECK(layout_shards("x.safetensors.index.json", t, 1ULL << 40).files ==
        std::vector<std::string>{"x-00001-of-00001.safetensors"});
  CHECK(layout_shards(".safetensors.index.json", t, 1ULL << 40).files[0] == "model-00001-of-00001.safetensors");
  CHECK_THROWS_WITH(layout_shards("x.json", t, 10), Contains("must be called <name>.safetensors.index.json"));
  CHECK_THROWS_WITH(layout_shards("x.safetensors.index.json", t, 0), Contains("more than 0 bytes"));
}

TEST_CASE("sharded output: written whole, read back as one checkpoint equal to the records") {
  const auto t = fixture_tensors();
  const auto dir = io_test::scratch("sharded-writer-whole");
  const auto index = (dir / "model.safetensors.index.json").string();
  write_checkpoint(index, t, options_for(small_max(t)));  // through the format registry
  const auto back = read_checkpoint(index);
  CHECK(back.format == "safetensors-sharded");
  REQUIRE(back.tensors.size() == t.size());
  for (std::size_t i = 0; i < t.size(); ++i) {
    CHECK(back.tensors[i].name == t[i].name);
    CHECK(back.tensors[i].type == t[i].type);
    CHECK(back.tensors[i].shape == t[i].shape);
    CHECK(back.tensors[i].contiguous_bytes() == t[i].contiguous_bytes());
  }
  CHECK(back.files.size() == 1 + layout_shards(index, t, small_max(t)).files.size());
  CHECK(back.metadata.front() ==
        std::make_pair(std::string("total_size"), std::to_string(layout_shards(index, t, small_max(t)).total_size)));
}

TEST_CASE("sharded output: worker K of N writes its shards, and the run completing them writes the index") {
  const auto t = fixture_tensors();
  const auto max = small_max(t);
  const auto whole = io_test::scratch("sharded-writer-ref");
  write_sharded_safetensors((whole / "model.safetensors.index.json").string(), t, options_for(max));
  const auto split = io_test::scratch("sharded-writer-split");
  const auto index = (split / "model.safetensors.index.json").string();
  const auto first = write_sharded_safetensors(index, t, options_for(max, {1, 2, ""}));  // worker 2 of 2
  CHECK_FALSE(first.index_written);
  CHECK_FALSE(fs::exists(index));
  CHECK(first.shards_present == first.written.size());
  const auto second = write_sharded_safetensors(index, t, options_for(max, {0, 2, ""}));  // worker 1 of 2
  CHECK(second.index_written);
  CHECK(second.shards_present == first.written.size() + second.written.size());
  CHECK(files_of(split) == files_of(whole));  // byte-identical, index included
}

TEST_CASE("sharded output: one shard by name, byte-identical, unknown names and stale shards") {
  const auto t = fixture_tensors();
  const auto max = small_max(t);
  const auto whole = io_test::scratch("sharded-writer-ref2");
  write_sharded_safetensors((whole / "m.safetensors.index.json").string(), t, options_for(max));
  const auto layout = layout_shards("m.safetensors.index.json", t, max);
  const auto dir = io_test::scratch("sharded-writer-one");
  const auto index = (dir / "m.safetensors.index.json").string();
  const auto r = write_sharded_safetensors(index, t, options_for(max, {0, 1, layout.files[1]}));
  REQUIRE(r.written.size() == 1);
  CHECK(io_test::read_bytes(r.written[0]) == io_test::read_bytes((whole / layout.files[1]).string()));
  CHECK_FALSE(fs::exists(index));
  CHECK_THROWS_WITH(write_sharded_safetensors(index, t, options_for(max, {0, 1, "m-00009-of-00009.safetensors"})),
                    Contains("no shard 'm-00009-of-00009.safetensors' in this layout") && Contains(layout.files[0]));
  // A stale shard (other tensors under the same name) does not count as present: no index.
  for (std::size_t s = 0; s < layout.files.size(); ++s)
    if (s != 1) io_test::write_file(dir / layout.files[s], io_test::read_bytes((whole / layout.files[1]).string()));
  const auto again = write_sharded_safetensors(index, t, options_for(max, {0, 1, layout.files[1]}));
  CHECK(again.shards_present == 1);
  CHECK_FALSE(fs::exists(index));
  // With the real shards there, the index is written.
  for (std::size_t s = 0; s < layout.files.size(); ++s)
    fs::copy_file(whole / layout.files[s], dir / layout.files[s], fs::copy_options::overwrite_existing);
  CHECK(write_sharded_safetensors(index, t, options_for(max, {0, 1, layout.files[0]})).index_written);
  CHECK(files_of(dir) == files_of(whole));
  CHECK_THROWS_WITH(write_sharded_safetensors(index, t, options_for(max, {2, 2, ""})), Contains("worker 3 of 2"));
}

TEST_CASE("sharded output: never over an input, refused before anything is written") {
  const auto t = fixture_tensors();
  const auto max = small_max(t);
  const auto dir = io_test::scratch("sharded-writer-inputs");
  const auto index = (dir / "model.safetensors.index.json").string();
  const auto layout = layout_shards(index, t, max);
  auto o = options_for(max);
  io_test::write_file(dir / layout.files.back(), "an input");
  o.inputs = {(dir / layout.files.back()).string()};  // the last shard's name is an input
  CHECK_THROWS_WITH(write_sharded_safetensors(index, t, o), Contains("is an input"));
  CHECK_FALSE(fs::exists(dir / layout.files.front()));  // nothing written before the refusal
  io_test::write_file(dir / "model.safetensors.index.json", "{}");
  o.inputs = {index};
  CHECK_THROWS_WITH(write_sharded_safetensors(index, t, o), Contains("is an input"));
  CHECK_FALSE(fs::exists(dir / layout.files.front()));
  CHECK(io_test::read_bytes(index) == "{}");
}

TEST_CASE("parse_byte_size: decimal and binary units, any case, anything else refused") {
  CHECK(parse_byte_size("4096") == 4096);
  CHECK(parse_byte_size("5GB") == 5'000'000'000ULL);
  CHECK(parse_byte_size("500 MB") == 500'000'000ULL);
  CHECK(parse_byte_size("1GiB") == (1ULL << 30));
  CHECK(parse_byte_size("2kib") == 2048);
  CHECK(parse_byte_size("7b") == 7);
  for (const char* bad : {"", "GB", "5 GB ", "5XB", "-1", "1.5GB", "99999999999999999999", "20000000TiB"})
    CHECK_THROWS_WITH(parse_byte_size(bad, "--max-shard-size"), Contains("--max-shard-size must be a number of bytes"));
}
