#pragma once
/// \file
/// The hard E-step (classification EM): q(z_n) is a point mass at argmax_k p(z_n = k | x_n, θ).

#include <Eigen/Core>

#include <emkit/framework/engine/estep_totals.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

/// Classification EM: responsibilities are one-hot at the argmax (ties to the lowest k), and
/// the objective is the classification log-likelihood Σ_n w_n log p(x_n, ẑ_n | θ). K-means is
/// this E-step with fixed equal weights and a fixed shared spherical covariance.
struct hard_estep {
  static constexpr bool is_hard = true;

  void posterior(matrix_out L, vector_ref w, estep_totals& totals) const {
    // ℓ_n for the record, as in the soft E-step: block-wise so that exp runs vectorised.
    const Eigen::ArrayXd m = L.rowwise().maxCoeff().array();
    const Eigen::ArrayXd finite_m = m.isFinite().select(m, 0.0);
    Eigen::ArrayXXd E = L.array().colwise() - finite_m;  // a plain array, so that exp vectorises
    E = E.exp();
    const Eigen::ArrayXd lse = finite_m + E.rowwise().sum().log();
    for (index n = 0; n < L.rows(); ++n) {
      index best = 0;
      L.row(n).maxCoeff(&best);  // the first maximum: ties go to the lowest k
      L.row(n).setZero();
      L(n, best) = 1.0;
      const double wn = w[n];
      if (wn == 0.0) continue;
      totals.log_likelihood += wn * lse[n];
      totals.objective += wn * m[n];
      totals.expected += wn * m[n];
      totals.weight += wn;
    }
  }
};

}  // namespace emkit
