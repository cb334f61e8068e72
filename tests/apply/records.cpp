// graft::apply_records: executing a plan on host-memory records without LibTorch. Copies stay zero-copy
// views, layouts select rows (kept rows keep the template's values), means and whole-tensor synthesis,
// casts, literal reshape steps, non-contiguous sources, refused inputs, float16/bfloat16 rounding.
// Every expected value is written out by hand.

#include "apply/record_helpers.hpp"

#include <graft/apply/records.hpp>

#include "support/catch.hpp"

#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

using graft::dtype;
using graft::shape_t;
using graft::io::tensor_record;
using namespace test::apply;

TEST_CASE("host apply: copied tensors are zero-copy views named as the destination", "[io][host_apply]") {
  std::vector<tensor_record> src = {f32("old.w", {2, 3}, {1, 2, 3, 4, 5, 6}), f32("b", {3}, {7, 8, 9})};
  std::vector<tensor_record> dst = {
      make_record<float>("new.w", {2, 3}, dtype::float32, {0, 0, 0, 0, 0, 0}, {}, 0, graft::tensor_role::buffer),
      f32("b", {3}, {0, 0, 0}), f32("extra", {2}, {-1, -2})};
  auto p = plan_for("rename \"old.w\" -> \"new.w\"\nkeep \"extra\"\n", src, dst);
  graft::apply_summary summary;
  auto out = graft::apply_records(p, src, dst, &summary);
  REQUIRE(out.size() == 3);
  CHECK(out[0].name == "new.w");
  CHECK(out[0].role == graft::tensor_role::buffer);  // the destination's role
  CHECK(out[0].storage.data == src[0].storage.data);
  CHECK(out[0].owner == src[0].owner);
  CHECK(out[0].shape == shape_t{2, 3});
  CHECK(floats(out[0]) == std::vector<float>{1, 2, 3, 4, 5, 6});
  CHECK(out[1].name == "b");
  CHECK(out[1].storage.data == src[1].storage.data);
  // A kept tensor is the template itself.
  CHECK(out[2].name == "extra");
  CHECK(out[2].storage.data == dst[2].storage.data);
  CHECK(floats(out[2]) == std::vector<float>{-1, -2});
  CHECK(summary.copied == 2);
  CHECK(summary.kept == 1);
  CHECK(summary.mapped == 0);
  CHECK(summary.casts == 0);
  // The inputs are untouched.
  CHECK(floats(dst[0]) == std::vector<float>{0, 0, 0, 0, 0, 0});
}

TEST_CASE("host apply: joint layouts on dim 0 and dim 1 place rows and keep the template's rows", "[io][host_apply]") {
  const std::string rules = std::string(joints_ab) + R"(map a -> b { keep w }
reshape "w0" { dim 0 = a -> b }
reshape "w1" { dim 1 = a -> b }
reshape "w2" { dim 0 = a -> b; dim 1 = a -> b }
reshape "w3" { dim 0 = keep 1, (a -> b) * 2 }
reshape "w4" { dim 0 = 2 * (a -> b) }
)";
  std::vector<tensor_record> src = {
      f32("w0", {3, 2}, {1, 2, 3, 4, 5, 6}),           // rows x, y, z
      f32("w1", {2, 3}, {1, 2, 3, 4, 5, 6}),           // columns x, y, z
      f32("w2", {3, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8}),  // value = 3 * row + column
      f32("w3", {7}, {100, 1, 2, 3, 4, 5, 6}),         // lead row, then x0 x1 y0 y1 z0 z1
      f32("w4", {6}, {1, 2, 3, 4, 5, 6}),              // x y z | x y z
  };
  std::vector<tensor_record> dst = {
      f32("w0", {3, 2}, {-1, -2, -3, -4, -5, -6}),
      f32("w1", {2, 3}, {10, 20, 30, 40, 50, 60}),
      f32("w2", {3, 3}, {100, 101, 102, 103, 104, 105, 106, 107, 108}),
      f32("w3", {7}, {-1, -2, -3, -4, -5, -6, -7}),
      f32("w4", {6}, {-1, -2, -3, -4, -5, -6}),
  };
  auto p = plan_for(rules, src, dst);
  graft::apply_summary summary;
  auto out = graft::apply_records(p, src, dst, &summary);
  REQUIRE(out.size() == 5);
  CHECK(summary.mapped == 5);
  for (std::size_t i = 0; i < out.size(); ++i) {
    INFO(dst[i].name);
    CHECK(out[i].name == dst[i].name);
    CHECK(out[i].shape == dst[i].shape);
    CHECK(out[i].type == dtype::float32);
    CHECK(out[i].strides == graft::io::contiguous_strides(dst[i].shape));
  }
  // b = [z, x, w]: z <- source row 2, x <- source row 0, w keeps the template.
  CHECK(floats(out[0]) == std::vector<float>{5, 6, 1, 2, -5, -6});
  CHECK(floats(out[1]) == std::vector<float>{3, 1, 30, 6, 4, 60});
  // Both dims: a position is kept when either of its rows is w.
  CHECK(floats(out[2]) == std::vector<float>{8, 6, 102, 2, 0, 105, 106, 107, 108});
  // keep 1, then two channels per joint (joint-major).
  CHECK(floats(out[3]) == std::vector<float>{100, 5, 6, 1, 2, -6, -7});
  // Two blocks of all joints (block-major).
  CHECK(floats(out[4]) == std::vector<float>{3, 1, -3, 6, 4, -6});
  // The template is untouched.
  CHECK(floats(dst[0]) == std::vector<float>{-1, -2, -3, -4, -5, -6});
}

