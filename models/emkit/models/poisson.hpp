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

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include <Eigen/Core>
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
  static poisson_params from(Eigen::VectorXd rates) {
    for (index d = 0; d < rates.size(); ++d) {
      if (!(std::isfinite(rates[d]) && rates[d] > 0)) {
        throw invalid_option(
            detail::concat("poisson_params::from: rates(", d, ") = ", rates[d], ", expected a finite rate > 0"));
      }
    }
    poisson_params p;
    p.log_rates = rates.array().log().matrix();
    p.rate_sum = rates.sum();
    p.rates = std::move(rates);
    return p;
  }
};

/// Weighted sufficient statistics of one component: W = Σ w_n, S = Σ w_n x_n (D), and the
/// data-only term C = Σ_n w_n Σ_d log Γ(x_nd + 1), which Q(θ; q) needs to equal
/// Σ_n w_n log f(x_n | λ) exactly. Merged by adding each field.
struct poisson_stats {
  double weight = 0.0;
  Eigen::VectorXd counts;       ///< S = Σ_n w_n x_n (empty in the identity)
  double log_factorials = 0.0;  ///< C = Σ_n w_n Σ_d log Γ(x_nd + 1)

  /// Adds the statistics of other rows; the empty (value-initialised) statistics are the identity.
  poisson_stats& operator+=(const poisson_stats& o) {
    if (o.counts.size() == 0) return *this;
    if (counts.size() == 0) return *this = o;
    weight += o.weight;
    counts += o.counts;
    log_factorials += o.log_factorials;
    return *this;
  }
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

  /// Throws `invalid_option` unless `rate_floor` is finite and > 0.
  void validate() const {
    check_option(std::isfinite(rate_floor) && rate_floor > 0, "poisson", "rate_floor", rate_floor,
                 "a finite number > 0");
  }

  /// log Γ(x + 1) = log x!; counts below 1024 read a table of `emkit::math::lgamma` values
  /// (the same numbers, without re-evaluating Γ in the per-iteration statistics).
  [[nodiscard]] static double log_factorial(double x) {
    static const std::array<double, 1024> table = [] {
      std::array<double, 1024> t{};
      for (std::size_t i = 0; i < t.size(); ++i) t[i] = math::lgamma(static_cast<double>(i) + 1.0);
      return t;
    }();
    if (x >= 0 && x < static_cast<double>(table.size()) && x == std::floor(x))
      return table[static_cast<std::size_t>(x)];
    return math::lgamma(x + 1.0);
  }

  /// log f(x_n | λ) for each row of X.
  [[nodiscard]] Eigen::VectorXd log_density(const params_type& p, matrix_ref X) const {
    return log_density(p, X, prepare(X));
  }

  /// The statistics of one component from a chunk and its weights.
  [[nodiscard]] stats_type accumulate(matrix_ref X, vector_ref w) const {
    stats_type s;
    s.weight = w.sum();
    s.counts = X.transpose() * w;
    s.log_factorials = w.dot(prepare(X).col(0));
    return s;
  }

  /// λ_d = max(S_d / W, rate_floor). Throws `numerical_error` when W is not positive,
  /// `invalid_option` when the floor is invalid.
  [[nodiscard]] params_type maximize(const stats_type& s) const {
    validate();
    if (!(s.weight > 0)) throw numerical_error("component has no mass to fit");
    return params_type::from((s.counts / s.weight).cwiseMax(rate_floor));
  }

  // ---- optional hooks -------------------------------------------------------------------

  /// Rejects anything but non-negative integer counts: throws `data_error` naming the first
  /// offending entry's row and column (0-based) and its value. Also validates the options.
  void validate_data(matrix_ref X) const {
    validate();
    for (index n = 0; n < X.rows(); ++n) {  // row by row: the earliest bad row is reported
      for (index j = 0; j < X.cols(); ++j) {
        const double x = X(n, j);
        if (!(std::isfinite(x) && x >= 0 && x == std::floor(x))) {
          throw data_error(detail::concat("poisson: X(", n, ", ", j, ") = ", x,
                                          ", expected a non-negative integer count (row and column are 0-based)"));
        }
      }
    }
  }

