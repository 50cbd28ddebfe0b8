#pragma once
/// \file
/// K-means as a configuration of the EM engine, not a second algorithm: hard E-step, a
/// spherical Gaussian component N(μ_k, σ²I) whose variance σ² is fixed and shared, and fixed
/// equal weights 1/K.
///
/// With those three choices the classification log-likelihood that hard EM maximises is
///
///     objective = Σ_n w_n [log(1/K) − (D/2) log(2πσ²) − ‖x_n − μ_ẑn‖² / (2σ²)],
///
/// an affine, decreasing function of the inertia J = Σ_n w_n min_k ‖x_n − μ_k‖². The hard
/// E-step assigns each row to its nearest centre (ties to the lowest index) and the M-step
/// moves each centre to the weighted mean of its rows: exactly Lloyd's algorithm, whatever σ².
/// The same family under the soft E-step is EM for an isotropic mixture with known variance,
/// which tends to K-means as σ → 0.
///
///     auto model = emkit::kmeans_model();
///     emkit::kmeans_fitter<> f;
///     f.options.restarts = 10;
///     auto [theta, summary] = f.fit(model, X, 3);
///     double J = emkit::inertia(theta, X);
///
/// Empty clusters follow the mixture's named `empty_component_policy`, unchanged: `reseed`
/// (the default) moves the centre to the one-component fit of all the data, the weighted
/// mean of all rows, and records a `component_reseeded` warning; `raise` throws
/// `numerical_error`. (scikit-learn instead moves it to a far point; emkit keeps one rule
/// for every family.)

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numbers>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <boost/hana/adapt_struct.hpp>
#include <boost/random/normal_distribution.hpp>

#include <emkit/framework/engine/check_data.hpp>
#include <emkit/framework/engine/fitter.hpp>
#include <emkit/framework/error.hpp>
#include <emkit/framework/estep/hard_estep.hpp>
#include <emkit/framework/execution/serial.hpp>
#include <emkit/framework/init/policies.hpp>
#include <emkit/framework/numeric/column_mean.hpp>
#include <emkit/framework/numeric/compensated_sum.hpp>
#include <emkit/framework/numeric/random.hpp>
#include <emkit/framework/numeric/squared_distances.hpp>
#include <emkit/framework/numeric/sums_by_label.hpp>
#include <emkit/framework/numeric/weighted_deviations.hpp>
#include <emkit/framework/types.hpp>
#include <emkit/models/mixture.hpp>

namespace emkit {

/// One component of a fixed-variance spherical Gaussian: its mean only (σ² belongs to the family).
struct fixed_spherical_gaussian_params {
  Eigen::VectorXd mean;  ///< μ (D)
};

/// Weighted statistics of one component: W = Σ w_n, the weighted mean m, and the scalar
/// scatter S = Σ w_n ‖x_n − m‖². Merged exactly by Chan, Golub and LeVeque's formula; a
/// value-initialised object (W = 0) is the identity.
struct fixed_spherical_gaussian_stats {
  double weight = 0.0;
  Eigen::VectorXd mean;
  double scatter = 0.0;

  fixed_spherical_gaussian_stats& operator+=(const fixed_spherical_gaussian_stats& o);

  /// The statistics of the same rows with every weight multiplied by a ≥ 0: W and S scale,
  /// the mean stays.
  fixed_spherical_gaussian_stats& operator*=(double a);
};

/// The spherical Gaussian N(μ, σ²I) with σ² = `variance` fixed, not estimated: only the means
/// are fitted, μ = the weighted mean of the component's rows. Under `hard_estep` with fixed
/// uniform weights this is K-means (`kmeans_model`).
struct fixed_spherical_gaussian {
  double variance = 1.0;  ///< σ², shared by all components; finite and > 0

  using params_type = fixed_spherical_gaussian_params;
  using stats_type = fixed_spherical_gaussian_stats;

  /// Throws `invalid_option` unless σ² is finite and positive.
  void validate() const {
    check_option(std::isfinite(variance) && variance > 0, "fixed_spherical_gaussian", "variance", variance,
                 "a finite number > 0");
  }

  /// log N(x_n | μ, σ²I) = −½ (D log 2πσ² + ‖x_n − μ‖² / σ²) for each row of X.
  [[nodiscard]] Eigen::VectorXd log_density(const params_type& p, matrix_ref X) const;

  /// The statistics of one component from a chunk and its weights (scatter about the chunk's
  /// own weighted mean, so data far from the origin loses no precision).
  [[nodiscard]] stats_type accumulate(matrix_ref X, vector_ref w) const;

