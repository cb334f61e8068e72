#pragma once
// Helpers shared by the host-executor tests: owning records over typed values, their values back, plans
// that must succeed.

#include "plan/plan_helpers.hpp"

#include <graft/apply/records.hpp>

#include "support/catch.hpp"

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace test::apply {

using graft::dtype;
using graft::shape_t;
using graft::io::tensor_record;

/// An owning record over `values` (C order unless `strides` is given), with a storage offset.
template <class T>
tensor_record make_record(std::string name, shape_t shape, dtype type, std::vector<T> values,
                          std::vector<std::int64_t> strides = {}, std::int64_t offset = 0,
                          graft::tensor_role role = graft::tensor_role::param) {
  REQUIRE(sizeof(T) == graft::dtype_size(type));
  auto data = std::make_shared<std::vector<T>>(std::move(values));
  tensor_record r;
  r.name = std::move(name);
  r.type = type;
  r.shape = std::move(shape);
  r.role = role;
  r.strides = strides.empty() ? graft::io::contiguous_strides(r.shape) : std::move(strides);
  r.storage_offset = offset;
  r.storage = {reinterpret_cast<const std::byte*>(data->data()), data->size() * sizeof(T)};
  r.owner = data;
  graft::io::validate_record(r, "test");
  return r;
}

inline tensor_record f32(std::string name, shape_t shape, std::vector<float> v) {
  return make_record(std::move(name), std::move(shape), dtype::float32, std::move(v));
}
inline tensor_record f16(std::string name, shape_t shape, std::vector<std::uint16_t> bits) {
  return make_record(std::move(name), std::move(shape), dtype::float16, std::move(bits));
}

/// A record's elements in C order, as T (the record's dtype must be T's size).
template <class T>
std::vector<T> values(const tensor_record& r) {
  REQUIRE(sizeof(T) == graft::dtype_size(r.type));
  const auto bytes = r.contiguous_bytes();
  std::vector<T> out(bytes.size() / sizeof(T));
  if (!bytes.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}
inline std::vector<float> floats(const tensor_record& r) {
  REQUIRE(r.type == dtype::float32);
  return values<float>(r);
}

inline graft::tensor_set set_of(const std::vector<tensor_record>& records) {
  graft::tensor_set out;
  for (const auto& r : records) out.push_back(static_cast<const graft::tensor_meta&>(r));
  return out;
}

inline graft::plan plan_for(const std::string& rules, const std::vector<tensor_record>& source,
                            const std::vector<tensor_record>& destination) {
  auto p = graft::make_plan(test::rules_text(rules), set_of(source), set_of(destination));
  INFO(test::problems(p));
  REQUIRE(p.ok());
  return p;
}

inline std::uint32_t bits_of(float f) {
  std::uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}
inline float float_of(std::uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

inline const char* const joints_ab = R"(joints a = [x, y, z]
joints b = [z, x, w]
)";

}  // namespace test::apply
