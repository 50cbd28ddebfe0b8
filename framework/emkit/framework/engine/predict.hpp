#pragma once
/// \file
/// What a fitted model answers: posteriors, labels, per-observation log densities, the
/// log-likelihood, and the information criteria. Each works chunk by chunk.

#include <cmath>
#include <string>

#include <Eigen/Core>

#include <emkit/framework/concepts/latent_model.hpp>
#include <emkit/framework/engine/check_data.hpp>
#include <emkit/framework/engine/check_log_joint.hpp>
#include <emkit/framework/error.hpp>
#include <emkit/framework/numeric/compensated_sum.hpp>
#include <emkit/framework/numeric/log_sum_exp.hpp>

namespace emkit {

namespace detail {
inline constexpr index predict_chunk_rows = 256;

/// Calls f(first_row, L) with L(n, k) = log p(x_n, z_n = k | θ) for each chunk of X.
template <LatentModel M, class F>
void for_each_log_joint(const M& model, const typename M::params_type& theta, matrix_ref X, std::string_view where,
                        F&& f) {
  check_data(X, where);
  if constexpr (requires { model.validate_params(theta, where); }) model.validate_params(theta, where);
  model.validate_data(X);
  const index K = model.num_components(theta);
  for (index begin = 0; begin < X.rows(); begin += predict_chunk_rows) {
    const index rows = std::min(predict_chunk_rows, X.rows() - begin);
    Eigen::MatrixXd L(rows, K);
    const matrix_ref Xc = X.middleRows(begin, rows);
    model.log_joint(theta, Xc, model.prepare(Xc), L);
    f(begin, L);
  }
}
}  // namespace detail

/// The posterior p(z_n = k | x_n, θ), an N×K matrix whose rows sum to 1. Throws
/// `numerical_error` naming a row whose density is 0 (log −∞) under every component.
template <LatentModel M>
[[nodiscard]] Eigen::MatrixXd predict_proba(const M& model, const typename M::params_type& theta, matrix_ref X) {
  Eigen::MatrixXd R(X.rows(), model.num_components(theta));
  detail::for_each_log_joint(model, theta, X, "predict_proba", [&](index begin, const Eigen::MatrixXd& L) {
    detail::check_log_joint(L, begin, "predict_proba");
    for (index n = 0; n < L.rows(); ++n) {
      const double lse = log_sum_exp(L.row(n));
      R.row(begin + n) = (L.row(n).array() - lse).exp();
    }
  });
  return R;
}

/// The most probable component of each row (ties to the lowest index). Throws
/// `numerical_error` naming a row whose density is 0 (log −∞) under every component.
template <LatentModel M>
[[nodiscard]] Eigen::VectorX<index> predict(const M& model, const typename M::params_type& theta, matrix_ref X) {
  Eigen::VectorX<index> labels(X.rows());
  detail::for_each_log_joint(model, theta, X, "predict", [&](index begin, const Eigen::MatrixXd& L) {
    detail::check_log_joint(L, begin, "predict");
    for (index n = 0; n < L.rows(); ++n) L.row(n).maxCoeff(&labels[begin + n]);
  });
  return labels;
}

/// log p(x_n | θ) for each row.
template <LatentModel M>
[[nodiscard]] Eigen::VectorXd score_samples(const M& model, const typename M::params_type& theta, matrix_ref X) {
  Eigen::VectorXd out(X.rows());
  detail::for_each_log_joint(model, theta, X, "score_samples", [&](index begin, const Eigen::MatrixXd& L) {
    for (index n = 0; n < L.rows(); ++n) out[begin + n] = log_sum_exp(L.row(n));
  });
  return out;
}

/// ℓ = Σ_n log p(x_n | θ), summed with compensation.
template <LatentModel M>
[[nodiscard]] double log_likelihood(const M& model, const typename M::params_type& theta, matrix_ref X) {
  compensated_sum s;
  for (double v : score_samples(model, theta, X)) s += v;
  return s.value();
}

/// The mean log-likelihood per observation, ℓ / N (scikit-learn's `score`).
template <LatentModel M>
[[nodiscard]] double score(const M& model, const typename M::params_type& theta, matrix_ref X) {
  return log_likelihood(model, theta, X) / static_cast<double>(X.rows());
}

/// Bayesian information criterion −2ℓ + p log N; lower is better (scikit-learn's sign;
/// mclust reports 2ℓ − p log N, where higher is better). With observation weights, ℓ is
/// weighted and N = Σ_n w_n, so that a weight of 2 counts as the row twice.
template <LatentModel M>
[[nodiscard]] double bic(const M& model, const typename M::params_type& theta, matrix_ref X) {
  return bic(model, theta, X, Eigen::VectorXd::Ones(X.rows()));
}

/// BIC with observation weights.
template <LatentModel M>
[[nodiscard]] double bic(const M& model, const typename M::params_type& theta, matrix_ref X, vector_ref w) {
  check_weights(w, X.rows(), "bic");
  const double p = static_cast<double>(model.num_free_parameters(theta));
  return -2.0 * score_samples(model, theta, X).dot(w) + p * std::log(w.sum());
}

/// Akaike information criterion −2ℓ + 2p; lower is better.
template <LatentModel M>
[[nodiscard]] double aic(const M& model, const typename M::params_type& theta, matrix_ref X) {
  return aic(model, theta, X, Eigen::VectorXd::Ones(X.rows()));
}

/// AIC with observation weights (ℓ weighted).
template <LatentModel M>
[[nodiscard]] double aic(const M& model, const typename M::params_type& theta, matrix_ref X, vector_ref w) {
  check_weights(w, X.rows(), "aic");
  const double p = static_cast<double>(model.num_free_parameters(theta));
  return -2.0 * score_samples(model, theta, X).dot(w) + 2.0 * p;
}

}  // namespace emkit