TEST_CASE("host apply: synthesized rows are the means of their joints' rows", "[io][host_apply]") {
  const std::string rules = std::string(joints_ab) + R"(map a -> b { w = mean(x, y) }
reshape "{hm,ints,half}" { dim 0 = a -> b }
reshape "cols" { dim 1 = a -> b }
)";
  std::vector<tensor_record> src = {
      f32("hm", {3, 2}, {1, 2, 4, 8, 5, 6}),
      f32("cols", {2, 3}, {1, 2, 3, -4, 5, 6}),
      make_record<std::int32_t>("ints", {3}, dtype::int32, {1, 2, 7}),
      // float16 1.0, 1 + 2^-10, 2.0
      f16("half", {3}, {0x3C00, 0x3C01, 0x4000}),
  };
  std::vector<tensor_record> dst = {
      f32("hm", {3, 2}, {0, 0, 0, 0, 0, 0}),
      f32("cols", {2, 3}, {0, 0, 0, 0, 0, 0}),
      f32("ints", {3}, {0, 0, 0}),
      f32("half", {3}, {0, 0, 0}),
  };
  auto p = plan_for(rules, src, dst);
  graft::apply_summary summary;
  auto out = graft::apply_records(p, src, dst, &summary);
  REQUIRE(out.size() == 4);
  CHECK(summary.mapped == 4);
  CHECK(summary.casts == 2);
  // w = mean(x, y): rows (1 + 4) / 2, (2 + 8) / 2.
  CHECK(floats(out[0]) == std::vector<float>{5, 6, 1, 2, 2.5f, 5});
  CHECK(floats(out[1]) == std::vector<float>{3, 1, 1.5f, 6, -4, 0.5f});
  // An integer source's mean is computed in float32: (1 + 2) / 2 = 1.5, not truncated.
  CHECK(floats(out[2]) == std::vector<float>{7, 1, 1.5f});
  // A float16 source's mean is rounded to float16 before the cast (as the LibTorch path does):
  // (1 + (1 + 2^-10)) / 2 = 1 + 2^-11, halfway between two float16 values -> the even one, 1.0.
  CHECK(floats(out[3]) == std::vector<float>{2, 1, 1});
}

TEST_CASE("host apply: an integer source with a synthesized row into an integer destination truncates the mean",
          "[io][host_apply]") {
  const std::string rules = std::string(joints_ab) + R"(map a -> b { w = mean(x, y) }
reshape "i" { dim 0 = a -> b }
)";
  std::vector<tensor_record> src = {make_record<std::int32_t>("i", {3, 2}, dtype::int32, {1, -3, 2, -4, 9, 10})};
  std::vector<tensor_record> dst = {make_record<std::int64_t>("i", {3, 2}, dtype::int64, {0, 0, 0, 0, 0, 0})};
  auto p = plan_for(rules, src, dst);
  auto out = graft::apply_records(p, src, dst);
  REQUIRE(out.size() == 1);
  CHECK(out[0].type == dtype::int64);
  // mean(1, 2) = 1.5 -> 1; mean(-3, -4) = -3.5 -> -3 (towards zero, as a float -> int64 copy does).
  CHECK(values<std::int64_t>(out[0]) == std::vector<std::int64_t>{9, 10, 1, -3, 1, -3});
}

