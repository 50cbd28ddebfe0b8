#pragma once
/// \file
/// Free coordinates of the fixed-variance spherical Gaussian of K-means: the means only
/// (`component[k].mean[d]`; σ² is fixed, not estimated). Score: ∂ log N(x | μ, σ²I) / ∂μ =
/// (x − μ) / σ². Under the soft E-step this is EM for an isotropic mixture of known variance,
/// whose convergence rate `verify` measures as σ → 0 (docs/theory/kmeans-limit.md).

#include <cmath>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>

#include <emkit/framework/error.hpp>
#include <emkit/framework/types.hpp>
#include <emkit/framework/verify/parameterisation.hpp>
#include <emkit/models/kmeans.hpp>

namespace emkit {

/// Free coordinates of `fixed_spherical_gaussian`: K·D means.
template <>
struct parameterisation<fixed_spherical_gaussian> {
  using params = fixed_spherical_gaussian_params;

  [[nodiscard]] static index size(const fixed_spherical_gaussian&, std::span<const params> ps) {
    return ps.empty() ? 0 : static_cast<index>(ps.size()) * ps.front().mean.size();
  }

  [[nodiscard]] static std::vector<std::string> names(const fixed_spherical_gaussian&, std::span<const params> ps) {
    std::vector<std::string> out;
    for (std::size_t k = 0; k < ps.size(); ++k)
      for (index d = 0; d < ps[k].mean.size(); ++d) out.push_back(detail::concat("component[", k, "].mean[", d, "]"));
    return out;
  }

  [[nodiscard]] static Eigen::VectorXd flatten(const fixed_spherical_gaussian& f, std::span<const params> ps) {
    Eigen::VectorXd phi(size(f, ps));
    index at = 0;
    for (const params& p : ps) {
      phi.segment(at, p.mean.size()) = p.mean;
      at += p.mean.size();
    }
    return phi;
  }

  [[nodiscard]] static std::vector<params> unflatten(const fixed_spherical_gaussian& f, std::span<const params> ps,
                                                     vector_ref phi) {
    check_shape(phi.size() == size(f, ps), "parameterisation<fixed_spherical_gaussian>::unflatten", "phi.size()",
                phi.size(), "the number of free coordinates " + std::to_string(size(f, ps)));
    std::vector<params> out;
    index at = 0;
    for (const params& p : ps) {
      out.push_back({phi.segment(at, p.mean.size())});
      at += p.mean.size();
    }
    return out;
  }

  /// σ for every mean coordinate.
  [[nodiscard]] static Eigen::VectorXd scales(const fixed_spherical_gaussian& f, std::span<const params> ps) {
    return Eigen::VectorXd::Constant(size(f, ps), std::sqrt(f.variance));
  }

  /// S(n, ·) = (x_n − μ_k) / σ² on component k's coordinates, 0 elsewhere.
  static void scores(const fixed_spherical_gaussian& f, std::span<const params> ps, index k, matrix_ref X,
                     matrix_out S) {
    S.setZero();
    const params& p = ps[static_cast<std::size_t>(k)];
    const index D = p.mean.size();
    S.middleCols(k * D, D) = (X.rowwise() - p.mean.transpose()) / f.variance;
  }
};

}  // namespace emkit
