#pragma once
/// \file
/// Planning against and applying to a `torch::nn::Module` (its named parameters and buffers): the
/// functions of graft/torch/module_tensors.hpp.

#include <graft/torch/module_tensors.hpp>

#include <torch/nn/module.h>
