// Counts computed from rules and manifests stay bounded: rename templates cannot grow a name past
// rules::max_name_bytes (30 x `rename "**" -> "$1.$1"`, 690 bytes of rules, reached gigabytes), layout
// counts of 2^63-1 are refused at the rule, manifest shapes whose bytes overflow 64 bits are refused at
// their line, and numel() saturates instead of overflowing. Each case is a hand-made minimal input.

#include <graft/io/manifest.hpp>
#include <graft/plan/planner.hpp>
#include <graft/rules/load.hpp>
#include <graft/tensor_meta.hpp>

#include "plan/plan_helpers.hpp"
#include "support/catch.hpp"

#include <cstdint>
#include <string>

using test::Contains;
using test::rules_text;
using test::t;

namespace {

/// The message of the graft error `f` throws ("" when it throws none; a non-graft exception escapes).
template <typename Error, typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

std::string repeated(const std::string& line, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += line;
  return out;
}

}  // namespace

TEST_CASE("security bounds: renames cannot grow a name past max_name_bytes") {
  const auto rules = rules_text(repeated("rename \"**\" -> \"$1.$1\"\n", 30));  // 690 bytes
  const graft::tensor_set names{t("a.b", {3})};
  const std::string what =
      error_of<graft::rules_error>([&] { graft::make_plan(rules, names, names, graft::plan_options{}); });
  CHECK_THAT(what, Contains("test.graft:"));
  CHECK_THAT(what, Contains("rename \"**\" -> \"$1.$1\" would make a name of"));
  CHECK_THAT(what, Contains("at most 4096"));
  // Right at the bound a rename is fine: 2 x 2047 + 1 = 4095 bytes.
  const std::string long_name = std::string(2047, 'x');
  const graft::tensor_set one{t(long_name, {3})};
  const graft::tensor_set doubled{t(long_name + "." + long_name, {3})};
  const auto twice = rules_text("rename \"*\" -> \"$1.$1\"\n");
  const graft::plan p = graft::make_plan(twice, one, doubled, graft::plan_options{});
  CHECK(p.entries.size() == 1);
  CHECK(p.problems.empty());
  // One byte more is refused, naming the rule's line.
  const graft::tensor_set longer{t(long_name + "xx", {3})};
  CHECK_THAT(error_of<graft::rules_error>([&] { graft::make_plan(twice, longer, doubled, graft::plan_options{}); }),
             Contains("test.graft:1:1: rename \"*\" -> \"$1.$1\" would make a name of 4099 bytes"));
}

TEST_CASE("security bounds: layout counts near 2^63 are refused at the rule") {
  const std::string sets = "joints a = [x, y]\njoints b = [x, y]\n";
  for (const std::string segment :
       {"keep, new 9223372036854775807", "drop 9223372036854775807", "(a -> b) * 4611686018427387904",
        "4611686018427387904 * (a -> b)", "keep 16777216, keep 16777216"}) {
    const std::string what =
        error_of<graft::rules_error>([&] { rules_text(sets + "reshape \"w\" { dim 0 = " + segment + " }\n"); });
    INFO(segment);
    CHECK_THAT(what, Contains("test.graft:3:"));
    CHECK_THAT(what, Contains("at most 16777216"));
  }
  // A manifest dim of 2^62 against an inferred keep: a plan error, never an index list of 2^62 rows.
  const auto rules = rules_text("reshape \"w\" { dim 0 = keep, new 1 }\n");
  const graft::tensor_set src{t("w", {std::int64_t{1} << 62})};
  const graft::tensor_set dst{t("w", {(std::int64_t{1} << 62) + 1})};
  const graft::plan p = graft::make_plan(rules, src, dst, graft::plan_options{});
  CHECK_THAT(test::problems(p), Contains("more than a layout takes (at most 16777216)"));
}

TEST_CASE("security bounds: manifest shapes whose bytes overflow 64 bits are refused at their line") {
  using graft::io::parse_manifest;
  CHECK_THAT(error_of<graft::checkpoint_error>(
                 [] { parse_manifest("ok\tfloat32\t3\nw\tfloat32\t4611686018427387904,4\tparam\n", "m.tsv"); }),
             Contains("m.tsv:2: shape '4611686018427387904,4' of 'w' is too large"));
  // A zero size does not hide the overflow of the others (strides still multiply them).
  CHECK_THAT(error_of<graft::checkpoint_error>(
                 [] { parse_manifest("w\tuint8\t0,4611686018427387904,4611686018427387904\n", "m.tsv"); }),
             Contains("m.tsv:1: shape"));
  CHECK_THAT(error_of<graft::checkpoint_error>([] { parse_manifest("w\tfloat32\t4611686018427387904\n", "m.tsv"); }),
             Contains("too large (more than 2^63-1 bytes)"));
  // 2^62 one-byte elements fit.
  CHECK(parse_manifest("w\tuint8\t4611686018427387904\n", "m.tsv").at(0).shape.at(0) == std::int64_t{1} << 62);
}

TEST_CASE("security bounds: numel and contiguous_strides saturate instead of overflowing") {
  const std::int64_t big = std::int64_t{1} << 62;
  CHECK(graft::numel({big, 4}) == INT64_MAX);
  CHECK(graft::numel({big, 4, 0}) == 0);
  CHECK(graft::numel({big, 1}) == big);
  CHECK(graft::contiguous_strides({4, big, 4}).at(0) == INT64_MAX);
  CHECK(graft::contiguous_strides({3, 4}) == graft::shape_t{4, 1});
}
