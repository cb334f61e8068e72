// No laundering: bytes graft copies out of a torch.save zip are checked against the CRC-32 their
// storage record declares (when first copied: written, read into memory, or handed to LibTorch), so
// a corrupt record fails instead of being written elsewhere under a fresh, valid CRC; copied whole into
// a .pth by the kernel (write_options::kernel_copy) a record is not read and keeps its declared CRC-32,
// so a corrupt one stays detectably corrupt, and is still checked on every other way out; and names must
// be valid UTF-8 on every path (safetensors names and metadata, sharded indexes, pickle dict keys,
// manifests, writers), or the input is refused with the name's bytes escaped.

#include <graft/io/checkpoint.hpp>
#include <graft/io/manifest.hpp>
#include <graft/io/pth_writer.hpp>
#include <graft/io/safetensors.hpp>
#include <graft/io/zip.hpp>

#include "support/catch.hpp"

#include "security/scratch.hpp"
#include "security/zip_patch.hpp"
#include "support/kernel_copy_probe.hpp"
#include "support/pickle_builder.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

using namespace graft::io;
using test::Contains;
using test::pickle::str;
using test::pickle::tensor;
using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

int counter = 0;

fs::path scratch_file(const std::string& ext) {
  const auto p = security_test::scratch_root("laundering") / ("laundering-" + std::to_string(++counter) + ext);
  fs::create_directories(p.parent_path());
  return p;
}

std::string save(const std::string& bytes, const std::string& ext) {
  const auto p = scratch_file(ext);
  std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return p.string();
}

/// A torch.save zip holding {"w": 4 floats of storage 0, "v": floats 1..2 of storage 0}, storage 0's
/// CRC-32 declared as `crc` (or honestly when `lie` is false).
std::string pth(bool lie) {
  const std::string pkl =
      "\x80\x02}(" + str("w") + tensor("0", 4, {4}, {1}) + str("v") + tensor("0", 4, {2}, {1}, 1) + "u.";
  const auto path = scratch_file(".pth").string();
  std::FILE* f = std::fopen(path.c_str(), "w+b");
  REQUIRE(f != nullptr);
  zip_writer z(f, path);
  z.add("archive/data.pkl", pkl.data(), pkl.size());
  const std::string floats = "\x00\x00\x80\x3f\x00\x00\x00\x40\x00\x00\x40\x40\x00\x00\x80\x40"s;
  z.add("archive/data/0", floats.data(), floats.size());
  z.add("archive/version", "3\n", 2);
  z.finish();
  std::fclose(f);
  std::ifstream in(path, std::ios::binary);
  std::string zip{std::istreambuf_iterator<char>(in), {}};
  if (lie) security_test::set_crc(zip, "archive/data/0", 0x12345678u);
  return save(zip, ".pth");
}

/// The call fails with a checkpoint_error naming the file and the corrupt record.
template <class F>
void refused_as_corrupt(const std::string& path, F&& f) {
  try {
    f();
    FAIL("no error");
  } catch (const graft::checkpoint_error& e) {
    CHECK_THAT(std::string(e.what()), Contains(path + ": zip: entry 'archive/data/0' fails its CRC-32 check"));
  }
}

std::string safetensors(const std::string& json) {
  std::string f;
  for (int i = 0; i < 8; ++i) f += static_cast<char>((json.size() >> (8 * i)) & 0xff);
  return save(f + json + std::string(4, '\0'), ".safetensors");
}

void refused_name(const std::string& path, const std::string& shown) {
  INFO(path);
  try {
    read_checkpoint(path);
    FAIL("read");
  } catch (const graft::checkpoint_error& e) {
    CHECK_THAT(std::string(e.what()), Contains(path));
    CHECK_THAT(std::string(e.what()), Contains(shown));
    CHECK_THAT(std::string(e.what()), Contains("is not valid UTF-8"));
  }
}

}  // namespace

TEST_CASE("security laundering: a storage record with a lying CRC-32 is never copied") {
  const auto bad = pth(true);
  const auto ck = read_checkpoint(bad);  // reading the header touches no storage bytes
  REQUIRE(ck.tensors.size() == 2);
  // written whole (the CRC is computed as the bytes stream): no output
  const auto out = scratch_file(".pth");
  refused_as_corrupt(bad, [&] { write_pth(out.string(), {ck.tensors[0]}); });
  CHECK_FALSE(fs::exists(out));
  // a view of part of the record: the record is checked before its bytes are copied
  const auto out2 = scratch_file(".safetensors");
  refused_as_corrupt(bad, [&] { write_safetensors(out2.string(), {ck.tensors[1]}); });
  CHECK_FALSE(fs::exists(out2));
  // read into memory
  refused_as_corrupt(bad, [&] { (void)read_checkpoint(bad).tensors[0].contiguous_bytes(); });
}

TEST_CASE("security laundering: an honest record copies, and its CRC is checked once") {
  const auto ck = read_checkpoint(pth(false));
  REQUIRE(ck.tensors.size() == 2);
  REQUIRE(ck.tensors[0].source != nullptr);
  CHECK_FALSE(ck.tensors[0].source->checked());
  const auto out = scratch_file(".pth").string();
  write_pth(out, ck.tensors);
  CHECK(ck.tensors[0].source->checked());
  CHECK(ck.tensors[1].source == ck.tensors[0].source);  // one record, one check
  const auto back = read_checkpoint(out);
  CHECK(back.tensors[1].contiguous_bytes() == ck.tensors[1].contiguous_bytes());
}

