#pragma once
/// \file
/// Free coordinates of the Gaussian family, for every covariance type.
///
/// Layout, component by component (k = 0..K−1):
///
/// | type | coordinates of component k | names |
/// | --- | --- | --- |
/// | full | μ_k (D), then Σ_k(i, j) for i ≥ j, row by row: (0,0), (1,0), (1,1), (2,0), … | `component[k].mean[d]`,
/// `component[k].covariance[i,j]` | | diagonal | μ_k (D), then the variances Σ_k(d, d) (D) | `component[k].mean[d]`,
/// `component[k].variance[d]` | | spherical | μ_k (D), then σ_k² (1) | `component[k].mean[d]`, `component[k].variance`
/// | | tied | μ_k (D) for every k, then once the shared Σ(i, j), i ≥ j | `component[k].mean[d]`, `covariance[i,j]` |
///
/// Covariance entries are the entries themselves (not a Cholesky factor or a log-variance), so
/// standard errors are in the units users read Σ in, and the EM map is the M-step itself. An
/// off-diagonal entry is one coordinate that moves Σ(i, j) and Σ(j, i) together; its score is
/// therefore twice the (i, j) entry of the matrix gradient.
///
/// Scores, with y = x − μ, Λ = Σ⁻¹ and u = Λ y:
///
///     ∂ log N / ∂μ = u,   ∂ log N / ∂Σ(i,i) = ½ (u_i² − Λ_ii),   ∂ log N / ∂Σ(i,j) = u_i u_j − Λ_ij (i > j),
///     spherical: ∂ log N / ∂σ² = ‖y‖² / (2σ⁴) − D / (2σ²).
///
/// Included by `verify.hpp`; this header depends on `emkit/models/gaussian.hpp`.

#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>

#include <emkit/framework/error.hpp>
#include <emkit/framework/types.hpp>
#include <emkit/framework/verify/parameterisation.hpp>
#include <emkit/models/gaussian.hpp>

namespace emkit {

/// Free coordinates of `gaussian` (see the file comment for the layout and the scores).
template <>
struct parameterisation<gaussian> {
  using params = gaussian_params;

  /// Coordinates of one covariance: D(D+1)/2 (full, tied), D (diagonal), 1 (spherical).
  [[nodiscard]] static index covariance_size(const gaussian& f, index D) {
    switch (f.covariance) {
      case covariance_type::full:
      case covariance_type::tied:
        return D * (D + 1) / 2;
      case covariance_type::diagonal:
        return D;
      case covariance_type::spherical:
        return 1;
    }
    return 0;
  }

  [[nodiscard]] static index size(const gaussian& f, std::span<const params> ps) {
    const index K = static_cast<index>(ps.size());
    const index D = dimension(ps);
    if (f.covariance == covariance_type::tied) return K * D + covariance_size(f, D);
    return K * (D + covariance_size(f, D));
  }

  [[nodiscard]] static std::vector<std::string> names(const gaussian& f, std::span<const params> ps) {
    const index K = static_cast<index>(ps.size());
    const index D = dimension(ps);
    std::vector<std::string> out;
    out.reserve(static_cast<std::size_t>(size(f, ps)));
    auto triangle = [&](const std::string& prefix) {
      for (index i = 0; i < D; ++i)
        for (index j = 0; j <= i; ++j) out.push_back(detail::concat(prefix, "covariance[", i, ",", j, "]"));
    };
    for (index k = 0; k < K; ++k) {
      const std::string c = detail::concat("component[", k, "].");
      for (index d = 0; d < D; ++d) out.push_back(detail::concat(c, "mean[", d, "]"));
      switch (f.covariance) {
        case covariance_type::full:
          triangle(c);
          break;
        case covariance_type::diagonal:
          for (index d = 0; d < D; ++d) out.push_back(detail::concat(c, "variance[", d, "]"));
          break;
        case covariance_type::spherical:
          out.push_back(c + "variance");
          break;
        case covariance_type::tied:
          break;
      }
    }
    if (f.covariance == covariance_type::tied) triangle("");
    return out;
  }

  [[nodiscard]] static Eigen::VectorXd flatten(const gaussian& f, std::span<const params> ps) {
    Eigen::VectorXd phi(size(f, ps));
    for_each_block(f, ps, [&](index k, bool mean_block, index begin, index count) {
      const params& p = ps[static_cast<std::size_t>(k)];
      if (mean_block) {
        phi.segment(begin, count) = p.mean;
      } else {
        phi.segment(begin, count) = covariance_coordinates(f, p.covariance);
      }
    });
    return phi;
  }

  /// Throws `numerical_error` when a covariance is not positive definite (or a variance ≤ 0).
  [[nodiscard]] static std::vector<params> unflatten(const gaussian& f, std::span<const params> ps, vector_ref phi) {
    check_shape(phi.size() == size(f, ps), "parameterisation<gaussian>::unflatten", "phi.size()", phi.size(),
                "the number of free coordinates " + std::to_string(size(f, ps)));
    const index K = static_cast<index>(ps.size());
    const index D = dimension(ps);
    std::vector<Eigen::VectorXd> means(static_cast<std::size_t>(K));
    std::vector<Eigen::VectorXd> covs(static_cast<std::size_t>(K));
    for_each_block(f, ps, [&](index k, bool mean_block, index begin, index count) {
      if (mean_block) {
        means[static_cast<std::size_t>(k)] = phi.segment(begin, count);
      } else {
        covs[static_cast<std::size_t>(k)] = phi.segment(begin, count);
      }
    });
    std::vector<params> out;
    out.reserve(static_cast<std::size_t>(K));
    if (f.covariance == covariance_type::tied) {
      const params shared = params::from(Eigen::VectorXd::Zero(D), covariance_from(D, covs.back()));
      for (index k = 0; k < K; ++k) {
        params p = shared;
        p.mean = means[static_cast<std::size_t>(k)];
        out.push_back(std::move(p));
      }
      return out;
    }
    for (index k = 0; k < K; ++k) {
      const Eigen::VectorXd& c = covs[static_cast<std::size_t>(k)];
      Eigen::VectorXd& m = means[static_cast<std::size_t>(k)];
      switch (f.covariance) {
        case covariance_type::full:
          out.push_back(params::from(std::move(m), covariance_from(D, c)));
          break;
        case covariance_type::diagonal:
          out.push_back(params::from_variances(std::move(m), c));
          break;
        case covariance_type::spherical:
          out.push_back(params::from_variances(std::move(m), Eigen::VectorXd::Constant(D, c[0])));
          break;
        case covariance_type::tied:
          break;
      }
    }
    return out;
  }

