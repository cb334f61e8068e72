// Reading checkpoints written by PyTorch 2.6 (tests/data/io/torch2.6/: the fixtures of
// tests/data/io/make_fixtures.py, written by Debian 13's python3-torch), bit-exactly, in the same
// suite that reads Debian 12's PyTorch 1.13 files. 2.x archives add `byteorder` and
// `.data/serialization_id` records; its new dtypes (uint16/32/64, float8, complex32) come through
// torch._utils._rebuild_tensor_v3 on an UntypedStorage (tests/data/io/torch2.6/make_new_dtypes.py).

#include <graft/io/checkpoint.hpp>

#include "support/pickle_builder.hpp"
#include "util.hpp"

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

using namespace graft::io;
namespace detail = graft::io::detail;
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
      {"new_dtypes_zip.pth", "pth-zip", ""},
      {"new_dtypes_bigendian.pth", "pth-zip", ""},
      {"new_dtypes.safetensors", "safetensors", ""},
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

namespace {

/// A copy of a zip fixture with records replaced (or added: a name it lacks); returns its path.
std::string rezip(const std::string& from, const std::vector<std::pair<std::string, std::string>>& records,
                  const std::string& out_name) {
  const auto dir = io_test::scratch("torch2-" + out_name);
  const std::string path = (dir / out_name).string();
  auto file = mapped_file::open(from);
  zip_reader in(file->data(), file->size(), from);
  std::FILE* f = std::fopen(path.c_str(), "w+b");
  REQUIRE(f != nullptr);
  zip_writer z(f, path);
  std::vector<std::pair<std::string, std::string>> added = records;
  for (const auto& e : in.entries()) {
    std::string bytes(detail::as_chars(in.bytes(e).data, in.bytes(e).size));
    for (auto it = added.begin(); it != added.end(); ++it)
      if (e.name == it->first) {
        bytes = it->second;
        added.erase(it);
        break;
      }
    z.add(e.name, bytes.data(), bytes.size());
  }
  for (const auto& [name, bytes] : added) z.add(name, bytes.data(), bytes.size());
  z.finish();
  std::fclose(f);
  return path;
}

}  // namespace

TEST_CASE("torch 2.6: the new dtypes come through _rebuild_tensor_v3 with their dtype and element offsets") {
  const checkpoint ck = read_checkpoint(fixture26("new_dtypes_zip.pth"));
  auto find = [&](const std::string& name) -> const tensor_record& {
    for (const auto& r : ck.tensors)
      if (r.name == name) return r;
    FAIL("no tensor " << name);
    return ck.tensors.front();
  };
  CHECK(find("uint64").type == graft::dtype::uint64);
  CHECK(find("float8_e5m2fnuz").type == graft::dtype::float8_e5m2fnuz);
  CHECK(find("complex32").type == graft::dtype::complex32);
  CHECK(find("complex64").type == graft::dtype::complex64);  // a typed storage (ComplexFloatStorage), v2
  const tensor_record& v = find("view.uint16");              // offset and strides count uint16 elements, not bytes
  CHECK(v.storage_offset == 4);
  CHECK(v.strides == std::vector<std::int64_t>{4, 2});
  CHECK(v.storage.size == 24);
}

TEST_CASE("torch 2.6: a big-endian archive is byte-swapped per element, also where torch.load does not") {
  // torch 2.6 itself misreads this file's uint16/32/64 and complex32 tensors (it swaps untyped storages as
  // bytes); graft swaps each storage by the dtype its tensors view it as, so it reads what was written.
  const checkpoint be = read_checkpoint(fixture26("new_dtypes_bigendian.pth"));
  const checkpoint le = read_checkpoint(fixture26("new_dtypes_zip.pth"));
  REQUIRE(be.tensors.size() == le.tensors.size());
  for (std::size_t i = 0; i < be.tensors.size(); ++i) {
    INFO(be.tensors[i].name);
    CHECK(be.tensors[i].contiguous_bytes() == le.tensors[i].contiguous_bytes());
  }
}

TEST_CASE("torch 2.6: byteorder and .format_version records are checked") {
  const std::string src = fixture26("new_dtypes_zip.pth");
  CHECK_THROWS_WITH(read_checkpoint(rezip(src, {{"new_dtypes_zip/byteorder", "middle"}}, "middle.pth")),
                    Contains("middle.pth") && Contains("byteorder is 'middle'"));
  CHECK_THROWS_WITH(read_checkpoint(rezip(src, {{"new_dtypes_zip/.format_version", "9"}}, "v9.pth")),
                    Contains("v9.pth") && Contains(".format_version is '9'") && Contains("1 to 2"));
  CHECK_THROWS_WITH(read_checkpoint(rezip(src, {{"new_dtypes_zip/.format_version", "x"}}, "vx.pth")),
                    Contains(".format_version is 'x'"));
  const checkpoint ok = read_checkpoint(
      rezip(src, {{"new_dtypes_zip/.format_version", "1"}, {"new_dtypes_zip/.storage_alignment", "64"}}, "v1.pth"));
  io_test::check_against(ok.tensors, src);
}

namespace {

/// A _rebuild_tensor_v3 call of dtype global `dtype` on storage `key` of class `storage` (`nbytes` long).
std::string tensor_v3(const std::string& storage, const std::string& key, std::int64_t nbytes, const std::string& dtype,
                      std::int64_t n) {
  using namespace test::pickle;
  return "ctorch._utils\n_rebuild_tensor_v3\n((" + str("storage") + "c" + storage + "\n" + str(key) + str("cpu") +
         int8b(nbytes) + "tQ" + int8b(0) + ints({n}) + ints({1}) + "\x89" + "ccollections\nOrderedDict\n)R" + dtype +
         "tR";
}

/// Unpickles a state dict {"a": a, "b": b}.
void unpickle_pair(const std::string& a, const std::string& b) {
  using test::pickle::str;
  const std::string p = "\x80\x02}(" + str("a") + a + str("b") + b + "u.";
  unpickle({reinterpret_cast<const std::byte*>(p.data()), p.size()}, "v3.pkl");
}

}  // namespace

