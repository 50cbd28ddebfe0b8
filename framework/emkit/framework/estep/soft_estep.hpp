#pragma once
/// \file
/// The soft E-step: q(z_n) = p(z_n | x_n, θ), by a stable log-sum-exp.

#include <cmath>

#include <emkit/framework/engine/estep_totals.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

/// The exact posterior. Afterwards KL(q ‖ p(Z|X,θ)) = 0 and ELBO = ℓ.
struct soft_estep {
  static constexpr bool is_hard = false;

  /// Rows of L become softmax(L_n·); ℓ_n = log Σ_k exp L_nk is computed shifted by the
  /// row maximum, never as log of a sum of exps that may underflow.
  void posterior(matrix_out L, vector_ref w, estep_totals& totals) const {
    const index K = L.cols();
    for (index n = 0; n < L.rows(); ++n) {
      const double wn = w[n];
      double m = L(n, 0);
      for (index k = 1; k < K; ++k) m = std::max(m, L(n, k));
      double s = 0.0;
      for (index k = 0; k < K; ++k) s += std::exp(L(n, k) - m);
      const double lse = m + std::log(s);
      double q = 0.0;
      for (index k = 0; k < K; ++k) {
        const double r = std::exp(L(n, k) - lse);
        if (r > 0.0) q += r * L(n, k);  // r = 0 where L = −∞: the term is 0, not NaN
        L(n, k) = r;
      }
      if (wn == 0.0) continue;  // a zero-weight row contributes nothing, even if its density is 0
      totals.log_likelihood += wn * lse;
      totals.objective += wn * lse;
      totals.expected += wn * q;
      // H_n = −Σ r log r = −Σ r (L − lse) = lse − Σ r L; exact because the row sums to 1.
      totals.entropy += wn * (lse - q);
      totals.weight += wn;
    }
  }
};

}  // namespace emkit
