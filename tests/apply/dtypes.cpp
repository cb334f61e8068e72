// The dtypes of PyTorch 2.x in the host executor: float8 conversions and means checked value by value
// against what PyTorch 2.6 computes (tests/data/io/torch2.6/float8_reference.tsv, made by
// make_new_dtypes.py), uint16/32/64 and complex casts, and whole plans that synthesize float8 and complex
// tensors.

#include "apply/record_helpers.hpp"
#include "io/util.hpp"

#include <graft/apply/detail/elements.hpp>
#include <graft/apply/records.hpp>

#include "support/catch.hpp"

#include <complex>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

using graft::dtype;
using graft::io::tensor_record;
using namespace test::apply;
namespace host = graft::detail::host;

namespace {

struct reference_line {
  std::string kind, dtype, in, out;
};

std::vector<reference_line> float8_reference() {
  std::vector<reference_line> out;
  for (const auto& c : io_test::read_columns(io_test::fixture("torch2.6/float8_reference.tsv")))
    out.push_back({c[0], c[1], c[2], c[3]});
  return out;
}

std::uint32_t hex(const std::string& s) { return static_cast<std::uint32_t>(std::stoul(s, nullptr, 16)); }

/// True when two float32 bit patterns are the same value (any NaN equals any NaN).
bool same_float(std::uint32_t a, std::uint32_t b) {
  const float x = float_of(a), y = float_of(b);
  return (x != x && y != y) || a == b;
}

}  // namespace

TEST_CASE("float8: every conversion and mean is the one PyTorch 2.6 computes", "[apply][float8]") {
  const auto lines = float8_reference();
  std::size_t decodes = 0, encodes = 0, means = 0;
  for (const auto& l : lines) {
    INFO(l.kind << " " << l.dtype << " " << l.in << " -> " << l.out);
    const auto type = graft::parse_dtype(l.dtype);
    REQUIRE(type);
    const host::float8_format* f = host::float8_of(*type);
    REQUIRE(f != nullptr);
    if (l.kind == "decode") {
      CHECK(same_float(bits_of(host::float8_to_float(static_cast<std::uint8_t>(hex(l.in)), *f)), hex(l.out)));
      ++decodes;
    } else if (l.kind == "encode") {
      CHECK(static_cast<unsigned>(host::float_to_float8(float_of(hex(l.in)), *f)) == hex(l.out));
      ++encodes;
    } else {
      std::vector<std::byte> bytes;
      std::istringstream ins(l.in);
      for (std::string b; std::getline(ins, b, ',');) bytes.push_back(static_cast<std::byte>(hex(b)));
      std::vector<const std::byte*> rows;
      for (const auto& b : bytes) rows.push_back(&b);
      std::byte out{};
      host::mean_elements(rows, *type, &out, *type, 1);
      const auto got = std::to_integer<unsigned>(out), want = hex(l.out);
      // NaN encodings: e4m3fn/e5m2 keep a sign (0x7f/0xff, e5m2 0x7d-0x7f too), fnuz has one (0x80)
      const bool both_nan = host::float8_to_float(static_cast<std::uint8_t>(got), *f) !=
                                host::float8_to_float(static_cast<std::uint8_t>(got), *f) &&
                            host::float8_to_float(static_cast<std::uint8_t>(want), *f) !=
                                host::float8_to_float(static_cast<std::uint8_t>(want), *f);
      CHECK((got == want || both_nan));
      ++means;
    }
  }
  CHECK(decodes == 4 * 256);
  CHECK(encodes > 4 * 400);
  CHECK(means == 4 * 400);
}

TEST_CASE("float8: the formats' edges, written out", "[apply][float8]") {
  using host::float_to_float8;
  CHECK(float_to_float8(448.0f, host::e4m3fn) == 0x7e);   // the largest finite e4m3fn
  CHECK(float_to_float8(464.0f, host::e4m3fn) == 0x7e);   // a tie: to the even mantissa
  CHECK(float_to_float8(465.0f, host::e4m3fn) == 0x7f);   // beyond: NaN (no infinity)
  CHECK(float_to_float8(-1e9f, host::e4m3fn) == 0xff);    // NaN keeps the sign
  CHECK(float_to_float8(61440.0f, host::e5m2) == 0x7c);   // a tie between 57344 and inf: inf (even)
  CHECK(float_to_float8(1e9f, host::e5m2fnuz) == 0x80);   // fnuz: the one NaN
  CHECK(float_to_float8(-0.0f, host::e4m3fnuz) == 0x00);  // fnuz: no negative zero
  CHECK(float_to_float8(-0.0f, host::e4m3fn) == 0x80);
  CHECK(host::float8_to_float(0x01, host::e4m3fn) == 0x1p-9f);  // the smallest subnormal
  CHECK(host::float8_to_float(0x01, host::e5m2fnuz) == 0x1p-17f);
}

