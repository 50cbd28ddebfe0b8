#pragma once
// Helpers of the reliability suite (docs/reliability.md): the message of an expected exception,
// "nothing in this fit is NaN", and fitters whose monitor throws on any violated EM identity,
// so that a decrease of the objective anywhere in these tests fails the test.
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_real_distribution.hpp>

#include <emkit/emkit.hpp>

#include "reliability/message_of.hpp"

namespace emkit::reliability {

/// A fitter of the given policies whose monitor throws at the first violated check.
template <class E = soft_estep, class I = kmeans_plus_plus, class X = serial>
fitter<E, I, X> strict_fitter(std::uint64_t seed = 1, int restarts = 1) {
  fitter<E, I, X> f;
  f.options.seed = seed;
  f.options.restarts = restarts;
  f.options.monitor.action = monitor_action::raise;
  return f;
}

/// A K-means fitter (hard EM) whose monitor throws at the first violated check.
template <class I = kmeans_plus_plus>
kmeans_fitter<I> strict_kmeans(std::uint64_t seed = 1, int restarts = 1) {
  kmeans_fitter<I> f;
  f.options.seed = seed;
  f.options.restarts = restarts;
  f.options.monitor.action = monitor_action::raise;
  return f;
}

inline bool all_finite(const Eigen::MatrixXd& m) { return m.allFinite(); }

/// Every number of a component's parameters is finite (the shipped families' fields).
inline bool params_finite(const gaussian_params& p) {
  return p.mean.allFinite() && p.covariance.allFinite() && p.precision_cholesky.allFinite() &&
         std::isfinite(p.log_det_covariance);
}
inline bool params_finite(const poisson_params& p) {
  return p.rates.allFinite() && p.log_rates.allFinite() && std::isfinite(p.rate_sum);
}
inline bool params_finite(const bernoulli_params& p) {
  return p.probabilities.allFinite() && p.log_probabilities.allFinite() && p.log_complements.allFinite();
}
inline bool params_finite(const fixed_spherical_gaussian_params& p) { return p.mean.allFinite(); }

/// θ and everything the summary reports are finite: weights a distribution, every component,
/// ℓ, the objective and each trace record's ℓ and objective.
template <class P>
::testing::AssertionResult fit_is_finite(const fit_result<mixture_params<P>>& r) {
  const auto& theta = r.params;
  if (!theta.weights.allFinite())
    return ::testing::AssertionFailure() << "weights not finite: " << theta.weights.transpose();
  if (theta.weights.size() != theta.size())
    return ::testing::AssertionFailure() << theta.weights.size() << " weights for " << theta.size() << " components";
  if (theta.size() > 0 && (theta.weights.minCoeff() < 0 || std::abs(theta.weights.sum() - 1.0) > 1e-12))
    return ::testing::AssertionFailure() << "weights not a distribution: " << theta.weights.transpose();
  for (index k = 0; k < theta.size(); ++k)
    if (!params_finite(theta.components[static_cast<std::size_t>(k)]))
      return ::testing::AssertionFailure() << "component " << k << " has a non-finite parameter";
  if (!std::isfinite(r.summary.log_likelihood))
    return ::testing::AssertionFailure() << "log-likelihood " << r.summary.log_likelihood;
  if (!std::isfinite(r.summary.objective)) return ::testing::AssertionFailure() << "objective " << r.summary.objective;
  for (const iteration_record& rec : r.summary.trace)
    if (!std::isfinite(rec.log_likelihood) || !std::isfinite(rec.objective))
      return ::testing::AssertionFailure() << "trace record " << rec.iteration << ": log-likelihood "
                                           << rec.log_likelihood << ", objective " << rec.objective;
  return ::testing::AssertionSuccess();
}

/// How many warnings of `code` the summary holds.
inline std::size_t count_warnings(const summary& s, warning_code code) {
  std::size_t n = 0;
  for (const warning& w : s.warnings) n += w.code == code;
  return n;
}

/// n×D values uniform in [−1, 1) from their own generator (no global random state).
inline Eigen::MatrixXd uniform_matrix(index n, index D, unsigned seed) {
  boost::random::mt19937 rng(seed);
  boost::random::uniform_real_distribution<double> u(-1.0, 1.0);
  Eigen::MatrixXd X(n, D);
  for (index j = 0; j < D; ++j)
    for (index i = 0; i < n; ++i) X(i, j) = u(rng);
  return X;
}

/// n rows from two clusters of width 2 in D columns, the first n/2 rows shifted by `gap` in
/// every column, then everything multiplied by `scale`.
inline Eigen::MatrixXd two_clusters(index n, index D, double gap, double scale, unsigned seed = 7) {
  Eigen::MatrixXd X = uniform_matrix(n, D, seed);
  X.topRows(n / 2).array() += gap;
  return X * scale;
}

/// Row labels 0 for the first n/2 rows and 1 for the rest (the clusters of `two_clusters`).
inline bool separates_halves(const Eigen::VectorX<index>& labels) {
  const index n = labels.size();
  for (index i = 1; i < n; ++i)
    if ((labels[i] == labels[0]) != (i < n / 2)) return false;
  return true;
}

using gmm = mixture<gaussian>;

inline const std::vector<covariance_type>& every_covariance_type() {
  static const std::vector<covariance_type> all{covariance_type::full, covariance_type::diagonal,
                                                covariance_type::spherical, covariance_type::tied};
  return all;
}

inline gmm gaussian_model(covariance_type c, double reg_covar = 1e-6) {
  return gmm{gaussian{.covariance = c, .reg_covar = reg_covar}};
}

}  // namespace emkit::reliability
