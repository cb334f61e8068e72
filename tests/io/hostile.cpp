// Hostile and broken checkpoints: each must give a graft::checkpoint_error with a clear message,
// never a crash, a hang or code execution. Most are built here by mutating valid fixtures.

#include <graft/io/checkpoint.hpp>

#include "support/pickle_builder.hpp"
#include "util.hpp"

#include <cstring>
#include <random>

using namespace graft::io;
using test::Contains;
using namespace std::string_literals;

namespace {

using test::pickle::str;
using test::pickle::tensor;
using test::pickle::u32;
using test::pickle::u64;

/// A state dict pickle {name: value, ...} from pickled values.
std::string state_dict(const std::vector<std::pair<std::string, std::string>>& items) {
  std::string p = "\x80\x02}(";
  for (const auto& [k, v] : items) p += str(k) + v;
  return p + "u.";
}

int counter = 0;

/// Writes a torch.save-style zip with the given data.pkl and storages; returns its path.
std::string make_pth(const std::string& pkl, const std::vector<std::pair<std::string, std::string>>& storages = {}) {
  static auto dir = io_test::scratch("hostile");
  auto path = (dir / ("h" + std::to_string(++counter) + ".pth")).string();
  std::FILE* f = std::fopen(path.c_str(), "w+b");
  REQUIRE(f != nullptr);
  zip_writer z(f, path);
  z.add("archive/data.pkl", pkl.data(), pkl.size());
  for (const auto& [k, bytes] : storages) z.add("archive/data/" + k, bytes.data(), bytes.size());
  z.add("archive/version", "3\n", 2);
  z.finish();
  std::fclose(f);
  return path;
}

std::string save(const std::string& bytes, const std::string& ext = ".bin") {
  static auto dir = io_test::scratch("hostile-raw");
  return io_test::write_file(dir / ("r" + std::to_string(++counter) + ext), bytes);
}

/// Expects read_checkpoint to throw a checkpoint_error whose message contains `what` and the path.
void refuses(const std::string& path, const std::string& what) {
  INFO(path);
  try {
    read_checkpoint(path);
    FAIL("no error");
  } catch (const graft::checkpoint_error& e) {
    std::string m = e.what();
    CHECK_THAT(m, Contains(what));
    CHECK_THAT(m, Contains(path));
  }
}

std::string floats(int n) { return std::string(static_cast<std::size_t>(n) * 4, '\0'); }

/// Replaces the first occurrence of `from` (which must be there) with `to` (same length).
std::string patch(std::string bytes, const std::string& from, const std::string& to, std::size_t nth = 0) {
  std::size_t at = bytes.find(from);
  for (std::size_t i = 0; i < nth; ++i) at = bytes.find(from, at + 1);
  REQUIRE(at != std::string::npos);
  REQUIRE(from.size() == to.size());
  bytes.replace(at, from.size(), to);
  return bytes;
}

/// The three leading pickles of a legacy file (magic, protocol, sys_info).
std::string legacy_header() {
  auto bytes = io_test::read_bytes(io_test::fixture("all_kinds_legacy.pth"));
  std::size_t pos = 0;
  for (int i = 0; i < 3; ++i)
    pos += unpickle({reinterpret_cast<const std::byte*>(bytes.data()) + pos, bytes.size() - pos}, "x").consumed();
  return bytes.substr(0, pos);
}

std::string save_st(const std::string& bytes) { return save(bytes, ".safetensors"); }

std::string safetensors(const std::string& header, const std::string& data) {
  return u64(header.size()) + header + data;
}

}  // namespace

TEST_CASE("hostile: malicious globals are refused, never executed") {
  const std::string call = "(" + str("touch /tmp/graft-pwned") + "tR";
  refuses(make_pth("\x80\x02"
                   "cposix\nsystem\n" +
                   call + "."),
          "refused global 'posix.system'");
  refuses(make_pth("\x80\x02"
                   "cbuiltins\neval\n" +
                   call + "."),
          "refused global 'builtins.eval'");
  refuses(make_pth("\x80\x04\x8c\x0asubprocess\x8c\x05Popen\x93" + call + "."), "refused global 'subprocess.Popen'");
  refuses(make_pth("\x80\x02"
                   "c__builtin__\ngetattr\n."),
          "refused global '__builtin__.getattr'");
  refuses(make_pth("\x80\x02"
                   "cnumpy.core.multiarray\n_reconstruct\n."),
          "refused global 'numpy.core.multiarray._reconstruct'");
  // a payload nested inside an otherwise valid state dict
  refuses(make_pth(state_dict({{"w", tensor("0", 4, {4}, {1})}, {"x", "cos\nsystem\n" + call}}), {{"0", floats(4)}}),
          "refused global 'os.system'");
  // a payload as the BUILD state of the OrderedDict
  refuses(make_pth("\x80\x02"
                   "ccollections\nOrderedDict\n)R"
                   "cposix\nsystem\n" +
                   call + "b."),
          "refused global 'posix.system'");
  // a pickled whole nn.Module (its class is not importable here and must not be)
  refuses(io_test::fixture("whole_module.pth"), "refused global '__main__.TinyNet'");
  // the same in the legacy format
  refuses(save(legacy_header() +
               "\x80\x02"
               "cposix\nsystem\n" +
               call + "."),
          "refused global 'posix.system'");
  CHECK_FALSE(std::filesystem::exists("/tmp/graft-pwned"));
}

