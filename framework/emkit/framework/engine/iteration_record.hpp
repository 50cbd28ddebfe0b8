#pragma once
/// \file
/// One row of the per-iteration record: every quantity of the EM identities.

#include <limits>

namespace emkit {

/// What the fit observed at iteration t (θ_t after the t-th M-step; t = 0 is the
/// initial parameters). With q_{t−1} the responsibilities that M-step used:
/// log p(X|θ_t) = ELBO(q_{t−1}, θ_t) + KL(q_{t−1} ‖ p(Z|X,θ_t)).
struct iteration_record {
  static constexpr double nan = std::numeric_limits<double>::quiet_NaN();

  int iteration = 0;
  double log_likelihood = nan;  ///< ℓ(θ_t) = log p(X | θ_t)
  double objective = nan;  ///< what is maximised: ℓ (+ log prior) for soft EM; the classification ℓ for hard EM
  double q = nan;          ///< Q(θ_t; q_{t−1}) = E_{q_{t−1}}[log p(X, Z | θ_t)] (+ log prior)
  double entropy = nan;    ///< H(q_{t−1})
  double elbo = nan;       ///< L(q_{t−1}, θ_t) = q + entropy
  double kl = nan;         ///< ℓ(θ_t) − elbo = KL(q_{t−1} ‖ p(Z | X, θ_t)) ≥ 0
  double estep_gap = nan;  ///< ℓ(θ_t) − L(q_t, θ_t): 0 when the E-step is exact
  double change = nan;     ///< signed change of the objective, per unit weight (relative when |ℓ|/N > 1)
  double seconds = 0.0;    ///< wall time of this iteration (M-step and E-step)
  bool reseeded = false;   ///< a component was re-seeded in this M-step; the ascent baseline was reset
};

}  // namespace emkit
