#pragma once
// The Python module's tensor crossings: PyTorch tensors (described by graft/__init__.py as plain
// tuples) into io::tensor_records that view their memory, and records out as `Bytes` objects whose
// buffer torch.frombuffer wraps. No copy either way; the records keep the Python tensors alive, and the
// Bytes objects keep the records' owners (a mapped file, a fresh buffer, a Python tensor) alive.

#include <graft/error.hpp>
#include <graft/io/tensor_record.hpp>
#include <graft/tensor_meta.hpp>

#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace graft::python {

namespace py = pybind11;

/// Owns a Python object from C++: its reference is dropped with the GIL held, whichever thread ends it.
inline std::shared_ptr<const void> hold(py::object obj) {
  auto* raw = new py::object(std::move(obj));
  return std::shared_ptr<const void>(raw, [](const void* p) {
    py::gil_scoped_acquire gil;
    delete static_cast<const py::object*>(p);
  });
}

/// One tensor as graft/__init__.py describes it:
/// (name, dtype, shape, strides, storage_offset, storage_address, storage_nbytes, role, keepalive).
using tensor_tuple = std::tuple<std::string, std::string, std::vector<std::int64_t>, std::vector<std::int64_t>,
                                std::int64_t, std::uintptr_t, std::size_t, std::string, py::object>;

/// "param", "buffer" or "" (not known).
inline tensor_role parse_role(const std::string& role) {
  if (role == "param") return tensor_role::param;
  if (role == "buffer") return tensor_role::buffer;
  if (role.empty()) return tensor_role::unknown;
  throw usage_error("tensor role must be 'param', 'buffer' or '', not '" + role + "'");
}

/// A record viewing a CPU tensor's storage; `label` names the dict in errors. Checked like a record read
/// from a file (validate_record): the view must lie inside the storage.
inline io::tensor_record record_of(const tensor_tuple& t, const std::string& label) {
  const auto& [name, dtype_name, shape, strides, offset, address, nbytes, role, keepalive] = t;
  io::tensor_record r;
  r.name = name;
  const auto type = parse_dtype(dtype_name);
  if (!type)
    throw usage_error(label + ": tensor '" + name + "' has dtype " + dtype_name + ", which graft does not know");
  r.type = *type;
  r.shape = shape;
  r.strides = strides;
  r.storage_offset = offset;
  r.role = parse_role(role);
  r.storage = io::byte_span{reinterpret_cast<const std::byte*>(address), nbytes};
  r.owner = hold(keepalive);
  io::validate_record(r, label);
  return r;
}

/// A record's storage bytes as a Python buffer (writable: a mapped input is mapped copy-on-write, so
/// writes never reach the file; other storages are the tensors' own memory or fresh buffers).
struct bytes_view {
  io::byte_span span;
  std::shared_ptr<const void> owner;
};

/// (name, dtype, shape, strides, storage_offset, Bytes) for graft/__init__.py to turn into a tensor.
inline py::tuple tuple_of(const io::tensor_record& r) {
  return py::make_tuple(r.name, std::string(dtype_name(r.type)), py::cast(r.shape), py::cast(r.strides),
                        r.storage_offset, bytes_view{r.storage, r.owner});
}

}  // namespace graft::python
