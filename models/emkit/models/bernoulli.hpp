#pragma once
/// \file
/// The Bernoulli component family: D independent binary features per component.
///
/// Written as a user would write a family, from public framework headers only. A component
/// has probabilities p (D) and
///
///     log f(x | p) = Σ_d [x_d log p_d + (1 − x_d) log(1 − p_d)]
///                  = x · (log p − log(1 − p)) + Σ_d log(1 − p_d).
///
/// The parameters keep log p and log(1 − p), computed once per M-step, so a chunk of all K
/// components costs one matrix product X · A (A = the log-odds, D×K) plus a row of
/// constants. Probabilities are held in [probability_floor, 1 − probability_floor], so log 0
/// never appears; a floored probability is reported as a `floor_applied` warning by the mixture.

#include <cmath>
#include <cstddef>
#include <span>
#include <utility>

#include <Eigen/Core>
#include <boost/hana/adapt_struct.hpp>
#include <boost/random/bernoulli_distribution.hpp>

#include <emkit/framework/error.hpp>
#include <emkit/framework/numeric/random.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

/// One Bernoulli component: its probabilities and their logarithms.
struct bernoulli_params {
  Eigen::VectorXd probabilities;      ///< p (D), each in (0, 1)
  Eigen::VectorXd log_probabilities;  ///< log p (D)
  Eigen::VectorXd log_complements;    ///< log(1 − p) (D), by log1p so that small p loses nothing

  /// Builds the parameters from the probabilities, computing their logarithms. Throws
  /// `invalid_option` when a probability is not strictly between 0 and 1 (log 0 would make
  /// 0 · log p a NaN).
  static bernoulli_params from(Eigen::VectorXd probabilities);
};

/// Weighted sufficient statistics of one component: W = Σ w_n and S = Σ w_n x_n (D).
/// Merged by adding each field.
struct bernoulli_stats {
  double weight = 0.0;
  Eigen::VectorXd ones;  ///< S = Σ_n w_n x_n, the weighted count of ones (empty in the identity)

  /// Adds the statistics of other rows; the empty (value-initialised) statistics are the identity.
  bernoulli_stats& operator+=(const bernoulli_stats& o);

  /// The statistics of the same rows with every weight multiplied by a ≥ 0.
  bernoulli_stats& operator*=(double a);
};

/// The Bernoulli family. Data are 0 or 1 (`validate_data` rejects anything else).
/// `probability_floor` keeps every fitted probability in [floor, 1 − floor]: a feature that
/// is all 0 (or all 1) in a component would otherwise give p = 0 (or 1), log 0 = −∞, and a
/// NaN at 0 · log 0. The M-step is then the maximiser of Q over that interval (Q is concave
/// in each p_d), so the EM identities the monitor checks still hold.
struct bernoulli {
  double probability_floor = 1e-10;  ///< the M-step keeps p in [floor, 1 − floor]; in (0, 0.5)

  using params_type = bernoulli_params;
  using stats_type = bernoulli_stats;

  /// Throws `invalid_option` unless 0 < `probability_floor` < 0.5.
  void validate() const {
    check_option(probability_floor > 0 && probability_floor < 0.5, "bernoulli", "probability_floor", probability_floor,
                 "a number in (0, 0.5)");
  }

  /// log f(x_n | p) = x_n · log p + (1 − x_n) · log(1 − p) for each row of X.
  [[nodiscard]] Eigen::VectorXd log_density(const params_type& p, matrix_ref X) const {
    return X * p.log_probabilities + (1.0 - X.array()).matrix() * p.log_complements;
  }

  /// The statistics of one component from a chunk and its weights.
  [[nodiscard]] stats_type accumulate(matrix_ref X, vector_ref w) const { return {w.sum(), X.transpose() * w}; }

  /// p_d = S_d / W, clamped to [probability_floor, 1 − probability_floor]. Throws
  /// `numerical_error` when W is not positive, `invalid_option` when the floor is invalid.
  [[nodiscard]] params_type maximize(const stats_type& s) const;

  // ---- optional hooks -------------------------------------------------------------------

  /// Rejects any value other than 0 or 1: throws `data_error` naming the first offending
  /// entry's row and column (0-based) and its value. Also validates the options.
  void validate_data(matrix_ref X) const {
    validate();
    for (index n = 0; n < X.rows(); ++n) {  // row by row: the earliest bad row is reported
      for (index j = 0; j < X.cols(); ++j) {
        const double x = X(n, j);
        if (x != 0.0 && x != 1.0) {
          throw data_error("bernoulli", {n, j, x}, "0 or 1");
        }
      }
    }
  }

  /// out(n, k) = log f(x_n | p_k) for all components: the matrix product X · A with
  /// A(·, k) = log p_k − log(1 − p_k), plus the row of constants Σ_d log(1 − p_kd).
  void log_density_all(std::span<const params_type> ps, matrix_ref X, matrix_out out) const;

  /// stats[k] += the statistics of the chunk under weights W(·, k), for all k: S = Wᵀ X as
  /// one matrix product.
  void accumulate_all(matrix_ref X, matrix_ref W, std::span<stats_type> stats) const;

  /// Σ_n w_n log f(x_n | p) from statistics: S · log p + (W − S) · log(1 − p).
  [[nodiscard]] double expected_log_density(const stats_type& s, const params_type& p) const;

  /// K·D probabilities.
  [[nodiscard]] std::size_t num_free_parameters(std::span<const params_type> ps) const;

  /// How many probabilities are at (or beyond) the floor, p ≤ floor or p ≥ 1 − floor.
  [[nodiscard]] index floors_applied(const params_type& p) const;

  /// One draw: x_d ~ Bernoulli(p_d) independently (Boost.Random's portable distribution).
  [[nodiscard]] Eigen::VectorXd sample(const params_type& p, random_engine& rng) const;
};

}  // namespace emkit

// The statistics as a Hana Struct, so that processes exchange them (execution/flatten.hpp).
BOOST_HANA_ADAPT_STRUCT(emkit::bernoulli_stats, weight, ones);