TEST_CASE("uint16/32/64 and complex casts keep exact values", "[apply][casts]") {
  using host::convert_elements;
  const std::vector<std::uint64_t> big = {0, 1, (1ull << 63) + 5, ~0ull};
  std::vector<float> f(4);
  convert_elements(reinterpret_cast<const std::byte*>(big.data()), dtype::uint64,
                   reinterpret_cast<std::byte*>(f.data()), dtype::float32, 4);
  CHECK(f == std::vector<float>{0, 1, 0x1p63f, 0x1p64f});  // rounded once, as PyTorch does
  const std::vector<std::uint16_t> u16 = {0, 65535};
  std::vector<std::int32_t> i32(2);
  convert_elements(reinterpret_cast<const std::byte*>(u16.data()), dtype::uint16,
                   reinterpret_cast<std::byte*>(i32.data()), dtype::int32, 2);
  CHECK(i32 == std::vector<std::int32_t>{0, 65535});
  std::vector<std::uint64_t> u64(2);
  convert_elements(reinterpret_cast<const std::byte*>(u16.data()), dtype::uint16,
                   reinterpret_cast<std::byte*>(u64.data()), dtype::uint64, 2);
  CHECK(u64 == std::vector<std::uint64_t>{0, 65535});
  const std::vector<float> reals = {1.5f, -2};
  std::vector<std::complex<double>> c128(2);
  convert_elements(reinterpret_cast<const std::byte*>(reals.data()), dtype::float32,
                   reinterpret_cast<std::byte*>(c128.data()), dtype::complex128, 2);
  CHECK(c128 == std::vector<std::complex<double>>{{1.5, 0}, {-2, 0}});
  std::vector<std::complex<float>> c64(2);
  const std::vector<std::complex<double>> wide = {{1.0 / 3, -2.5}, {1e300, 0}};
  convert_elements(reinterpret_cast<const std::byte*>(wide.data()), dtype::complex128,
                   reinterpret_cast<std::byte*>(c64.data()), dtype::complex64, 2);
  CHECK(c64[0] == std::complex<float>(1.0f / 3, -2.5f));
  CHECK(std::isinf(c64[1].real()));
}

TEST_CASE("host apply: float8 and complex tensors are synthesized as means, part by part", "[apply][host_apply]") {
  const std::string rules = std::string(joints_ab) + R"(map a -> b { w = mean(x, y) }
rename "off.<a>.w" -> "off.<b>.w"
)";
  SECTION("float8_e4m3fn: the mean in float32, rounded once") {
    // 1.125 (0x39) and 1.25 (0x3a): mean 1.1875, a tie between 1.125 and 1.25, to the even mantissa: 1.25 (0x3a)
    auto f8 = [](std::string n, std::vector<std::uint8_t> v) {
      return make_record(std::move(n), {2}, dtype::float8_e4m3fn, std::move(v));
    };
    std::vector<tensor_record> src = {f8("off.0.w", {0x39, 0x40}), f8("off.1.w", {0x3a, 0x7e}), f8("off.2.w", {0, 0})};
    std::vector<tensor_record> dst = {f8("off.0.w", {0, 0}), f8("off.1.w", {0, 0}), f8("off.2.w", {0, 0})};
    auto out = graft::apply_records(plan_for(rules, src, dst), src, dst);
    CHECK(values<std::uint8_t>(out[2]) == std::vector<std::uint8_t>{0x3a, 0x76});  // (2 + 448) / 2 = 225 -> 224
  }
  SECTION("complex64") {
    auto c = [](std::string n, std::vector<std::complex<float>> v) {
      return make_record(std::move(n), {2}, dtype::complex64, std::move(v));
    };
    std::vector<tensor_record> src = {c("off.0.w", {{1, 2}, {0, -1}}), c("off.1.w", {{3, -2}, {1, 1}}),
                                      c("off.2.w", {{0, 0}, {0, 0}})};
    std::vector<tensor_record> dst = {c("off.0.w", {{}, {}}), c("off.1.w", {{}, {}}), c("off.2.w", {{}, {}})};
    auto out = graft::apply_records(plan_for(rules, src, dst), src, dst);
    CHECK(values<std::complex<float>>(out[2]) == std::vector<std::complex<float>>{{2, 0}, {0.5f, 0}});
  }
}