TEST_CASE("host apply: whole per-joint tensors are synthesized as means or copied from another joint",
          "[io][host_apply]") {
  SECTION("mean of two joints' tensors") {
    const std::string rules = std::string(joints_ab) + R"(map a -> b { w = mean(x, y) }
rename "off.<a>.w" -> "off.<b>.w"
)";
    std::vector<tensor_record> src = {f32("off.0.w", {2}, {1, 2}), f32("off.1.w", {2}, {3, 6}),
                                      f32("off.2.w", {2}, {10, 20})};
    std::vector<tensor_record> dst = {f32("off.0.w", {2}, {0, 0}), f32("off.1.w", {2}, {0, 0}),
                                      f32("off.2.w", {2}, {-1, -1})};
    auto p = plan_for(rules, src, dst);
    graft::apply_summary summary;
    auto out = graft::apply_records(p, src, dst, &summary);
    REQUIRE(out.size() == 3);
    CHECK(summary.synthesized == 1);
    CHECK(summary.copied == 2);
    CHECK(out[0].name == "off.0.w");
    CHECK(floats(out[0]) == std::vector<float>{10, 20});  // z <- off.2
    CHECK(out[0].storage.data == src[2].storage.data);
    CHECK(floats(out[1]) == std::vector<float>{1, 2});  // x <- off.0
    CHECK(out[2].name == "off.2.w");
    CHECK(floats(out[2]) == std::vector<float>{2, 4});  // w = mean(off.0, off.1)
    CHECK(out[2].storage.data != src[0].storage.data);
    CHECK(out[2].storage.data != dst[2].storage.data);
  }
  SECTION("mean of three float16 tensors into float32 is not rounded to float16") {
    const std::string rules = std::string(joints_ab) + R"(map a -> b { w = mean(x, y, z) }
rename "off.<a>.w" -> "off.<b>.w"
)";
    // float16: x = [1, 1], y = [1 + 2^-10, 2], z = [1, 3]
    std::vector<tensor_record> src = {f16("off.0.w", {2}, {0x3C00, 0x3C00}), f16("off.1.w", {2}, {0x3C01, 0x4000}),
                                      f16("off.2.w", {2}, {0x3C00, 0x4200})};
    std::vector<tensor_record> dst = {f32("off.0.w", {2}, {0, 0}), f32("off.1.w", {2}, {0, 0}),
                                      f32("off.2.w", {2}, {0, 0})};
    auto p = plan_for(rules, src, dst);
    graft::apply_summary summary;
    auto out = graft::apply_records(p, src, dst, &summary);
    REQUIRE(out.size() == 3);
    CHECK(summary.casts == 3);
    CHECK(floats(out[0]) == std::vector<float>{1, 3});
    CHECK(floats(out[1]) == std::vector<float>{1, 1});
    // (1 + (1 + 2^-10) + 1) / 3 = 1 + 2^-10 / 3, rounded in float32 (ulp 2^-23 at 1):
    // 0x3F800000 + round(2^13 / 3) = 0x3F800000 + round(2730.67) = 0x3F800AAB. As float16 it would be 1.0.
    CHECK(bits_of(floats(out[2])[0]) == 0x3F800AABu);
    CHECK(floats(out[2])[1] == 2.0f);  // (1 + 2 + 3) / 3
  }
  SECTION("a joint copied from another joint's tensor") {
    const std::string rules = std::string(joints_ab) + R"(map a -> b { w = y }
rename "off.<a>.w" -> "off.<b>.w"
)";
    std::vector<tensor_record> src = {f32("off.0.w", {2}, {1, 2}), f32("off.1.w", {2}, {3, 6}),
                                      f32("off.2.w", {2}, {10, 20})};
    std::vector<tensor_record> dst = {f32("off.0.w", {2}, {0, 0}), f32("off.1.w", {2}, {0, 0}),
                                      f32("off.2.w", {2}, {-1, -1})};
    auto p = plan_for(rules, src, dst);
    graft::apply_summary summary;
    auto out = graft::apply_records(p, src, dst, &summary);
    REQUIRE(out.size() == 3);
    CHECK(summary.synthesized == 1);
    CHECK(out[2].name == "off.2.w");
    CHECK(floats(out[2]) == std::vector<float>{3, 6});
  }
}

