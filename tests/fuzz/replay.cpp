// Replays every seed-corpus and regression input (tests/fuzz/corpus/<target>/,
// tests/fuzz/regressions/<target>/) through the fuzz entry points, with the normal compiler and
// no fuzzing engine: each input must give a graft::error or a successful read, nothing else, within
// its limits (run_limited: heap, counted by the meter, and time).

#define GRAFT_FUZZ_METER_IMPLEMENTATION
#include "targets.hpp"

#include "support/catch.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> inputs_of(const std::string& target) {
  std::vector<fs::path> out;
  for (const char* kind : {"corpus", "regressions"}) {
    const fs::path dir = fs::path(GRAFT_TEST_DATA_DIR) / ".." / "fuzz" / kind / target;
    if (!fs::is_directory(dir)) continue;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file() && e.path().filename() != ".gitkeep") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::uint8_t> read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void replay(const std::string& target) {
  graft_fuzz::target_fn fn = nullptr;
  for (const auto& t : graft_fuzz::all_targets)
    if (target == t.name) fn = t.fn;
  REQUIRE(fn != nullptr);
  const auto files = inputs_of(target);
  CHECK(!files.empty());  // every target has a seed corpus
  for (const auto& f : files) {
    INFO("input " << f.string());
    const auto bytes = read_all(f);
    try {
      graft_fuzz::run_limited(fn, bytes.data(), bytes.size());
    } catch (const graft_fuzz::contract_violation& e) {
      FAIL_CHECK("contract violated: " << e.what());
    }
  }
}

}  // namespace

TEST_CASE("fuzz replay: rules") { replay("rules"); }
TEST_CASE("fuzz replay: pickle") { replay("pickle"); }
TEST_CASE("fuzz replay: pth") { replay("pth"); }
TEST_CASE("fuzz replay: safetensors") { replay("safetensors"); }
TEST_CASE("fuzz replay: manifest") { replay("manifest"); }
TEST_CASE("fuzz replay: pipeline") { replay("pipeline"); }

TEST_CASE("fuzz limits: the meter sees allocations, and an input over its budget is a violation") {
  REQUIRE(graft_fuzz::meter::installed);
  const std::int64_t base = graft_fuzz::meter::start();
  {
    std::vector<char> big(std::size_t{1} << 20);
    volatile char* touch = big.data();  // observable: the allocation cannot be elided
    touch[big.size() - 1] = 1;
  }
  CHECK(graft_fuzz::meter::peak_above(base) >= (std::size_t{1} << 20));
  const auto hog = [](const std::uint8_t*, std::size_t size) {
    std::vector<char> v(graft_fuzz::meter::memory_budget(size) + 1);
    volatile char* touch = v.data();
    touch[v.size() - 1] = 1;
  };
  const std::uint8_t byte = 0;
  CHECK_THROWS_WITH(graft_fuzz::run_limited(hog, &byte, 1), test::Contains("over its budget"));
  CHECK_NOTHROW(graft_fuzz::run_limited([](const std::uint8_t*, std::size_t) {}, &byte, 1));
}

TEST_CASE("fuzz contract: only graft errors pass, anything else is a violation") {
  using graft_fuzz::contract_violation;
  using graft_fuzz::detail::expect_graft_error_or_success;
  CHECK_NOTHROW(expect_graft_error_or_success([] {}));
  CHECK_NOTHROW(expect_graft_error_or_success([] { throw graft::usage_error("bad input"); }));
  CHECK_THROWS_AS(expect_graft_error_or_success([] { throw graft::usage_error(""); }), contract_violation);
  CHECK_THROWS_AS(expect_graft_error_or_success([] { (void)std::stoul("99999999999999999999999"); }),
                  contract_violation);
  CHECK_THROWS_AS(expect_graft_error_or_success([] { throw std::bad_alloc(); }), contract_violation);
  CHECK_THROWS_AS(expect_graft_error_or_success([] { throw 42; }), contract_violation);
  CHECK_THROWS_WITH(expect_graft_error_or_success([] { throw std::out_of_range("stoul"); }),
                    test::Contains("a non-graft exception escaped") && test::Contains("stoul"));
}
