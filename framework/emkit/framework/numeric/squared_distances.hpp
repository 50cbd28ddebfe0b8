#pragma once
/// \file
/// Squared distances of every row of a chunk to every component centre, the inner kernel of
/// the Gaussian and K-means densities: by matrix products for speed, with a bound on their
/// rounding error that sends the entries the expansion cannot resolve to a direct sum.

#include <algorithm>
#include <cmath>
#include <limits>

#include <Eigen/Core>

#include <emkit/framework/numeric/column_mean.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

namespace detail {
/// The expansion's rounding error is estimated as `expansion_ulps`·ε·(‖x − c‖² + ‖μ − c‖²); an
/// entry is recomputed directly when that exceeds `expansion_tolerance` of its value. 2⁻⁴⁰ of a
/// squared distance in units of the variance is at most 5e-13 in a log density.
inline constexpr double expansion_ulps = 8.0;
inline constexpr double expansion_tolerance = 0x1p-40;

/// True when an entry computed with the absolute error bound `bound` is not accurate to
/// `expansion_tolerance` of max(value, floor); also true for NaN or an overflow.
inline bool expansion_inaccurate(double bound, double value, double floor) {
  return !(bound <= expansion_tolerance * std::max(value, floor));
}
}  // namespace detail

/// out(n, k) = Σ_d P(d, k) (x_nd − M(d, k))² for the rows x_n of X and centres M (D×K), with
/// non-negative scales P: D×K (one per column and component: a diagonal precision) or 1×K (one
/// per component: a spherical precision, or 1 for plain distances).
///
/// Two matrix products expand the square about the chunk's mean row c:
/// ‖x − μ‖²_P = ‖x − c‖²_P − 2 (x − c)·P(μ − c) + ‖μ − c‖²_P, which cancels when the rows are
/// far from c relative to their distance to μ (clusters far apart relative to their width, or
/// one outlier pulling c). Each entry's rounding error is bounded by a few ulp of
/// ‖x − c‖²_P + ‖μ − c‖²_P; where that exceeds 2⁻⁴⁰ of max(value, `floor`), the entry is
/// recomputed directly as Σ_d P (x − μ)². `floor` is one unit of the caller's scale (1 for
/// distances in units of the variance), below which an absolute error of 2⁻⁴⁰ is enough.
/// Well-conditioned chunks take the matrix-product path alone.
inline void scaled_squared_distances(matrix_ref X, const Eigen::MatrixXd& M, const Eigen::MatrixXd& P, matrix_out out,
                                     double floor = 1.0) {
  const index K = M.cols();
  if (X.rows() == 0) return;
  const bool per_component = P.rows() == 1;
  const Eigen::RowVectorXd shift = column_mean(X);
  const Eigen::MatrixXd Xs = X.rowwise() - shift;
  const Eigen::MatrixXd Ms = M.colwise() - shift.transpose();
  const Eigen::MatrixXd scaled = per_component ? Eigen::MatrixXd(Ms * P.row(0).asDiagonal()) : Ms.cwiseProduct(P);
  const Eigen::RowVectorXd centre_norms = Ms.cwiseProduct(scaled).colwise().sum();
  // ‖x − c‖²_P for each row and component.
  const Eigen::MatrixXd row_norms = per_component ? Eigen::MatrixXd(Xs.rowwise().squaredNorm() * P.row(0))
                                                  : Eigen::MatrixXd(Xs.array().square().matrix() * P);
  out.noalias() = -2.0 * Xs * scaled;
  out += row_norms;
  out.rowwise() += centre_norms;
  // The guard, vectorised over the block; the direct sums run only where it fires.
  const double ulps = detail::expansion_ulps * std::numeric_limits<double>::epsilon();
  const Eigen::ArrayXXd bound = ulps * (row_norms.array().rowwise() + centre_norms.array());
  const bool all_accurate = out.allFinite() && (bound <= detail::expansion_tolerance * out.array().max(floor)).all();
  if (!all_accurate) {
    for (index k = 0; k < K; ++k) {
      for (index n = 0; n < X.rows(); ++n) {
        if (!detail::expansion_inaccurate(bound(n, k), out(n, k), floor)) continue;
        const Eigen::ArrayXd y2 = (X.row(n).transpose() - M.col(k)).array().square();
        out(n, k) = per_component ? P(0, k) * y2.sum() : (y2 * P.col(k).array()).sum();
      }
    }
  }
  out = out.cwiseMax(0.0);  // rounding can leave a tiny negative value where x_n = μ_k
}

}  // namespace emkit
