#pragma once
/// \file
/// The edge between checkpoint records and LibTorch: io::tensor_record ↔ at::Tensor, zero-copy.
/// Includes only <ATen/ATen.h> (never <torch/torch.h>).

#include <graft/error.hpp>
#include <graft/io/tensor_record.hpp>
#include <graft/tensor_meta.hpp>

#include <ATen/ATen.h>
#include <torch/version.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace graft {

/// True when the linked LibTorch is version `major`.`minor` or newer.
#define GRAFT_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

/// The ATen scalar type of a graft dtype, or nullopt when the linked LibTorch has none (float8 before 2.1,
/// the fnuz float8s before 2.2, uint16/32/64 before 2.3).
inline std::optional<at::ScalarType> scalar_type_of(dtype t) noexcept {
  switch (t) {
    case dtype::float32: return at::kFloat;
    case dtype::float16: return at::kHalf;
    case dtype::bfloat16: return at::kBFloat16;
    case dtype::float64: return at::kDouble;
    case dtype::int8: return at::kChar;
    case dtype::int16: return at::kShort;
    case dtype::int32: return at::kInt;
    case dtype::int64: return at::kLong;
    case dtype::uint8: return at::kByte;
    case dtype::bool_: return at::kBool;
    case dtype::complex32: return at::kComplexHalf;
    case dtype::complex64: return at::kComplexFloat;
    case dtype::complex128: return at::kComplexDouble;
#if GRAFT_TORCH_AT_LEAST(2, 1)
    case dtype::float8_e4m3fn: return at::kFloat8_e4m3fn;
    case dtype::float8_e5m2: return at::kFloat8_e5m2;
#endif
#if GRAFT_TORCH_AT_LEAST(2, 2)
    case dtype::float8_e4m3fnuz: return at::kFloat8_e4m3fnuz;
    case dtype::float8_e5m2fnuz: return at::kFloat8_e5m2fnuz;
#endif
#if GRAFT_TORCH_AT_LEAST(2, 3)
    case dtype::uint16: return at::kUInt16;
    case dtype::uint32: return at::kUInt32;
    case dtype::uint64: return at::kUInt64;
#endif
    default: return std::nullopt;
  }
}

/// "dtype uint16 needs LibTorch 2.3 or newer; graft is linked with LibTorch 1.13.0".
inline std::string libtorch_lacks(dtype t) {
  return "dtype " + std::string(dtype_name(t)) + " needs LibTorch " + std::string(dtype_info(t).since) +
         " or newer; graft is linked with LibTorch " + TORCH_VERSION;
}

/// The ATen scalar type of a graft dtype; a usage_error (libtorch_lacks) when the linked LibTorch has none.
inline at::ScalarType to_scalar_type(dtype t) {
  if (auto s = scalar_type_of(t)) return *s;
  throw usage_error(libtorch_lacks(t));
}

/// The graft dtype of an ATen scalar type, or nullopt for types graft does not handle (quantized, ...).
inline std::optional<dtype> from_scalar_type(at::ScalarType t) noexcept {
  for (const dtype_row& r : dtype_table)
    if (scalar_type_of(r.value) == t) return r.value;
  return std::nullopt;
}

/// A CPU tensor viewing the record's bytes without copying (same shape, strides and dtype); the
/// record's owner (the mapped file) stays alive as long as the tensor's storage does. The pages are
/// private copy-on-write: modifying the tensor in place never changes the file. The source record's
/// CRC-32 is checked first (once per record: tensor_record::check_source).
inline at::Tensor to_tensor(const io::tensor_record& r) {
  io::validate_record(r, "tensor record");
  r.check_source();
  if (!scalar_type_of(r.type))
    throw usage_error("tensor " + io::detail::quote_name(r.name) + ": " + libtorch_lacks(r.type));
  auto owner = r.owner;
  void* data = const_cast<std::byte*>(r.first());
  static std::byte empty_storage[8] = {};
  if (r.numel() == 0 || data == nullptr) data = empty_storage;
  return at::from_blob(
      data, r.shape, r.strides, [owner](void*) mutable { owner.reset(); },
      at::TensorOptions().dtype(to_scalar_type(r.type)).device(at::kCPU));
}

/// A record viewing a tensor's bytes without copying (moved to the CPU first if needed); the record's
/// owner keeps the tensor's storage alive. Throws usage_error for dtypes graft does not handle.
inline io::tensor_record to_record(const at::Tensor& tensor, std::string name,
                                   tensor_role role = tensor_role::unknown) {
  auto type = from_scalar_type(tensor.scalar_type());
  if (!type)
    throw usage_error("tensor '" + name + "': unsupported dtype " + std::string(c10::toString(tensor.scalar_type())));
  at::Tensor t = tensor.detach();
  if (!t.device().is_cpu()) t = t.cpu();
  if (t.is_conj()) t = t.resolve_conj();
  if (t.is_neg()) t = t.resolve_neg();
  io::tensor_record r;
  r.name = std::move(name);
  r.type = *type;
  r.role = role;
  r.shape.assign(t.sizes().begin(), t.sizes().end());
  r.strides.assign(t.strides().begin(), t.strides().end());
  r.storage_offset = t.storage_offset();
  const auto& storage = t.storage();
  r.storage = {static_cast<const std::byte*>(storage.data()), storage.nbytes()};
  r.owner = std::make_shared<at::Tensor>(t);
  io::validate_record(r, "tensor");
  return r;
}

}  // namespace graft
