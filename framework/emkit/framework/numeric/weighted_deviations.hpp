#pragma once
/// \file
/// A weighted mean of a chunk's rows and the rows' deviations from it, accurate for data far
/// from the origin and unaffected by rows of weight zero: the core of the Gaussian and K-means
/// statistics.

#include <cmath>
#include <limits>
#include <vector>

#include <Eigen/Core>

#include <emkit/framework/types.hpp>

namespace emkit {

/// The rows of positive weight, their weights, and their deviations from a first estimate of
/// the weighted mean; `correction` turns that estimate into the accurate mean.
struct weighted_deviations {
  Eigen::MatrixXd deviations;     ///< x_n − m̂ for each row of positive weight
  Eigen::VectorXd weights;        ///< w_n of those rows
  Eigen::RowVectorXd mean;        ///< m = m̂ + correction
  Eigen::RowVectorXd correction;  ///< Σ w (x − m̂) / W, ~ε·|x| when m̂ = Σ w x / W
};

/// Deviations of the rows of X of positive weight from `first_mean` (m̂, usually Σ_n w_n x_n / W
/// from one matrix product over all components), and the accurate mean m = m̂ + Σ w (x − m̂) / W:
/// the classical second pass, which recovers the digits the first sum loses for rows far from
/// the origin, without expanding about a shift that an outlier of the chunk could pull away.
/// Rows of weight 0 are left out: they are not observations, and their deviations could
/// overflow (0·∞ is NaN). A scatter about m is then Σ w d dᵀ − W·c cᵀ with d the deviations and
/// c the (tiny) correction, which cancels nothing. `total` = Σ_n w_n > 0.
[[nodiscard]] inline weighted_deviations deviations_from_mean(matrix_ref X, vector_ref w, double total,
                                                              const Eigen::RowVectorXd& first_mean) {
  weighted_deviations out;
  if ((w.array() > 0).all()) {
    out.deviations = X.rowwise() - first_mean;
    out.weights = w;
  } else {  // gathered column by column, so that each read runs down one contiguous column
    std::vector<index> rows;
    rows.reserve(static_cast<std::size_t>(w.size()));
    for (index n = 0; n < w.size(); ++n)
      if (w[n] > 0) rows.push_back(n);
    const index count = static_cast<index>(rows.size());
    out.weights.resize(count);
    for (index j = 0; j < count; ++j) out.weights[j] = w[rows[static_cast<std::size_t>(j)]];
    out.deviations.resize(count, X.cols());
    for (index d = 0; d < X.cols(); ++d) {
      const auto column = X.col(d);
      const double m = first_mean[d];
      for (index j = 0; j < count; ++j) out.deviations(j, d) = column[rows[static_cast<std::size_t>(j)]] - m;
    }
  }
  out.correction = (out.weights.transpose() * out.deviations) / total;
  out.mean = first_mean + out.correction;
  return out;
}

/// The fast path's accuracy test. Statistics formed from rows shifted by the chunk's mean row c
/// (one matrix product for all components) carry an absolute rounding error of about
/// 8ε·max_n |x_nd − c_d| (`spread`, per column) in every deviation, so a scatter about the
/// component's mean is off by about that error over its standard deviation √(S_dd / W),
/// relatively. True when that ratio is below 2⁻⁴⁰ in every column (the chunk spans at most a few
/// hundred standard deviations) and the scatter is finite; false (clusters far apart relative to
/// their width, an outlier pulling c, an overflow, a zero variance) sends the component to
/// `deviations_from_mean`.
[[nodiscard]] inline bool shifted_statistics_accurate(const Eigen::RowVectorXd& spread,
                                                      const Eigen::ArrayXd& scatter_diagonal, double mass) {
  const Eigen::ArrayXd error = 8.0 * std::numeric_limits<double>::epsilon() * spread.transpose().array();
  return scatter_diagonal.allFinite() && (error.square() * mass <= 0x1p-80 * scatter_diagonal).all();
}

/// The same test for a component whose scatter is spread evenly over the columns (a spherical
/// one: `scatter_per_column` = S / D) against the largest spread of any column, without arrays.
[[nodiscard]] inline bool shifted_statistics_accurate(double max_spread, double scatter_per_column, double mass) {
  const double error = 8.0 * std::numeric_limits<double>::epsilon() * max_spread;
  return std::isfinite(scatter_per_column) && error * error * mass <= 0x1p-80 * scatter_per_column;
}

}  // namespace emkit
