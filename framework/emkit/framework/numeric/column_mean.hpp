#pragma once
/// \file
/// The mean row of a chunk: the shift that batched kernels subtract before expanding
/// ‖x − μ‖², so that nothing cancels for data far from the origin.

#include <Eigen/Core>

#include <emkit/framework/types.hpp>

namespace emkit {

/// Σ_n x[n] over a contiguous column, in an order fixed by n alone: eight running sums (lane
/// j takes x[j], x[j + 8], ...; a loop the compiler can vectorise), combined
/// pairwise, then the tail. Eigen's `sum()` starts its vector lanes at the first aligned
/// address instead, so its rounding would depend on where the column sits in memory, and a
/// copied chunk (a file's, an online batch's) would not give the bits of the matrix it came from.
[[nodiscard]] inline double column_sum(const double* x, index n) {
  double lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  index i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) lane[j] += x[i + j];
  double total = ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
  for (; i < n; ++i) total += x[i];
  return total;
}

/// (1/n) Σ_n x_n as a row vector, each column summed by `column_sum` (measured 4× faster than
/// `X.colwise().mean()` on a strided chunk, whose partial reduction Eigen does not vectorise,
/// and 2–3× faster than the matrix–vector product 1ᵀX at 256 × 16). The bits depend on the
/// values and their order only, not on the chunk's address.
[[nodiscard]] inline Eigen::RowVectorXd column_mean(matrix_ref X) {
  Eigen::RowVectorXd mean = Eigen::RowVectorXd::Zero(X.cols());
  if (X.rows() == 0) return mean;
  for (index d = 0; d < X.cols(); ++d) mean[d] = column_sum(X.col(d).data(), X.rows());
  return mean / static_cast<double>(X.rows());
}

}  // namespace emkit