TEST_CASE("hostile: broken pickles inside .pth files") {
  refuses(make_pth("\x80\x02}s."), "stack underflow");
  refuses(make_pth("\x80\x02}(h\x07"
                   "K\x01u."),
          "memo key 7 is not defined");
  refuses(make_pth("\x80\x02" + std::string(100000, '(') + "."), "nesting deeper than 1000");
  refuses(make_pth("\x80\x02}(" + str("a") +
                   "X\xff\xff\xff\xff"
                   "u."),
          "exceeds");
  refuses(make_pth("\x80\x02}(" + str("a") + "\x8d"s + u64(1000000000000000ull) + "u."),
          "declared length 1000000000000000 exceeds");
  refuses(make_pth("\x80\x02}("), "without STOP");
  refuses(make_pth("\x80\x02"
                   "ctorch._utils\n_rebuild_tensor_v2\n(K\x01K\x00)))\x89NtR."s),
          "not a storage");
  refuses(make_pth("\x80\x02K\x01"
                   "Q."),
          "unsupported persistent id");
  // a dict that contains itself: no state dict, no infinite loop
  refuses(make_pth("\x80\x02}q\x00("s + str("state_dict") + "h\x00"s + str("model") + "h\x00u."s),
          "cannot tell which entry");
  refuses(make_pth("\x80\x02]."), "top level is a list");
}

TEST_CASE("hostile: tensor shapes, strides and sizes that do not fit") {
  auto one = [](const std::string& t, const std::string& bytes) {
    return make_pth(state_dict({{"w", t}}), {{"0", bytes}});
  };
  refuses(one(tensor("0", 4, {-1}, {1}), floats(4)), "negative size");
  refuses(one(tensor("0", 4, {1ll << 40, 1ll << 40}, {1, 1}), floats(4)), "overflows");
  refuses(one(tensor("0", 4, {2, 2}, {1000, 1}), floats(4)), "reaches element 1001 of a storage of 4 elements");
  refuses(one(tensor("0", 4, {2}, {-1}), floats(4)), "negative stride");
  refuses(one(tensor("0", 4, {4}, {1}, 1), floats(4)), "reaches element 4");
  refuses(one(tensor("0", 4, {1}, {1}, -3), floats(4)), "negative storage offset");
  refuses(one(tensor("0", 4, {3}, {1ll << 62}), floats(4)), "strides overflow");
  // storage declared far larger than its record (10^15 elements)
  refuses(one(tensor("0", 1000000000000000ll, {4}, {1}), floats(4)), "declares 1000000000000000 float32 elements");
  refuses(one(tensor("0", 8, {4}, {1}), floats(4)), "declares 8 float32 elements but only 16 bytes");
  // storage record missing
  refuses(make_pth(state_dict({{"w", tensor("0", 4, {4}, {1})}})), "storage record 'archive/data/0' is missing");
  refuses(make_pth(state_dict({{"w", tensor("../../../etc/passwd", 4, {4}, {1})}})), "is missing");
}

