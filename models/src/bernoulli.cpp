/// \file
/// The Bernoulli family's member functions, compiled once (<emkit/models/bernoulli.hpp>).

#include <emkit/models/bernoulli.hpp>

namespace emkit {

bernoulli_params bernoulli_params::from(Eigen::VectorXd probabilities) {
  for (index d = 0; d < probabilities.size(); ++d) {
    if (!(probabilities[d] > 0 && probabilities[d] < 1)) {
      throw invalid_option(detail::concat("bernoulli_params::from: probabilities(", d, ") = ", probabilities[d],
                                          ", expected a probability in (0, 1)"));
    }
  }
  bernoulli_params p;
  p.log_probabilities = probabilities.array().log().matrix();
  p.log_complements = (-probabilities.array()).log1p().matrix();
  p.probabilities = std::move(probabilities);
  return p;
}

bernoulli_stats& bernoulli_stats::operator+=(const bernoulli_stats& o) {
  if (o.ones.size() == 0) return *this;
  if (ones.size() == 0) return *this = o;
  weight += o.weight;
  ones += o.ones;
  return *this;
}

bernoulli_stats& bernoulli_stats::operator*=(double a) {
  weight *= a;
  ones *= a;
  return *this;
}

bernoulli::params_type bernoulli::maximize(const bernoulli::stats_type& s) const {
  validate();
  if (!(s.weight > 0)) throw numerical_error("component has no mass to fit");
  return params_type::from((s.ones / s.weight).cwiseMax(probability_floor).cwiseMin(1.0 - probability_floor));
}

void bernoulli::log_density_all(std::span<const bernoulli::params_type> ps, matrix_ref X, matrix_out out) const {
  const index K = static_cast<index>(ps.size());
  Eigen::MatrixXd log_odds(X.cols(), K);
  Eigen::RowVectorXd constants(K);
  for (index k = 0; k < K; ++k) {
    log_odds.col(k) = ps[k].log_probabilities - ps[k].log_complements;
    constants[k] = ps[k].log_complements.sum();
  }
  out.noalias() = X * log_odds;
  out.rowwise() += constants;
}

void bernoulli::accumulate_all(matrix_ref X, matrix_ref W, std::span<bernoulli::stats_type> stats) const {
  const Eigen::MatrixXd ones = W.transpose() * X;  // K×D
  const Eigen::RowVectorXd mass = W.colwise().sum();
  for (index k = 0; k < W.cols(); ++k)
    stats[static_cast<std::size_t>(k)] += stats_type{mass[k], ones.row(k).transpose()};
}

double bernoulli::expected_log_density(const bernoulli::stats_type& s, const bernoulli::params_type& p) const {
  if (s.ones.size() == 0) return 0.0;
  return s.ones.dot(p.log_probabilities) + (s.weight - s.ones.array()).matrix().dot(p.log_complements);
}

std::size_t bernoulli::num_free_parameters(std::span<const bernoulli::params_type> ps) const {
  const std::size_t D = ps.empty() ? 0 : static_cast<std::size_t>(ps.front().probabilities.size());
  return ps.size() * D;
}

index bernoulli::floors_applied(const bernoulli::params_type& p) const {
  return static_cast<index>(
      (p.probabilities.array() <= probability_floor || p.probabilities.array() >= 1.0 - probability_floor).count());
}

Eigen::VectorXd bernoulli::sample(const bernoulli::params_type& p, random_engine& rng) const {
  Eigen::VectorXd x(p.probabilities.size());
  for (index d = 0; d < x.size(); ++d) {
    boost::random::bernoulli_distribution<double> draw(p.probabilities[d]);
    x[d] = draw(rng) ? 1.0 : 0.0;
  }
  return x;
}

}  // namespace emkit
