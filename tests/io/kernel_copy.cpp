// Copies by the kernel (write_options::kernel_copy, graft/io/record_writer.hpp): outputs byte-identical
// to copies made through memory, from every input format to every output format; the bytes the kernel
// copied counted in the progress (where this filesystem lets the kernel copy at all); a clean
// fallback where the kernel declines (an input on another filesystem) and where an input shrinks
// before its bytes are copied.

#include <graft/io/checkpoint.hpp>
#include <graft/io/kernel_copy.hpp>
#include <graft/io/safetensors.hpp>

#include "support/kernel_copy_probe.hpp"
#include "util.hpp"

#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

using namespace graft::io;
using test::Contains;
namespace fs = std::filesystem;

namespace {

struct written {
  std::string bytes;
  write_progress last;
};

written write_with(const std::vector<tensor_record>& records, const std::string& path, bool kernel) {
  checkpoint_write_options o;
  o.kernel_copy = kernel;
  write_progress last;
  o.progress = [&](const write_progress& p) { last = p; };
  write_checkpoint(path, records, o);
  return {io_test::read_bytes(path), last};
}

/// True when the kernel copies a file's bytes from `from` into a new file in `folder`.
bool kernel_copies(const std::string& from, const fs::path& folder) {
  return test::kernel_copies(from, (folder / "probe").string());
}

/// The records a safetensors file can hold (its dtypes, laid out whole).
std::vector<tensor_record> for_safetensors(const std::vector<tensor_record>& records) {
  std::vector<tensor_record> out;
  for (const auto& r : records)
    if (!r.is_expanded() && !detail::safetensors_dtype_name(r.type).empty()) out.push_back(r);
  return out;
}

}  // namespace

TEST_CASE("kernel copy: every input format to every output format, byte-identical to copies through memory") {
  const auto dir = io_test::scratch("kernel-copy");
  for (const char* in : {"all_kinds_zip.pth", "all_kinds_legacy.pth", "all_kinds.safetensors", "params_zip.pth",
                         "nested_zip.pth", "module_script.pt"}) {
    const bool kernel_can = kernel_copies(io_test::fixture(in), dir);
    for (const char* ext : {".pth", ".safetensors"}) {
      INFO(in << " -> " << ext);
      const auto ck = read_checkpoint(io_test::fixture(in));
      const auto records = std::string(ext) == ".pth" ? ck.tensors : for_safetensors(ck.tensors);
      REQUIRE(!records.empty());
      const auto memory = write_with(records, (dir / (std::string("memory") + ext)).string(), false);
      const auto kernel = write_with(records, (dir / (std::string("kernel") + ext)).string(), true);
      CHECK(kernel.bytes == memory.bytes);
      CHECK(memory.last.bytes_by_kernel == 0);
      CHECK(kernel.last.bytes_done == memory.last.bytes_done);
      CHECK(kernel.last.bytes_by_kernel <= kernel.last.bytes_done);
      if (kernel_can)
        CHECK(kernel.last.bytes_by_kernel > 0);
      else
        WARN("the kernel does not copy files in " << dir << ": only the fallback was checked");
    }
  }
}

TEST_CASE("kernel copy: whole tensors of a safetensors file are all copied by the kernel") {
  const auto dir = io_test::scratch("kernel-copy-all");
  const auto in = io_test::fixture("all_kinds.safetensors");
  if (!kernel_copies(in, dir)) {
    WARN("the kernel does not copy files in " << dir << ": not checked here");
    return;
  }
  const auto records = read_checkpoint(in).tensors;
  const auto out = write_with(records, (dir / "out.safetensors").string(), true);
  CHECK(out.last.bytes_by_kernel == out.last.bytes_done);
  CHECK(out.last.bytes_done > 0);
  io_test::check_against(read_checkpoint((dir / "out.safetensors").string()).tensors, in);
}

TEST_CASE("kernel copy: an input on another filesystem (where the kernel declines) is copied through memory") {
  std::error_code ec;
  const fs::path shm = fs::path("/dev/shm") / ("graft-kernel-copy-" + std::to_string(::getpid()));
  if (!fs::is_directory("/dev/shm", ec) || !fs::create_directories(shm, ec)) {
    WARN("no /dev/shm: not checked here");
    return;
  }
  struct cleanup {
    fs::path p;
    ~cleanup() {
      std::error_code e;
      fs::remove_all(p, e);
    }
  } remove_shm{shm};
  const auto dir = io_test::scratch("kernel-copy-other-fs");
  for (const char* in : {"all_kinds_zip.pth", "all_kinds.safetensors"}) {
    INFO(in);
    const auto copy = (shm / in).string();
    fs::copy_file(io_test::fixture(in), copy);
    const auto records = for_safetensors(read_checkpoint(copy).tensors);
    for (const char* ext : {".pth", ".safetensors"}) {
      const auto memory = write_with(records, (dir / (std::string("memory") + ext)).string(), false);
      const auto kernel = write_with(records, (dir / (std::string("kernel") + ext)).string(), true);
      CHECK(kernel.bytes == memory.bytes);
      if (!kernel_copies(copy, dir)) CHECK(kernel.last.bytes_by_kernel == 0);
    }
  }
}

TEST_CASE("kernel copy: an input that shrinks before its bytes are copied is refused, nothing written") {
  const auto dir = io_test::scratch("kernel-copy-shrunk");
  for (const char* in : {"all_kinds_zip.pth", "all_kinds.safetensors"}) {
    INFO(in);
    const auto copy = (dir / in).string();
    fs::copy_file(io_test::fixture(in), copy);
    const auto records = for_safetensors(read_checkpoint(copy).tensors);
    fs::resize_file(copy, fs::file_size(copy) / 2);
    for (const char* ext : {".pth", ".safetensors"}) {
      const auto out = (dir / (std::string("out") + ext)).string();
      checkpoint_write_options o;
      o.kernel_copy = true;
      CHECK_THROWS_WITH(write_checkpoint(out, records, o), Contains(copy + " changed while graft read it"));
      CHECK_FALSE(fs::exists(out));
    }
  }
}