TEST_CASE("hostile: damaged zip archives") {
  auto good = io_test::read_bytes(io_test::fixture("params_zip.pth"));
  // the state dict's pickle record renamed away
  refuses(save(patch(patch(good, "data.pkl", "data.pkX"), "data.pkl", "data.pkX")), "no <archive>/data.pkl");
  // a storage record renamed away (local and central names)
  refuses(save(patch(patch(good, "params_zip/data/0", "params_zip/data/Z"), "params_zip/data/0", "params_zip/data/Z")),
          "'params_zip/data/0' is missing");
  // only the central directory renamed: local header disagrees
  refuses(save(patch(good, "params_zip/data/0", "params_zip/data/Z", 1)), "local header name");
  // an entry size of ~4 GiB in a tiny file
  auto cd = good.find("PK\x01\x02");
  REQUIRE(cd != std::string::npos);
  auto huge = good;
  huge.replace(cd + 20, 8, u32(0xfffffff0u) + u32(0xfffffff0u));
  refuses(save(huge), "beyond the end of the file");
  // sizes that disagree for a stored entry
  auto mism = good;
  mism.replace(cd + 20, 4, u32(1));
  refuses(save(mism), "sizes differ");
  // a corrupted pickle record (CRC)
  auto crc = good;
  crc[good.find("collections")] = 'C';
  refuses(save(crc), "CRC-32");
  // an end-of-directory record claiming a huge number of entries
  auto eocd = good.rfind("PK\x05\x06");
  auto many = good;
  many.replace(eocd + 4, 2, "\x01\x00"s);
  refuses(save(many), "multi-disk");
  many = good;
  many.replace(eocd + 10, 2, "\xfe\xff"s);
  many.replace(eocd + 8, 2, "\xfe\xff"s);
  refuses(save(many), "more than fit");
  // central directory offset outside the file
  auto off = good;
  off.replace(eocd + 16, 4, u32(0x7fffffff));
  refuses(save(off), "central directory lies beyond the end");
  // a local header with a broken signature
  auto loc = good;
  loc[0] = 'Q';
  refuses(save(loc), "unrecognized checkpoint format");
  loc = patch(good, "PK\x03\x04", "PK\x03\x05", 1);
  refuses(save(loc), "bad signature");
  // "PK\3\4" and nothing else
  refuses(save("PK\x03\x04"s + std::string(40, '\0')), "end of central directory record not found");
}

TEST_CASE("hostile: damaged legacy files") {
  auto good = io_test::read_bytes(io_test::fixture("params_legacy.pth"));
  refuses(save(patch(good, "\x6c\xfc\x9c\x46", "\x6c\xfc\x9c\x47")), "bad magic number");
  // the element count before a storage's bytes
  auto hdr = legacy_header();
  auto body = state_dict({{"w", tensor("k", 4, {4}, {1})}});
  auto keys = "\x80\x02]" + str("k") + "a.";
  refuses(save(hdr + body + keys + u64(5) + floats(4)), "holds 5 elements but the pickle declares 4");
  refuses(save(hdr + body + keys + u64(4) + floats(3)), "declares 4 float32 elements but only 12 bytes");
  refuses(save(hdr + body + keys + u64(4)), "declares 4 float32 elements but only 0 bytes");
  refuses(save(hdr + body + "\x80\x02]" + str("zz") + "a." + u64(4) + floats(4)), "'zz' is listed but never used");
  refuses(save(hdr + body + "\x80\x02]."), "'k' is used but its data is missing");
  refuses(save(hdr + body), "without STOP");
  refuses(save(hdr.substr(0, 30)), "truncated");
}

TEST_CASE("hostile: truncation at many offsets never crashes") {
  for (const char* name : {"all_kinds_zip.pth", "all_kinds_legacy.pth", "all_kinds.safetensors", "module_script.pt"}) {
    auto bytes = io_test::read_bytes(io_test::fixture(name));
    int refused = 0, tried = 0;
    for (std::size_t cut = 0; cut < bytes.size(); cut += (cut < 200 ? 1 : 37)) {
      auto path = save(bytes.substr(0, cut));
      ++tried;
      try {
        read_checkpoint(path);
      } catch (const graft::checkpoint_error&) {
        ++refused;
      }
      std::filesystem::remove(path);
    }
    INFO(name);
    CHECK(refused == tried);
  }
}

namespace {

/// Reads a file that may be damaged: either a checkpoint_error or tensors whose bytes all read.
void read_or_refuse(const std::string& path) {
  try {
    auto ck = read_checkpoint(path);
    for (const auto& r : ck.tensors) (void)r.contiguous_bytes();  // every element must be readable
  } catch (const graft::checkpoint_error&) {
  }
  std::filesystem::remove(path);
}

}  // namespace

