#pragma once
/// \file
/// Stable log-sum-exp over the rows of a block of log values.

#include <cmath>
#include <limits>

#include <Eigen/Core>

namespace emkit {

/// log Σ_k exp(a_k) for one row, shifted by the row maximum so that nothing overflows
/// and the largest term contributes exactly exp(0) = 1. A row of −∞ gives −∞.
template <class Row>
[[nodiscard]] double log_sum_exp(const Row& a) {
  const double m = a.maxCoeff();
  if (!std::isfinite(m)) return m;
  return m + std::log((a.array() - m).exp().sum());
}

}  // namespace emkit
