// Linear time where an input controls a size: the pattern matcher on 100,000-character names
// (`**a**a**b**` was O(tokens x length^2): 3.8 / 15 / 36 s at 20k / 40k / 60k characters), did-you-mean
// over names of megabytes (an unbounded edit distance), and a `map A -> B { ... }` of 200,000 joints
// (a linear joint lookup per entry: killed at 30 s). Each case was minutes or more before; the bounds
// checked here are generous enough to be deterministic.

#include <graft/plan/planner.hpp>
#include <graft/rules/joints.hpp>
#include <graft/rules/pattern.hpp>

#include "plan/plan_helpers.hpp"
#include "support/catch.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

using graft::rules::pattern;
using test::Contains;
using test::rules_text;
using test::t;

namespace {

template <typename F>
double seconds(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST_CASE("security linear time: globs against 100,000-character names") {
  const std::string as(100'000, 'a');
  const pattern p = pattern::compile("**a**a**b**");
  bool matched = true;
  CHECK(seconds([&] { matched = p.match(as); }) < 5);  // 100k: about 1 ms (minutes before)
  CHECK(!matched);
  // A match still takes the greedy captures: the first ** as long as it can be.
  std::vector<graft::rules::capture> caps;
  const std::string name = as + "b" + as;
  CHECK(seconds([&] { matched = p.match(name, &caps); }) < 5);
  REQUIRE(matched);
  REQUIRE(caps.size() == 4);
  CHECK(caps[0].text.size() == 99'998);
  CHECK(caps[1].text.empty());
  CHECK(caps[2].text.empty());
  CHECK(caps[3].text == as);
  // The most wildcards a pattern may hold, stars between dots, against 100,000 dotted segments.
  std::string stars;
  for (int i = 0; i < 128; ++i) stars += "*.**.";
  std::string dotted;
  for (int i = 0; i < 100'000; ++i) dotted += "a.";
  const pattern q = pattern::compile(stars + "b");
  CHECK(seconds([&] { matched = q.match(dotted + "c"); }) < 5);
  CHECK(!matched);
  CHECK(q.match(dotted + "b"));
}

TEST_CASE("security linear time: did-you-mean over names of megabytes") {
  using graft::rules::closest_match;
  const std::string huge(2'000'000, 'x');
  const std::vector<std::string> names{"backbone.fc.weight", "backbone.fc.bias", std::string(2'000'000, 'y')};
  std::optional<std::string> near;
  CHECK(seconds([&] { near = closest_match(huge, names); }) < 5);
  CHECK(!near);
  CHECK(closest_match("backbone.fc.weigth", names) == std::optional<std::string>("backbone.fc.weight"));
  CHECK(closest_match(std::string(2'000'000, 'y') + "z", names) == std::nullopt);  // beyond the work cap
  // Normal results are those of the full distance: the closest, the first of equals, none too far.
  CHECK(graft::rules::edit_distance("kitten", "sitting") == 3);
  CHECK(graft::rules::edit_distance_within("kitten", "sitting", 2) == 3);
  CHECK(closest_match("nose", std::vector<std::string>{"noze", "nosa"}) == std::optional<std::string>("noze"));
  CHECK(closest_match("nose", std::vector<std::string>{"elbow"}) == std::nullopt);
  // A plan whose unused source has a 2 MB name, with a near-miss destination: suggestions still come.
  const graft::tensor_set src{t(huge, {1}), t("head.weight", {2})};
  const graft::tensor_set dst{t("head.weigth", {2})};
  graft::plan p;
  graft::plan_options lenient;
  lenient.lenient = true;
  CHECK(seconds([&] { p = graft::make_plan(rules_text(""), src, dst, lenient); }) < 5);
  CHECK_THAT(test::problems(p), Contains("did you mean 'head.weight'"));
}

TEST_CASE("security linear time: a map of 200,000 joints") {
  constexpr int joints = 200'000;
  std::string a = "joints a = [", b = "joints b = [", map = "map a -> b {\n";
  for (int i = 0; i < joints; ++i) {
    a += (i ? ", j" : "j") + std::to_string(i);
    b += (i ? ", k" : "k") + std::to_string(i);
    map += "k" + std::to_string(i) + " = j" + std::to_string(joints - 1 - i) + "\n";
  }
  const std::string text = a + "]\n" + b + "]\n" + map + "}\nreshape \"w\" { dim 0 = a -> b }\n";
  const graft::tensor_set w{t("w", {joints})};
  graft::plan p;
  CHECK(seconds([&] { p = graft::make_plan(rules_text(text), w, w, graft::plan_options{}); }) < 20);  // killed at 30 s
  INFO(test::problems(p));
  REQUIRE(p.entries.size() == 1);
  REQUIRE(p.entries[0].selections.size() == 1);
  const auto& sel = p.entries[0].selections[0];
  REQUIRE(sel.source_index.size() == static_cast<std::size_t>(joints));
  CHECK(sel.source_index[0] == joints - 1);
  CHECK(sel.destination_index[0] == 0);
}
