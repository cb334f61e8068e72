// Glob patterns: anchored whole-name matching, captures, templates.

#include <graft/rules/name_template.hpp>
#include <graft/rules/pattern.hpp>

#include "support/catch.hpp"

using graft::rules::capture;
using graft::rules::name_template;
using graft::rules::pattern;
using graft::rules::pattern_syntax_error;

namespace {
bool matches(const char* p, const char* name) { return pattern::compile(p).match(name); }

std::vector<std::string> captures(const char* p, const char* name) {
  std::vector<capture> caps;
  REQUIRE(pattern::compile(p).match(name, &caps));
  std::vector<std::string> out;
  for (auto& c : caps) out.push_back(c.text);
  return out;
}

graft::rules::joint_set_sizes sets() {
  return [](std::string_view n) -> std::optional<std::size_t> {
    if (n == "coco") return 17;
    if (n == "crowdpose") return 14;
    return std::nullopt;
  };
}
}  // namespace

TEST_CASE("literal patterns match the whole name only", "[rules][pattern]") {
  CHECK(matches("conv1.weight", "conv1.weight"));
  CHECK_FALSE(matches("conv1.weight", "conv1.weight2"));
  CHECK_FALSE(matches("conv1.weight", "xconv1.weight"));
  CHECK_FALSE(matches("conv1", "conv1.weight"));
  CHECK(pattern::compile("a.b").is_literal());
}

TEST_CASE("* stays within one segment", "[rules][pattern]") {
  CHECK(matches("conv1.*", "conv1.weight"));
  CHECK_FALSE(matches("conv1.*", "conv1.0.weight"));
  CHECK(matches("transition*.*", "transition1.weight"));
  CHECK(matches("stage*", "stage"));
  CHECK(matches("*", "weight"));
  CHECK_FALSE(matches("*", "a.b"));
  CHECK(captures("layer*.*.conv*", "layer1.0.conv2") == std::vector<std::string>{"1", "0", "2"});
}

TEST_CASE("** spans any number of segments, including none", "[rules][pattern]") {
  CHECK(matches("layer1.**", "layer1.0.conv1.weight"));
  CHECK(matches("layer1.**", "layer1.x"));
  CHECK(matches("layer1.**", "layer1"));
  CHECK_FALSE(matches("layer1.**", "layer10.x"));
  CHECK(matches("**.num_batches_tracked", "bn1.num_batches_tracked"));
  CHECK(matches("**.num_batches_tracked", "num_batches_tracked"));
  CHECK(matches("**.num_batches_tracked", "a.b.c.num_batches_tracked"));
  CHECK_FALSE(matches("**.num_batches_tracked", "xnum_batches_tracked"));
  CHECK(matches("a.**.b", "a.b"));
  CHECK(matches("a.**.b", "a.x.y.b"));
  CHECK_FALSE(matches("a.**.b", "ab"));
  CHECK_FALSE(matches("a.**.b", "a.xb"));
  CHECK(matches("**", "anything.at.all"));
  CHECK(matches("**", "nodots"));
  CHECK(captures("backbone.**", "backbone.conv1.weight") == std::vector<std::string>{"conv1.weight"});
  CHECK(captures("a.**.b", "a.b") == std::vector<std::string>{""});
  CHECK(captures("**.w", "x.y.w") == std::vector<std::string>{"x.y"});
  CHECK(captures("x**", "x.y.z") == std::vector<std::string>{".y.z"});
}

TEST_CASE("numeric segments are plain text", "[rules][pattern]") {
  CHECK(matches("stage3.0.fuse_layers.1.0.0.weight", "stage3.0.fuse_layers.1.0.0.weight"));
  CHECK(matches("final_layers.1.*", "final_layers.1.bias"));
  CHECK_FALSE(matches("final_layers.1.*", "final_layers.10.bias"));
}

TEST_CASE("{a,b} alternatives, including empty ones and dotted ones", "[rules][pattern]") {
  CHECK(matches("final_layers.0.{weight,bias}", "final_layers.0.bias"));
  CHECK_FALSE(matches("final_layers.0.{weight,bias}", "final_layers.0.running_mean"));
  CHECK(matches("conv{,_v2}.weight", "conv.weight"));
  CHECK(matches("conv{,_v2}.weight", "conv_v2.weight"));
  CHECK(matches("t.{0.weight,1.bias}", "t.1.bias"));
  CHECK_FALSE(matches("t.{0.weight,1.bias}", "t.0.bias"));
  CHECK(captures("{a,ab}c", "abc") == std::vector<std::string>{"ab"});
}

TEST_CASE("<set> captures a joint index within the set", "[rules][pattern]") {
  auto p = pattern::compile("offset_final_layer.<coco>.**", sets());
  std::vector<capture> caps;
  REQUIRE(p.match("offset_final_layer.16.weight", &caps));
  CHECK(caps[0].joint_index == 16u);
  CHECK(caps[0].joint_set == "coco");
  CHECK(caps[1].text == "weight");
  CHECK_FALSE(p.match("offset_final_layer.17.weight"));
  CHECK_FALSE(p.match("offset_final_layer.01.weight"));
  CHECK_FALSE(p.match("offset_final_layer.x.weight"));
  CHECK(p.joint_sets() == std::vector<std::string>{"coco"});
}