  /// μ = m. Throws `numerical_error` for a component without mass (the mixture re-seeds such
  /// a component before it gets here, unless its policy is `raise`).
  [[nodiscard]] params_type maximize(const stats_type& s) const;

  // ---- optional hooks -------------------------------------------------------------------

  /// Rejects an invalid σ² at the boundary of a fit or a prediction (every real value is in
  /// the support; NaN and Inf are rejected by the framework).
  void validate_data(matrix_ref) const { validate(); }

  /// Σ_n w_n log N(x_n | μ, σ²I) from statistics: −½ [W D log 2πσ² + (S + W ‖m − μ‖²) / σ²].
  [[nodiscard]] double expected_log_density(const stats_type& s, const params_type& p) const;

  /// K·D: the means only (σ² is fixed).
  [[nodiscard]] std::size_t num_free_parameters(std::span<const params_type> ps) const {
    return ps.empty() ? 0 : ps.size() * static_cast<std::size_t>(ps.front().mean.size());
  }

  /// One draw μ + σ z with z ~ N(0, I) (Boost.Random's portable normal distribution).
  [[nodiscard]] Eigen::VectorXd sample(const params_type& p, random_engine& rng) const;

  /// out(n, k) = ‖x_n − μ_k‖² for all components, by one matrix product per chunk:
  /// ‖x − c‖² − 2 (x − c)·(μ − c) + ‖μ − c‖² about the chunk's mean row c, with the entries whose
  /// rounding-error bound that expansion cannot meet (clusters far apart, an outlier pulling c)
  /// recomputed directly (`scaled_squared_distances`).
  void squared_distances_all(std::span<const params_type> ps, matrix_ref X, matrix_out out) const;

  /// out(n, k) = log N(x_n | μ_k, σ²I) for all components: `squared_distances_all`, scaled.
  void log_density_all(std::span<const params_type> ps, matrix_ref X, matrix_out out) const;

  /// stats[k] += the statistics of the chunk under weights W(·, k), for all k: rows shifted by
  /// the chunk mean c, in one pass per column that also collects each row's ‖x − c‖² and each
  /// column's spread, then one product Wᵀ[X − c, ‖x − c‖²] (`add_shifted_statistics` turns
  /// those sums into statistics, with their accuracy checks).
  void accumulate_all(matrix_ref X, matrix_ref W, std::span<stats_type> stats) const;

  /// stats[k] += the statistics of the rows labelled k (the hard E-step's assignment under the
  /// components `ps`), each weighted by w_n: as `accumulate_all` with a one-hot W, but with the
  /// moments grouped by label (`sums_by_label`, O(N·D)) instead of the product with W, and each
  /// label's rows shifted by their own centre μ_k (the component's previous mean: the rows assigned
  /// to μ_k are the ones nearest it, so the deviations are small, and no pass finds a chunk mean).
  void accumulate_labels(std::span<const params_type> ps, matrix_ref X, vector_ref w, std::span<const index> labels,
                         std::span<stats_type> stats) const {
    if (X.rows() == 0) return;
    const index N = X.rows(), D = X.cols(), K = static_cast<index>(stats.size());
    Eigen::MatrixXd centres(D, K);
    for (index k = 0; k < K; ++k) centres.col(k) = ps[static_cast<std::size_t>(k)].mean;
    const label_sums by_label = sums_by_label(X, centres, w, labels);
    Eigen::MatrixXd sums(K, D + 1);
    sums << by_label.first, by_label.second.rowwise().sum();
    auto weights_of = [&](index k) {
      Eigen::VectorXd wk = Eigen::VectorXd::Zero(N);
      for (index n = 0; n < N; ++n)
        if (labels[static_cast<std::size_t>(n)] == k) wk[n] = w[n];
      return wk;
    };
    // The error of Σ_n w_n (x_nd − μ_kd) is about 8ε Σ_n w_n |x_nd − μ_kd| ≤ 8ε √(W Σ_n w_n ‖x_n − μ_k‖²)
    // (Cauchy–Schwarz): the root mean square deviation stands for the spread.
    add_shifted_statistics(
        X, [&](index k) { return centres.col(k).transpose(); },
        [&](index k) { return std::sqrt(sums(k, D) / by_label.weight[k]); }, sums, by_label.weight.transpose(),
        weights_of, stats);
  }

