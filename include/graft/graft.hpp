#pragma once
/// \file
/// Every graft header (link graft::graft): the torch-free layers of graft/core.hpp plus the LibTorch
/// layer (records ↔ at::Tensor, applying plans to state dicts, nn::Module and jit::Module).
/// Not included: graft/testing.hpp, which needs Catch2.

#include <graft/core.hpp>

// torch: the LibTorch edge
#include <graft/torch/apply.hpp>
#include <graft/torch/module.hpp>
#include <graft/torch/module_tensors.hpp>
#include <graft/torch/script_module.hpp>
#include <graft/torch/tensor.hpp>
