/// \file
/// The K-means (fixed spherical Gaussian) family's member functions, compiled once (<emkit/models/kmeans.hpp>).

#include <emkit/models/kmeans.hpp>

namespace emkit {

fixed_spherical_gaussian_stats& fixed_spherical_gaussian_stats::operator+=(const fixed_spherical_gaussian_stats& o) {
  if (o.weight == 0.0) return *this;
  if (weight == 0.0) return *this = o;
  const double total = weight + o.weight;
  scatter += o.scatter + (weight * o.weight / total) * (o.mean - mean).squaredNorm();
  mean += (o.weight / total) * (o.mean - mean);  // no temporary: merged once per chunk and component
  weight = total;
  return *this;
}

fixed_spherical_gaussian_stats& fixed_spherical_gaussian_stats::operator*=(double a) {
  weight *= a;
  scatter *= a;
  return *this;
}

Eigen::VectorXd fixed_spherical_gaussian::log_density(const fixed_spherical_gaussian::params_type& p,
                                                      matrix_ref X) const {
  const Eigen::VectorXd d2 = (X.rowwise() - p.mean.transpose()).rowwise().squaredNorm();
  return (-0.5 * (log_normaliser(X.cols()) + d2.array() / variance)).matrix();
}

fixed_spherical_gaussian::stats_type fixed_spherical_gaussian::accumulate(matrix_ref X, vector_ref w) const {
  stats_type s;
  s.weight = w.sum();
  if (!(s.weight > 0)) return stats_type{};
  s.mean = (X.transpose() * w) / s.weight;
  s.scatter = (X.rowwise() - s.mean.transpose()).rowwise().squaredNorm().dot(w);
  return s;
}

fixed_spherical_gaussian::params_type fixed_spherical_gaussian::maximize(
    const fixed_spherical_gaussian::stats_type& s) const {
  if (!(s.weight > 0)) throw numerical_error("component has no mass to fit");
  return {s.mean};
}

double fixed_spherical_gaussian::expected_log_density(const fixed_spherical_gaussian::stats_type& s,
                                                      const fixed_spherical_gaussian::params_type& p) const {
  if (!(s.weight > 0)) return 0.0;
  const double quad = s.scatter + s.weight * (s.mean - p.mean).squaredNorm();
  return -0.5 * (s.weight * log_normaliser(p.mean.size()) + quad / variance);
}

Eigen::VectorXd fixed_spherical_gaussian::sample(const fixed_spherical_gaussian::params_type& p,
                                                 random_engine& rng) const {
  boost::random::normal_distribution<double> normal;
  const double sd = std::sqrt(variance);
  Eigen::VectorXd x(p.mean.size());
  for (index d = 0; d < x.size(); ++d) x[d] = p.mean[d] + sd * normal(rng);
  return x;
}

void fixed_spherical_gaussian::squared_distances_all(std::span<const fixed_spherical_gaussian::params_type> ps,
                                                     matrix_ref X, matrix_out out) const {
  const index K = static_cast<index>(ps.size());
  if (X.rows() == 0) return;
  Eigen::MatrixXd M(X.cols(), K);
  for (index k = 0; k < K; ++k) M.col(k) = ps[static_cast<std::size_t>(k)].mean;
  scaled_squared_distances(X, M, Eigen::MatrixXd::Ones(1, K), out, variance);
}

void fixed_spherical_gaussian::log_density_all(std::span<const fixed_spherical_gaussian::params_type> ps, matrix_ref X,
                                               matrix_out out) const {
  squared_distances_all(ps, X, out);
  const double constant = -0.5 * log_normaliser(X.cols()),
               slope = -0.5 / variance;  // a product, not a division per entry
  out.array() = constant + slope * out.array();
}

void fixed_spherical_gaussian::accumulate_all(matrix_ref X, matrix_ref W,
                                              std::span<fixed_spherical_gaussian::stats_type> stats) const {
  if (X.rows() == 0) return;
  const index D = X.cols();
  const Eigen::RowVectorXd shift = column_mean(X);
  Eigen::MatrixXd Y(X.rows(), D + 1);  // [x_n − c, ‖x_n − c‖²]
  Eigen::RowVectorXd spread(D);
  Y.col(D).setZero();
  for (index d = 0; d < D; ++d) {
    Y.col(d) = X.col(d).array() - shift[d];
    spread[d] = Y.col(d).cwiseAbs().maxCoeff();
    Y.col(D) += Y.col(d).cwiseAbs2();
  }
  const Eigen::MatrixXd sums = W.transpose() * Y;  // K×(D+1): Σ_n W_nk (x_n − c), Σ_n W_nk ‖x_n − c‖²
  const Eigen::RowVectorXd mass = W.colwise().sum();
  const double max_spread = spread.maxCoeff();
  add_shifted_statistics(
      X, [&](index) { return shift; }, [&](index) { return max_spread; }, sums, mass,
      [&](index k) { return Eigen::VectorXd(W.col(k)); }, stats);
}

}  // namespace emkit