namespace {

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("security laundering: copied whole by the kernel, a lying record keeps its CRC-32 and is refused later") {
  const auto bad = pth(true);
  const auto ck = read_checkpoint(bad);
  REQUIRE(ck.tensors.size() == 2);
  checkpoint_write_options by_kernel;
  by_kernel.kernel_copy = true;
  if (test::kernel_copies(bad, bad + ".probe")) {
    // the whole record into a .pth: copied unread, under the record's own (lying) CRC-32
    const auto out = scratch_file(".pth").string();
    write_checkpoint(out, {ck.tensors[0]}, by_kernel);
    const auto written = read_checkpoint(out);
    REQUIRE(written.tensors.size() == 1);
    const auto bytes = file_bytes(out);
    const zip_reader zip(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size(), out);
    REQUIRE(zip.find("archive/data/0") != nullptr);
    CHECK(zip.find("archive/data/0")->crc32 == 0x12345678u);
    // ... so the output is as refused as its source, on every way out that reads it
    refused_as_corrupt(out, [&] { (void)written.tensors[0].contiguous_bytes(); });
    refused_as_corrupt(out, [&] { write_pth(scratch_file(".pth").string(), written.tensors); });
    // and copied on by the kernel again, it carries the same CRC-32 again
    const auto again = scratch_file(".pth").string();
    write_checkpoint(again, written.tensors, by_kernel);
    const auto again_bytes = file_bytes(again);
    const zip_reader again_zip(reinterpret_cast<const std::byte*>(again_bytes.data()), again_bytes.size(), again);
    CHECK(again_zip.find("archive/data/0")->crc32 == 0x12345678u);
  } else {
    WARN("the kernel does not copy files here: the carried CRC-32 was not checked");
  }
  // a view of part of the record, into a .pth: checked first, refused
  const auto part = scratch_file(".pth");
  refused_as_corrupt(bad, [&] { write_checkpoint(part.string(), {ck.tensors[1]}, by_kernel); });
  CHECK_FALSE(fs::exists(part));
  // the whole record into a format without CRCs: checked first, refused
  const auto st = scratch_file(".safetensors");
  refused_as_corrupt(bad, [&] { write_checkpoint(st.string(), {ck.tensors[0]}, by_kernel); });
  CHECK_FALSE(fs::exists(st));
  // an honest record copied whole by the kernel keeps its true CRC-32 and reads back
  const auto good = read_checkpoint(pth(false));
  const auto out = scratch_file(".pth").string();
  write_checkpoint(out, {good.tensors[0]}, by_kernel);
  CHECK(read_checkpoint(out).tensors[0].contiguous_bytes() == good.tensors[0].contiguous_bytes());
}

TEST_CASE("security names: a safetensors tensor name or metadata key that is not UTF-8 is refused") {
  const std::string entry = "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
  refused_name(safetensors("{\"a\xff\":" + entry + "}"), "'a\\xff'");
  refused_name(safetensors("{\"__metadata__\":{\"k\xc0\xaf\":\"v\"},\"a\":" + entry + "}"), "'k\\xc0\\xaf'");
  refused_name(safetensors("{\"\xed\xa0\x80\":" + entry + "}"), "'\\xed\\xa0\\x80'");  // a surrogate
  // valid UTF-8 beyond ASCII is a name like any other
  const auto ck = read_checkpoint(safetensors("{\"\xc3\xa9t\xc3\xa9.\xf0\x9f\x94\xa5\":" + entry + "}"));
  REQUIRE(ck.tensors.size() == 1);
  CHECK(ck.tensors[0].name == "\xc3\xa9t\xc3\xa9.\xf0\x9f\x94\xa5");
}

TEST_CASE("security names: sharded indexes, pickle keys and manifests with names that are not UTF-8") {
  const auto dir = security_test::fresh_folder("laundering", "index");
  std::ofstream(dir / "m.safetensors.index.json") << "{\"weight_map\":{\"w\xfe\":\"a.safetensors\"}}";
  refused_name((dir / "m.safetensors.index.json").string(), "'w\\xfe'");
  // a torch.save dict key
  const std::string pkl = "\x80\x02}(" + str("w\x80") + tensor("0", 1, {1}, {1}) + "u.";
  const auto path = scratch_file(".pth").string();
  std::FILE* f = std::fopen(path.c_str(), "w+b");
  REQUIRE(f != nullptr);
  zip_writer z(f, path);
  z.add("archive/data.pkl", pkl.data(), pkl.size());
  z.add("archive/data/0", "\0\0\0\0", 4);
  z.add("archive/version", "3\n", 2);
  z.finish();
  std::fclose(f);
  refused_name(path, "'w\\x80'");
  // a manifest line
  CHECK_THROWS_WITH(parse_manifest("b\xe2\x82\tfloat32\t[1]\n", "m.tsv"), Contains("'b\\xe2\\x82' is not valid UTF-8"));
}

TEST_CASE("security names: writers refuse a name that is not UTF-8") {
  tensor_record r;
  r.name = "x\xff";
  r.shape = {1};
  r.strides = {1};
  auto bytes = std::make_shared<std::vector<std::byte>>(4);
  r.storage = {bytes->data(), 4};
  r.owner = bytes;
  const auto out = scratch_file(".pth").string();
  CHECK_THROWS_WITH(write_pth(out, {r}), Contains("'x\\xff' is not valid UTF-8"));
  CHECK_THROWS_WITH(write_safetensors(out + ".safetensors", {r}), Contains("'x\\xff' is not valid UTF-8"));
  CHECK_FALSE(fs::exists(out));
}
