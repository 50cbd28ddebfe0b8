#pragma once
/// \file
/// LatentModel: any model that EM can fit with a per-observation discrete latent variable.
///
/// The engine drives EM through these hooks only: the log joint density of a chunk (the
/// E-step policy turns it into responsibilities), the statistics of a chunk under given
/// responsibilities, the M-step from merged statistics, and Q(θ; q) from statistics so that
/// the monitor needs no stored responsibilities. `mixture<Family>` models it; a model with
/// dependent latent variables (an HMM) will add a sequence-level E-step hook.

#include <concepts>

#include <Eigen/Core>

#include <emkit/framework/concepts/mergeable_stats.hpp>
#include <emkit/framework/engine/summary.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

/// The hooks:
/// - `params_type` θ and `accumulator_type`, the merged statistics of one E-step;
/// - `make_accumulator(K)`: the empty statistics for K latent states;
/// - `num_components(θ)`: K;
/// - `validate_data(X)`: throws `data_error` for data outside the model's support;
/// - `prepare(X)`: data-only values, one row per observation (N×0 when there are none),
///   computed once per data set; row-wise, so a chunk's rows are a block of it;
/// - `log_joint(θ, X, C, L)`: L(n, k) = log p(x_n, z_n = k | θ) for a chunk and its cache rows C;
/// - `accumulate(X, C, w, R, acc)`: adds Σ_n w_n r_nk T(x_n) for a chunk and its cache rows C;
/// - `m_step(acc, events)`: argmax_θ Q(θ; q) (+ log prior), reporting events;
/// - `expected_complete_log_likelihood(θ, acc)`: Q(θ; q) from statistics, NaN if unavailable;
/// - `log_prior(θ)`: 0 for maximum likelihood.
template <class M>
concept LatentModel = std::copyable<M> &&
    requires(const M& m, const typename M::params_type& theta, typename M::accumulator_type& acc,
             const typename M::accumulator_type& merged, matrix_ref X, vector_ref w, matrix_ref R, matrix_ref C,
             matrix_out L, index K, fit_events& events) {
  requires std::copyable<typename M::params_type>;
  requires MergeableStats<typename M::accumulator_type>;
  { m.make_accumulator(K) } -> std::same_as<typename M::accumulator_type>;
  { m.num_components(theta) } -> std::convertible_to<index>;
  m.validate_data(X);
  { m.prepare(X) } -> std::convertible_to<Eigen::MatrixXd>;
  m.log_joint(theta, X, C, L);
  m.accumulate(X, C, w, R, acc);
  { m.m_step(merged, events) } -> std::same_as<typename M::params_type>;
  { m.expected_complete_log_likelihood(theta, merged) } -> std::convertible_to<double>;
  { m.log_prior(theta) } -> std::convertible_to<double>;
};

}  // namespace emkit
