#pragma once
/// \file
/// The multivariate Gaussian component family: full, diagonal, spherical and tied covariances.
///
/// Written as a user would write a family, from public framework headers only. Each Σ_k is
/// factored once per M-step (Cholesky, Σ = L Lᵀ) and the parameters keep the precision
/// factor P = L⁻¹, so a chunk costs one triangular product per component:
/// log f(x | μ, Σ) = −½ (D log 2π + log det Σ + ‖P (x − μ)‖²). Statistics are weighted
/// means and scatters about the chunk's own weighted mean, merged by Chan's formula, so
/// data far from the origin loses no precision.

#include <cmath>
#include <cstddef>
#include <cstdio>
#include <limits>
#include <numbers>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <boost/hana/adapt_struct.hpp>
#include <boost/random/normal_distribution.hpp>

#include <emkit/framework/error.hpp>
#include <emkit/framework/numeric/array_tests.hpp>
#include <emkit/framework/numeric/column_mean.hpp>
#include <emkit/framework/numeric/random.hpp>
#include <emkit/framework/numeric/squared_distances.hpp>
#include <emkit/framework/numeric/weighted_deviations.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

/// The shape of the components' covariance matrices.
enum class covariance_type {
  full,       ///< each Σ_k any symmetric positive definite matrix
  diagonal,   ///< each Σ_k diagonal
  spherical,  ///< each Σ_k = σ_k² I
  tied,       ///< one full Σ shared by all components
};

/// The command-line and file name of a covariance type.
inline const char* to_string(covariance_type c) {
  switch (c) {
    case covariance_type::full:
      return "full";
    case covariance_type::diagonal:
      return "diag";
    case covariance_type::spherical:
      return "spherical";
    case covariance_type::tied:
      return "tied";
  }
  return "unknown";
}

/// Parses "full", "diag" (or "diagonal"), "spherical", "tied"; throws `invalid_option` otherwise.
inline covariance_type parse_covariance_type(std::string_view name) {
  if (name == "full") return covariance_type::full;
  if (name == "diag" || name == "diagonal") return covariance_type::diagonal;
  if (name == "spherical") return covariance_type::spherical;
  if (name == "tied") return covariance_type::tied;
  throw invalid_option(
      detail::concat("covariance type '", name, "' is unknown, expected full, diag, spherical or tied"));
}

/// One Gaussian component: μ, Σ, and the factors every density evaluation needs.
struct gaussian_params {
  Eigen::VectorXd mean;                ///< μ (D)
  Eigen::MatrixXd covariance;          ///< Σ (D×D, also for diagonal and spherical)
  Eigen::MatrixXd precision_cholesky;  ///< P = L⁻¹, lower triangular, Σ⁻¹ = Pᵀ P
  double log_det_covariance = 0.0;     ///< log det Σ
  bool is_diagonal = false;            ///< Σ (and P) are diagonal

  /// Builds the parameters from μ and a full Σ, factoring Σ. Throws `numerical_error` when
  /// Σ is not symmetric positive definite, `shape_error` when the sizes disagree.
  static gaussian_params from(Eigen::VectorXd mean, Eigen::MatrixXd covariance) {
    const index D = mean.size();
    check_shape(covariance.rows() == D && covariance.cols() == D, "gaussian_params::from", "covariance.rows()",
                covariance.rows(), "a square matrix of the mean's size " + std::to_string(D));
    const Eigen::LLT<Eigen::MatrixXd> llt(covariance);
    if (llt.info() != Eigen::Success || !covariance.allFinite())
      throw numerical_error("covariance is not positive definite (Cholesky failed); increase reg_covar");
    const Eigen::MatrixXd L = llt.matrixL();
    gaussian_params p;
    p.precision_cholesky = L.triangularView<Eigen::Lower>().solve(Eigen::MatrixXd::Identity(D, D));
    p.log_det_covariance = 2.0 * L.diagonal().array().log().sum();
    p.covariance = std::move(covariance);
    p.mean = std::move(mean);
    return p;
  }