TEST_CASE("host apply: casts between dtypes keep exact values", "[io][host_apply]") {
  std::vector<tensor_record> src = {
      // 1.5, -2.0, 65504, 2^-24, -0, inf, 1023 * 2^-24 (largest subnormal), 2^-14 (smallest normal)
      f16("h", {8}, {0x3E00, 0xC000, 0x7BFF, 0x0001, 0x8000, 0x7C00, 0x03FF, 0x0400}),
      make_record<std::int32_t>(
          "i", {4}, dtype::int32,
          {std::numeric_limits<std::int32_t>::min(), -1, 0, std::numeric_limits<std::int32_t>::max()}),
      // bfloat16 1.0, -5.0, 2^-126 * 1.5
      make_record<std::uint16_t>("bf", {3}, dtype::bfloat16, {0x3F80, 0xC0A0, 0x00C0}),
      make_record<std::uint8_t>("u", {3}, dtype::uint8, {0, 200, 255}),
      make_record<std::uint8_t>("flag", {2}, dtype::bool_, {0, 1}),
      // 1.0, 65520 (rounds to inf), 3 * 2^-25 (a tie: rounds to 2 * 2^-24), 1 + 2^-11 (a tie: rounds to 1.0)
      f32("down", {4}, {1.0f, 65520.0f, float_of(0x33C00000u), float_of(0x3F801000u)}),
      make_record<double>("d", {2}, dtype::float64, {1.5, -0.25}),
      make_record<std::int64_t>("l", {2}, dtype::int64, {-7, 9007199254740992LL}),  // 2^53
  };
  std::vector<tensor_record> dst = {
      f32("h", {8}, std::vector<float>(8, 0)),
      make_record<std::int64_t>("i", {4}, dtype::int64, {0, 0, 0, 0}),
      f32("bf", {3}, {0, 0, 0}),
      make_record<std::int16_t>("u", {3}, dtype::int16, {0, 0, 0}),
      f32("flag", {2}, {5, 5}),
      f16("down", {4}, {0, 0, 0, 0}),
      f32("d", {2}, {0, 0}),
      make_record<double>("l", {2}, dtype::float64, {0, 0}),
  };
  auto p = plan_for("", src, dst);
  graft::apply_summary summary;
  auto out = graft::apply_records(p, src, dst, &summary);
  REQUIRE(out.size() == 8);
  CHECK(summary.copied == 8);
  CHECK(summary.casts == 8);
  for (std::size_t i = 0; i < out.size(); ++i) {
    INFO(dst[i].name);
    CHECK(out[i].name == dst[i].name);
    CHECK(out[i].type == dst[i].type);
    CHECK(out[i].shape == dst[i].shape);
    CHECK(out[i].storage.data != src[i].storage.data);  // a cast makes a new buffer
    CHECK(out[i].storage.size == dst[i].nbytes());
  }
  const auto h = floats(out[0]);
  CHECK(h[0] == 1.5f);
  CHECK(h[1] == -2.0f);
  CHECK(h[2] == 65504.0f);
  CHECK(bits_of(h[3]) == 0x33800000u);  // 2^-24
  CHECK(bits_of(h[4]) == 0x80000000u);  // -0
  CHECK(bits_of(h[5]) == 0x7F800000u);  // inf
  CHECK(bits_of(h[6]) == 0x387FC000u);  // 1023 * 2^-24 = (1 + 1022/1024) * 2^-15
  CHECK(bits_of(h[7]) == 0x38800000u);  // 2^-14
  CHECK(values<std::int64_t>(out[1]) == std::vector<std::int64_t>{-2147483648LL, -1, 0, 2147483647LL});
  const auto bf = floats(out[2]);
  CHECK(bf[0] == 1.0f);
  CHECK(bf[1] == -5.0f);
  CHECK(bits_of(bf[2]) == 0x00C00000u);
  CHECK(values<std::int16_t>(out[3]) == std::vector<std::int16_t>{0, 200, 255});
  CHECK(floats(out[4]) == std::vector<float>{0, 1});
  CHECK(values<std::uint16_t>(out[5]) == std::vector<std::uint16_t>{0x3C00, 0x7C00, 0x0002, 0x3C00});
  CHECK(floats(out[6]) == std::vector<float>{1.5f, -0.25f});
  CHECK(values<double>(out[7]) == std::vector<double>{-7.0, 9007199254740992.0});
}

TEST_CASE("host apply: a layout with a cast keeps the template's rows in the destination dtype", "[io][host_apply]") {
  const std::string rules = std::string(joints_ab) + "map a -> b { keep w }\nreshape \"i\" { dim 0 = a -> b }\n";
  std::vector<tensor_record> src = {make_record<std::int32_t>("i", {3}, dtype::int32, {-5, 6, 2147483647})};
  std::vector<tensor_record> dst = {
      make_record<std::int64_t>("i", {3}, dtype::int64, {11, 22, 5000000000LL})};  // not an int32 value
  auto p = plan_for(rules, src, dst);
  graft::apply_summary summary;
  auto out = graft::apply_records(p, src, dst, &summary);
  REQUIRE(out.size() == 1);
  CHECK(summary.mapped == 1);
  CHECK(summary.casts == 1);
  CHECK(out[0].type == dtype::int64);
  CHECK(values<std::int64_t>(out[0]) == std::vector<std::int64_t>{2147483647LL, -5, 5000000000LL});
}

