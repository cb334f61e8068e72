// The device backend of `graft-torch`: `apply --device cuda[:N]` slices with LibTorch on the device.
// The only source file of the CLI that includes LibTorch.

#include "device_backend.hpp"

#include <graft/apply/records.hpp>
#include <graft/error.hpp>
#include <graft/plan/visit.hpp>
#include <graft/torch/apply.hpp>

#include <cstddef>
#include <exception>
#include <string>
#include <vector>

namespace graft::cli::device_backend {
namespace {

/// The LibTorch device named by --device; a usage error when this LibTorch cannot use it.
at::Device torch_device(const std::string& device) {
  at::Device dev(at::kCPU);
  try {
    dev = at::Device(device);
  } catch (const std::exception&) {
    throw usage_error("--device must be cpu, cuda or cuda:N, not '" + device + "'");
  }
  if (dev.is_cuda() && !at::hasCUDA()) throw usage_error("--device " + device + ": this LibTorch build has no CUDA");
  return dev;
}

/// The device executor of one plan entry (see graft::visit_entry): copied tensors stay zero-copy on the
/// CPU, mapped and synthesized ones are computed by graft::apply_entry on the device.
struct device_executor {
  const plan& p;
  const io::checkpoint& source;
  const source_tensors& sources;
  const io::tensor_record& templ;
  const at::Device& dev;

  io::tensor_record keep(const plan_entry&) const { return templ; }
  io::tensor_record copy(const plan_entry& e) const {
    return copied_record(source.tensors[*e.source], templ);  // no round trip through the GPU
  }
  io::tensor_record select(const plan_entry& e) const { return reshape(e); }
  io::tensor_record reshape(const plan_entry& e) const {
    return on_device(e, to_tensor(templ).to(dev).clone());  // template values stay where rows are kept
  }
  io::tensor_record mean(const plan_entry& e) const {
    return on_device(e, at::empty(templ.shape, at::TensorOptions().dtype(to_scalar_type(templ.type)).device(dev)));
  }

private:
  io::tensor_record on_device(const plan_entry& e, at::Tensor t) const {
    apply_entry(p, e, sources, t);
    return to_record(t.cpu(), templ.name, templ.role);
  }
};

}  // namespace

const char* version_suffix() { return " (with LibTorch)"; }

void prepare(const std::string& device, char**) { static_cast<void>(torch_device(device)); }

/// The output records: mapped and synthesized tensors computed with LibTorch on `dev`, copied ones
/// zero-copy on the CPU (the output is a file: only the slicing needs the device).
std::vector<io::tensor_record> apply_on_device(const plan& p, const io::checkpoint& source,
                                               const io::checkpoint& target, const std::string& device) {
  const at::Device dev = torch_device(device);
  std::vector<const plan_entry*> by_destination(target.tensors.size(), nullptr);
  for (const auto& e : p.entries)
    if (e.destination) by_destination[*e.destination] = &e;
  const source_tensors sources = record_source(p, source.tensors);
  std::vector<io::tensor_record> records;
  records.reserve(target.tensors.size());
  for (std::size_t d = 0; d < target.tensors.size(); ++d)
    records.push_back(visit_entry(p, *by_destination[d], device_executor{p, source, sources, target.tensors[d], dev}));
  return records;
}

}  // namespace graft::cli::device_backend