  /// Builds the parameters from μ and the variances of a diagonal Σ. Throws
  /// `numerical_error` when a variance is not positive and finite.
  static gaussian_params from_variances(Eigen::VectorXd mean, const Eigen::VectorXd& variances) {
    check_shape(variances.size() == mean.size(), "gaussian_params::from_variances", "variances.size()",
                variances.size(), "the mean's size " + std::to_string(mean.size()));
    if (!(variances.array() > 0).all() || !variances.allFinite())
      throw numerical_error(detail::concat("covariance is not positive definite (smallest variance ",
                                           variances.minCoeff(), "); increase reg_covar"));
    gaussian_params p;
    p.is_diagonal = true;
    p.precision_cholesky = variances.cwiseSqrt().cwiseInverse().asDiagonal();
    p.log_det_covariance = variances.array().log().sum();
    p.covariance = variances.asDiagonal();
    p.mean = std::move(mean);
    return p;
  }
};

/// Weighted sufficient statistics of one component: W = Σ w_n, the weighted mean m, and the
/// scatter S = Σ w_n (x_n − m)(x_n − m)ᵀ (only its diagonal, as a D×1 column, for the
/// diagonal and spherical types). Merged exactly by Chan, Golub and LeVeque's formula.
struct gaussian_stats {
  double weight = 0.0;
  Eigen::VectorXd mean;
  Eigen::MatrixXd scatter;

  gaussian_stats& operator+=(const gaussian_stats& o) {
    if (o.weight == 0.0) return *this;
    if (weight == 0.0) return *this = o;
    const double total = weight + o.weight;
    const Eigen::VectorXd delta = o.mean - mean;
    const double c = weight * o.weight / total;
    if (scatter.cols() == 1) {
      scatter += o.scatter + c * delta.cwiseAbs2();
    } else {
      scatter += o.scatter + c * delta * delta.transpose();
    }
    mean += (o.weight / total) * delta;
    weight = total;
    return *this;
  }

  /// The statistics of the same rows with every weight multiplied by a ≥ 0: W and S scale,
  /// the mean is a ratio and stays (so a = 0 leaves the identity's weight, 0).
  gaussian_stats& operator*=(double a) {
    weight *= a;
    scatter *= a;
    return *this;
  }
};

/// The Gaussian family. `reg_covar` is added to the diagonal of every covariance in the
/// M-step (scikit-learn's convention), which keeps Σ positive definite when a component
/// collapses onto few points.
struct gaussian {
  covariance_type covariance = covariance_type::full;
  double reg_covar = 1e-6;

  using params_type = gaussian_params;
  using stats_type = gaussian_stats;

  /// Throws `invalid_option` unless `reg_covar` is finite and ≥ 0.
  void validate() const {
    check_option(std::isfinite(reg_covar) && reg_covar >= 0, "gaussian", "reg_covar", reg_covar,
                 "a finite number >= 0 (in the data's units squared)");
  }

  [[nodiscard]] bool diagonal_form() const {
    return covariance == covariance_type::diagonal || covariance == covariance_type::spherical;
  }

  /// log N(x_n | μ, Σ) for each row of X.
  [[nodiscard]] Eigen::VectorXd log_density(const params_type& p, matrix_ref X) const {
    const index D = X.cols();
    const Eigen::MatrixXd Y = X.rowwise() - p.mean.transpose();
    Eigen::VectorXd maha;
    if (p.is_diagonal) {
      maha = (Y.array().rowwise() * p.precision_cholesky.diagonal().transpose().array()).square().rowwise().sum();
    } else {
      // z_n = P (x_n − μ), as one triangular matrix product over the chunk.
      const Eigen::MatrixXd Z = Y * p.precision_cholesky.transpose().triangularView<Eigen::Upper>();
      maha = Z.rowwise().squaredNorm();
    }
    return (-0.5 * (static_cast<double>(D) * log_two_pi + p.log_det_covariance + maha.array())).matrix();
  }

