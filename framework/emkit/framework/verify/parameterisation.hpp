#pragma once
/// \file
/// The free parameters of a component family: the coordinates φ in which `emkit::verify`
/// takes derivatives of the log-likelihood, counts information and names standard errors.
///
/// The coordinates must be *free*: every φ near the fitted one is a valid parameter (a
/// covariance is given by its lower triangle, which a small step keeps positive definite; a
/// variance or a rate by itself). The family's `params_type` holds derived values (Cholesky
/// factors, logarithms) that are not coordinates; `unflatten` rebuilds them.
///
/// A family gets `verify` by specialising `emkit::parameterisation<Family>` with five static
/// functions (`ps` are the K components' parameters, which also give shapes):
///
/// | member | returns |
/// | --- | --- |
/// | `size(family, ps)` | P_f, the number of free coordinates of all K components together (a shared parameter counted
/// once) | | `names(family, ps)` | P_f names, such as `component[1].mean[0]` | | `flatten(family, ps)` | φ_f (P_f) | |
/// `unflatten(family, ps, φ_f)` | the K components' parameters at φ_f (shapes from `ps`); throws `numerical_error`
/// outside the domain | | `scales(family, ps)` | the typical size of each coordinate (> 0): finite-difference steps are
/// a fraction of it |
///
/// and, optionally (detected by `HasAnalyticScores`),
///
/// | `scores(family, ps, k, X, S)` | S(n, j) = ∂ log f(x_n \| θ_k) / ∂φ_j for the rows of a chunk (n × P_f, zero
/// outside the coordinates θ_k depends on) |
///
/// Without `scores`, `verify` differentiates the log density by central differences, which
/// costs more passes and loses about five digits in the complete-data information; with
/// it, Louis' identity is exact up to one first-order difference (see docs/theory/verify.md).
/// The mixture adds its K − 1 weight coordinates in front of the family's (`mixture_coordinates.hpp`).

#include <concepts>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>

#include <emkit/framework/types.hpp>

namespace emkit {

/// Specialise for a family to give it free coordinates (see the file comment). The primary
/// template is empty: a family without a specialisation has none, and `verify` does not
/// compile for it.
template <class Family>
struct parameterisation {};

/// A family whose `parameterisation` specialisation has the five required members.
template <class F>
concept HasParameterisation = requires(const F& f, std::span<const typename F::params_type> ps, vector_ref phi) {
  { parameterisation<F>::size(f, ps) } -> std::convertible_to<index>;
  { parameterisation<F>::names(f, ps) } -> std::same_as<std::vector<std::string>>;
  { parameterisation<F>::flatten(f, ps) } -> std::convertible_to<Eigen::VectorXd>;
  { parameterisation<F>::unflatten(f, ps, phi) } -> std::same_as<std::vector<typename F::params_type>>;
  { parameterisation<F>::scales(f, ps) } -> std::convertible_to<Eigen::VectorXd>;
};

/// Optional: the analytic score of one component's log density in the free coordinates.
template <class F>
concept HasAnalyticScores = HasParameterisation<F> &&
    requires(const F& f, std::span<const typename F::params_type> ps, index k, matrix_ref X, matrix_out S) {
  parameterisation<F>::scores(f, ps, k, X, S);
};

}  // namespace emkit