 private:
  /// stats[k] += the statistics of a chunk from its sums about a shift c_k = `shift_of(k)`:
  /// sums(k, 0…D−1) = Σ_n W_nk (x_n − c_k), sums(k, D) = Σ_n W_nk ‖x_n − c_k‖², mass[k] = Σ_n W_nk,
  /// and `spread_of(k)` the size of the deviations x_nd − c_kd whose rounding the sums carry. The
  /// mean is c_k + those sums over the mass, and the scatter Σ_n W_nk ‖x̃_n‖² − W_k ‖m̃_k‖² (used
  /// only for Q: the M-step needs the means). Where that expansion or the shifted mean cannot be
  /// trusted (`shifted_statistics_accurate` on the mean; the scatter's own cancellation bound),
  /// the component is recomputed from its own rows of positive weight (`deviations_from_mean`)
  /// with the weights `weights_of(k)` = W(·, k); under the hard E-step each row enters one
  /// component only, so that pass costs O(N·D) for each component recomputed.
  template <class ShiftOf, class SpreadOf, class WeightsOf>
  void add_shifted_statistics(matrix_ref X, ShiftOf&& shift_of, SpreadOf&& spread_of, const Eigen::MatrixXd& sums,
                              const Eigen::RowVectorXd& mass, WeightsOf&& weights_of,
                              std::span<stats_type> stats) const {
    const index D = X.cols();
    const double ulps = 8.0 * std::numeric_limits<double>::epsilon();
    for (index k = 0; k < sums.rows(); ++k) {
      if (!(mass[k] > 0)) continue;
      stats_type s;
      s.weight = mass[k];
      s.mean = (shift_of(k) + sums.row(k).head(D) / mass[k]).transpose();
      s.scatter = sums(k, D) - mass[k] * (sums.row(k).head(D) / mass[k]).squaredNorm();
      const bool accurate = ulps * sums(k, D) <= 0x1p-40 * s.scatter &&
                            shifted_statistics_accurate(spread_of(k), s.scatter / static_cast<double>(D), mass[k]);
      if (!accurate) {
        // The first estimate unshifted (accurate to ε·|x|; the shift may be far from the rows).
        const Eigen::VectorXd wk = weights_of(k);
        const Eigen::RowVectorXd first = (wk.transpose() * X) / mass[k];
        const weighted_deviations d = deviations_from_mean(X, wk, mass[k], first);
        s.mean = d.mean.transpose();
        s.scatter = (d.weights.transpose() * d.deviations.cwiseAbs2()).sum() - mass[k] * d.correction.squaredNorm();
      }
      s.scatter = std::max(0.0, s.scatter);
      stats[static_cast<std::size_t>(k)] += s;
    }
  }