  /// The data-only cache: an N×1 column of c_n = Σ_d log Γ(x_nd + 1).
  [[nodiscard]] Eigen::MatrixXd prepare(matrix_ref X) const {
    Eigen::MatrixXd c(X.rows(), 1);
    for (index n = 0; n < X.rows(); ++n) {
      double sum = 0.0;
      for (index d = 0; d < X.cols(); ++d) sum += log_factorial(X(n, d));
      c(n, 0) = sum;
    }
    return c;
  }

  /// log f(x_n | λ) = x_n · log λ − Σ λ − c_n, given the rows' cache c = prepare(X).
  [[nodiscard]] Eigen::VectorXd log_density(const params_type& p, matrix_ref X, matrix_ref cache) const {
    Eigen::VectorXd out = X * p.log_rates;
    out.array() -= p.rate_sum;
    out -= cache.col(0);
    return out;
  }

  /// out(n, k) = log f(x_n | λ_k) for all components: one matrix product X · log Λᵀ, then the
  /// constants Σ λ_k per column and the cache c_n per row.
  void log_density_all(std::span<const params_type> ps, matrix_ref X, matrix_ref cache, matrix_out out) const {
    const index K = static_cast<index>(ps.size());
    Eigen::MatrixXd log_rates(X.cols(), K);
    Eigen::RowVectorXd rate_sums(K);
    for (index k = 0; k < K; ++k) {
      log_rates.col(k) = ps[k].log_rates;
      rate_sums[k] = ps[k].rate_sum;
    }
    out.noalias() = X * log_rates;
    out.rowwise() -= rate_sums;
    out.colwise() -= cache.col(0);
  }

  /// stats[k] += the statistics of the chunk under weights W(·, k), for all k.
  void accumulate_all(matrix_ref X, matrix_ref W, std::span<stats_type> stats) const {
    accumulate_all(X, prepare(X), W, stats);
  }

  /// The same with the rows' cache c = prepare(X): S = Wᵀ X as one matrix product, C = Wᵀ c.
  void accumulate_all(matrix_ref X, matrix_ref cache, matrix_ref W, std::span<stats_type> stats) const {
    const Eigen::MatrixXd counts = W.transpose() * X;  // K×D
    const Eigen::VectorXd log_factorials = W.transpose() * cache.col(0);
    const Eigen::RowVectorXd mass = W.colwise().sum();
    for (index k = 0; k < W.cols(); ++k) {
      stats_type s;
      s.weight = mass[k];
      s.counts = counts.row(k).transpose();
      s.log_factorials = log_factorials[k];
      stats[static_cast<std::size_t>(k)] += s;
    }
  }

  /// Σ_n w_n log f(x_n | λ) from statistics: S · log λ − W Σ λ − C.
  [[nodiscard]] double expected_log_density(const stats_type& s, const params_type& p) const {
    if (s.counts.size() == 0) return 0.0;
    return s.counts.dot(p.log_rates) - s.weight * p.rate_sum - s.log_factorials;
  }

  /// K·D rates.
  [[nodiscard]] std::size_t num_free_parameters(std::span<const params_type> ps) const {
    const std::size_t D = ps.empty() ? 0 : static_cast<std::size_t>(ps.front().rates.size());
    return ps.size() * D;
  }

  /// How many rates are at (or below) `rate_floor`.
  [[nodiscard]] index floors_applied(const params_type& p) const {
    return static_cast<index>((p.rates.array() <= rate_floor).count());
  }

  /// One draw: x_d ~ Poisson(λ_d) independently (Boost.Random's portable Poisson distribution).
  [[nodiscard]] Eigen::VectorXd sample(const params_type& p, random_engine& rng) const {
    Eigen::VectorXd x(p.rates.size());
    for (index d = 0; d < x.size(); ++d) {
      boost::random::poisson_distribution<std::int64_t, double> draw(p.rates[d]);
      x[d] = static_cast<double>(draw(rng));
    }
    return x;
  }
};

}  // namespace emkit
