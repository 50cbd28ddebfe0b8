#pragma once
/// \file
/// The Poisson component family: D independent counts per component.
///
/// Written as a user would write a family, from public framework headers only. A component
/// has rates λ (D) and
///
///     log f(x | λ) = Σ_d [x_d log λ_d − λ_d − log Γ(x_d + 1)].
///
/// The parameters keep log λ and Σ λ, computed once per M-step, and `prepare` computes the
/// data-only term c_n = Σ_d log Γ(x_nd + 1) once per data set, so a chunk of all K components
/// costs one matrix product X · log Λᵀ. Rates are held at or above `rate_floor`, so log 0
/// never appears; a floored rate is reported as a `floor_applied` warning by the mixture.
///
/// Counts above `poisson::large_count` (1024) would cancel in that form (x log λ, λ and
/// log Γ(x + 1) are each ~3.5e16 at x = 1e15 while log f is ~−18): their terms use Loader's
/// saddle-point form instead, log f = −h(x) − bd0(x, λ) with h(x) = log Γ(x + 1) − x log x + x
/// (Stirling: ½ log 2πx + 1/(12x) − …) and bd0(x, λ) = x log(x/λ) + λ − x summed without
/// cancellation, and their statistics keep Σ w [h(x) + bd0(x, m)] about the entries' own mean m,
/// so that Q from statistics is as exact as the density. Chunks without large counts take the
/// matrix-product path alone.

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include <Eigen/Core>
#include <boost/hana/adapt_struct.hpp>
#include <boost/random/poisson_distribution.hpp>

#include <emkit/framework/error.hpp>
#include <emkit/framework/numeric/math_policy.hpp>
#include <emkit/framework/numeric/random.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

/// One Poisson component: its rates and the values every density evaluation needs.
struct poisson_params {
  Eigen::VectorXd rates;      ///< λ (D), each > 0
  Eigen::VectorXd log_rates;  ///< log λ (D)
  double rate_sum = 0.0;      ///< Σ_d λ_d

  /// Builds the parameters from the rates, computing log λ and Σ λ. Throws `invalid_option`
  /// when a rate is not positive and finite (log 0 would make 0 · log λ a NaN).
  static poisson_params from(Eigen::VectorXd rates);
};

namespace detail {
/// bd0(x, λ) = x log(x/λ) + λ − x ≥ 0, the deviance term of Loader's saddle-point form, without
/// cancellation when x ≈ λ (the series of Loader 2000 and R's `bd0`); bd0(0, λ) = λ.
inline double poisson_bd0(double x, double lambda) {
  if (x == 0) return lambda;
  if (std::abs(x - lambda) < 0.1 * (x + lambda)) {
    const double v = (x - lambda) / (x + lambda);
    double s = (x - lambda) * v;
    double ej = 2.0 * x * v;
    const double v2 = v * v;
    for (int j = 1; j < 1000; ++j) {
      ej *= v2;
      const double next = s + ej / static_cast<double>(2 * j + 1);
      if (next == s) return next;
      s = next;
    }
    return s;
  }
  return x * std::log(x / lambda) + lambda - x;
}

/// h(x) = log Γ(x + 1) − x log x + x = ½ log 2πx + 1/(12x) − 1/(360x³) + … for a large count
/// x (> 500, where two terms of Stirling's series are exact to double precision).
inline double poisson_stirling(double x) {
  constexpr double half_log_two_pi = 0.918938533204672741780329736406;  // ½ log 2π
  return half_log_two_pi + 0.5 * std::log(x) + (1.0 / 12.0 - 1.0 / (360.0 * x * x)) / x;
}
}  // namespace detail

