#pragma once
/// \file
/// Torch-free tensor descriptions: element types, and the name/dtype/shape records plans are made of.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace graft {

/// Element types graft reads, writes and plans with: every dtype PyTorch 2.6 saves but the quantized ones.
enum class dtype : std::uint8_t {
  float32,
  float16,
  bfloat16,
  float64,
  int8,
  int16,
  int32,
  int64,
  uint8,
  bool_,
  uint16,
  uint32,
  uint64,
  float8_e4m3fn,
  float8_e5m2,
  float8_e4m3fnuz,
  float8_e5m2fnuz,
  complex32,
  complex64,
  complex128
};

/// What a dtype's elements are.
enum class dtype_kind : std::uint8_t { boolean, signed_int, unsigned_int, floating, complex };

/// One row of dtype_table: a dtype and its names in each format graft reads and writes.
struct dtype_row {
  dtype value;
  std::string_view name;           ///< PyTorch's name ("float32"), also "torch.<name>"
  std::string_view alias;          ///< PyTorch's other name ("float", "half", ...), also "torch.<alias>"; "" if none
  std::size_t size;                ///< bytes per element
  dtype_kind kind;                 ///< boolean, integer, floating or complex
  std::string_view safetensors;    ///< safetensors' dtype ("F32"); "" when safetensors has none
  std::string_view storage_class;  ///< torch's typed storage class in pickles ("FloatStorage"); "": PyTorch 2.x
                                   ///< pickles it with torch._utils._rebuild_tensor_v3 and an UntypedStorage
  std::string_view since;          ///< the first PyTorch whose torch.load reads it ("2.1"); "": every zip-format one
};

/// Every dtype, in enum order: the one table of dtype names, sizes and kinds.
inline constexpr dtype_row dtype_table[] = {
    {dtype::float32, "float32", "float", 4, dtype_kind::floating, "F32", "FloatStorage", ""},
    {dtype::float16, "float16", "half", 2, dtype_kind::floating, "F16", "HalfStorage", ""},
    {dtype::bfloat16, "bfloat16", "", 2, dtype_kind::floating, "BF16", "BFloat16Storage", ""},
    {dtype::float64, "float64", "double", 8, dtype_kind::floating, "F64", "DoubleStorage", ""},
    {dtype::int8, "int8", "", 1, dtype_kind::signed_int, "I8", "CharStorage", ""},
    {dtype::int16, "int16", "short", 2, dtype_kind::signed_int, "I16", "ShortStorage", ""},
    {dtype::int32, "int32", "int", 4, dtype_kind::signed_int, "I32", "IntStorage", ""},
    {dtype::int64, "int64", "long", 8, dtype_kind::signed_int, "I64", "LongStorage", ""},
    {dtype::uint8, "uint8", "", 1, dtype_kind::unsigned_int, "U8", "ByteStorage", ""},
    {dtype::bool_, "bool", "", 1, dtype_kind::boolean, "BOOL", "BoolStorage", ""},
    {dtype::uint16, "uint16", "", 2, dtype_kind::unsigned_int, "U16", "", "2.3"},
    {dtype::uint32, "uint32", "", 4, dtype_kind::unsigned_int, "U32", "", "2.3"},
    {dtype::uint64, "uint64", "", 8, dtype_kind::unsigned_int, "U64", "", "2.3"},
    {dtype::float8_e4m3fn, "float8_e4m3fn", "", 1, dtype_kind::floating, "F8_E4M3", "", "2.1"},
    {dtype::float8_e5m2, "float8_e5m2", "", 1, dtype_kind::floating, "F8_E5M2", "", "2.1"},
    {dtype::float8_e4m3fnuz, "float8_e4m3fnuz", "", 1, dtype_kind::floating, "", "", "2.2"},
    {dtype::float8_e5m2fnuz, "float8_e5m2fnuz", "", 1, dtype_kind::floating, "", "", "2.2"},
    {dtype::complex32, "complex32", "chalf", 4, dtype_kind::complex, "", "", "2.1"},
    {dtype::complex64, "complex64", "cfloat", 8, dtype_kind::complex, "", "ComplexFloatStorage", ""},
    {dtype::complex128, "complex128", "cdouble", 16, dtype_kind::complex, "", "ComplexDoubleStorage", ""},
};

/// True when row i of dtype_table is dtype i (dtype_info() indexes the table by the enum).
constexpr bool dtype_table_in_enum_order() noexcept {
  for (std::size_t i = 0; i < std::size(dtype_table); ++i)
    if (static_cast<std::size_t>(dtype_table[i].value) != i) return false;
  return true;
}
static_assert(dtype_table_in_enum_order(), "dtype_table must list every dtype in enum order");

/// The row of a dtype.
constexpr const dtype_row& dtype_info(dtype t) noexcept { return dtype_table[static_cast<std::size_t>(t)]; }

/// PyTorch's name for a dtype ("float32", "int64", "bool", ...).
constexpr std::string_view dtype_name(dtype t) noexcept { return dtype_info(t).name; }

/// Bytes per element.
constexpr std::size_t dtype_size(dtype t) noexcept { return dtype_info(t).size; }

/// What a dtype's elements are.
constexpr dtype_kind dtype_kind_of(dtype t) noexcept { return dtype_info(t).kind; }

/// True for floating-point dtypes (real ones: complex dtypes are dtype_is_complex).
constexpr bool dtype_is_floating(dtype t) noexcept { return dtype_info(t).kind == dtype_kind::floating; }

/// True for complex dtypes (pairs of float16, float32 or float64).
constexpr bool dtype_is_complex(dtype t) noexcept { return dtype_info(t).kind == dtype_kind::complex; }

/// True for the dtypes PyTorch 2.x pickles with _rebuild_tensor_v3 (no typed storage class; PyTorch 1.x cannot
/// load them).
constexpr bool dtype_needs_torch2(dtype t) noexcept { return dtype_info(t).storage_class.empty(); }

/// The dtype whose `column` of dtype_table is `s`, if any.
inline std::optional<dtype> find_dtype(std::string_view dtype_row::*column, std::string_view s) noexcept {
  if (s.empty()) return std::nullopt;
  for (const dtype_row& r : dtype_table)
    if (r.*column == s) return r.value;
  return std::nullopt;
}

/// Parses PyTorch's dtype names, with or without "torch." ("float32", "float", "half", "torch.long", ...).
inline std::optional<dtype> parse_dtype(std::string_view s) noexcept {
  constexpr std::string_view torch = "torch.";
  if (s.substr(0, torch.size()) == torch) s.remove_prefix(torch.size());
  if (auto t = find_dtype(&dtype_row::name, s)) return t;
  return find_dtype(&dtype_row::alias, s);
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

/// Number of elements of a shape (1 for 0-d); saturates at INT64_MAX (readers refuse such shapes).
inline std::int64_t numel(const shape_t& shape) noexcept {
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return 0;
  std::int64_t n = 1;
  for (auto s : shape)
    if (__builtin_mul_overflow(n, s, &n)) return INT64_MAX;
  return n;
}

/// C-order (row-major) element strides for a shape (sizes 0 and 1 count as 1).
inline shape_t contiguous_strides(const shape_t& shape) {
  shape_t s(shape.size());
  std::int64_t acc = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    s[i] = acc;
    if (__builtin_mul_overflow(acc, shape[i] > 1 ? shape[i] : 1, &acc)) acc = INT64_MAX;  // saturates
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
