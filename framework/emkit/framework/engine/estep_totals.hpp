#pragma once
/// \file
/// The scalar sums of one E-step pass, mergeable like any statistic.

#include <emkit/framework/execution/reflect.hpp>
#include <emkit/framework/numeric/compensated_sum.hpp>

namespace emkit {

/// Σ over observations of what the E-step sees, each with compensated summation so that
/// the error does not grow with N.
struct estep_totals {
  compensated_sum log_likelihood;  ///< ℓ(θ) = Σ_n w_n log Σ_k p(x_n, z_n = k | θ)
  compensated_sum entropy;         ///< H(q) = −Σ_n w_n Σ_k r_nk log r_nk
  compensated_sum expected;        ///< Q(θ; q) = Σ_n w_n Σ_k r_nk log p(x_n, k | θ), from the rows
  compensated_sum objective;       ///< what the E-step policy maximises: ℓ (soft) or the classification ℓ (hard)
  compensated_sum weight;          ///< Σ_n w_n
  EMKIT_REFLECT(log_likelihood, entropy, expected, objective, weight);

  estep_totals& operator+=(const estep_totals& other) {
    log_likelihood += other.log_likelihood;
    entropy += other.entropy;
    expected += other.expected;
    objective += other.objective;
    weight += other.weight;
    return *this;
  }
};

}  // namespace emkit