/// Weighted sufficient statistics of one component: W = Σ w_n, S = Σ w_n x_n (D), and the
/// data-only term C = Σ_n w_n Σ_d log Γ(x_nd + 1), which Q(θ; q) needs to equal
/// Σ_n w_n log f(x_n | λ) exactly. Merged by adding each field.
///
/// Once large counts (> `poisson::large_count`) are seen, each column is split: its small
/// entries keep the sums above (`small_counts`, `small_weight`, and C over small entries only),
/// its large entries keep their weight V_d, a reference a_d near their weighted mean, the
/// offset δ_d = Σ w (x − a_d) / V_d of that mean (so a_d + δ_d is the mean to far better than
/// one ulp of a_d) and G_d = Σ w [h(x) + bd0(x, a_d)]. Since Σ w bd0(x, λ) = G + V [bd0(a, λ) +
/// δ log(a/λ)] for any λ, Σ_n w_n log f = Σ_d [S'_d log λ_d − W'_d λ_d] − C − that sum, every
/// term computed without cancellation; two statistics merge about the first one's reference.
struct poisson_stats {
  double weight = 0.0;
  Eigen::VectorXd counts;          ///< S = Σ_n w_n x_n (empty in the identity)
  double log_factorials = 0.0;     ///< C = Σ_n w_n Σ_d log Γ(x_nd + 1), over small counts once split
  Eigen::VectorXd small_counts;    ///< S'_d over small entries (empty until large counts are seen)
  Eigen::VectorXd small_weight;    ///< W'_d, the weight of the small entries of column d
  Eigen::VectorXd large_weight;    ///< V_d, the weight of the large entries of column d
  Eigen::VectorXd large_mean;      ///< a_d, the reference: their weighted mean, rounded
  Eigen::VectorXd large_offset;    ///< δ_d = Σ w (x − a_d) / V_d
  Eigen::VectorXd large_deviance;  ///< G_d = Σ w [h(x) + bd0(x, a_d)] over them

  [[nodiscard]] bool split() const { return large_weight.size() > 0; }

  /// Splits statistics of small counts only: every entry is small.
  void make_split();

  /// Σ w bd0(x, b) over the large entries of column d, for any b > 0 (log(a/b) as
  /// log1p((a − b)/b): a − b is exact when a ≈ b, and δ may be far from small after a merge).
  [[nodiscard]] double large_deviance_about(index d, double b) const;

  /// Adds the statistics of other rows; the empty (value-initialised) statistics are the identity.
  poisson_stats& operator+=(const poisson_stats& o);

  /// The statistics of the same rows with every weight multiplied by a ≥ 0: the weights and
  /// weighted sums scale; the reference a_d and the offset δ_d (a ratio Σ w (x − a)/V) stay.
  poisson_stats& operator*=(double a);
};

/// The Poisson family. Data are non-negative integer counts (`validate_data` rejects anything
/// else). `rate_floor` keeps every fitted rate ≥ rate_floor > 0: a count column that is all
/// zero in a component would otherwise give λ = 0, log λ = −∞, and a NaN at 0 · log λ. The
/// M-step is then the maximiser of Q over λ ≥ rate_floor (Q is concave in each λ_d), so
/// the EM identities the monitor checks still hold.
struct poisson {
  double rate_floor = 1e-10;  ///< smallest rate the M-step returns; finite and > 0

  using params_type = poisson_params;
  using stats_type = poisson_stats;

  /// Counts above this use the saddle-point form (see the file's comment); up to it the direct
  /// form x log λ − λ − log Γ(x + 1) loses at most ~3e-12.
  static constexpr double large_count = 1024.0;

  /// log f(x | λ) of one count: the direct form up to `large_count`, the saddle-point form
  /// −h(x) − bd0(x, λ) beyond.
  [[nodiscard]] static double log_pmf(double x, double lambda, double log_lambda);

  /// Throws `invalid_option` unless `rate_floor` is finite and > 0.
  void validate() const {
    check_option(std::isfinite(rate_floor) && rate_floor > 0, "poisson", "rate_floor", rate_floor,
                 "a finite number > 0");
  }

  /// log Γ(x + 1) = log x!; counts below 1024 read a table of `emkit::math::lgamma` values
  /// (the same numbers, without re-evaluating Γ in the per-iteration statistics).
  [[nodiscard]] static double log_factorial(double x);

