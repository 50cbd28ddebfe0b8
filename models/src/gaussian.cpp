/// \file
/// The Gaussian family's member functions, compiled once (<emkit/models/gaussian.hpp>).

#include <emkit/models/gaussian.hpp>

#include <cstdio>
#include <limits>

#include <Eigen/Cholesky>
#include <boost/random/normal_distribution.hpp>

#include <emkit/framework/numeric/array_tests.hpp>
#include <emkit/framework/numeric/column_mean.hpp>
#include <emkit/framework/numeric/squared_distances.hpp>
#include <emkit/framework/numeric/weighted_deviations.hpp>

namespace emkit {

gaussian_params gaussian_params::from(Eigen::VectorXd mean, Eigen::MatrixXd covariance) {
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

gaussian_params gaussian_params::from_variances(Eigen::VectorXd mean, const Eigen::VectorXd& variances) {
  check_shape(variances.size() == mean.size(), "gaussian_params::from_variances", "variances.size()", variances.size(),
              "the mean's size " + std::to_string(mean.size()));
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

gaussian_stats& gaussian_stats::operator+=(const gaussian_stats& o) {
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

gaussian_stats& gaussian_stats::operator*=(double a) {
  weight *= a;
  scatter *= a;
  return *this;
}

Eigen::VectorXd gaussian::log_density(const gaussian::params_type& p, matrix_ref X) const {
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

gaussian::stats_type gaussian::accumulate(matrix_ref X, vector_ref w) const {
  stats_type s;
  s.weight = w.sum();
  if (!(s.weight > 0)) return stats_type{};
  s.mean = (X.transpose() * w) / s.weight;
  const Eigen::MatrixXd Y = X.rowwise() - s.mean.transpose();
  s.scatter = scatter_of(Y, w);
  return s;
}

gaussian::params_type gaussian::maximize(const gaussian::stats_type& s) const {
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

index gaussian::floors_applied(const gaussian::params_type& p) const {
  if (!(reg_covar > 0)) return 0;
  return static_cast<index>((p.covariance.diagonal().array() <= 2.0 * reg_covar).count());
}

std::string gaussian::floor_description(const gaussian::params_type& p) const {
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

std::size_t gaussian::num_free_parameters(std::span<const gaussian::params_type> ps) const {
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

Eigen::VectorXd gaussian::sample(const gaussian::params_type& p, random_engine& rng) const {
  boost::random::normal_distribution<double> normal;
  Eigen::VectorXd z(p.mean.size());
  for (index d = 0; d < z.size(); ++d) z[d] = normal(rng);
  if (p.is_diagonal) return p.mean + p.covariance.diagonal().cwiseSqrt().cwiseProduct(z);
  const Eigen::MatrixXd L = Eigen::LLT<Eigen::MatrixXd>(p.covariance).matrixL();
  return p.mean + L * z;
}

void gaussian::log_density_all(std::span<const gaussian::params_type> ps, matrix_ref X, matrix_out out) const {
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

void gaussian::accumulate_all(matrix_ref X, matrix_ref W, std::span<gaussian::stats_type> stats) const {
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

std::vector<gaussian::params_type> gaussian::maximize_all(std::span<const gaussian::stats_type> stats) const {
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

void gaussian::check_scatter_finite(const gaussian::stats_type& s) {
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

void gaussian::mahalanobis_all(std::span<const gaussian::params_type> ps, matrix_ref X, matrix_out out) const {
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

Eigen::MatrixXd gaussian::scatter_of(const Eigen::MatrixXd& Y, vector_ref w) const {
  if (diagonal_form()) return Y.array().square().matrix().transpose() * w;
  const Eigen::MatrixXd Yw = Y.array().colwise() * w.array();
  return Yw.transpose() * Y;
}

double gaussian::expected_log_density(const gaussian::stats_type& s, const gaussian::params_type& p) const {
  if (!(s.weight > 0)) return 0.0;
  const double D = static_cast<double>(p.mean.size());
  const Eigen::VectorXd delta = s.mean - p.mean;
  double quad;
  if (p.is_diagonal) {
    const Eigen::ArrayXd prec = p.precision_cholesky.diagonal().array().square();
    const Eigen::ArrayXd sdiag =
        s.scatter.cols() == 1 ? Eigen::ArrayXd(s.scatter.col(0).array()) : Eigen::ArrayXd(s.scatter.diagonal().array());
    quad = (prec * (sdiag + s.weight * delta.array().square())).sum();
  } else {
    const Eigen::MatrixXd& P = p.precision_cholesky;
    const Eigen::MatrixXd PS = P.triangularView<Eigen::Lower>() * s.scatter;
    quad = (PS * P.transpose()).trace() + s.weight * (P.triangularView<Eigen::Lower>() * delta).squaredNorm();
  }
  return -0.5 * (s.weight * (D * log_two_pi + p.log_det_covariance) + quad);
}

}  // namespace emkit