TEST_CASE("host apply: literal reshape steps reorder elements", "[io][host_apply]") {
  const std::string rules = R"(reshape "fc" { view }
reshape "k" { permute 1 0 }
reshape "t" { transpose 0 1 }
reshape "p" { permute 2 0 1 }
reshape "neg" { transpose -1 -2 }
reshape "u" { unsqueeze 0 }
reshape "ue" { unsqueeze -1 }
reshape "s" { squeeze 0 }
reshape "se" { squeeze -1 }
reshape "tv" { transpose 0 1; view }
reshape "ut" { unsqueeze 1; transpose 0 2 }
reshape "half" { permute 1 0 }
)";
  std::vector<float> p_values(24);
  for (std::size_t i = 0; i < p_values.size(); ++i) p_values[i] = static_cast<float>(i);
  std::vector<tensor_record> src = {
      f32("fc", {3, 2, 1, 1}, {0, 1, 2, 3, 4, 5}),
      f32("k", {2, 3}, {0, 1, 2, 3, 4, 5}),
      f32("t", {2, 3}, {0, 1, 2, 3, 4, 5}),
      f32("p", {2, 3, 4}, p_values),  // value = 12 * i + 4 * j + k
      f32("neg", {1, 2, 3}, {0, 1, 2, 3, 4, 5}),
      f32("u", {3}, {1, 2, 3}),
      f32("ue", {3}, {1, 2, 3}),
      f32("s", {1, 3}, {1, 2, 3}),
      f32("se", {3, 1}, {1, 2, 3}),
      f32("tv", {2, 3}, {0, 1, 2, 3, 4, 5}),
      f32("ut", {2, 3}, {0, 1, 2, 3, 4, 5}),
      f16("half", {2, 2}, {0x3C00, 0x4000, 0x4200, 0x4400}),  // 1 2 / 3 4
  };
  std::vector<tensor_record> dst = {
      f32("fc", {3, 2}, std::vector<float>(6, 0)),
      f32("k", {3, 2}, std::vector<float>(6, 0)),
      f32("t", {3, 2}, std::vector<float>(6, 0)),
      f32("p", {4, 2, 3}, std::vector<float>(24, 0)),
      f32("neg", {1, 3, 2}, std::vector<float>(6, 0)),
      f32("u", {1, 3}, {0, 0, 0}),
      f32("ue", {3, 1}, {0, 0, 0}),
      f32("s", {3}, {0, 0, 0}),
      f32("se", {3}, {0, 0, 0}),
      f32("tv", {6}, std::vector<float>(6, 0)),
      f32("ut", {3, 1, 2}, std::vector<float>(6, 0)),
      f32("half", {2, 2}, {0, 0, 0, 0}),
  };
  auto p = plan_for(rules, src, dst);
  graft::apply_summary summary;
  auto out = graft::apply_records(p, src, dst, &summary);
  REQUIRE(out.size() == dst.size());
  CHECK(summary.mapped == dst.size());
  CHECK(summary.casts == 1);
  for (std::size_t i = 0; i < out.size(); ++i) {
    INFO(dst[i].name);
    CHECK(out[i].name == dst[i].name);
    CHECK(out[i].shape == dst[i].shape);
    CHECK(out[i].type == dtype::float32);
  }
  CHECK(floats(out[0]) == std::vector<float>{0, 1, 2, 3, 4, 5});
  CHECK(floats(out[1]) == std::vector<float>{0, 3, 1, 4, 2, 5});
  CHECK(floats(out[2]) == std::vector<float>{0, 3, 1, 4, 2, 5});
  // out[k][i][j] = source[i][j][k] = 12 i + 4 j + k
  CHECK(floats(out[3]) ==
        std::vector<float>{0, 4, 8, 12, 16, 20, 1, 5, 9, 13, 17, 21, 2, 6, 10, 14, 18, 22, 3, 7, 11, 15, 19, 23});
  CHECK(floats(out[4]) == std::vector<float>{0, 3, 1, 4, 2, 5});
  CHECK(floats(out[5]) == std::vector<float>{1, 2, 3});
  CHECK(floats(out[6]) == std::vector<float>{1, 2, 3});
  CHECK(floats(out[7]) == std::vector<float>{1, 2, 3});
  CHECK(floats(out[8]) == std::vector<float>{1, 2, 3});
  // A view after a transpose reads the transposed order.
  CHECK(floats(out[9]) == std::vector<float>{0, 3, 1, 4, 2, 5});
  // [2, 3] -> [2, 1, 3] -> [3, 1, 2]: out[k][0][i] = source[i][k]
  CHECK(floats(out[10]) == std::vector<float>{0, 3, 1, 4, 2, 5});
  CHECK(floats(out[11]) == std::vector<float>{1, 3, 2, 4});
}