  /// log f(x_n | λ) for each row of X.
  [[nodiscard]] Eigen::VectorXd log_density(const params_type& p, matrix_ref X) const {
    return log_density(p, X, prepare(X));
  }

  /// The statistics of one component from a chunk and its weights.
  [[nodiscard]] stats_type accumulate(matrix_ref X, vector_ref w) const;

  /// λ_d = max(S_d / W, rate_floor). Throws `numerical_error` when W is not positive,
  /// `invalid_option` when the floor is invalid.
  [[nodiscard]] params_type maximize(const stats_type& s) const;

  // ---- optional hooks -------------------------------------------------------------------

  /// Rejects anything but non-negative integer counts: throws `data_error` naming the first
  /// offending entry's row and column (0-based) and its value. Also validates the options.
  void validate_data(matrix_ref X) const {
    validate();
    for (index n = 0; n < X.rows(); ++n) {  // row by row: the earliest bad row is reported
      for (index j = 0; j < X.cols(); ++j) {
        const double x = X(n, j);
        if (!(std::isfinite(x) && x >= 0 && x == std::floor(x))) {
          throw data_error("poisson", {n, j, x}, "a non-negative integer count");
        }
      }
    }
  }

  /// The data-only cache: an N×1 column of c_n = Σ_d log Γ(x_nd + 1).
  [[nodiscard]] Eigen::MatrixXd prepare(matrix_ref X) const;

  /// log f(x_n | λ) = x_n · log λ − Σ λ − c_n, given the rows' cache c = prepare(X); rows with
  /// a large count are summed term by term (`log_pmf`).
  [[nodiscard]] Eigen::VectorXd log_density(const params_type& p, matrix_ref X, matrix_ref cache) const;

  /// out(n, k) = log f(x_n | λ_k) for all components: one matrix product X · log Λᵀ, then the
  /// constants Σ λ_k per column and the cache c_n per row.
  void log_density_all(std::span<const params_type> ps, matrix_ref X, matrix_ref cache, matrix_out out) const;

  /// stats[k] += the statistics of the chunk under weights W(·, k), for all k.
  void accumulate_all(matrix_ref X, matrix_ref W, std::span<stats_type> stats) const {
    accumulate_all(X, prepare(X), W, stats);
  }

  /// The same with the rows' cache c = prepare(X): S = Wᵀ X as one matrix product, C = Wᵀ c.
  /// A chunk with large counts also splits each column's small and large entries (see
  /// `poisson_stats`).
  void accumulate_all(matrix_ref X, matrix_ref cache, matrix_ref W, std::span<stats_type> stats) const;

  /// Σ_n w_n log f(x_n | λ) from statistics: S · log λ − W Σ λ − C.
  [[nodiscard]] double expected_log_density(const stats_type& s, const params_type& p) const;

  /// Rows of X with a count above `large_count`: out(n, k) = Σ_d log_pmf(x_nd, λ_kd), term by
  /// term, replacing the matrix-product value that cancels there.
  void recompute_large_rows(std::span<const params_type> ps, matrix_ref X, matrix_out out) const;

  /// K·D rates.
  [[nodiscard]] std::size_t num_free_parameters(std::span<const params_type> ps) const;

  /// How many rates are at (or below) `rate_floor`.
  [[nodiscard]] index floors_applied(const params_type& p) const {
    return static_cast<index>((p.rates.array() <= rate_floor).count());
  }

  /// One draw: x_d ~ Poisson(λ_d) independently (Boost.Random's portable Poisson distribution).
  [[nodiscard]] Eigen::VectorXd sample(const params_type& p, random_engine& rng) const;
};

}  // namespace emkit

// The statistics as a Hana Struct, so that processes exchange them (execution/flatten.hpp).
BOOST_HANA_ADAPT_STRUCT(emkit::poisson_stats, weight, counts, log_factorials, small_counts, small_weight, large_weight,
                        large_mean, large_offset, large_deviance);
