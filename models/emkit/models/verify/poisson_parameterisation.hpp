#pragma once
/// \file
/// Free coordinates of the Poisson family: the rates λ_kd themselves, component by component
/// (`component[k].rate[d]`). Score: ∂ log f(x | λ) / ∂λ_d = x_d / λ_d − 1.
///
/// A rate held at `rate_floor` sits on the boundary of the parameter space: there the
/// log-likelihood is not stationary in that coordinate and its standard error means nothing;
/// `verify` reports such a fit as it finds it.

#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>

#include <emkit/framework/error.hpp>
#include <emkit/framework/types.hpp>
#include <emkit/framework/verify/parameterisation.hpp>
#include <emkit/models/poisson.hpp>

namespace emkit {

/// Free coordinates of `poisson`: K·D rates.
template <>
struct parameterisation<poisson> {
  using params = poisson_params;

  [[nodiscard]] static index size(const poisson&, std::span<const params> ps) {
    return ps.empty() ? 0 : static_cast<index>(ps.size()) * ps.front().rates.size();
  }

  [[nodiscard]] static std::vector<std::string> names(const poisson&, std::span<const params> ps) {
    std::vector<std::string> out;
    for (std::size_t k = 0; k < ps.size(); ++k)
      for (index d = 0; d < ps[k].rates.size(); ++d) out.push_back(detail::concat("component[", k, "].rate[", d, "]"));
    return out;
  }

  [[nodiscard]] static Eigen::VectorXd flatten(const poisson& f, std::span<const params> ps) {
    Eigen::VectorXd phi(size(f, ps));
    index at = 0;
    for (const params& p : ps) {
      phi.segment(at, p.rates.size()) = p.rates;
      at += p.rates.size();
    }
    return phi;
  }

  /// Throws `numerical_error` when a rate is not positive.
  [[nodiscard]] static std::vector<params> unflatten(const poisson& f, std::span<const params> ps, vector_ref phi) {
    check_shape(phi.size() == size(f, ps), "parameterisation<poisson>::unflatten", "phi.size()", phi.size(),
                "the number of free coordinates " + std::to_string(size(f, ps)));
    std::vector<params> out;
    index at = 0;
    for (const params& p : ps) {
      const Eigen::VectorXd rates = phi.segment(at, p.rates.size());
      at += p.rates.size();
      if (!(rates.array() > 0).all())
        throw numerical_error(detail::concat("parameterisation<poisson>: rate ", rates.minCoeff(), " is not > 0"));
      out.push_back(params::from(rates));
    }
    return out;
  }

  /// The rates themselves.
  [[nodiscard]] static Eigen::VectorXd scales(const poisson& f, std::span<const params> ps) { return flatten(f, ps); }

  /// S(n, j) = x_nd / λ_kd − 1 on component k's coordinates, 0 elsewhere.
  static void scores(const poisson&, std::span<const params> ps, index k, matrix_ref X, matrix_out S) {
    S.setZero();
    const params& p = ps[static_cast<std::size_t>(k)];
    const index D = p.rates.size();
    S.middleCols(k * D, D) = (X.array().rowwise() / p.rates.transpose().array() - 1.0).matrix();
  }
};

}  // namespace emkit