  /// Means: √Σ(d, d); covariance entries: √(Σ(i, i) Σ(j, j)); variances: themselves.
  [[nodiscard]] static Eigen::VectorXd scales(const gaussian& f, std::span<const params> ps) {
    Eigen::VectorXd s(size(f, ps));
    for_each_block(f, ps, [&](index k, bool mean_block, index begin, index count) {
      const Eigen::VectorXd sd = ps[static_cast<std::size_t>(k)].covariance.diagonal().cwiseSqrt();
      if (mean_block) {
        s.segment(begin, count) = sd;
      } else {
        s.segment(begin, count) = covariance_coordinates(f, sd * sd.transpose());
      }
    });
    return s;
  }

  /// S(n, j) = ∂ log N(x_n | μ_k, Σ_k) / ∂φ_j: zero outside component k's coordinates (and,
  /// for a tied covariance, the shared ones).
  static void scores(const gaussian& f, std::span<const params> ps, index k, matrix_ref X, matrix_out S) {
    const params& p = ps[static_cast<std::size_t>(k)];
    const index D = X.cols();
    S.setZero();
    const Eigen::MatrixXd Y = X.rowwise() - p.mean.transpose();
    const Eigen::MatrixXd precision = p.precision_cholesky.transpose() * p.precision_cholesky;  // Λ = PᵀP
    const Eigen::MatrixXd U = Y * precision;  // rows u_n = Λ y_n (Λ is symmetric)
    for_each_block(f, ps, [&](index j, bool mean_block, index begin, index count) {
      const bool mine = j == k || (!mean_block && f.covariance == covariance_type::tied);
      if (!mine) return;
      if (mean_block) {
        S.middleCols(begin, count) = U;
        return;
      }
      switch (f.covariance) {
        case covariance_type::full:
        case covariance_type::tied: {
          index c = begin;
          for (index a = 0; a < D; ++a) {
            for (index b = 0; b <= a; ++b, ++c) {
              if (a == b) {
                S.col(c) = 0.5 * (U.col(a).array().square() - precision(a, a)).matrix();
              } else {
                S.col(c) = (U.col(a).array() * U.col(b).array() - precision(a, b)).matrix();
              }
            }
          }
          break;
        }
        case covariance_type::diagonal:
          for (index d = 0; d < D; ++d) S.col(begin + d) = 0.5 * (U.col(d).array().square() - precision(d, d)).matrix();
          break;
        case covariance_type::spherical: {
          const double v = p.covariance(0, 0);
          S.col(begin) =
              (Y.rowwise().squaredNorm().array() / (2.0 * v * v) - static_cast<double>(D) / (2.0 * v)).matrix();
          break;
        }
      }
    });
  }

 private:
  [[nodiscard]] static index dimension(std::span<const params> ps) {
    check_shape(!ps.empty(), "parameterisation<gaussian>", "number of components", 0, ">= 1");
    return ps.front().mean.size();
  }

  /// Calls f(k, is_mean_block, first coordinate, count) for each block of φ in order; the
  /// shared covariance of the tied type is reported once, last, with k = K − 1.
  template <class F>
  static void for_each_block(const gaussian& fam, std::span<const params> ps, F&& f) {
    const index K = static_cast<index>(ps.size());
    const index D = dimension(ps);
    const index C = covariance_size(fam, D);
    index at = 0;
    for (index k = 0; k < K; ++k) {
      f(k, true, at, D);
      at += D;
      if (fam.covariance != covariance_type::tied) {
        f(k, false, at, C);
        at += C;
      }
    }
    if (fam.covariance == covariance_type::tied) f(K - 1, false, at, C);
  }

  /// The coordinates of a covariance matrix for the family's type.
  [[nodiscard]] static Eigen::VectorXd covariance_coordinates(const gaussian& f, const Eigen::MatrixXd& cov) {
    const index D = cov.rows();
    switch (f.covariance) {
      case covariance_type::full:
      case covariance_type::tied: {
        Eigen::VectorXd v(D * (D + 1) / 2);
        index c = 0;
        for (index i = 0; i < D; ++i)
          for (index j = 0; j <= i; ++j) v[c++] = cov(i, j);
        return v;
      }
      case covariance_type::diagonal:
        return cov.diagonal();
      case covariance_type::spherical:
        return Eigen::VectorXd::Constant(1, cov(0, 0));
    }
    return {};
  }

  /// The symmetric D×D matrix whose lower triangle (row by row) is v.
  [[nodiscard]] static Eigen::MatrixXd covariance_from(index D, const Eigen::VectorXd& v) {
    Eigen::MatrixXd cov(D, D);
    index c = 0;
    for (index i = 0; i < D; ++i)
      for (index j = 0; j <= i; ++j, ++c) cov(i, j) = cov(j, i) = v[c];
    return cov;
  }
};

}  // namespace emkit
