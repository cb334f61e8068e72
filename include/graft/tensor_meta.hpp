#pragma once
/// \file
/// Torch-free tensor descriptions: element types, and the name/dtype/shape records plans are made of.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace graft {

/// Element types graft reads, writes and plans with.
enum class dtype : std::uint8_t { float32, float16, bfloat16, float64, int8, int16, int32, int64, uint8, bool_ };

/// All dtypes, in enum order.
inline constexpr dtype all_dtypes[] = {dtype::float32, dtype::float16, dtype::bfloat16, dtype::float64, dtype::int8,
                                       dtype::int16,   dtype::int32,   dtype::int64,    dtype::uint8,   dtype::bool_};

/// PyTorch's name for a dtype ("float32", "int64", "bool", ...).
constexpr std::string_view dtype_name(dtype t) noexcept {
  switch (t) {
    case dtype::float32: return "float32";
    case dtype::float16: return "float16";
    case dtype::bfloat16: return "bfloat16";
    case dtype::float64: return "float64";
    case dtype::int8: return "int8";
    case dtype::int16: return "int16";
    case dtype::int32: return "int32";
    case dtype::int64: return "int64";
    case dtype::uint8: return "uint8";
    case dtype::bool_: return "bool";
  }
  return "?";
}

/// Bytes per element.
constexpr std::size_t dtype_size(dtype t) noexcept {
  switch (t) {
    case dtype::float64:
    case dtype::int64: return 8;
    case dtype::float32:
    case dtype::int32: return 4;
    case dtype::float16:
    case dtype::bfloat16:
    case dtype::int16: return 2;
    case dtype::int8:
    case dtype::uint8:
    case dtype::bool_: return 1;
  }
  return 0;
}

/// True for floating-point dtypes.
constexpr bool dtype_is_floating(dtype t) noexcept {
  return t == dtype::float32 || t == dtype::float16 || t == dtype::bfloat16 || t == dtype::float64;
}

/// Parses PyTorch's dtype names ("float32", "float", "half", "int64", "long", "bool", ...).
inline std::optional<dtype> parse_dtype(std::string_view s) noexcept {
  for (dtype t : all_dtypes)
    if (dtype_name(t) == s) return t;
  if (s == "float" || s == "torch.float32" || s == "torch.float") return dtype::float32;
  if (s == "half" || s == "torch.float16" || s == "torch.half") return dtype::float16;
  if (s == "double" || s == "torch.float64" || s == "torch.double") return dtype::float64;
  if (s == "long" || s == "torch.int64" || s == "torch.long") return dtype::int64;
  if (s == "int" || s == "torch.int32" || s == "torch.int") return dtype::int32;
  if (s == "short" || s == "torch.int16") return dtype::int16;
  if (s == "torch.int8") return dtype::int8;
  if (s == "torch.uint8") return dtype::uint8;
  if (s == "torch.bool") return dtype::bool_;
  if (s == "torch.bfloat16") return dtype::bfloat16;
  return std::nullopt;
}

/// A tensor's shape (sizes per dimension; empty for a 0-d tensor).
using shape_t = std::vector<std::int64_t>;

/// "[64, 3, 3, 3]" ("[]" for a 0-d tensor); over 16 dims, the first 8 and the last 4 with the count between.
inline std::string shape_str(const shape_t& shape) {
  constexpr std::size_t max_shown = 16, head = 8, tail = 4;
  std::string out = "[";
  const bool clip = shape.size() > max_shown;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (clip && i == head) {
      out += ", ... (" + std::to_string(shape.size()) + " dims) ...";
      i = shape.size() - tail - 1;
      continue;
    }
    if (i) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

/// Number of elements of a shape (1 for 0-d).
inline std::int64_t numel(const shape_t& shape) noexcept {
  std::int64_t n = 1;
  for (auto s : shape) n *= s;
  return n;
}

/// C-order (row-major) element strides for a shape (sizes 0 and 1 count as 1).
inline shape_t contiguous_strides(const shape_t& shape) {
  shape_t s(shape.size());
  std::int64_t acc = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    s[i] = acc;
    acc *= shape[i] > 1 ? shape[i] : 1;
  }
  return s;
}

/// What a state-dict entry is in its module.
enum class tensor_role : std::uint8_t { param, buffer, unknown };

/// One named tensor described without its data: what planning needs.
struct tensor_meta {
  std::string name;                         ///< dotted state-dict name
  dtype type = dtype::float32;              ///< element type
  shape_t shape;                            ///< sizes per dimension
  tensor_role role = tensor_role::unknown;  ///< parameter, buffer, or not known (checkpoints)
};

/// An ordered name→(dtype, shape) set, in state-dict order.
using tensor_set = std::vector<tensor_meta>;

}  // namespace graft
