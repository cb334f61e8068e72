#pragma once
/// \file
/// Planning against and applying to a TorchScript `torch::jit::Module` (parameters and buffers): the
/// functions of graft/torch/module_tensors.hpp.

#include <graft/torch/module_tensors.hpp>

#include <torch/csrc/jit/api/module.h>
