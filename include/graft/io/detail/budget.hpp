#pragma once
/// \file
/// Memory budgets proportional to an input (internal): `factor` bytes per input byte plus a floor.

#include <cstddef>

namespace graft::io::detail {

/// size x factor + floor, saturating at the largest size_t.
inline std::size_t scaled_budget(std::size_t size, std::size_t factor, std::size_t floor) noexcept {
  std::size_t scaled = 0, total = 0;
  if (__builtin_mul_overflow(size, factor, &scaled) || __builtin_add_overflow(scaled, floor, &total))
    return ~std::size_t{0};
  return total;
}

}  // namespace graft::io::detail
