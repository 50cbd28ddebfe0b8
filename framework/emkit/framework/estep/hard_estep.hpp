#pragma once
/// \file
/// The hard E-step (classification EM): q(z_n) is a point mass at argmax_k p(z_n = k | x_n, θ).

#include <cmath>

#include <emkit/framework/engine/estep_totals.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

/// Classification EM: responsibilities are one-hot at the argmax (ties to the lowest k), and
/// the objective is the classification log-likelihood Σ_n w_n log p(x_n, ẑ_n | θ). K-means is
/// this E-step with fixed equal weights and a fixed shared spherical covariance.
struct hard_estep {
  static constexpr bool is_hard = true;

  void posterior(matrix_out L, vector_ref w, estep_totals& totals) const {
    const index K = L.cols();
    for (index n = 0; n < L.rows(); ++n) {
      index best = 0;
      for (index k = 1; k < K; ++k)
        if (L(n, k) > L(n, best)) best = k;
      const double m = L(n, best);
      // ℓ_n for the record: entries more than 745 below the maximum underflow to 0 in exp,
      // so they are skipped rather than sent down exp's slow underflow path.
      double s = 0.0;
      for (index k = 0; k < K; ++k) {
        const double d = L(n, k) - m;
        if (d > -746.0) s += std::exp(d);
      }
      L.row(n).setZero();
      L(n, best) = 1.0;
      const double wn = w[n];
      if (wn == 0.0) continue;
      totals.log_likelihood += wn * (m + std::log(s));
      totals.objective += wn * m;
      totals.expected += wn * m;
      totals.weight += wn;
    }
  }
};

}  // namespace emkit