TEST_CASE("hostile: single-byte corruption anywhere gives an error or a valid read") {
  for (const char* name : {"all_kinds_legacy.pth", "all_kinds_zip.pth", "all_kinds.safetensors", "module_script.pt"}) {
    INFO(name);
    auto bytes = io_test::read_bytes(io_test::fixture(name));
    for (std::size_t at = 0; at < bytes.size(); at += (bytes.size() > 5000 ? 7 : 3)) {
      auto b = bytes;
      b[at] = static_cast<char>(b[at] ^ 0x5a);
      read_or_refuse(save(b, std::string(name).find("safetensors") != std::string::npos ? ".safetensors" : ".bin"));
    }
  }
}

TEST_CASE("hostile: randomly mutated pickles with valid CRCs and real storages") {
  // Mutate data.pkl itself and repackage it, so the damage reaches the unpickler and the
  // tensor checks instead of stopping at the zip CRC.
  auto f = mapped_file::open(io_test::fixture("all_kinds_zip.pth"));
  zip_reader z(f->data(), f->size(), f->path());
  auto pkl_span = z.bytes(*z.find("all_kinds_zip/data.pkl"));
  const std::string pkl(reinterpret_cast<const char*>(pkl_span.data), pkl_span.size);
  std::vector<std::pair<std::string, std::string>> storages;
  for (const auto& e : z.entries())
    if (e.name.rfind("all_kinds_zip/data/", 0) == 0) {
      auto b = z.bytes(e);
      storages.emplace_back(e.name.substr(19), std::string(reinterpret_cast<const char*>(b.data), b.size));
    }
  std::mt19937 rng(12345);
  const char interesting[] = {'\x00', '\x01', '\x7f', '\x80', '\xff', 'K', 'J', 'X', 'Q',
                              'R',    't',    '(',    ')',    'h',    'q', 'u', 's', '.'};
  for (int i = 0; i < 400; ++i) {
    std::string m = pkl;
    int edits = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < edits; ++k) {
      std::size_t at = rng() % m.size();
      switch (rng() % 3) {
        case 0: m[at] = interesting[rng() % sizeof interesting]; break;
        case 1: m[at] = static_cast<char>(rng() & 0xff); break;
        default:
          m.erase(at, 1 + rng() % 8);
          if (m.empty()) m = ".";
          break;
      }
    }
    read_or_refuse(make_pth(m, storages));
  }
}

TEST_CASE("hostile: broken safetensors files") {
  const std::string ok = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  CHECK(read_checkpoint(save_st(safetensors(ok, floats(2)))).tensors.size() == 1);
  refuses(save(u64(1000) + "{}"), "header length 1000 exceeds the file");
  refuses(save(u64(1000000000000000ull) + "{" + std::string(20, ' ')), "header length 1000000000000000 exceeds");
  refuses(
      save_st(safetensors(
          R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
          floats(3))),
      "overlap");
  refuses(save_st(safetensors(ok, floats(1))), "lie outside the 4 data bytes");
  refuses(save_st(safetensors(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", floats(2))),
          "needs 12 bytes but data_offsets span 8");
  refuses(save_st(safetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})", floats(2))),
          "malformed JSON");
  refuses(save_st(safetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],}})", floats(2))),
          "malformed JSON");
  refuses(save_st(safetensors(R"({"a\q":1})", "")), "bad escape");
  refuses(save_st(safetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{}})", floats(2))),
          "duplicate key");
  refuses(save_st(safetensors(R"({"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}})", floats(2))),
          "unknown or unsupported dtype 'Q7'");
  refuses(save_st(safetensors(R"({"a":{"dtype":"F8_E8M0","shape":[1],"data_offsets":[0,1]}})", floats(2))),
          "unsupported dtype 'F8_E8M0'");
  refuses(save_st(safetensors(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", floats(2))),
          "non-negative");
  refuses(save_st(safetensors(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,8]}})",
                              floats(2))),
          "overflows");
  refuses(save_st(safetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", floats(2))), "reversed");
  refuses(save_st(safetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,99999999999999999999999]}})",
                              floats(2))),
          "not non-negative integers");
  refuses(save_st(safetensors(R"({"__metadata__":{"k":1}})", "")), "__metadata__ value 'k' is not a string");
  refuses(save_st(safetensors(R"([1,2])", "")), "not a JSON object");
  refuses(save_st(safetensors(std::string(200, '['), "")), "malformed JSON");
  refuses(save_st(safetensors(R"({"a":{"shape":[2],"data_offsets":[0,8]}})", floats(2))), "\"dtype\"");
}

TEST_CASE("hostile: files of no known format") {
  refuses(save(""), "file is empty");
  refuses(save("hello, world, this is not a checkpoint"), "unrecognized checkpoint format");
  refuses(save("\x80\x02\x8a\x0a"s), "truncated");
}