TEST_CASE("host apply: non-contiguous and offset source records", "[io][host_apply]") {
  // The transpose of [[1, 2, 3], [4, 5, 6]]: logical [[1, 4], [2, 5], [3, 6]], strides [1, 3].
  const std::vector<float> storage = {1, 2, 3, 4, 5, 6};
  const auto transposed = [&](const std::string& name) {
    return make_record<float>(name, {3, 2}, dtype::float32, storage, {1, 3});
  };
  // [[1, 4], [2, 5], [3, 6]] again, two elements into a storage that starts with padding.
  const auto offset = [&](const std::string& name) {
    return make_record<float>(name, {3, 2}, dtype::float32, {-9, -9, 1, 4, 2, 5, 3, 6}, {}, 2);
  };
  const std::string rules = std::string(joints_ab) + R"(map a -> b { w = mean(x, y) }
reshape "{rows,orows}" { dim 0 = a -> b }
reshape "{tr,otr}" { transpose 0 1 }
reshape "view" { view }
)";
  auto half_t = make_record<std::uint16_t>("half", {3, 2}, dtype::float16,
                                           {0x3C00, 0x4000, 0x4200, 0x4400, 0x4500, 0x4600}, {1, 3});  // 1..6
  std::vector<tensor_record> src = {transposed("copy"), transposed("rows"), transposed("tr"), transposed("view"),
                                    offset("ocopy"),    offset("orows"),    offset("otr"),    half_t};
  REQUIRE_FALSE(src[0].is_contiguous());
  std::vector<tensor_record> dst = {
      f32("copy", {3, 2}, std::vector<float>(6, 0)),  f32("rows", {3, 2}, {0, 0, 0, 0, -7, -8}),
      f32("tr", {2, 3}, std::vector<float>(6, 0)),    f32("view", {6}, std::vector<float>(6, 0)),
      f32("ocopy", {3, 2}, std::vector<float>(6, 0)), f32("orows", {3, 2}, {0, 0, 0, 0, -7, -8}),
      f32("otr", {2, 3}, std::vector<float>(6, 0)),   f32("half", {3, 2}, std::vector<float>(6, 0)),
  };
  auto p = plan_for(rules, src, dst);
  auto out = graft::apply_records(p, src, dst);
  REQUIRE(out.size() == dst.size());
  // Copied: still the same (non-contiguous) view of the source bytes.
  CHECK(out[0].storage.data == src[0].storage.data);
  CHECK(floats(out[0]) == std::vector<float>{1, 4, 2, 5, 3, 6});
  // Rows z, x, then w = mean(x, y) = ((1 + 2) / 2, (4 + 5) / 2).
  CHECK(floats(out[1]) == std::vector<float>{3, 6, 1, 4, 1.5f, 4.5f});
  CHECK(floats(out[2]) == std::vector<float>{1, 2, 3, 4, 5, 6});
  CHECK(floats(out[3]) == std::vector<float>{1, 4, 2, 5, 3, 6});
  CHECK(out[4].storage.data == src[4].storage.data);
  CHECK(out[4].storage_offset == 2);
  CHECK(floats(out[4]) == std::vector<float>{1, 4, 2, 5, 3, 6});
  CHECK(floats(out[5]) == std::vector<float>{3, 6, 1, 4, 1.5f, 4.5f});
  CHECK(floats(out[6]) == std::vector<float>{1, 2, 3, 4, 5, 6});
  // A non-contiguous float16 source cast to float32.
  CHECK(out[7].is_contiguous());
  CHECK(floats(out[7]) == std::vector<float>{1, 4, 2, 5, 3, 6});
}

