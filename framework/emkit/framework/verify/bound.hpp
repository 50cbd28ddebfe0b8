#pragma once
/// \file
/// The decomposition log p(X|θ) = L(q, θ) + KL(q ‖ p(Z|X, θ)) for *any* distribution q over
/// the latent variables, not only the posterior: each term computed on its own, so that their
/// sum can be checked against the log-likelihood.
///
/// q is given as an N×K matrix of per-observation distributions q_n(k) (rows sum to 1), that
/// is a q that factorises over observations, as the posterior of a mixture does. With
/// r_nk = p(z_n = k | x_n, θ) and L_nk = log p(x_n, z_n = k | θ):
///
///     E_q[log p(X, Z | θ)] = Σ_n w_n Σ_k q_nk L_nk
///     H(q)                 = −Σ_n w_n Σ_k q_nk log q_nk
///     KL(q ‖ p(Z|X, θ))    = Σ_n w_n Σ_k q_nk (log q_nk − log r_nk),   log r_nk = L_nk − log Σ_j exp L_nj
///
/// A zero q_nk contributes 0 to every sum (0 log 0 = 0), even where L_nk = −∞.

#include <cmath>
#include <limits>

#include <Eigen/Core>

#include <emkit/framework/concepts/latent_model.hpp>
#include <emkit/framework/engine/check_data.hpp>
#include <emkit/framework/error.hpp>
#include <emkit/framework/numeric/compensated_sum.hpp>
#include <emkit/framework/numeric/log_sum_exp.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

/// The terms of log p(X|θ) = L(q, θ) + KL(q ‖ p(Z|X, θ)), each computed independently.
struct bound_terms {
  double log_likelihood = 0.0;     ///< log p(X | θ) = Σ_n w_n log Σ_k exp L_nk
  double expected_complete = 0.0;  ///< E_q[log p(X, Z | θ)] = Q(θ; q)
  double entropy = 0.0;            ///< H(q)
  double elbo = 0.0;               ///< L(q, θ) = expected_complete + entropy
  double kl = 0.0;                 ///< KL(q ‖ p(Z | X, θ)) = Σ q (log q − log r), never ℓ − L
};

/// The decomposition at θ for the distribution q (N×K, rows summing to 1) with observation
/// weights w. Throws `shape_error` or `data_error` for bad shapes, data, weights or a q that
/// is not a distribution (entries < 0, or a row sum off 1 by more than 1e-9).
template <LatentModel M>
[[nodiscard]] bound_terms bound_decomposition(const M& model, const typename M::params_type& theta, matrix_ref X,
                                              matrix_ref q, vector_ref w) {
  constexpr std::string_view where = "bound_decomposition";
  check_data(X, where);
  check_weights(w, X.rows(), where);
  model.validate_data(X);
  const index K = model.num_components(theta);
  check_shape(q.rows() == X.rows() && q.cols() == K, where, "q.rows()", q.rows(),
              detail::concat("an N×K matrix (", X.rows(), "×", K, ")"));
  for (index n = 0; n < q.rows(); ++n) {
    if (!(q.row(n).minCoeff() >= 0) || !(std::abs(q.row(n).sum() - 1.0) <= 1e-9))
      throw data_error(detail::concat(where, ": row ", n, " of q sums to ", q.row(n).sum(), " with smallest entry ",
                                      q.row(n).minCoeff(), ", expected a distribution over the ", K, " components"));
  }
  const Eigen::MatrixXd cache = model.prepare(X);
  Eigen::MatrixXd L(X.rows(), K);
  model.log_joint(theta, X, cache, L);
  compensated_sum ll, expected, entropy, kl;
  for (index n = 0; n < X.rows(); ++n) {
    if (w[n] == 0.0) continue;
    const double lse = log_sum_exp(L.row(n));
    ll += w[n] * lse;
    for (index k = 0; k < K; ++k) {
      const double qk = q(n, k);
      if (qk == 0.0) continue;
      const double log_q = std::log(qk);
      expected += w[n] * qk * L(n, k);
      entropy += -w[n] * qk * log_q;
      kl += w[n] * qk * (log_q - (L(n, k) - lse));
    }
  }
  bound_terms t;
  t.log_likelihood = ll.value();
  t.expected_complete = expected.value();
  t.entropy = entropy.value();
  t.elbo = t.expected_complete + t.entropy;
  t.kl = kl.value();
  return t;
}

/// The decomposition with every observation of weight 1.
template <LatentModel M>
[[nodiscard]] bound_terms bound_decomposition(const M& model, const typename M::params_type& theta, matrix_ref X,
                                              matrix_ref q) {
  return bound_decomposition(model, theta, X, q, Eigen::VectorXd::Ones(X.rows()));
}

}  // namespace emkit
