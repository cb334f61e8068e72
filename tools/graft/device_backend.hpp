#pragma once
// What differs between the two builds of the CLI (tools/CMakeLists.txt): apply_cpu.cpp is linked into
// `graft` (no LibTorch), apply_torch.cpp into `graft-torch` (the only source file of the CLI that
// includes LibTorch). Everything else is shared.

#include <graft/io/checkpoint.hpp>
#include <graft/io/tensor_record.hpp>
#include <graft/plan/plan.hpp>

#include <string>
#include <vector>

namespace graft::cli::device_backend {

/// The end of `--version` after "graft X.Y.Z": "" in graft, " (with LibTorch)" in graft-torch.
const char* version_suffix();

/// `apply --device cuda[:N]` (`device` matches that), before any input is read. graft-torch: a usage
/// error when this LibTorch cannot use `device`. graft: runs graft-torch (beside this program) with
/// `argv`, this process's arguments; returns only by throwing (graft-torch missing or not runnable).
void prepare(const std::string& device, char** argv);

/// The output records of `apply --device cuda[:N]` after prepare(): mapped and synthesized tensors
/// computed with LibTorch on `device`, copied ones zero-copy on the CPU (graft-torch only).
std::vector<io::tensor_record> apply_on_device(const plan& p, const io::checkpoint& source,
                                               const io::checkpoint& target, const std::string& device);

}  // namespace graft::cli::device_backend
