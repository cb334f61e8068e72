// Sources that change under graft: a checkpoint truncated (or rewritten) between read_checkpoint and
// the write, as another process running torch.save over it would. Before the SIGBUS guard
// (io/detail/mapping_guard.hpp) this killed the process with signal 7 and could leave a temporary
// file; now the write fails with a checkpoint_error naming the input, the temporary file is removed
// and an existing OUT is left as it was.

#include <graft/apply/records.hpp>
#include <graft/io/checkpoint.hpp>
#include <graft/io/pth_writer.hpp>
#include <graft/io/safetensors.hpp>

#include "scratch.hpp"
#include "support/catch.hpp"

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

using namespace graft::io;
using test::Contains;
namespace fs = std::filesystem;

namespace {

/// An empty scratch folder.
fs::path fresh(const std::string& name) { return security_test::fresh_folder("changing", name); }

/// Three float32 tensors of 256 KiB each (so the file spans many pages), owned by one buffer.
std::vector<tensor_record> sample_records() {
  constexpr std::size_t n = 65536;
  auto data = std::make_shared<std::vector<std::byte>>(3 * n * 4);
  for (std::size_t i = 0; i < data->size(); ++i) (*data)[i] = static_cast<std::byte>(i * 7 + 1);
  std::vector<tensor_record> out;
  for (int t = 0; t < 3; ++t) {
    tensor_record r;
    r.name = "layer" + std::to_string(t) + ".weight";
    r.type = graft::dtype::float32;
    r.shape = {256, 256};
    r.strides = {256, 1};
    r.storage = {data->data() + t * n * 4, n * 4};
    r.owner = data;
    out.push_back(r);
  }
  return out;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// Files in `dir` whose names hold ".tmp-" (leftover temporary outputs).
int temporaries(const fs::path& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir))
    n += e.path().filename().string().find(".tmp-") != std::string::npos;
  return n;
}

/// Writes `records` to `out` in the format its extension selects.
void write_to(const fs::path& out, const std::vector<tensor_record>& records) {
  write_checkpoint(out.string(), records, checkpoint_write_options{});
}

/// Reads `src`, lets `change` modify the file, then writes to `out`: that must fail naming `src`.
template <class Change>
void write_after_change(const fs::path& src, const fs::path& out, bool through_apply, Change&& change) {
  const checkpoint ck = read_checkpoint(src.string());
  REQUIRE(ck.tensors.size() == 3);
  change();
  try {
    if (through_apply) {
      // the records the executor makes from the source: their bytes are read from the mapping too
      std::vector<tensor_record> copies;
      for (const auto& r : ck.tensors) {
        auto bytes = std::make_shared<std::vector<std::byte>>(r.contiguous_bytes());
        tensor_record c = r;
        c.strides = graft::contiguous_strides(c.shape);
        c.storage_offset = 0;
        c.storage = {bytes->data(), bytes->size()};
        c.owner = bytes;
        copies.push_back(c);
      }
      write_to(out, copies);
    } else {
      write_to(out, ck.tensors);
    }
    FAIL("the write succeeded although " << src << " changed");
  } catch (const graft::checkpoint_error& e) {
    const std::string what = e.what();
    CHECK_THAT(what, Contains(src.string()));
    CHECK_THAT(what, Contains("changed while graft read it"));
    CHECK_THAT(what, Contains(out.string()));
  }
}

}  // namespace

TEST_CASE("security changing inputs: a source truncated after reading fails the write, no crash, no leftovers") {
  for (const std::string src_ext : {".safetensors", ".pth"})
    for (const std::string out_ext : {".safetensors", ".pth"})
      for (const bool through_apply : {false, true})
        for (const off_t cut : {off_t{0}, off_t{4096}, off_t{300000}}) {
          INFO(src_ext << " -> " << out_ext << " cut at " << cut << (through_apply ? " (copied first)" : ""));
          const fs::path dir = fresh("truncated");
          const fs::path src = dir / ("src" + src_ext);
          write_to(src, sample_records());
          const fs::path out = dir / ("out" + out_ext);
          std::ofstream(out, std::ios::binary) << "previous output";
          write_after_change(src, out, through_apply, [&] { REQUIRE(::truncate(src.c_str(), cut) == 0); });
          CHECK(slurp(out) == "previous output");
          CHECK(temporaries(dir) == 0);
        }
}

TEST_CASE("security changing inputs: a source rewritten in place (truncated, then regrown) fails the write") {
  const fs::path dir = fresh("rewritten");
  const fs::path src = dir / "src.safetensors";
  write_to(src, sample_records());
  const std::string original = slurp(src);
  const fs::path out = dir / "new.pth";
  write_after_change(src, out, false, [&] {
    REQUIRE(::truncate(src.c_str(), 0) == 0);
    std::ofstream(src, std::ios::binary | std::ios::trunc) << std::string(original.size(), 'x');
  });
  CHECK_FALSE(fs::exists(out));
  CHECK(temporaries(dir) == 0);
}

TEST_CASE("security changing inputs: a truncation while reading is an error naming the file") {
  const fs::path dir = fresh("reading");
  const fs::path src = dir / "src.safetensors";
  write_to(src, sample_records());
  const auto file = mapped_file::open(src.string());
  CHECK_FALSE(file->change().has_value());
  REQUIRE(::truncate(src.c_str(), 100) == 0);
  // the vanished pages read as zeros instead of raising SIGBUS ...
  const std::byte* last = file->data() + file->size() - 1;
  CHECK(*last == std::byte{0});
  // ... and the file says it changed, so nothing made from it is written
  REQUIRE(file->change().has_value());
  CHECK_THAT(*file->change(), Contains("size"));
  REQUIRE(mapped_file::any_changed().has_value());
  CHECK_THAT(*mapped_file::any_changed(), Contains(src.string()));
}

TEST_CASE("security changing inputs: an unchanged source still writes (the guard is not blind)") {
  const fs::path dir = fresh("unchanged");
  const fs::path src = dir / "src.pth";
  write_to(src, sample_records());
  const checkpoint ck = read_checkpoint(src.string());
  const fs::path out = dir / "out.safetensors";
  write_to(out, ck.tensors);
  CHECK(read_checkpoint(out.string()).tensors.size() == 3);
  CHECK(temporaries(dir) == 0);
}