  /// The statistics of one component from a chunk and its weights.
  [[nodiscard]] stats_type accumulate(matrix_ref X, vector_ref w) const {
    stats_type s;
    s.weight = w.sum();
    if (!(s.weight > 0)) return stats_type{};
    s.mean = (X.transpose() * w) / s.weight;
    const Eigen::MatrixXd Y = X.rowwise() - s.mean.transpose();
    s.scatter = scatter_of(Y, w);
    return s;
  }

  /// μ = m, Σ = S / W + reg·I (or its diagonal, or σ² I). A tied covariance needs all
  /// components and is fitted by `maximize_all`; here one component is fitted alone.
  [[nodiscard]] params_type maximize(const stats_type& s) const {
    if (!(s.weight > 0)) throw numerical_error("component has no mass to fit");
    check_scatter_finite(s);
    const index D = s.mean.size();
    if (covariance == covariance_type::diagonal) {
      return params_type::from_variances(s.mean, ((s.scatter / s.weight).col(0).array() + reg_covar).matrix());
    }
    if (covariance == covariance_type::spherical) {
      const double var = s.scatter.sum() / (s.weight * static_cast<double>(D)) + reg_covar;
      return params_type::from_variances(s.mean, Eigen::VectorXd::Constant(D, var));
    }
    // Only the lower triangle is trusted (Cholesky reads it); mirror it so Σ is exactly symmetric.
    Eigen::MatrixXd cov = Eigen::MatrixXd(s.scatter.selfadjointView<Eigen::Lower>()) / s.weight;
    cov.diagonal().array() += reg_covar;
    return params_type::from(s.mean, std::move(cov));
  }

  // ---- optional hooks -------------------------------------------------------------------

  /// Rejects an invalid `reg_covar` at the boundary of a fit or a prediction (every real value
  /// is in the support; NaN and Inf are rejected by the framework).
  void validate_data(matrix_ref) const { validate(); }

  /// Σ_n w_n log N(x_n | μ, Σ) from statistics:
  /// −½ [W (D log 2π + log det Σ) + tr(Σ⁻¹ S) + W (m − μ)ᵀ Σ⁻¹ (m − μ)].
  [[nodiscard]] double expected_log_density(const stats_type& s, const params_type& p) const {
    if (!(s.weight > 0)) return 0.0;
    const double D = static_cast<double>(p.mean.size());
    const Eigen::VectorXd delta = s.mean - p.mean;
    double quad;
    if (p.is_diagonal) {
      const Eigen::ArrayXd prec = p.precision_cholesky.diagonal().array().square();
      const Eigen::ArrayXd sdiag = s.scatter.cols() == 1 ? Eigen::ArrayXd(s.scatter.col(0).array())
                                                         : Eigen::ArrayXd(s.scatter.diagonal().array());
      quad = (prec * (sdiag + s.weight * delta.array().square())).sum();
    } else {
      const Eigen::MatrixXd& P = p.precision_cholesky;
      const Eigen::MatrixXd PS = P.triangularView<Eigen::Lower>() * s.scatter;
      quad = (PS * P.transpose()).trace() + s.weight * (P.triangularView<Eigen::Lower>() * delta).squaredNorm();
    }
    return -0.5 * (s.weight * (D * log_two_pi + p.log_det_covariance) + quad);
  }

  /// How many variances Σ_dd are at most 2·reg_covar, i.e. mostly regularisation: the data's
  /// own spread there is at most reg_covar (a constant column, a component on one point, or
  /// data on a scale below √reg_covar). 0 when reg_covar = 0.
  [[nodiscard]] index floors_applied(const params_type& p) const {
    if (!(reg_covar > 0)) return 0;
    return static_cast<index>((p.covariance.diagonal().array() <= 2.0 * reg_covar).count());
  }

