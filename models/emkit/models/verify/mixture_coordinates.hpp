#pragma once
/// \file
/// The free coordinates φ of a whole mixture: its weights, then its family's coordinates.
///
/// Learned weights contribute K − 1 coordinates, π_0 … π_{K−2}, with π_{K−1} = 1 − Σ_{k<K−1} π_k
/// (the additive parameterisation, in which the standard errors are those of the weights
/// themselves); fixed weights (K-means) contribute none. The complete-data score of the
/// weights is then ∂ log π_k / ∂π_j = [k = j] / π_j − [k = K−1] / π_{K−1}.

#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>

#include <emkit/framework/concepts/component_family.hpp>
#include <emkit/framework/error.hpp>
#include <emkit/framework/types.hpp>
#include <emkit/framework/verify/parameterisation.hpp>
#include <emkit/models/mixture.hpp>

namespace emkit {

/// K − 1 for learned weights, 0 for fixed ones.
template <ComponentFamily F>
[[nodiscard]] index num_weight_coordinates(const mixture<F>& model, const typename mixture<F>::params_type& theta) {
  return model.weights == mixture_weights::learned ? theta.size() - 1 : 0;
}

/// P, the number of free coordinates of θ.
template <HasParameterisation F>
[[nodiscard]] index num_free_coordinates(const mixture<F>& model, const typename mixture<F>::params_type& theta) {
  return num_weight_coordinates(model, theta) +
         parameterisation<F>::size(model.family, std::span<const typename F::params_type>(theta.components));
}

/// The name of each free coordinate: `weight[k]`, then the family's (`component[k].mean[d]`, …).
template <HasParameterisation F>
[[nodiscard]] std::vector<std::string> free_coordinate_names(const mixture<F>& model,
                                                             const typename mixture<F>::params_type& theta) {
  std::vector<std::string> out;
  for (index k = 0; k < num_weight_coordinates(model, theta); ++k) out.push_back(detail::concat("weight[", k, "]"));
  const std::vector<std::string> family =
      parameterisation<F>::names(model.family, std::span<const typename F::params_type>(theta.components));
  out.insert(out.end(), family.begin(), family.end());
  return out;
}

/// φ(θ).
template <HasParameterisation F>
[[nodiscard]] Eigen::VectorXd free_coordinates(const mixture<F>& model, const typename mixture<F>::params_type& theta) {
  const index W = num_weight_coordinates(model, theta);
  Eigen::VectorXd phi(num_free_coordinates(model, theta));
  phi.head(W) = theta.weights.head(W);
  phi.tail(phi.size() - W) =
      parameterisation<F>::flatten(model.family, std::span<const typename F::params_type>(theta.components));
  return phi;
}

/// θ at φ, with the number of components and the shapes of `theta`. Throws `numerical_error`
/// when φ is outside the parameter space (a weight ≤ 0, a covariance not positive definite).
template <HasParameterisation F>
[[nodiscard]] typename mixture<F>::params_type with_free_coordinates(const mixture<F>& model,
                                                                     const typename mixture<F>::params_type& theta,
                                                                     vector_ref phi) {
  const index P = num_free_coordinates(model, theta);
  check_shape(phi.size() == P, "with_free_coordinates", "phi.size()", phi.size(),
              "the number of free coordinates " + std::to_string(P));
  const index K = theta.size();
  const index W = num_weight_coordinates(model, theta);
  typename mixture<F>::params_type out;
  out.dimension = theta.dimension;
  if (W > 0) {
    out.weights.resize(K);
    out.weights.head(W) = phi.head(W);
    out.weights[K - 1] = 1.0 - phi.head(W).sum();
    if (!(out.weights.array() > 0).all())
      throw numerical_error(detail::concat("with_free_coordinates: weight ", out.weights.minCoeff(), " is not > 0"));
  } else {
    out.weights = theta.weights;
  }
  out.components = parameterisation<F>::unflatten(
      model.family, std::span<const typename F::params_type>(theta.components), phi.tail(P - W));
  return out;
}

/// The typical size of each coordinate, for finite-difference steps: min(π_j, π_{K−1}) for a
/// weight (a step of a fraction of it keeps every weight positive), then the family's.
template <HasParameterisation F>
[[nodiscard]] Eigen::VectorXd free_coordinate_scales(const mixture<F>& model,
                                                     const typename mixture<F>::params_type& theta) {
  const index W = num_weight_coordinates(model, theta);
  Eigen::VectorXd s(num_free_coordinates(model, theta));
  for (index j = 0; j < W; ++j) s[j] = std::min(theta.weights[j], theta.weights[theta.size() - 1]);
  s.tail(s.size() - W) =
      parameterisation<F>::scales(model.family, std::span<const typename F::params_type>(theta.components));
  return s;
}

/// S(n, j) = ∂ log p(x_n, z_n = k | θ) / ∂φ_j, the complete-data score of the rows of a chunk
/// given component k (n × P), from the family's analytic scores.
template <HasAnalyticScores F>
void complete_data_scores(const mixture<F>& model, const typename mixture<F>::params_type& theta, index k, matrix_ref X,
                          matrix_out S) {
  const index K = theta.size();
  const index W = num_weight_coordinates(model, theta);
  S.leftCols(W).setZero();
  if (W > 0) {
    if (k < K - 1) S.col(k).setConstant(1.0 / theta.weights[k]);
    if (k == K - 1) S.leftCols(W).setConstant(-1.0 / theta.weights[K - 1]);
  }
  parameterisation<F>::scores(model.family, std::span<const typename F::params_type>(theta.components), k, X,
                              S.rightCols(S.cols() - W));
}

}  // namespace emkit