  /// D log 2πσ².
  [[nodiscard]] double log_normaliser(index D) const {
    return static_cast<double>(D) * std::log(2.0 * std::numbers::pi * variance);
  }
};

/// The K-means model: `fixed_spherical_gaussian` components with fixed equal weights 1/K.
/// σ² does not change the assignments or the centres under the hard E-step, only the scale of
/// the objective; keep the default 1 unless comparing with soft EM at a given σ. Throws
/// `invalid_option` for σ² not finite and positive.
[[nodiscard]] inline mixture<fixed_spherical_gaussian> kmeans_model(
    double variance = 1.0, empty_component_policy empty = empty_component_policy::reseed) {
  const fixed_spherical_gaussian family{.variance = variance};
  family.validate();
  return {.family = family, .weights = mixture_weights::fixed_uniform, .empty_components = empty};
}

/// A K-means fitter: hard E-step, k-means++ initialisation by default (`given_means` and the
/// other policies plug in the same way), any execution policy.
///
///     emkit::kmeans_fitter<> f;                                          // k-means++, serial
///     emkit::kmeans_fitter<emkit::given_means, emkit::threads> g;       // given centres, threads
template <InitPolicy I = kmeans_plus_plus, ExecutionPolicy X = serial>
using kmeans_fitter = fitter<hard_estep, I, X>;

/// The K×D matrix of centres μ_k (one row each) of fitted K-means parameters.
[[nodiscard]] inline Eigen::MatrixXd centers(const mixture_params<fixed_spherical_gaussian_params>& theta) {
  Eigen::MatrixXd C(theta.size(), theta.dimension);
  for (index k = 0; k < theta.size(); ++k) C.row(k) = theta.components[static_cast<std::size_t>(k)].mean.transpose();
  return C;
}

namespace detail {
/// total += Σ_n w_n ‖x_n − μ_k̂‖² over the rows of one chunk, k̂ the nearest centre by the batched
/// distances (ties to the lowest index, as the hard E-step) and its distance then recomputed
/// directly, so that the value is exact to rounding even far from the origin; rows of weight 0
/// are skipped. `D2` is scratch for the chunk's distances. One chunk of `inertia`, and of the
/// command line's inertia of a streamed file.
inline void add_chunk_inertia(std::span<const fixed_spherical_gaussian_params> ps, matrix_ref X, vector_ref w,
                              Eigen::MatrixXd& D2, compensated_sum& total) {
  const fixed_spherical_gaussian family{};
  D2.resize(X.rows(), static_cast<index>(ps.size()));
  family.squared_distances_all(ps, X, D2);
  for (index n = 0; n < X.rows(); ++n) {
    if (w[n] == 0.0) continue;
    index best = 0;
    for (index k = 1; k < D2.cols(); ++k)
      if (D2(n, k) < D2(n, best)) best = k;
    const double d2 = (X.row(n).transpose() - ps[static_cast<std::size_t>(best)].mean).squaredNorm();
    total += w[n] * d2;
  }
}
}  // namespace detail

/// The weighted inertia J = Σ_n w_n min_k ‖x_n − μ_k‖², from the data: a pass in chunks where
/// the nearest centre is found with the batched distances (one matrix product per chunk, ties
/// to the lowest index, as the hard E-step) and its distance is then recomputed directly as
/// ‖x_n − μ_k‖², so the value is exact to rounding even far from the origin; summed with
/// compensation. Throws `data_error`/`shape_error` for bad data or weights.
[[nodiscard]] inline double inertia(const mixture_params<fixed_spherical_gaussian_params>& theta, matrix_ref X,
                                    vector_ref w) {
  check_data(X, "inertia");
  check_weights(w, X.rows(), "inertia");
  check_shape(X.cols() == theta.dimension, "inertia", "X.cols()", X.cols(),
              "the model's dimension " + std::to_string(theta.dimension));
  check_option(theta.size() >= 1, "inertia", "number of centres", theta.size(), ">= 1");
  constexpr index chunk = 256;
  const std::span<const fixed_spherical_gaussian_params> ps(theta.components);
  compensated_sum total;
  Eigen::MatrixXd D2;
  for (index begin = 0; begin < X.rows(); begin += chunk) {
    const index rows = std::min(chunk, X.rows() - begin);
    detail::add_chunk_inertia(ps, X.middleRows(begin, rows), w.segment(begin, rows), D2, total);
  }
  return total.value();
}

/// The inertia J = Σ_n min_k ‖x_n − μ_k‖² of unweighted data (see the weighted overload).
[[nodiscard]] inline double inertia(const mixture_params<fixed_spherical_gaussian_params>& theta, matrix_ref X) {
  return inertia(theta, X, Eigen::VectorXd::Ones(X.rows()));
}

/// The inertia implied by a hard-EM objective of `model` (a `summary::objective` or a trace
/// record's `objective`) over data of total weight W:
///
///     J = −2σ² (objective − W log(1/K) + W (D/2) log 2πσ²).
///
/// No pass over the data, but not exact: the constants are subtracted from the objective, so
/// the absolute error is about ε·2σ²·(|objective| + W·|log K| + W·(D/2)·|log 2πσ²|); use
/// `inertia(θ, X)` for the exact value. Throws `invalid_option` unless the model's weights are
/// `fixed_uniform` (with learned weights the objective mixes in Σ N_k log π_k).
[[nodiscard]] inline double inertia_from_objective(const mixture<fixed_spherical_gaussian>& model, double objective,
                                                   double total_weight, index K, index D) {
  model.family.validate();
  check_option(model.weights == mixture_weights::fixed_uniform, "inertia_from_objective", "model.weights", "learned",
               "fixed_uniform (a K-means model)");
  check_option(K >= 1, "inertia_from_objective", "K", K, ">= 1");
  check_option(D >= 1, "inertia_from_objective", "D", D, ">= 1");
  const double s2 = model.family.variance;
  const double constant = total_weight * (-std::log(static_cast<double>(K)) -
                                          0.5 * static_cast<double>(D) * std::log(2.0 * std::numbers::pi * s2));
  return -2.0 * s2 * (objective - constant);
}

/// The inertia of a K-means fit from its summary (`inertia_from_objective` with the summary's
/// objective and total weight, and θ's K and D).
[[nodiscard]] inline double inertia_from_objective(const mixture<fixed_spherical_gaussian>& model,
                                                   const mixture_params<fixed_spherical_gaussian_params>& theta,
                                                   const summary& s) {
  return inertia_from_objective(model, s.objective, s.total_weight, theta.size(), theta.dimension);
}

}  // namespace emkit

// The statistics as a Hana Struct, so that processes exchange them (execution/flatten.hpp).
BOOST_HANA_ADAPT_STRUCT(emkit::fixed_spherical_gaussian_stats, weight, mean, scatter);
