// safetensors: reading (validated, zero-copy) and writing (spec layout, metadata, padding).

#include <graft/io/checkpoint.hpp>
#include <graft/io/safetensors.hpp>

#include "util.hpp"

using namespace graft::io;
using test::Contains;

TEST_CASE("safetensors: reads every dtype bit-exactly with metadata") {
  auto path = io_test::fixture("all_kinds.safetensors");
  auto st = read_safetensors(path);
  io_test::check_against(st.tensors, path);
  REQUIRE(st.metadata.size() == 2);
  CHECK(st.metadata[0] == std::make_pair(std::string("format"), std::string("pt")));
  CHECK(st.metadata[1].second == "quote \" and \\u00e9 \xc3\xa9");
  for (const auto& r : st.tensors) CHECK(r.is_contiguous());
  auto ck = read_checkpoint(path);
  CHECK(ck.format == "safetensors");
  CHECK(ck.tensors.size() == st.tensors.size());
  CHECK(ck.metadata == st.metadata);
}

TEST_CASE("safetensors: written files follow the layout and read back") {
  auto src = read_checkpoint(io_test::fixture("all_kinds_zip.pth"));
  auto dir = io_test::scratch("st-write");
  auto out = (dir / "out.safetensors").string();
  metadata_t meta = {{"format", "pt"}, {"by", "graft \"q\"\n"}};
  write_safetensors(out, src.tensors, meta);
  auto bytes = io_test::read_bytes(out);
  std::uint64_t hlen = 0;
  for (int i = 7; i >= 0; --i) hlen = (hlen << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
  CHECK(hlen % 8 == 0);
  CHECK(bytes[8] == '{');
  CHECK(bytes.find("\"__metadata__\":{\"format\":\"pt\",\"by\":\"graft \\\"q\\\"\\n\"}") != std::string::npos);
  auto back = read_safetensors(out);
  CHECK(back.metadata == meta);
  // every tensor (including the non-contiguous views) comes back C-order and bit-exact
  io_test::check_against(back.tensors, io_test::fixture("all_kinds_zip.pth"));
  // no temporary files left behind
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir)) files += e.is_regular_file();
  CHECK(files == 1);
}

TEST_CASE("pth writer: torch.save zip layout that reads back bit-exactly") {
  auto src = read_checkpoint(io_test::fixture("all_kinds_legacy.pth"));
  auto dir = io_test::scratch("pth-write");
  for (bool zip64 : {false, true}) {
    auto out = (dir / (zip64 ? "out64.pth" : "out.pth")).string();
    pth_write_options opt;
    opt.force_zip64 = zip64;
    write_pth(out, src.tensors, opt);
    auto back = read_checkpoint(out);
    CHECK(back.format == "pth-zip");
    io_test::check_against(back.tensors, io_test::fixture("all_kinds_legacy.pth"));
    auto f = mapped_file::open(out);
    zip_reader z(f->data(), f->size(), out);
    for (const auto& e : z.entries()) {
      CHECK(e.offset % 64 == 0);
      CHECK_NOTHROW(z.verify_crc(e));
    }
    CHECK(z.find("archive/version") != nullptr);
  }
  write_pth((dir / "empty.pth").string(), {});
  CHECK(read_checkpoint((dir / "empty.pth").string()).tensors.empty());
}

TEST_CASE("writers are atomic and never replace an input") {
  auto dir = io_test::scratch("atomic");
  auto in = (dir / "in.pth").string();
  std::filesystem::copy_file(io_test::fixture("params_zip.pth"), in);
  auto before = io_test::read_bytes(in);
  auto ck = read_checkpoint(in);
  write_options opt;
  opt.inputs = {in};
  CHECK_THROWS_AS(write_safetensors(in, ck.tensors, {}, opt), graft::usage_error);
  pth_write_options popt;
  popt.inputs = {(dir / "." / "in.pth").string()};  // another spelling of the same file
  CHECK_THROWS_WITH(write_pth(in, ck.tensors, popt), Contains("refusing to overwrite an input"));
  std::filesystem::create_symlink(in, dir / "link.pth");
  popt.inputs = {(dir / "link.pth").string()};
  CHECK_THROWS_AS(write_pth(in, ck.tensors, popt), graft::usage_error);
  CHECK(io_test::read_bytes(in) == before);
  // an existing file that is not an input is replaced
  auto other = (dir / "other.pth").string();
  io_test::write_file(other, "old");
  write_pth(other, ck.tensors, popt);
  CHECK(read_checkpoint(other).tensors.size() == ck.tensors.size());
  // on error nothing remains: a record whose strides leave its storage, duplicate names
  auto bad = ck.tensors;
  bad[0].strides[0] = 1000;
  CHECK_THROWS_AS(write_pth((dir / "bad.pth").string(), bad), graft::checkpoint_error);
  auto dup = ck.tensors;
  dup[1].name = dup[0].name;
  CHECK_THROWS_AS(write_safetensors((dir / "dup.safetensors").string(), dup), graft::usage_error);
  CHECK_THROWS_AS(write_pth((dir / "missing-dir" / "x.pth").string(), ck.tensors), graft::checkpoint_error);
  std::vector<std::string> names;
  for (auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"in.pth", "link.pth", "other.pth"});
}

TEST_CASE("write_checkpoint picks the format from the extension") {
  auto src = read_checkpoint(io_test::fixture("module_zip.pth"));
  auto dir = io_test::scratch("write-checkpoint");
  write_checkpoint((dir / "a.safetensors").string(), src.tensors, {}, {{"k", "v"}});
  write_checkpoint((dir / "a.pth").string(), src.tensors);
  auto st = read_checkpoint((dir / "a.safetensors").string());
  CHECK(st.format == "safetensors");
  CHECK(st.metadata == metadata_t{{"k", "v"}});
  CHECK(read_checkpoint((dir / "a.pth").string()).format == "pth-zip");
  io_test::check_against(st.tensors, io_test::fixture("module_zip.pth"));
}
