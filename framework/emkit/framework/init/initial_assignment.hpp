#pragma once
/// \file
/// What an initialisation policy produces: a rule giving the first responsibilities, from
/// which one M-step makes θ_0. Every rule is evaluated chunk by chunk, so no N×K matrix is stored.

#include <cstdint>
#include <limits>
#include <variant>

#include <Eigen/Core>

#include <emkit/framework/execution/row_blocks.hpp>
#include <emkit/framework/numeric/random.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

/// Each row is assigned wholly to its nearest centre (Euclidean; ties to the lowest index).
struct nearest_centers {
  Eigen::MatrixXd centers;  ///< K×D
};

/// Responsibilities drawn uniformly and normalised per row; chunk c draws from stream
/// (seed, first row of c), so the draws do not depend on the thread count.
struct random_responsibilities {
  std::uint64_t seed = 0;
};

/// The first responsibilities of a fit.
using initial_assignment = std::variant<nearest_centers, random_responsibilities>;

/// Index of the row of `centers` nearest to x (squared Euclidean distance).
[[nodiscard]] inline index nearest_center(const Eigen::MatrixXd& centers, const Eigen::RowVectorXd& x) {
  index best = 0;
  double best_d = std::numeric_limits<double>::infinity();
  for (index k = 0; k < centers.rows(); ++k) {
    const double d = (centers.row(k) - x).squaredNorm();
    if (d < best_d) best_d = d, best = k;
  }
  return best;
}

/// Fills R (rows × K) with the initial responsibilities of the chunk X = rows [range).
inline void initial_responsibilities(const initial_assignment& a, matrix_ref X, row_range range, matrix_out R) {
  R.setZero();
  if (const auto* c = std::get_if<nearest_centers>(&a)) {
    for (index n = 0; n < X.rows(); ++n) R(n, nearest_center(c->centers, X.row(n))) = 1.0;
    return;
  }
  random_engine rng = make_engine(std::get<random_responsibilities>(a).seed, static_cast<std::uint64_t>(range.begin));
  for (index n = 0; n < R.rows(); ++n) {
    for (index k = 0; k < R.cols(); ++k) R(n, k) = uniform01(rng) + std::numeric_limits<double>::min();
    R.row(n) /= R.row(n).sum();
  }
}

}  // namespace emkit
