#pragma once
/// \file
/// Free coordinates of the Bernoulli family: the probabilities p_kd themselves, component by
/// component (`component[k].probability[d]`). Score:
/// ∂ log f(x | p) / ∂p_d = x_d / p_d − (1 − x_d) / (1 − p_d).
///
/// A probability held at `probability_floor` (a feature that is all 0 or all 1 within a
/// component) sits on the boundary: there the log-likelihood is not stationary in that
/// coordinate and the information is about 1/floor, so its standard error means nothing.

#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>

#include <emkit/framework/error.hpp>
#include <emkit/framework/types.hpp>
#include <emkit/framework/verify/parameterisation.hpp>
#include <emkit/models/bernoulli.hpp>

namespace emkit {

/// Free coordinates of `bernoulli`: K·D probabilities.
template <>
struct parameterisation<bernoulli> {
  using params = bernoulli_params;

  [[nodiscard]] static index size(const bernoulli&, std::span<const params> ps) {
    return ps.empty() ? 0 : static_cast<index>(ps.size()) * ps.front().probabilities.size();
  }

  [[nodiscard]] static std::vector<std::string> names(const bernoulli&, std::span<const params> ps) {
    std::vector<std::string> out;
    for (std::size_t k = 0; k < ps.size(); ++k)
      for (index d = 0; d < ps[k].probabilities.size(); ++d)
        out.push_back(detail::concat("component[", k, "].probability[", d, "]"));
    return out;
  }

  [[nodiscard]] static Eigen::VectorXd flatten(const bernoulli& f, std::span<const params> ps) {
    Eigen::VectorXd phi(size(f, ps));
    index at = 0;
    for (const params& p : ps) {
      phi.segment(at, p.probabilities.size()) = p.probabilities;
      at += p.probabilities.size();
    }
    return phi;
  }

  /// Throws `numerical_error` when a probability is outside (0, 1).
  [[nodiscard]] static std::vector<params> unflatten(const bernoulli& f, std::span<const params> ps, vector_ref phi) {
    check_shape(phi.size() == size(f, ps), "parameterisation<bernoulli>::unflatten", "phi.size()", phi.size(),
                "the number of free coordinates " + std::to_string(size(f, ps)));
    std::vector<params> out;
    index at = 0;
    for (const params& p : ps) {
      const Eigen::VectorXd probabilities = phi.segment(at, p.probabilities.size());
      at += p.probabilities.size();
      if (!(probabilities.array() > 0 && probabilities.array() < 1).all())
        throw numerical_error("parameterisation<bernoulli>: a probability left (0, 1)");
      out.push_back(params::from(probabilities));
    }
    return out;
  }

  /// min(p, 1 − p), so that a step of a fraction of it stays inside (0, 1).
  [[nodiscard]] static Eigen::VectorXd scales(const bernoulli& f, std::span<const params> ps) {
    const Eigen::VectorXd p = flatten(f, ps);
    return p.cwiseMin((1.0 - p.array()).matrix());
  }

  /// S(n, j) = x_nd / p_kd − (1 − x_nd) / (1 − p_kd) on component k's coordinates, 0 elsewhere.
  static void scores(const bernoulli&, std::span<const params> ps, index k, matrix_ref X, matrix_out S) {
    S.setZero();
    const params& p = ps[static_cast<std::size_t>(k)];
    const index D = p.probabilities.size();
    const Eigen::ArrayXXd x = X.array();
    S.middleCols(k * D, D) = (x.rowwise() / p.probabilities.transpose().array() -
                              (1.0 - x).rowwise() / (1.0 - p.probabilities.transpose().array()))
                                 .matrix();
  }
};

}  // namespace emkit