  /// "variance of column(s) 0, 1 at most 2·reg_covar = 2e-06: mostly regularisation ...",
  /// naming every column that `floors_applied` counts.
  [[nodiscard]] std::string floor_description(const params_type& p) const {
    std::string columns;
    for (index d = 0; d < p.covariance.rows(); ++d) {
      if (reg_covar > 0 && p.covariance(d, d) <= 2.0 * reg_covar)
        columns += detail::concat(columns.empty() ? "" : ", ", d);
    }
    char bound[32];
    std::snprintf(bound, sizeof bound, "%.3g", 2.0 * reg_covar);
    return "variance of column(s) " + columns + " at most 2·reg_covar = " + bound +
           ": mostly regularisation (the data's spread there is below reg_covar; for data on a small scale s, "
           "use reg_covar about 1e-6·s²)";
  }

  /// Means K·D, covariances K·D(D+1)/2 (full), K·D (diagonal), K (spherical), D(D+1)/2 (tied).
  [[nodiscard]] std::size_t num_free_parameters(std::span<const params_type> ps) const {
    const std::size_t K = ps.size();
    const std::size_t D = ps.empty() ? 0 : static_cast<std::size_t>(ps.front().mean.size());
    const std::size_t tri = D * (D + 1) / 2;
    switch (covariance) {
      case covariance_type::full:
        return K * D + K * tri;
      case covariance_type::diagonal:
        return 2 * K * D;
      case covariance_type::spherical:
        return K * D + K;
      case covariance_type::tied:
        return K * D + tri;
    }
    return 0;
  }

  /// One draw μ + L z with z ~ N(0, I) (Boost.Random's portable normal distribution).
  [[nodiscard]] Eigen::VectorXd sample(const params_type& p, random_engine& rng) const {
    boost::random::normal_distribution<double> normal;
    Eigen::VectorXd z(p.mean.size());
    for (index d = 0; d < z.size(); ++d) z[d] = normal(rng);
    if (p.is_diagonal) return p.mean + p.covariance.diagonal().cwiseSqrt().cwiseProduct(z);
    const Eigen::MatrixXd L = Eigen::LLT<Eigen::MatrixXd>(p.covariance).matrixL();
    return p.mean + L * z;
  }

  /// out(n, k) = log N(x_n | μ_k, Σ_k) for all components at once, by matrix products on rows
  /// shifted by the chunk mean c. Diagonal and spherical: `scaled_squared_distances`, which
  /// expands ‖x − μ‖²_P = ‖x − c‖²_P − 2 (x − c)·P(μ − c) + ‖μ − c‖²_P and recomputes directly the
  /// entries whose rounding-error bound that expansion cannot meet. Full and tied: one matrix
  /// product of the chunk with all K precision factors, z = P(x − c) − P(μ − c), with the same
  /// guard (see `mahalanobis_all`).
  void log_density_all(std::span<const params_type> ps, matrix_ref X, matrix_out out) const {
    const index K = static_cast<index>(ps.size());
    const index D = X.cols();
    if (diagonal_form()) {
      Eigen::MatrixXd means(D, K), prec(D, K);
      for (index k = 0; k < K; ++k) {
        means.col(k) = ps[k].mean;
        prec.col(k) = ps[k].precision_cholesky.diagonal().array().square().matrix();
      }
      scaled_squared_distances(X, means, prec, out);
    } else {
      mahalanobis_all(ps, X, out);
    }
    for (index k = 0; k < K; ++k) out.col(k).array() += static_cast<double>(D) * log_two_pi + ps[k].log_det_covariance;
    out *= -0.5;
  }

