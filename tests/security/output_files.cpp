// Outputs: never over an input (compared by device and inode, so links and other spellings are
// caught), and with the permissions `cp` would give: an existing OUT keeps its mode (and owner), a
// new OUT gets 0666 & ~umask. Before, every output was 0644 whatever the umask or the old file.

#include <graft/io/atomic_file.hpp>
#include <graft/io/checkpoint.hpp>

#include "scratch.hpp"
#include "support/catch.hpp"

#include <filesystem>
#include <fstream>
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
fs::path fresh(const std::string& name) { return security_test::fresh_folder("outputs", name); }

std::string write(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

/// Writes an empty safetensors file at `out` through atomic_file, under `mask`.
void write_under_umask(const fs::path& out, mode_t mask) {
  const mode_t old = ::umask(mask);
  try {
    write_checkpoint(out.string(), {}, checkpoint_write_options{});
  } catch (...) {
    ::umask(old);
    throw;
  }
  ::umask(old);
}

}  // namespace

TEST_CASE("security outputs: same_file_among compares files, not spellings") {
  const fs::path dir = fresh("same");
  const std::string rules = write(dir / "rules.graft", "copy \"**\"\n");
  const std::string other = write(dir / "other.graft", "copy \"**\"\n");
  fs::create_symlink(dir / "rules.graft", dir / "link.pth");
  fs::create_hard_link(dir / "rules.graft", dir / "hard.pth");
  fs::create_directories(dir / "sub");
  const std::vector<std::string> inputs = {other, rules};
  for (const fs::path& out : {fs::path(rules), dir / "link.pth", dir / "hard.pth", dir / "sub" / ".." / "rules.graft",
                              dir / "." / "rules.graft"}) {
    INFO(out);
    REQUIRE(same_file_among(out.string(), inputs).has_value());
    CHECK(*same_file_among(out.string(), inputs) == rules);
  }
  CHECK_FALSE(same_file_among((dir / "new.pth").string(), inputs).has_value());  // does not exist
  CHECK_FALSE(same_file_among(other, {rules}).has_value());                      // a different file
}

TEST_CASE("security outputs: a writer refuses an OUT that links to any listed input, and writes nothing") {
  const fs::path dir = fresh("refuse");
  const std::string used = write(dir / "base.graft", "copy \"**\"\n");
  fs::create_symlink(dir / "base.graft", dir / "out.safetensors");
  checkpoint_write_options o;
  o.inputs = {(dir / "a.pth").string(), used};
  try {
    write_checkpoint((dir / "out.safetensors").string(), {}, o);
    FAIL("wrote over an input");
  } catch (const graft::usage_error& e) {
    CHECK_THAT(e.what(), Contains("refusing to overwrite an input"));
    CHECK_THAT(e.what(), Contains(used));
    CHECK_THAT(e.what(), Contains("out.safetensors"));
  }
  std::ifstream in(used);
  CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == "copy \"**\"\n");
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir))
    files += e.path().filename().string().find(".tmp-") != std::string::npos;
  CHECK(files == 0);
}

TEST_CASE("security outputs: a new OUT gets 0666 & ~umask") {
  const fs::path dir = fresh("new");
  for (const mode_t mask : {mode_t{022}, mode_t{077}, mode_t{027}, mode_t{0}}) {
    INFO("umask " << std::oct << mask);
    const fs::path out = dir / ("out" + std::to_string(mask) + ".safetensors");
    write_under_umask(out, mask);
    CHECK(mode_of(out) == (0666 & ~mask));
  }
}

TEST_CASE("security outputs: replacing OUT keeps its mode and owner") {
  const fs::path dir = fresh("existing");
  for (const mode_t mode : {mode_t{0600}, mode_t{0640}, mode_t{0604}, mode_t{0664}}) {
    INFO("mode " << std::oct << mode);
    const fs::path out = dir / ("out" + std::to_string(mode) + ".safetensors");
    write(out, "old");
    REQUIRE(::chmod(out.c_str(), mode) == 0);
    struct stat before {};
    REQUIRE(::stat(out.c_str(), &before) == 0);
    write_under_umask(out, 077);  // the umask applies to new files only
    CHECK(mode_of(out) == mode);
    struct stat after {};
    REQUIRE(::stat(out.c_str(), &after) == 0);
    CHECK(after.st_uid == before.st_uid);
    CHECK(after.st_gid == before.st_gid);
    CHECK(after.st_ino != before.st_ino);  // replaced atomically, not rewritten in place
    CHECK(fs::file_size(out) > 3);
  }
}
