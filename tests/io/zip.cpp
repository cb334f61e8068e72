// zip reader and writer: torch.save archives, alignment, CRC-32 checks, zip64, refused entries.
// (CRC-32 itself: crc32.cpp.)

#include <graft/io/mapped_file.hpp>
#include <graft/io/zip.hpp>

#include "util.hpp"

using namespace graft::io;

namespace {

std::string make_zip(const std::string& name, const std::vector<std::pair<std::string, std::string>>& entries,
                     bool zip64) {
  auto path = io_test::scratch("zip-" + name) / "a.zip";
  std::FILE* f = std::fopen(path.c_str(), "w+b");
  REQUIRE(f != nullptr);
  zip_writer w(f, path.string(), zip64);
  for (const auto& [n, data] : entries) w.add(n, data.data(), data.size());
  w.finish();
  std::fclose(f);
  return path.string();
}

}  // namespace

TEST_CASE("zip reader lists a torch.save archive's stored entries") {
  auto f = mapped_file::open(io_test::fixture("all_kinds_zip.pth"));
  zip_reader z(f->data(), f->size(), f->path());
  REQUIRE(z.find("all_kinds_zip/data.pkl") != nullptr);
  REQUIRE(z.find("all_kinds_zip/version") != nullptr);
  CHECK(z.find("nope") == nullptr);
  for (const auto& e : z.entries()) {
    INFO(e.name);
    CHECK_NOTHROW(z.verify_crc(e));
    if (e.name.find("/data/") != std::string::npos) CHECK(e.offset % 64 == 0);
  }
}

TEST_CASE("zip writer output is aligned, checksummed and readable back", "[zip]") {
  std::string big(1000, 'x');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  std::vector<std::pair<std::string, std::string>> entries = {
      {"archive/data.pkl", "pickle"}, {"archive/data/0", big}, {"archive/data/1", ""}, {"archive/version", "3\n"}};
  for (bool zip64 : {false, true}) {
    INFO("zip64 " << zip64);
    auto path = make_zip(zip64 ? "64" : "32", entries, zip64);
    auto f = mapped_file::open(path);
    zip_reader z(f->data(), f->size(), path);
    REQUIRE(z.entries().size() == entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const auto& e = z.entries()[i];
      CHECK(e.name == entries[i].first);
      CHECK(e.offset % 64 == 0);
      auto b = z.bytes(e);
      CHECK(std::string(reinterpret_cast<const char*>(b.data), b.size) == entries[i].second);
      CHECK_NOTHROW(z.verify_crc(e));
    }
  }
}

TEST_CASE("zip reader refuses compressed and encrypted entries") {
  auto bytes = io_test::read_bytes(io_test::fixture("compressed.zip"));
  auto dir = io_test::scratch("zip-refuse");
  auto p = io_test::write_file(dir / "c.zip", bytes);
  auto f = mapped_file::open(p);
  zip_reader z(f->data(), f->size(), p);
  REQUIRE(z.find("archive/data.pkl") != nullptr);
  CHECK_THROWS_WITH(z.bytes(*z.find("archive/data.pkl")), test::Contains("compressed (method 8)"));

  auto plain = io_test::read_bytes(make_zip("enc", {{"a/data.pkl", "x"}}, false));
  auto cd = plain.rfind("PK\x01\x02");
  REQUIRE(cd != std::string::npos);
  plain[cd + 8] = 1;  // general purpose flag: encrypted
  auto p2 = io_test::write_file(dir / "e.zip", plain);
  auto f2 = mapped_file::open(p2);
  zip_reader z2(f2->data(), f2->size(), p2);
  CHECK_THROWS_WITH(z2.bytes(z2.entries()[0]), test::Contains("encrypted"));
}

TEST_CASE("zip reader detects a corrupted entry through its CRC") {
  auto bytes = io_test::read_bytes(make_zip("crc", {{"a/x", "hello world"}}, false));
  auto at = bytes.find("hello");
  bytes[at] = 'j';
  auto p = io_test::write_file(io_test::scratch("zip-crc") / "c.zip", bytes);
  auto f = mapped_file::open(p);
  zip_reader z(f->data(), f->size(), p);
  CHECK_THROWS_WITH(z.verify_crc(z.entries()[0]), test::Contains("CRC-32"));
}

TEST_CASE("mapped_file names the path when it cannot open a file") {
  CHECK_THROWS_AS(mapped_file::open("/nonexistent/x.pth"), graft::checkpoint_error);
  CHECK_THROWS_WITH(mapped_file::open("/nonexistent/x.pth"), test::StartsWith("/nonexistent/x.pth: cannot open"));
  CHECK_THROWS_WITH(mapped_file::open("/tmp"), test::Contains("not a regular file"));
}

TEST_CASE("zip reader inflates small deflated records") {
  auto bytes = io_test::read_bytes(io_test::fixture("compressed.zip"));
  auto p = io_test::write_file(io_test::scratch("zip-inflate") / "c.zip", bytes);
  auto f = mapped_file::open(p);
  zip_reader z(f->data(), f->size(), p);
  CHECK(z.read_small(*z.find("archive/data.pkl")) == std::string(100, 'x'));
  // the TorchScript fixture's source records are deflated with dynamic Huffman codes
  auto s = mapped_file::open(io_test::fixture("module_script.pt"));
  zip_reader zs(s->data(), s->size(), s->path());
  for (const auto& e : zs.entries()) {
    INFO(e.name);
    auto text = zs.read_small(e);
    CHECK(text.size() == e.size);
  }
  auto lin = zs.read_small(*zs.find("module_script/code/__torch__/torch/nn/modules/linear.py"));
  CHECK(lin.find("class Linear(Module):") == 0);
  // damaged deflate streams are errors (or, in padding bits, harmless)
  auto& e = *z.find("archive/data.pkl");
  for (std::size_t at = e.offset; at < e.offset + e.stored_size; ++at)
    for (unsigned char x : {0x01, 0x10, 0xff}) {
      auto b = bytes;
      b[at] = static_cast<char>(b[at] ^ x);
      auto q = io_test::write_file(io_test::scratch("zip-inflate-bad") / "c.zip", b);
      auto g = mapped_file::open(q);
      zip_reader zb(g->data(), g->size(), q);
      std::string got = std::string(100, 'x');  // unused padding bits may flip harmlessly
      try {
        got = zb.read_small(zb.entries()[0]);
      } catch (const graft::checkpoint_error&) {
      }
      CHECK(got == std::string(100, 'x'));
    }
}