  /// stats[k] += the statistics of the chunk under weights W(·, k), for all k. Fast path: the
  /// rows shifted by the chunk mean c, one matrix product Wᵀ(X − c) for all the means, and each
  /// scatter from the deviations about its mean. Where `shifted_statistics_accurate` says the
  /// shift cost precision (clusters far apart, an outlier pulling c, a weight-0 row that
  /// overflows), that component is recomputed from its own rows of positive weight
  /// (`deviations_from_mean`), so that nothing depends on where the chunk's mean fell.
  void accumulate_all(matrix_ref X, matrix_ref W, std::span<stats_type> stats) const {
    if (X.rows() == 0) return;
    const Eigen::RowVectorXd shift = column_mean(X);
    const Eigen::MatrixXd Xs = X.rowwise() - shift;
    const Eigen::RowVectorXd spread = Xs.cwiseAbs().colwise().maxCoeff();
    const Eigen::MatrixXd sums = W.transpose() * Xs;  // K×D: Σ_n W_nk (x_n − c)
    const Eigen::RowVectorXd mass = W.colwise().sum();
    for (index k = 0; k < W.cols(); ++k) {
      if (!(mass[k] > 0)) continue;
      stats_type s;
      s.weight = mass[k];
      const Eigen::RowVectorXd m = sums.row(k) / mass[k];
      s.mean = (shift + m).transpose();
      s.scatter = scatter_of(Xs.rowwise() - m, W.col(k));
      const Eigen::ArrayXd diagonal =
          diagonal_form() ? Eigen::ArrayXd(s.scatter.col(0).array()) : Eigen::ArrayXd(s.scatter.diagonal().array());
      if (!shifted_statistics_accurate(spread, diagonal, mass[k])) {
        // The first estimate unshifted (accurate to ε·|x|; c may have been pulled far away).
        const Eigen::RowVectorXd first = (W.col(k).transpose() * X) / mass[k];
        const weighted_deviations d = deviations_from_mean(X, W.col(k), mass[k], first);
        s.mean = d.mean.transpose();
        s.scatter = scatter_of(d.deviations, d.weights);
        // The scatter about m = m̂ + c from deviations about m̂: subtract W c cᵀ (c is ~ε·|x|).
        if (diagonal_form()) {
          s.scatter.col(0) = (s.scatter.col(0) - mass[k] * d.correction.transpose().cwiseAbs2()).cwiseMax(0.0);
        } else {
          s.scatter -= mass[k] * d.correction.transpose() * d.correction;
        }
      }
      stats[k] += s;
    }
  }

  /// All components at once; a tied covariance pools the scatters: Σ = Σ_k S_k / Σ_k W_k + reg·I.
  [[nodiscard]] std::vector<params_type> maximize_all(std::span<const stats_type> stats) const {
    std::vector<params_type> out;
    out.reserve(stats.size());
    if (covariance == covariance_type::tied) {
      Eigen::MatrixXd pooled = Eigen::MatrixXd::Zero(stats.front().mean.size(), stats.front().mean.size());
      double total = 0.0;
      for (std::size_t k = 0; k < stats.size(); ++k) {
        const stats_type& s = stats[k];
        if (!(s.weight > 0)) continue;
        try {
          check_scatter_finite(s);
        } catch (const numerical_error& e) {
          throw numerical_error(detail::concat("component ", k, ": ", e.what()));
        }
        pooled += s.scatter;
        total += s.weight;
      }
      pooled = Eigen::MatrixXd(pooled.selfadjointView<Eigen::Lower>()) / total;
      pooled.diagonal().array() += reg_covar;
      params_type shared;
      try {
        shared = params_type::from(Eigen::VectorXd::Zero(pooled.rows()), pooled);
      } catch (const numerical_error& e) {
        throw numerical_error(detail::concat("tied covariance: ", e.what()));
      }
      for (const stats_type& s : stats) {
        params_type p = shared;
        p.mean = s.mean;
        out.push_back(std::move(p));
      }
      return out;
    }
    for (std::size_t k = 0; k < stats.size(); ++k) {
      try {
        out.push_back(maximize(stats[k]));
      } catch (const numerical_error& e) {
        throw numerical_error(detail::concat("component ", k, ": ", e.what()));
      }
    }
    return out;
  }

 private:
  static constexpr double log_two_pi = 1.8378770664093454835606594728112;  // log(2π)

