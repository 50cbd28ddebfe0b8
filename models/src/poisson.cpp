/// \file
/// The Poisson family's member functions, compiled once (<emkit/models/poisson.hpp>).

#include <emkit/models/poisson.hpp>

namespace emkit {

poisson_params poisson_params::from(Eigen::VectorXd rates) {
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

void poisson_stats::make_split() {
  if (split()) return;
  const index D = counts.size();
  small_counts = counts;
  small_weight = Eigen::VectorXd::Constant(D, weight);
  large_weight = large_mean = large_offset = large_deviance = Eigen::VectorXd::Zero(D);
}

double poisson_stats::large_deviance_about(index d, double b) const {
  const double a = large_mean[d];
  return large_deviance[d] + large_weight[d] * (detail::poisson_bd0(a, b) + large_offset[d] * std::log1p((a - b) / b));
}

poisson_stats& poisson_stats::operator+=(const poisson_stats& o) {
  if (o.counts.size() == 0) return *this;
  if (counts.size() == 0) return *this = o;
  if (o.split() && !split()) make_split();
  if (split()) {
    poisson_stats other = o;
    other.make_split();
    small_counts += other.small_counts;
    small_weight += other.small_weight;
    for (index d = 0; d < counts.size(); ++d) {
      const double v1 = large_weight[d], v2 = other.large_weight[d];
      if (!(v2 > 0)) continue;
      if (!(v1 > 0)) {
        large_weight[d] = v2, large_mean[d] = other.large_mean[d];
        large_offset[d] = other.large_offset[d], large_deviance[d] = other.large_deviance[d];
        continue;
      }
      // About this side's reference a: G += the other side's Σ w bd0(x, a), and the offsets
      // pool as Σ w (x − a) = V₁δ₁ + V₂ (a₂ − a + δ₂).
      const double a = large_mean[d];
      large_deviance[d] += other.large_deviance_about(d, a);
      large_offset[d] = (v1 * large_offset[d] + v2 * ((other.large_mean[d] - a) + other.large_offset[d])) / (v1 + v2);
      large_weight[d] = v1 + v2;
    }
  }
  weight += o.weight;
  counts += o.counts;
  log_factorials += o.log_factorials;
  return *this;
}

poisson_stats& poisson_stats::operator*=(double a) {
  weight *= a;
  counts *= a;
  log_factorials *= a;
  if (split()) {
    small_counts *= a;
    small_weight *= a;
    large_weight *= a;
    large_deviance *= a;
  }
  return *this;
}

double poisson::log_pmf(double x, double lambda, double log_lambda) {
  if (x > large_count) return -detail::poisson_stirling(x) - detail::poisson_bd0(x, lambda);
  return x * log_lambda - lambda - log_factorial(x);
}

double poisson::log_factorial(double x) {
  static const std::array<double, 1024> table = [] {
    std::array<double, 1024> t{};
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = math::lgamma(static_cast<double>(i) + 1.0);
    return t;
  }();
  if (x >= 0 && x < static_cast<double>(table.size()) && x == std::floor(x)) return table[static_cast<std::size_t>(x)];
  return math::lgamma(x + 1.0);
}

poisson::stats_type poisson::accumulate(matrix_ref X, vector_ref w) const {
  stats_type s;
  accumulate_all(X, prepare(X), w, std::span<stats_type>(&s, 1));
  return s;
}

poisson::params_type poisson::maximize(const poisson::stats_type& s) const {
  validate();
  if (!(s.weight > 0)) throw numerical_error("component has no mass to fit");
  return params_type::from((s.counts / s.weight).cwiseMax(rate_floor));
}

Eigen::MatrixXd poisson::prepare(matrix_ref X) const {
  Eigen::MatrixXd c(X.rows(), 1);
  for (index n = 0; n < X.rows(); ++n) {
    double sum = 0.0;
    for (index d = 0; d < X.cols(); ++d) sum += log_factorial(X(n, d));
    c(n, 0) = sum;
  }
  return c;
}

Eigen::VectorXd poisson::log_density(const poisson::params_type& p, matrix_ref X, matrix_ref cache) const {
  Eigen::VectorXd out = X * p.log_rates;
  out.array() -= p.rate_sum;
  out -= cache.col(0);
  recompute_large_rows(std::span<const params_type>(&p, 1), X, out);
  return out;
}

void poisson::log_density_all(std::span<const poisson::params_type> ps, matrix_ref X, matrix_ref cache,
                              matrix_out out) const {
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
  recompute_large_rows(ps, X, out);
}

void poisson::accumulate_all(matrix_ref X, matrix_ref cache, matrix_ref W, std::span<poisson::stats_type> stats) const {
  const Eigen::MatrixXd counts = W.transpose() * X;  // K×D
  const Eigen::RowVectorXd mass = W.colwise().sum();
  // One vectorised pass decides; the split is built only for a chunk with large counts.
  const bool any_large = X.rows() > 0 && X.maxCoeff() > large_count;
  const Eigen::ArrayXXd large =
      any_large ? Eigen::ArrayXXd((X.array() > large_count).cast<double>()) : Eigen::ArrayXXd();
  Eigen::VectorXd c = cache.col(0);
  Eigen::MatrixXd small_counts, small_weight, large_weight, large_mean;
  if (any_large) {
    for (index n = 0; n < X.rows(); ++n) {
      if (!(large.row(n) > 0).any()) continue;
      c[n] = 0.0;  // log Γ(x + 1) of the small counts only
      for (index d = 0; d < X.cols(); ++d)
        if (large(n, d) == 0) c[n] += log_factorial(X(n, d));
    }
    small_counts = W.transpose() * (X.array() * (1.0 - large)).matrix();
    small_weight = W.transpose() * (1.0 - large).matrix();
    large_weight = W.transpose() * large.matrix();
    large_mean = (W.transpose() * (X.array() * large).matrix()).cwiseQuotient(large_weight.cwiseMax(1e-300));
  }
  const Eigen::VectorXd log_factorials = W.transpose() * c;
  for (index k = 0; k < W.cols(); ++k) {
    stats_type s;
    s.weight = mass[k];
    s.counts = counts.row(k).transpose();
    s.log_factorials = log_factorials[k];
    if (any_large) {
      s.small_counts = small_counts.row(k).transpose();
      s.small_weight = small_weight.row(k).transpose();
      s.large_weight = large_weight.row(k).transpose();
      s.large_mean = large_mean.row(k).transpose();
      s.large_offset = s.large_deviance = Eigen::VectorXd::Zero(X.cols());
      for (index d = 0; d < X.cols(); ++d) {
        if (!(s.large_weight[d] > 0)) {
          s.large_mean[d] = 0.0;
          continue;
        }
        const double a = s.large_mean[d];
        for (index n = 0; n < X.rows(); ++n) {
          if (large(n, d) == 0 || !(W(n, k) > 0)) continue;
          s.large_offset[d] += W(n, k) * (X(n, d) - a);
          s.large_deviance[d] += W(n, k) * (detail::poisson_stirling(X(n, d)) + detail::poisson_bd0(X(n, d), a));
        }
        s.large_offset[d] /= s.large_weight[d];
      }
    }
    stats[static_cast<std::size_t>(k)] += s;
  }
}

double poisson::expected_log_density(const poisson::stats_type& s, const poisson::params_type& p) const {
  if (s.counts.size() == 0) return 0.0;
  if (!s.split()) return s.counts.dot(p.log_rates) - s.weight * p.rate_sum - s.log_factorials;
  double q = s.small_counts.dot(p.log_rates) - s.small_weight.dot(p.rates) - s.log_factorials;
  for (index d = 0; d < s.counts.size(); ++d)
    if (s.large_weight[d] > 0) q -= s.large_deviance_about(d, p.rates[d]);
  return q;
}

void poisson::recompute_large_rows(std::span<const poisson::params_type> ps, matrix_ref X, matrix_out out) const {
  if (X.rows() == 0 || !(X.maxCoeff() > large_count)) return;
  for (index n = 0; n < X.rows(); ++n) {
    if (!(X.row(n).array() > large_count).any()) continue;
    for (index k = 0; k < static_cast<index>(ps.size()); ++k) {
      double sum = 0.0;
      for (index d = 0; d < X.cols(); ++d) sum += log_pmf(X(n, d), ps[k].rates[d], ps[k].log_rates[d]);
      out(n, k) = sum;
    }
  }
}

std::size_t poisson::num_free_parameters(std::span<const poisson::params_type> ps) const {
  const std::size_t D = ps.empty() ? 0 : static_cast<std::size_t>(ps.front().rates.size());
  return ps.size() * D;
}

Eigen::VectorXd poisson::sample(const poisson::params_type& p, random_engine& rng) const {
  Eigen::VectorXd x(p.rates.size());
  for (index d = 0; d < x.size(); ++d) {
    boost::random::poisson_distribution<std::int64_t, double> draw(p.rates[d]);
    x[d] = static_cast<double>(draw(rng));
  }
  return x;
}

}  // namespace emkit