TEST_CASE("pattern syntax errors say where", "[rules][pattern]") {
  auto offset_of = [](const char* text) {
    try {
      pattern::compile(text, [](std::string_view) { return std::nullopt; });
    } catch (const pattern_syntax_error& e) {
      return static_cast<long>(e.offset);
    }
    return -1L;
  };
  CHECK(offset_of("a.{b,c") == 2);
  CHECK(offset_of("a.b}") == 3);
  CHECK(offset_of("a.***") == 2);
  CHECK(offset_of("a.<coco") == 2);
  CHECK(offset_of("a.<>") == 2);
  CHECK(offset_of("a.<nosuch>") == 3);
  CHECK(offset_of("a.$1") == 2);
  CHECK(offset_of("{a*,b}") == 2);
  CHECK(offset_of("") == 0);
}

TEST_CASE("templates substitute captures and tidy dots", "[rules][pattern]") {
  auto p = pattern::compile("backbone.**");
  std::vector<capture> caps;
  REQUIRE(p.match("backbone.conv1.weight", &caps));
  CHECK(*name_template::compile("$1", 1).expand(caps) == "conv1.weight");
  CHECK(*name_template::compile("body.${1}", 1).expand(caps) == "body.conv1.weight");
  auto q = pattern::compile("a.**.b");
  REQUIRE(q.match("a.b", &caps));
  CHECK(*name_template::compile("x.$1.y", 1).expand(caps) == "x.y");
  CHECK_THROWS_AS(name_template::compile("$2", 1), pattern_syntax_error);
  CHECK_THROWS_AS(name_template::compile("$x", 1), pattern_syntax_error);
  CHECK_THROWS_AS(name_template::compile("a.*", 1), pattern_syntax_error);
}

TEST_CASE("capture numbers of any length are read against the capture count", "[rules][pattern]") {
  auto message_of = [](const char* text, std::size_t captures) {
    try {
      name_template::compile(text, captures);
    } catch (const pattern_syntax_error& e) {
      return std::to_string(e.offset) + ": " + e.what();
    }
    return std::string("no error");
  };
  // Past what std::stoul reads (it threw std::out_of_range: "internal error: stoul").
  CHECK(message_of("b.$99999999999999999999999", 1) ==
        "2: $99999999999999999999999 refers to no capture (the pattern has 1)");
  CHECK(message_of("${18446744073709551616}", 3) ==
        "0: $18446744073709551616 refers to no capture (the pattern has 3)");
  CHECK(message_of("x$18446744073709551615", 2) == "1: $18446744073709551615 refers to no capture (the pattern has 2)");
  CHECK(message_of("$0", 2) == "0: $0 refers to no capture (the pattern has 2)");
  CHECK(message_of("$10", 9) == "0: $10 refers to no capture (the pattern has 9)");
  CHECK(message_of("$10", 10) == "no error");
  CHECK(message_of("$0012", 12) == "no error");  // leading zeros, as before
}

TEST_CASE("templates translate joint indices between sets", "[rules][pattern]") {
  auto p = pattern::compile("off.<coco>.**", sets());
  auto t = name_template::compile("off.<crowdpose>.$2", 2, sets());
  CHECK(t.writes_joint());
  auto translate = [](const std::string& from, std::size_t i, const std::string& to) -> std::optional<std::size_t> {
    CHECK(from == "coco");
    CHECK(to == "crowdpose");
    if (i < 5) return std::nullopt;  // nose..right_ear have no CrowdPose counterpart
    return i - 5;
  };
  std::vector<capture> caps;
  REQUIRE(p.match("off.7.conv.weight", &caps));
  CHECK(*t.expand(caps, translate) == "off.2.conv.weight");
  REQUIRE(p.match("off.0.conv.weight", &caps));
  CHECK_FALSE(t.expand(caps, translate).has_value());
}

TEST_CASE("pathological patterns match in polynomial time, wildcards are bounded", "[rules][pattern]") {
  std::string stars;
  for (int i = 0; i < 30; ++i) stars += "*a";
  CHECK_FALSE(matches((stars + "*b").c_str(), std::string(77, 'a').c_str()));
  CHECK(matches((stars + "*").c_str(), std::string(77, 'a').c_str()));
  std::string globs, name = "a";
  for (int i = 0; i < 20; ++i) globs += "**.a.";
  for (int i = 1; i < 60; ++i) name += ".a";
  CHECK_FALSE(matches((globs + "b").c_str(), name.c_str()));
  std::string many;
  for (int i = 0; i < 257; ++i) many += "*.";
  CHECK_THROWS_AS(pattern::compile(many + "x"), pattern_syntax_error);
}
