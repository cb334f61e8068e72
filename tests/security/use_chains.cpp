// Long `use` chains: the loader is iterative (rules/detail/file_loader.hpp), so a chain of 12,000
// files loads (it was a segmentation fault: one recursion level, with a parse, per file) and a chain
// that ends in a cycle or a missing file fails with the usual error, at the right file.

#include <graft/rules/load.hpp>

#include "scratch.hpp"
#include "support/catch.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include <unistd.h>

using namespace graft::rules;
using test::Contains;
namespace fs = std::filesystem;

namespace {

const fs::path& root() { return security_test::scratch_root("chains"); }

load_options no_installed() {
  load_options o;
  o.use_installed_rules = false;
  return o;
}

/// c0.graft uses c1.graft ... uses c<n-1>.graft, whose text is `last`; each file strips its own prefix.
fs::path chain(const std::string& name, int n, const std::string& last) {
  const fs::path dir = root() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (int i = 0; i < n; ++i) {
    std::ofstream out(dir / ("c" + std::to_string(i) + ".graft"));
    if (i + 1 < n)
      out << "use \"c" << i + 1 << ".graft\"\nstrip \"p" << i << ".\"\n";
    else
      out << last;
  }
  return dir / "c0.graft";
}

}  // namespace

TEST_CASE("security use chains: 12,000 files deep loads, imports first") {
  const fs::path start = chain("long", 12000, "strip \"last.\"\n");
  const auto t0 = std::chrono::steady_clock::now();
  const ruleset r = load_rules(start, no_installed());
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE(r.files.size() == 12000);
  CHECK(fs::path(r.files.front()).filename() == "c11999.graft");  // imports first
  CHECK(fs::path(r.files.back()).filename() == "c0.graft");
  CHECK(s < 60);
}

TEST_CASE("security use chains: a long chain ending in a cycle or a missing file is an error there") {
  const auto fails_at_the_end = [](const std::string& name, const std::string& last, const std::string& headline) {
    INFO(name);
    try {
      (void)load_rules(chain(name, 12000, last), no_installed());
      FAIL("the chain loaded");
    } catch (const graft::rules_error& e) {
      CHECK_THAT(e.headline(), Contains(headline));
      CHECK_THAT(std::string(e.what()), Contains("c11999.graft"));
      CHECK(std::string(e.what()).size() < 2000);  // a long cycle is clipped
    }
  };
  fails_at_the_end("cycle", "use \"c0.graft\"\n", "import cycle");
  fails_at_the_end("missing", "use \"nowhere.graft\"\n", "cannot find \"nowhere.graft\"");
}
