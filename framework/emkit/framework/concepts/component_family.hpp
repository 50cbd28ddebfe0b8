#pragma once
/// \file
/// ComponentFamily: the extension point. A new mixture model is a new family, the
/// density of one component and how to fit it from weighted data.
///
/// The minimum is three hooks; everything else (responsibilities, Q, entropy, the
/// log-likelihood, initialisation, restarts, threads, the monitor) is derived by
/// `mixture<Family>` and the engine. Optional hooks are detected with the `Has*`
/// concepts below and are never required.

#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>

#include <emkit/framework/concepts/mergeable_stats.hpp>
#include <emkit/framework/numeric/random.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

/// The minimum a family writes:
/// - `params_type`: one component's parameters θ_k;
/// - `stats_type`: its weighted sufficient statistics, a `MergeableStats`;
/// - `log_density(p, X)`: log f(x_n | p) for each row of a chunk X;
/// - `accumulate(X, w)`: Σ_n w_n T(x_n) for a chunk and a weight column;
/// - `maximize(s)`: the closed-form M-step from merged statistics.
template <class C>
concept ComponentFamily = std::copyable<C> && requires(const C& c, const typename C::params_type& p,
                                                       const typename C::stats_type& s, matrix_ref X, vector_ref w) {
  requires std::copyable<typename C::params_type>;
  requires MergeableStats<typename C::stats_type>;
  { c.log_density(p, X) } -> std::convertible_to<Eigen::VectorXd>;
  { c.accumulate(X, w) } -> std::same_as<typename C::stats_type>;
  { c.maximize(s) } -> std::same_as<typename C::params_type>;
};

/// Optional: rejects data outside the family's support (throws `data_error` naming row
/// and column). NaN and Inf are rejected for every family by the framework.
template <class C>
concept HasValidateData = requires(const C& c, matrix_ref X) {
  c.validate_data(X);
};

/// Optional: data-only values computed once per data set, one row per observation (N×C),
/// such as Σ_d log Γ(x_nd + 1) for counts. Row-wise: prepare(X).middleRows(a, n) equals
/// prepare(X.middleRows(a, n)), and the number of cache columns depends only on X.cols(). A
/// family with this hook may also take the cache in its
/// log-density hooks (`HasCachedLogDensity`, `HasCachedBatchedLogDensity`).
template <class C>
concept HasPrepare = requires(const C& c, matrix_ref X) {
  { c.prepare(X) } -> std::convertible_to<Eigen::MatrixXd>;
};

/// Optional: log f(x_n | p) given the rows' `prepare` cache.
template <class C>
concept HasCachedLogDensity = HasPrepare<C> &&
    requires(const C& c, const typename C::params_type& p, matrix_ref X, matrix_ref cache) {
  { c.log_density(p, X, cache) } -> std::convertible_to<Eigen::VectorXd>;
};

/// Optional: Σ_n w_n log f(x_n | p) from the statistics alone, so that the monitor can
/// evaluate Q(θ_new | θ_old) without another pass over the data.
template <class C>
concept HasExpectedLogDensity = requires(const C& c, const typename C::stats_type& s,
                                         const typename C::params_type& p) {
  { c.expected_log_density(s, p) } -> std::convertible_to<double>;
};

/// Optional: log p(θ_k) for MAP fitting; the monitor then watches the penalised objective.
template <class C>
concept HasLogPrior = requires(const C& c, const typename C::params_type& p) {
  { c.log_prior(p) } -> std::convertible_to<double>;
};

/// Optional: the number of free parameters of all K components together (shared
/// parameters counted once), for BIC and AIC.
template <class C>
concept HasFreeParameters = requires(const C& c, std::span<const typename C::params_type> ps) {
  { c.num_free_parameters(ps) } -> std::convertible_to<std::size_t>;
};

/// Optional: how many entries of p a floor held off the boundary of the parameter space
/// (a Poisson rate at its minimum, a probability kept inside (0, 1)); the mixture reports a
/// `floor_applied` warning for each component where this is positive.
template <class C>
concept HasFloorReport = requires(const C& c, const typename C::params_type& p) {
  { c.floors_applied(p) } -> std::convertible_to<index>;
};

/// Optional, with `floors_applied`: which entries of p are held and why ("variance of column
/// 1 is ..."), for the warning's message; the mixture prefixes the component.
template <class C>
concept HasFloorDescription = HasFloorReport<C> && requires(const C& c, const typename C::params_type& p) {
  { c.floor_description(p) } -> std::convertible_to<std::string>;
};

/// Optional: one draw x ~ f(· | p).
template <class C>
concept HasSample = requires(const C& c, const typename C::params_type& p, random_engine& rng) {
  { c.sample(p, rng) } -> std::convertible_to<Eigen::VectorXd>;
};

/// Optional batched form: out(n, k) = log f(x_n | p_k) for all K components at once,
/// with matrix–matrix products.
template <class C>
concept HasBatchedLogDensity = requires(const C& c, std::span<const typename C::params_type> ps, matrix_ref X,
                                        matrix_out out) {
  c.log_density_all(ps, X, out);
};

/// Optional batched form with the rows' `prepare` cache.
template <class C>
concept HasCachedBatchedLogDensity = HasPrepare<C> &&
    requires(const C& c, std::span<const typename C::params_type> ps, matrix_ref X, matrix_ref cache, matrix_out out) {
  c.log_density_all(ps, X, cache, out);
};

/// Optional batched form: stats[k] += Σ_n W(n, k) T(x_n) for all K components at once.
template <class C>
concept HasBatchedAccumulate = requires(const C& c, matrix_ref X, matrix_ref W,
                                        std::span<typename C::stats_type> stats) {
  c.accumulate_all(X, W, stats);
};

/// Optional, for hard EM: stats[k] += the statistics of the rows with labels[n] = k, each
/// weighted by w_n, the labels having been assigned under the components `ps` (which the family
/// may use as shifts): the same as `accumulate_all` with a one-hot W, without forming it (O(N·D)
/// where the product with W is O(N·K·D)).
template <class C>
concept HasLabelledAccumulate = requires(const C& c, std::span<const typename C::params_type> ps, matrix_ref X,
                                         vector_ref w, std::span<const index> labels,
                                         std::span<typename C::stats_type> stats) {
  c.accumulate_labels(ps, X, w, labels, stats);
};

/// Optional batched form with the rows' `prepare` cache (for statistics that include a
/// data-only term, such as Σ_n w_n log Γ(x_n + 1) for Q of a Poisson component).
template <class C>
concept HasCachedBatchedAccumulate = HasPrepare<C> &&
    requires(const C& c, matrix_ref X, matrix_ref cache, matrix_ref W, std::span<typename C::stats_type> stats) {
  c.accumulate_all(X, cache, W, stats);
};

/// Optional batched M-step: all K components at once. Required in practice when
/// components share parameters (a tied covariance).
template <class C>
concept HasBatchedMaximize = requires(const C& c, std::span<const typename C::stats_type> stats) {
  { c.maximize_all(stats) } -> std::same_as<std::vector<typename C::params_type>>;
};

}  // namespace emkit