  /// Throws `numerical_error` naming the column when a scatter overflowed: the data's squared
  /// spread exceeds double precision (about 1.8e308), which no regularisation can repair.
  static void check_scatter_finite(const stats_type& s) {
    if (s.scatter.allFinite()) return;
    const index D = s.mean.size();
    index column = 0;
    for (index d = D - 1; d >= 0; --d) {
      const double v = s.scatter.cols() == 1 ? s.scatter(d, 0) : s.scatter(d, d);
      if (!std::isfinite(v)) column = d;
    }
    throw numerical_error(detail::concat(
        "the scatter of column ", column, " overflows double precision (sum of squared deviations from the mean ",
        s.mean[column], " is not finite): the data's scale is too large; rescale the data"));
  }

  /// z_nk = P_k (x_n − μ_k) for all components by one matrix product, Z = (X − c)[P_1ᵀ … P_Kᵀ],
  /// then z_nk = Z_k(n) − P_k(μ_k − c), and out(n, k) = ‖z_nk‖². The subtraction loses about
  /// ε·(‖P(x − c)‖ + ‖P(μ − c)‖) in each z; where the resulting bound on ‖z‖² exceeds 2⁻⁴⁰ of
  /// max(‖z‖², 1), the entry is recomputed directly from x − μ_k.
  void mahalanobis_all(std::span<const params_type> ps, matrix_ref X, matrix_out out) const {
    const index K = static_cast<index>(ps.size());
    const index D = X.cols();
    const Eigen::RowVectorXd shift = column_mean(X);
    const Eigen::MatrixXd Xs = X.rowwise() - shift;
    Eigen::MatrixXd factors(D, K * D);
    for (index k = 0; k < K; ++k) factors.middleCols(k * D, D) = ps[k].precision_cholesky.transpose();
    const Eigen::MatrixXd Z = Xs * factors;
    const double ulps = detail::expansion_ulps * std::numeric_limits<double>::epsilon();
    for (index k = 0; k < K; ++k) {
      const auto factor = factors.middleCols(k * D, D);
      const auto Zk = Z.middleCols(k * D, D);
      const Eigen::RowVectorXd centre = (ps[k].mean - shift.transpose()).transpose() * factor;
      // Column by column (the block is column-major), so that every step runs vectorised.
      Eigen::ArrayXd q = Eigen::ArrayXd::Zero(X.rows());
      Eigen::ArrayXd z2 = Eigen::ArrayXd::Zero(X.rows());
      for (index d = 0; d < D; ++d) {
        const auto z = Zk.col(d).array();
        q += (z - centre[d]).square();
        z2 += z.square();
      }
      out.col(k) = q.matrix();
      const Eigen::ArrayXd e = ulps * (z2.sqrt() + centre.norm());
      const Eigen::ArrayXd bound = e * (2.0 * q.sqrt() + e);
      if (all_finite(q) && all_less_equal(bound, detail::expansion_tolerance * q.max(1.0))) continue;
      for (index n = 0; n < X.rows(); ++n) {
        if (detail::expansion_inaccurate(bound[n], q[n], 1.0))
          out(n, k) = ((X.row(n) - ps[k].mean.transpose()) * factor).squaredNorm();
      }
    }
  }

  /// Σ_n w_n y_n y_nᵀ (full and tied) or its diagonal (diagonal and spherical) for centred rows Y.
  [[nodiscard]] Eigen::MatrixXd scatter_of(const Eigen::MatrixXd& Y, vector_ref w) const {
    if (diagonal_form()) return Y.array().square().matrix().transpose() * w;
    const Eigen::MatrixXd Yw = Y.array().colwise() * w.array();
    return Yw.transpose() * Y;
  }
};

}  // namespace emkit

// The statistics as a Hana Struct, so that processes exchange them (execution/flatten.hpp).
BOOST_HANA_ADAPT_STRUCT(emkit::gaussian_stats, weight, mean, scatter);