TEST_CASE("host apply: refuses failed plans and records that do not match the plan", "[io][host_apply]") {
  std::vector<tensor_record> src = {f32("w", {2}, {1, 2})};
  std::vector<tensor_record> dst = {f32("w", {2}, {0, 0})};

  SECTION("a plan with errors") {
    std::vector<tensor_record> wrong = {f32("w", {3}, {0, 0, 0})};
    auto bad = graft::make_plan(test::rules_text(""), set_of(src), set_of(wrong));
    REQUIRE_FALSE(bad.ok());
    CHECK_THROWS_AS(graft::apply_records(bad, src, wrong), graft::plan_error);
    CHECK_THROWS_WITH(graft::apply_records(bad, src, wrong), test::Contains("plan with errors"));
  }
  auto p = plan_for("", src, dst);
  SECTION("the right records apply") { CHECK(graft::apply_records(p, src, dst).size() == 1); }
  SECTION("a different number of source records") {
    std::vector<tensor_record> two = {f32("w", {2}, {1, 2}), f32("v", {2}, {3, 4})};
    CHECK_THROWS_AS(graft::apply_records(p, two, dst), graft::usage_error);
    CHECK_THROWS_WITH(graft::apply_records(p, two, dst), test::Contains("1 source tensors, but 2 were given"));
  }
  SECTION("a different number of destination records") {
    std::vector<tensor_record> none;
    CHECK_THROWS_AS(graft::apply_records(p, src, none), graft::usage_error);
    CHECK_THROWS_WITH(graft::apply_records(p, src, none), test::Contains("0 were given"));
  }
  SECTION("a source record with another name") {
    std::vector<tensor_record> other = {f32("v", {2}, {1, 2})};
    CHECK_THROWS_AS(graft::apply_records(p, other, dst), graft::usage_error);
    CHECK_THROWS_WITH(graft::apply_records(p, other, dst),
                      test::Contains("source tensor 'v'") && test::Contains("'w'"));
  }
  SECTION("a source record with another shape") {
    std::vector<tensor_record> other = {f32("w", {1, 2}, {1, 2})};
    CHECK_THROWS_AS(graft::apply_records(p, other, dst), graft::usage_error);
    CHECK_THROWS_WITH(graft::apply_records(p, other, dst),
                      test::Contains("source tensor 'w' [1, 2]") && test::Contains("[2]"));
  }
  SECTION("a destination record with another shape") {
    std::vector<tensor_record> other = {f32("w", {3}, {0, 0, 0})};
    CHECK_THROWS_AS(graft::apply_records(p, src, other), graft::usage_error);
    CHECK_THROWS_WITH(graft::apply_records(p, src, other),
                      test::Contains("destination tensor 'w' [3]") && test::Contains("[2]"));
  }
  SECTION("a destination record with another dtype") {
    std::vector<tensor_record> other = {make_record<double>("w", {2}, dtype::float64, {0, 0})};
    CHECK_THROWS_AS(graft::apply_records(p, src, other), graft::usage_error);
    CHECK_THROWS_WITH(graft::apply_records(p, src, other),
                      test::Contains("destination tensor 'w'") && test::Contains("float64"));
  }
}