TEST_CASE("torch 2.6: a v3 tensor on a storage of another dtype, or with a dtype that is not one, is refused") {
  const std::string untyped = "torch.storage\nUntypedStorage", u16 = "ctorch\nuint16\n";
  CHECK_NOTHROW(unpickle_pair(tensor_v3(untyped, "0", 4, u16, 2), tensor_v3("torch\nUntypedStorage", "1", 8, u16, 4)));
  CHECK_THROWS_WITH(
      unpickle_pair(tensor_v3("torch\nDoubleStorage", "0", 2, u16, 2), tensor_v3(untyped, "1", 4, u16, 2)),
      Contains("v3.pkl") && Contains("a uint16 tensor on a float64 storage"));
  CHECK_THROWS_WITH(unpickle_pair(tensor_v3(untyped, "0", 4, test::pickle::str("uint16"), 2), ""),
                    Contains("_rebuild_tensor_v3: dtype is a str, not a torch dtype"));
  CHECK_THROWS_WITH(unpickle_pair(tensor_v3(untyped, "0", 4, "ctorch\nqint8\n", 2), ""),
                    Contains("refused global 'torch.qint8'"));
}

TEST_CASE("torch 2.6: graft writes the new dtypes as 2.x does (v3, UntypedStorage), the others as 1.x reads them") {
  const std::string src = fixture26("new_dtypes_zip.pth");
  const checkpoint ck = read_checkpoint(src);
  const auto dir = io_test::scratch("torch2-write");
  const std::string out = (dir / "out.pth").string();
  write_pth(out, ck.tensors);
  io_test::check_against(read_checkpoint(out).tensors, src);
  auto file = mapped_file::open(out);
  zip_reader z(file->data(), file->size(), out);
  const zip_entry* e = z.find("archive/data.pkl");
  REQUIRE(e != nullptr);
  const std::string pkl(detail::as_chars(z.bytes(*e).data, z.bytes(*e).size));
  CHECK(pkl.find("ctorch.storage\nUntypedStorage\n") != std::string::npos);
  CHECK(pkl.find("ctorch\nuint64\n") != std::string::npos);
  CHECK(pkl.find("ctorch\nComplexFloatStorage\n") != std::string::npos);  // complex64: v2, loads in 1.x
  CHECK(pkl.find("ctorch\nBoolStorage\n") != std::string::npos);

  const std::string note = torch2_note(ck.tensors);
  CHECK_THAT(note, Contains("note: 2 tensors (first 'uint16') are uint16, written as PyTorch 2.x writes it "
                            "(torch._utils._rebuild_tensor_v3): loads in PyTorch >= 2.3, not in 1.x\n"));
  CHECK_THAT(note, Contains("note: 1 tensor ('float8_e5m2') is float8_e5m2"));
  CHECK_THAT(note, !Contains("complex64") && !Contains("bool"));
  CHECK(torch2_note(read_checkpoint(fixture26("all_kinds_zip.pth")).tensors).empty());
}

TEST_CASE("torch 2.6: safetensors' new dtypes round-trip, and a dtype safetensors lacks is refused naming the tensor") {
  const std::string src = fixture26("new_dtypes.safetensors");
  const auto dir = io_test::scratch("torch2-safetensors");
  const std::string out = (dir / "out.safetensors").string();
  write_safetensors(out, read_checkpoint(src).tensors);
  io_test::check_against(read_checkpoint(out).tensors, src);
  CHECK_THAT(io_test::read_bytes(out), Contains("\"F8_E4M3\"") && Contains("\"U64\""));
  const checkpoint all = read_checkpoint(fixture26("new_dtypes_zip.pth"));
  const std::string bad = (dir / "complex.safetensors").string();
  CHECK_THROWS_WITH(write_safetensors(bad, all.tensors),
                    Contains("complex.safetensors") && Contains("'float8_e4m3fnuz' is float8_e4m3fnuz, which "
                                                                "safetensors has no dtype for"));
}

TEST_CASE("torch 2.6: a big-endian storage viewed as dtypes of two sizes is refused, not guessed") {
  using test::pickle::str;
  const std::string pkl = "\x80\x02}(" + str("a") +
                          tensor_v3("torch.storage\nUntypedStorage", "0", 8, "ctorch\nuint16\n", 4) + str("b") +
                          tensor_v3("torch.storage\nUntypedStorage", "0", 8, "ctorch\nuint32\n", 2) + "u.";
  auto make = [&](const std::string& name, const std::string& order) {
    const auto dir = io_test::scratch("torch2-" + name);
    const std::string path = (dir / name).string();
    std::FILE* f = std::fopen(path.c_str(), "w+b");
    REQUIRE(f != nullptr);
    zip_writer z(f, path);
    z.add("archive/data.pkl", pkl.data(), pkl.size());
    z.add("archive/byteorder", order.data(), order.size());
    z.add("archive/data/0", "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    z.finish();
    std::fclose(f);
    return path;
  };
  CHECK(read_checkpoint(make("le.pth", "little")).tensors.size() == 2);  // little-endian: the bytes are what they are
  CHECK_THROWS_WITH(read_checkpoint(make("be.pth", "big")),
                    Contains("be.pth") && Contains("big-endian storage '0' is viewed as dtypes of different sizes"));
}
