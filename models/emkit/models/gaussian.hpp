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
#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <boost/hana/adapt_struct.hpp>

#include <emkit/framework/error.hpp>
#include <emkit/framework/numeric/random.hpp>
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
  static gaussian_params from(Eigen::VectorXd mean, Eigen::MatrixXd covariance);

  /// Builds the parameters from μ and the variances of a diagonal Σ. Throws
  /// `numerical_error` when a variance is not positive and finite.
  static gaussian_params from_variances(Eigen::VectorXd mean, const Eigen::VectorXd& variances);
};

/// Weighted sufficient statistics of one component: W = Σ w_n, the weighted mean m, and the
/// scatter S = Σ w_n (x_n − m)(x_n − m)ᵀ (only its diagonal, as a D×1 column, for the
/// diagonal and spherical types). Merged exactly by Chan, Golub and LeVeque's formula.
struct gaussian_stats {
  double weight = 0.0;
  Eigen::VectorXd mean;
  Eigen::MatrixXd scatter;

  gaussian_stats& operator+=(const gaussian_stats& o);

  /// The statistics of the same rows with every weight multiplied by a ≥ 0: W and S scale,
  /// the mean is a ratio and stays (so a = 0 leaves the identity's weight, 0).
  gaussian_stats& operator*=(double a);
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
  [[nodiscard]] Eigen::VectorXd log_density(const params_type& p, matrix_ref X) const;

  /// The statistics of one component from a chunk and its weights.
  [[nodiscard]] stats_type accumulate(matrix_ref X, vector_ref w) const;

  /// μ = m, Σ = S / W + reg·I (or its diagonal, or σ² I). A tied covariance needs all
  /// components and is fitted by `maximize_all`; here one component is fitted alone.
  [[nodiscard]] params_type maximize(const stats_type& s) const;

  // ---- optional hooks -------------------------------------------------------------------

  /// Rejects an invalid `reg_covar` at the boundary of a fit or a prediction (every real value
  /// is in the support; NaN and Inf are rejected by the framework).
  void validate_data(matrix_ref) const { validate(); }

  /// Σ_n w_n log N(x_n | μ, Σ) from statistics:
  /// −½ [W (D log 2π + log det Σ) + tr(Σ⁻¹ S) + W (m − μ)ᵀ Σ⁻¹ (m − μ)].
  [[nodiscard]] double expected_log_density(const stats_type& s, const params_type& p) const;

  /// How many variances Σ_dd are at most 2·reg_covar, i.e. mostly regularisation: the data's
  /// own spread there is at most reg_covar (a constant column, a component on one point, or
  /// data on a scale below √reg_covar). 0 when reg_covar = 0.
  [[nodiscard]] index floors_applied(const params_type& p) const;

  /// "variance of column(s) 0, 1 at most 2·reg_covar = 2e-06: mostly regularisation ...",
  /// naming every column that `floors_applied` counts.
  [[nodiscard]] std::string floor_description(const params_type& p) const;

  /// Means K·D, covariances K·D(D+1)/2 (full), K·D (diagonal), K (spherical), D(D+1)/2 (tied).
  [[nodiscard]] std::size_t num_free_parameters(std::span<const params_type> ps) const;

  /// One draw μ + L z with z ~ N(0, I) (Boost.Random's portable normal distribution).
  [[nodiscard]] Eigen::VectorXd sample(const params_type& p, random_engine& rng) const;

  /// out(n, k) = log N(x_n | μ_k, Σ_k) for all components at once, by matrix products on rows
  /// shifted by the chunk mean c. Diagonal and spherical: `scaled_squared_distances`, which
  /// expands ‖x − μ‖²_P = ‖x − c‖²_P − 2 (x − c)·P(μ − c) + ‖μ − c‖²_P and recomputes directly the
  /// entries whose rounding-error bound that expansion cannot meet. Full and tied: one matrix
  /// product of the chunk with all K precision factors, z = P(x − c) − P(μ − c), with the same
  /// guard (see `mahalanobis_all`).
  void log_density_all(std::span<const params_type> ps, matrix_ref X, matrix_out out) const;

  /// stats[k] += the statistics of the chunk under weights W(·, k), for all k. Fast path: the
  /// rows shifted by the chunk mean c, one matrix product Wᵀ(X − c) for all the means, and each
  /// scatter from the deviations about its mean. Where `shifted_statistics_accurate` says the
  /// shift cost precision (clusters far apart, an outlier pulling c, a weight-0 row that
  /// overflows), that component is recomputed from its own rows of positive weight
  /// (`deviations_from_mean`), so that nothing depends on where the chunk's mean fell.
  void accumulate_all(matrix_ref X, matrix_ref W, std::span<stats_type> stats) const;

  /// All components at once; a tied covariance pools the scatters: Σ = Σ_k S_k / Σ_k W_k + reg·I.
  [[nodiscard]] std::vector<params_type> maximize_all(std::span<const stats_type> stats) const;

 private:
  static constexpr double log_two_pi = 1.8378770664093454835606594728112;  // log(2π)

  /// Throws `numerical_error` naming the column when a scatter overflowed: the data's squared
  /// spread exceeds double precision (about 1.8e308), which no regularisation can repair.
  static void check_scatter_finite(const stats_type& s);

  /// z_nk = P_k (x_n − μ_k) for all components by one matrix product, Z = (X − c)[P_1ᵀ … P_Kᵀ],
  /// then z_nk = Z_k(n) − P_k(μ_k − c), and out(n, k) = ‖z_nk‖². The subtraction loses about
  /// ε·(‖P(x − c)‖ + ‖P(μ − c)‖) in each z; where the resulting bound on ‖z‖² exceeds 2⁻⁴⁰ of
  /// max(‖z‖², 1), the entry is recomputed directly from x − μ_k.
  void mahalanobis_all(std::span<const params_type> ps, matrix_ref X, matrix_out out) const;

  /// Σ_n w_n y_n y_nᵀ (full and tied) or its diagonal (diagonal and spherical) for centred rows Y.
  [[nodiscard]] Eigen::MatrixXd scatter_of(const Eigen::MatrixXd& Y, vector_ref w) const;
};

}  // namespace emkit

// The statistics as a Hana Struct, so that processes exchange them (execution/flatten.hpp).
BOOST_HANA_ADAPT_STRUCT(emkit::gaussian_stats, weight, mean, scatter);