TEST_CASE("host apply: float16 and bfloat16 conversions round to nearest even", "[io][host_apply]") {
  using graft::detail::host::bfloat16_to_float;
  using graft::detail::host::float_to_bfloat16;
  using graft::detail::host::float_to_half;
  using graft::detail::host::half_to_float;

  SECTION("float -> float16") {
    CHECK(float_to_half(1.0f) == 0x3C00);
    CHECK(float_to_half(-1.0f) == 0xBC00);
    CHECK(float_to_half(0.0f) == 0x0000);
    CHECK(float_to_half(-0.0f) == 0x8000);
    CHECK(float_to_half(1.5f) == 0x3E00);
    CHECK(float_to_half(-2.0f) == 0xC000);
    CHECK(float_to_half(65504.0f) == 0x7BFF);
    CHECK(float_to_half(float_of(0x477FEFFFu)) == 0x7BFF);  // just below the tie with 65536
    CHECK(float_to_half(65520.0f) == 0x7C00);               // the tie rounds to even: inf
    CHECK(float_to_half(-65520.0f) == 0xFC00);
    CHECK(float_to_half(1e10f) == 0x7C00);
    CHECK(float_to_half(std::numeric_limits<float>::infinity()) == 0x7C00);
    CHECK(float_to_half(-std::numeric_limits<float>::infinity()) == 0xFC00);
    const std::uint16_t nan = float_to_half(std::numeric_limits<float>::quiet_NaN());
    CHECK((nan & 0x7C00) == 0x7C00);
    CHECK((nan & 0x03FF) != 0);
    // Normal ties: 1 + 2^-11 is halfway between 0x3C00 and 0x3C01 (-> even 0x3C00),
    // 1 + 3 * 2^-11 halfway between 0x3C01 and 0x3C02 (-> even 0x3C02); just above a tie rounds up.
    CHECK(float_to_half(float_of(0x3F801000u)) == 0x3C00);
    CHECK(float_to_half(float_of(0x3F803000u)) == 0x3C02);
    CHECK(float_to_half(float_of(0x3F801001u)) == 0x3C01);
    CHECK(float_to_half(float_of(0x3F800FFFu)) == 0x3C00);
    // Subnormals (units of 2^-24).
    CHECK(float_to_half(float_of(0x33800000u)) == 0x0001);  // 2^-24
    CHECK(float_to_half(float_of(0x33000000u)) == 0x0000);  // 2^-25: tie -> even 0
    CHECK(float_to_half(float_of(0x33000001u)) == 0x0001);  // just above 2^-25
    CHECK(float_to_half(float_of(0x32FFFFFFu)) == 0x0000);  // just below 2^-25
    CHECK(float_to_half(float_of(0x33C00000u)) == 0x0002);  // 3 * 2^-25: tie -> even 2
    CHECK(float_to_half(float_of(0x34200000u)) == 0x0002);  // 5 * 2^-25: tie -> even 2
    CHECK(float_to_half(float_of(0xB3800000u)) == 0x8001);  // -2^-24
    CHECK(float_to_half(float_of(0x387FC000u)) == 0x03FF);  // 1023 * 2^-24, the largest subnormal
    CHECK(float_to_half(float_of(0x387FFFFFu)) == 0x0400);  // rounds up into the smallest normal
    CHECK(float_to_half(float_of(0x38800000u)) == 0x0400);  // 2^-14
    CHECK(float_to_half(1e-10f) == 0x0000);
  }
  SECTION("float16 -> float") {
    CHECK(half_to_float(0x3C00) == 1.0f);
    CHECK(half_to_float(0xC000) == -2.0f);
    CHECK(half_to_float(0x7BFF) == 65504.0f);
    CHECK(bits_of(half_to_float(0x0001)) == 0x33800000u);
    CHECK(bits_of(half_to_float(0x8001)) == 0xB3800000u);
    CHECK(bits_of(half_to_float(0x0200)) == 0x38000000u);  // 512 * 2^-24 = 2^-15
    CHECK(bits_of(half_to_float(0x03FF)) == 0x387FC000u);
    CHECK(bits_of(half_to_float(0x8000)) == 0x80000000u);
    CHECK(bits_of(half_to_float(0x7C00)) == 0x7F800000u);
    CHECK(bits_of(half_to_float(0xFC00)) == 0xFF800000u);
    CHECK(half_to_float(0x7E00) != half_to_float(0x7E00));  // nan
  }
  SECTION("float -> bfloat16") {
    CHECK(float_to_bfloat16(1.0f) == 0x3F80);
    CHECK(float_to_bfloat16(-1.0f) == 0xBF80);
    CHECK(float_to_bfloat16(float_of(0x3F808000u)) == 0x3F80);  // tie -> even
    CHECK(float_to_bfloat16(float_of(0x3F818000u)) == 0x3F82);  // tie -> even
    CHECK(float_to_bfloat16(float_of(0x3F808001u)) == 0x3F81);  // above the tie
    CHECK(float_to_bfloat16(float_of(0x3F807FFFu)) == 0x3F80);  // below the tie
    CHECK(float_to_bfloat16(float_of(0x7F7FFFFFu)) == 0x7F80);  // the largest float rounds to inf
    CHECK(float_to_bfloat16(std::numeric_limits<float>::infinity()) == 0x7F80);
    CHECK(float_to_bfloat16(float_of(0x00018000u)) == 0x0002);  // subnormal tie -> even
    const std::uint16_t nan = float_to_bfloat16(std::numeric_limits<float>::quiet_NaN());
    CHECK((nan & 0x7F80) == 0x7F80);
    CHECK((nan & 0x007F) != 0);
  }
  SECTION("bfloat16 -> float") {
    CHECK(bfloat16_to_float(0x3F80) == 1.0f);
    CHECK(bfloat16_to_float(0xC0A0) == -5.0f);
    CHECK(bits_of(bfloat16_to_float(0x0001)) == 0x00010000u);
    CHECK(bits_of(bfloat16_to_float(0xFF80)) == 0xFF800000u);
  }
}

TEST_CASE("host apply: int64 beyond 2^53 into float32 rounds once, as PyTorch does", "[io][host_apply]") {
  // 2^60 + 2^36 + 1: one rounding to float32 gives 2^60 + 2^37 (bits 0x5D800001); going through double
  // first gives 2^60 + 2^36, an exact tie, then 2^60 (0x5D800000).
  const std::int64_t v = (std::int64_t(1) << 60) + (std::int64_t(1) << 36) + 1;
  std::vector<tensor_record> src = {make_record<std::int64_t>("w", {2}, dtype::int64, {v, -v})};
  std::vector<tensor_record> dst = {f32("w", {2}, {0, 0})};
  auto out = graft::apply_records(plan_for("", src, dst), src, dst);
  CHECK(bits_of(floats(out[0])[0]) == 0x5D800001u);
  CHECK(bits_of(floats(out[0])[1]) == 0xDD800001u);
}
