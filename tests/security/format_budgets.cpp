// Checkpoint readers in time and memory linear in the input: a safetensors header (or sharded
// index) builds at most json_limits' budget (32 x its size + 16 MiB) and checks duplicate keys by
// hashing; the unpickler finds a dict key by hashing its text once per key value; TorchScript sources
// are inflated and scanned once per record (at most max_script_sources bytes in all) and a class's
// declared parameters are found by hashing. Each case was minutes (or gigabytes) before.

#include <graft/io/checkpoint.hpp>
#include <graft/io/detail/json.hpp>
#include <graft/io/pickle.hpp>
#include <graft/io/pth.hpp>
#include <graft/io/zip.hpp>

#include "support/catch.hpp"

#include "security/scratch.hpp"
#include "security/zip_patch.hpp"
#include "support/pickle_builder.hpp"

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

using namespace graft::io;
using test::Contains;
using test::pickle::str;
using test::pickle::tensor;
using namespace std::string_literals;

namespace {

int counter = 0;

std::string save(const std::string& bytes, const std::string& ext) {
  const auto p = security_test::scratch_root("budgets") / ("budgets-" + std::to_string(++counter) + ext);
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return p.string();
}

/// A safetensors file with header `json` and `data` bytes.
std::string safetensors(const std::string& json, const std::string& data = "") {
  std::string f;
  for (int i = 0; i < 8; ++i) f += static_cast<char>((json.size() >> (8 * i)) & 0xff);
  return save(f + json + data, ".safetensors");
}

/// A zip archive of `records` (name → bytes) written by zip_writer, as bytes.
std::string zip_bytes(const std::vector<std::pair<std::string, std::string>>& records) {
  const auto path = save("", ".zip");
  std::FILE* f = std::fopen(path.c_str(), "w+b");
  REQUIRE(f != nullptr);
  zip_writer z(f, path);
  for (const auto& [name, bytes] : records) z.add(name, bytes.data(), bytes.size());
  z.finish();
  std::fclose(f);
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

/// A torch.jit.save-style archive: data.pkl, constants.pkl, one float storage "0" of 4 elements, and
/// the source records `code`.
std::vector<std::pair<std::string, std::string>> script_records(
    const std::string& pkl, const std::vector<std::pair<std::string, std::string>>& code) {
  std::vector<std::pair<std::string, std::string>> r = {
      {"archive/data.pkl", pkl}, {"archive/constants.pkl", "\x80\x02)."s}, {"archive/data/0", std::string(16, '\0')}};
  for (const auto& c : code) r.push_back({"archive/code/" + c.first, c.second});
  r.push_back({"archive/version", "3\n"});
  return r;
}

/// The pickle of an object of class __torch__.m.M whose state is `state` (a dict's items).
std::string module_of(const std::string& state_items) {
  return "\x80\x02"s + "c__torch__.m\nM\n)R}(" + state_items + "ub.";
}

std::string a_tensor() { return tensor("0", 4, {4}, {1}); }

}  // namespace

TEST_CASE("security budgets: a safetensors header building more than its budget is refused") {
  // 1M array items in a 2 MB header: 88 MB of nodes, more than 32 x 2 MB + 16 MiB (before: 70x the input)
  std::string items;
  for (int i = 0; i < 1000000; ++i) items += i ? ",0" : "0";
  const auto path = safetensors("{\"t\":{\"dtype\":\"F32\",\"shape\":[" + items + "],\"data_offsets\":[0,0]}}");
  try {
    read_checkpoint(path);
    FAIL("read");
  } catch (const graft::checkpoint_error& e) {
    CHECK_THAT(std::string(e.what()), Contains(path + ": safetensors: header of "));
    CHECK_THAT(std::string(e.what()), Contains("memory budget"));
  }
  // the same items as __metadata__ string values in a sharded index
  const auto dir = security_test::fresh_folder("budgets", "index");
  std::ofstream(dir / "m.safetensors.index.json") << "{\"weight_map\":{},\"metadata\":{\"x\":[" + items + "]}}";
  CHECK_THROWS_WITH(read_checkpoint((dir / "m.safetensors.index.json").string()), Contains("memory budget"));
}

TEST_CASE("security budgets: a real-looking header of 20,000 tensors stays within the budget") {
  std::string h = "{";
  std::string data;
  for (int i = 0; i < 20000; ++i) {
    h += (i ? ",\"" : "\"") + ("model.layers." + std::to_string(i) + ".w") +
         "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[" + std::to_string(4 * i) + "," +
         std::to_string(4 * i + 4) + "]}";
    data += std::string(4, '\0');
  }
  const auto ck = read_checkpoint(safetensors(h + "}", data));
  CHECK(ck.tensors.size() == 20000);
  // within the factor alone, without the floor
  graft::io::detail::json_limits no_floor;
  no_floor.memory_floor = 0;
  CHECK_NOTHROW(graft::io::detail::parse_json(h + "}", no_floor));
}

TEST_CASE("security budgets: 300,000 metadata keys are checked for duplicates in linear time") {
  // before: a quadratic duplicate-key scan, killed at 30 s
  std::string meta;
  for (int i = 0; i < 300000; ++i) meta += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":\"v\"";
  const auto ck = read_checkpoint(safetensors("{\"__metadata__\":{" + meta + "}}"));
  CHECK(ck.metadata.size() == 300000);
  CHECK_THROWS_WITH(read_checkpoint(safetensors("{\"__metadata__\":{" + meta + ",\"k17\":\"again\"}}")),
                    Contains("duplicate key 'k17'"));
}

TEST_CASE("security budgets: one 1 MB dict key set a million times is hashed once") {
  // BINUNICODE key (1 MB), memoized; then 1M x (BINGET 0, None, SETITEM). Before: each SETITEM copied,
  // hashed and compared the 1 MB key (killed at 30 s).
  std::string p = "\x80\x02}" + str(std::string(1u << 20, 'k')) + "q\x00"s + "0";
  for (int i = 0; i < 1000000; ++i) p += "h\x00Ns"s;
  p += ".";
  unpickle_options o;
  o.max_values = std::size_t{1} << 24;
  const auto doc = unpickle({reinterpret_cast<const std::byte*>(p.data()), p.size()}, "keys.pkl", o);
  REQUIRE(doc.root().kind == pickle_kind::dict);
  CHECK(doc.root().entries.size() == 1);
  // distinct key values with equal text are still one key
  const auto twice = "\x80\x02}" + str("a") + "K\x01s" + str("a") + "K\x02s.";
  const auto d2 = unpickle({reinterpret_cast<const std::byte*>(twice.data()), twice.size()}, "keys.pkl");
  REQUIRE(d2.root().entries.size() == 1);
  CHECK(d2.root().entries[0].second->integer == 2);
}

TEST_CASE("security budgets: a million nested TUPLE1 are stopped by the memory budget") {
  const std::string p = "\x80\x02N" + std::string(1000000, '\x85') + ".";
  try {
    (void)unpickle({reinterpret_cast<const std::byte*>(p.data()), p.size()}, "nested.pkl");
    FAIL("unpickled");
  } catch (const graft::checkpoint_error& e) {
    CHECK_THAT(std::string(e.what()), Contains("nested.pkl: pickle: the values built need more than"));
  }
}

TEST_CASE("security budgets: a TorchScript source is read once for all the objects of its classes") {
  // 2,000 objects of a class the 4 MiB source does not define: before, the source was re-read (copied,
  // CRC-checked, searched) for each object, 8 GB of work
  const std::string filler = "# " + std::string(4u << 20, 'x') + "\n";
  const std::string src = filler + "class M(Module):\n  __parameters__ = [\"w\", ]\n  __buffers__ = [\"b\", ]\n";
  std::string state = str("w") + a_tensor() + str("b") + a_tensor();
  for (int i = 0; i < 2000; ++i) state += str("o" + std::to_string(i)) + "c__torch__.m\nAbsent\n)R";
  const auto path = save(zip_bytes(script_records(module_of(state), {{"__torch__/m.py", src}})), ".pt");
  const auto ck = read_checkpoint(path);
  REQUIRE(ck.tensors.size() == 2);
  CHECK(ck.tensors[0].role == graft::tensor_role::param);
  CHECK(ck.tensors[1].role == graft::tensor_role::buffer);
}

TEST_CASE("security budgets: 100,000 declared parameters are looked up by hashing") {
  // before: each tensor's role was a linear search of the class's __parameters__ (killed at 30 s for 250k)
  const int n = 100000;
  std::string params = "  __parameters__ = [", state;
  for (int i = 0; i < n; ++i) {
    params += "\"p" + std::to_string(i) + "\", ";
    state += str("p" + std::to_string(i)) + (i ? "h\x01"s : a_tensor() + "q\x01"s);
  }
  const std::string src = "class M(Module):\n" + params + "]\n";
  const auto ck = read_checkpoint(save(zip_bytes(script_records(module_of(state), {{"__torch__/m.py", src}})), ".pt"));
  REQUIRE(ck.tensors.size() == static_cast<std::size_t>(n));
  CHECK(ck.tensors.back().role == graft::tensor_role::param);
}

TEST_CASE("security budgets: TorchScript sources inflating past max_script_sources are refused") {
  // 17 deflated source records of 16 MiB each (100 KB each in the file), each used by a class
  const std::uint32_t size = max_script_record;
  const std::string packed = security_test::deflated_as(size);
  const std::string plain(size, 'a');
  const std::uint32_t crc = crc32_update(0, plain.data(), plain.size());
  std::vector<std::pair<std::string, std::string>> code;
  std::string state;
  for (int i = 0; i < 17; ++i) {
    code.push_back({"__torch__/m" + std::to_string(i) + ".py", packed});
    state += str("o" + std::to_string(i)) + "c__torch__.m" + std::to_string(i) + "\nC\n)R";
  }
  std::string zip = zip_bytes(script_records(module_of(state), code));
  for (const auto& c : code) security_test::set_deflated(zip, "archive/code/" + c.first, size, crc);
  const auto path = save(zip, ".pt");
  CHECK_THROWS_WITH(read_checkpoint(path), Contains(path + ": TorchScript sources inflate to more than"));
  // 15 of them are read (once each)
  std::string zip15 = zip_bytes(script_records(module_of(state), {code.begin(), code.begin() + 15}));
  for (int i = 0; i < 15; ++i)
    security_test::set_deflated(zip15, "archive/code/" + code[static_cast<std::size_t>(i)].first, size, crc);
  CHECK_NOTHROW(read_checkpoint(save(zip15, ".pt")));
}
