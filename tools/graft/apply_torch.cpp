// The device backend of `graft-torch`: `apply --device cuda[:N]` slices with LibTorch on the device.
// The only source file of the CLI that includes LibTorch.

#include "device_backend.hpp"

#include <graft/apply/records.hpp>
#include <graft/error.hpp>
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
  for (std::size_t d = 0; d < target.tensors.size(); ++d) {
    const io::tensor_record& templ = target.tensors[d];
    const plan_entry& e = *by_destination[d];
    if (e.what == category::kept) {
      records.push_back(templ);
    } else if (e.what == category::copied) {
      records.push_back(copied_record(source.tensors[*e.source], templ));  // no round trip through the GPU
    } else {
      at::Tensor t = e.what == category::mapped
                         ? to_tensor(templ).to(dev).clone()  // template values stay where rows are kept
                         : at::empty(templ.shape, at::TensorOptions().dtype(to_scalar_type(templ.type)).device(dev));
      apply_entry(p, e, sources, t);
      records.push_back(to_record(t.cpu(), templ.name, templ.role));
    }
  }
  return records;
}

}  // namespace graft::cli::device_backend
