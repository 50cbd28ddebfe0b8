// Self-test of the naive reference GMM (tests/support/naive_gmm.hpp) against
// independent truths: Boost.Math densities, closed-form K=1 estimates, EM
// monotonicity, and the known Old Faithful maximum.
#include "naive_gmm.hpp"

#include <gtest/gtest.h>
#include <Eigen/LU>
#include <boost/math/distributions/normal.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <numbers>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#ifndef EMKIT_SOURCE_DIR
#define EMKIT_SOURCE_DIR "/work/main"
#endif

namespace {

using emkit::testing::naive_em;
using emkit::testing::naive_free_parameters;
using emkit::testing::naive_gmm;
using emkit::testing::naive_log_density;
using emkit::testing::naive_log_likelihood;
using emkit::testing::naive_m_step;

const char* const kCovTypes[] = {"full", "diag", "spherical", "tied"};

/// Three well-separated-ish 2-D clusters, deterministic.
Eigen::MatrixXd synthetic_data(int per_cluster, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> z(0.0, 1.0);
  const double centres[3][2] = {{0.0, 0.0}, {4.0, 1.0}, {1.0, 5.0}};
  const double scales[3][2] = {{1.0, 0.5}, {0.7, 1.3}, {1.2, 0.8}};
  Eigen::MatrixXd X(3 * per_cluster, 2);
  for (int c = 0; c < 3; ++c) {
    for (int i = 0; i < per_cluster; ++i) {
      const double a = z(rng), b = z(rng);
      X(c * per_cluster + i, 0) = centres[c][0] + scales[c][0] * a;
      X(c * per_cluster + i, 1) = centres[c][1] + scales[c][1] * (b + 0.4 * a);
    }
  }
  return X;
}

Eigen::MatrixXd read_faithful() {
  std::ifstream in(std::string(EMKIT_SOURCE_DIR) + "/data/faithful.csv");
  if (!in) throw std::runtime_error("cannot open data/faithful.csv");
  std::string line;
  std::getline(in, line);  // header "eruptions,waiting"
  std::vector<double> values;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::stringstream ss(line);
    std::string a, b;
    std::getline(ss, a, ',');
    std::getline(ss, b, ',');
    values.push_back(std::stod(a));
    values.push_back(std::stod(b));
  }
  const auto n = static_cast<Eigen::Index>(values.size() / 2);
  Eigen::MatrixXd X(n, 2);
  for (Eigen::Index i = 0; i < n; ++i) {
    X(i, 0) = values[static_cast<std::size_t>(2 * i)];
    X(i, 1) = values[static_cast<std::size_t>(2 * i + 1)];
  }
  return X;
}

}  // namespace

TEST(NaiveGmm, LogDensity1DMatchesBoostNormal) {
  const double means[] = {0.0, -1.5, 3.25};
  const double sds[] = {1.0, 0.3, 2.7};
  const double xs[] = {-4.0, -0.2, 0.0, 1.1, 7.5};
  for (double m : means) {
    for (double s : sds) {
      boost::math::normal dist(m, s);
      for (double x : xs) {
        const double expected = std::log(boost::math::pdf(dist, x));
        const double got = naive_log_density(Eigen::VectorXd::Constant(1, x), Eigen::VectorXd::Constant(1, m),
                                             Eigen::MatrixXd::Constant(1, 1, s * s));
        EXPECT_NEAR(got, expected, 1e-12 * (1.0 + std::abs(expected))) << "m=" << m << " s=" << s << " x=" << x;
      }
    }
  }
}

TEST(NaiveGmm, LogDensity2DDiagonalIsProductOf1D) {
  const Eigen::Vector2d mean(1.0, -2.0);
  const double s1 = 0.8, s2 = 2.5;
  Eigen::MatrixXd cov = Eigen::MatrixXd::Zero(2, 2);
  cov(0, 0) = s1 * s1;
  cov(1, 1) = s2 * s2;
  boost::math::normal n1(mean(0), s1), n2(mean(1), s2);
  const Eigen::Vector2d points[] = {{0.0, 0.0}, {1.0, -2.0}, {3.3, 1.7}, {-2.0, -6.0}};
  for (const auto& x : points) {
    const double expected = std::log(boost::math::pdf(n1, x(0))) + std::log(boost::math::pdf(n2, x(1)));
    EXPECT_NEAR(naive_log_density(x, mean, cov), expected, 1e-12 * (1.0 + std::abs(expected)));
  }
}

TEST(NaiveGmm, LogDensity2DCorrelatedMatchesClosedForm) {
  // Bivariate normal closed form with correlation rho.
  const double m1 = 0.5, m2 = -1.0, s1 = 1.3, s2 = 0.6, rho = -0.7;
  Eigen::MatrixXd cov(2, 2);
  cov << s1 * s1, rho * s1 * s2, rho * s1 * s2, s2 * s2;
  const Eigen::Vector2d x(1.7, -0.4);
  const double z1 = (x(0) - m1) / s1, z2 = (x(1) - m2) / s2;
  const double q = (z1 * z1 - 2.0 * rho * z1 * z2 + z2 * z2) / (1.0 - rho * rho);
  const double expected = -std::log(2.0 * std::numbers::pi * s1 * s2 * std::sqrt(1.0 - rho * rho)) - 0.5 * q;
  EXPECT_NEAR(naive_log_density(x, Eigen::Vector2d(m1, m2), cov), expected, 1e-12);
}

TEST(NaiveGmm, SingleComponentGivesSampleMeanAndMLCovariance) {
  const Eigen::MatrixXd X = synthetic_data(40, 7);
  const Eigen::Index N = X.rows();
  const Eigen::VectorXd w = Eigen::VectorXd::Ones(N);
  const Eigen::VectorXd mean = X.colwise().mean().transpose();
  const Eigen::MatrixXd centred = X.rowwise() - mean.transpose();
  const Eigen::MatrixXd ml_cov = centred.transpose() * centred / static_cast<double>(N);  // divide by N

  for (const char* type : {"full", "tied"}) {
    const naive_gmm g = naive_em(X, w, X.row(0), type, 5, 0.0);
    ASSERT_EQ(g.weights.size(), 1);
    EXPECT_NEAR(g.weights(0), 1.0, 1e-14);
    EXPECT_TRUE(g.means[0].isApprox(mean, 1e-12)) << type;
    EXPECT_TRUE(g.covariances[0].isApprox(ml_cov, 1e-12)) << type;
    // log-likelihood of a single Gaussian at its MLE: -N/2 (D log 2π + log det Σ + D)
    const double expected =
        -0.5 * static_cast<double>(N) * (2.0 * std::log(2.0 * std::numbers::pi) + std::log(ml_cov.determinant()) + 2.0);
    EXPECT_NEAR(g.log_likelihood, expected, 1e-9 * std::abs(expected)) << type;
  }

  const naive_gmm gd = naive_em(X, w, X.row(0), "diag", 5, 0.0);
  EXPECT_TRUE(gd.covariances[0].isApprox(Eigen::MatrixXd(ml_cov.diagonal().asDiagonal()), 1e-12));
  const naive_gmm gs = naive_em(X, w, X.row(0), "spherical", 5, 0.0);
  EXPECT_TRUE(gs.covariances[0].isApprox(ml_cov.diagonal().mean() * Eigen::MatrixXd::Identity(2, 2), 1e-12));

  // reg_covar is added on the diagonal.
  const naive_gmm gr = naive_em(X, w, X.row(0), "full", 1, 0.25);
  EXPECT_TRUE(gr.covariances[0].isApprox(ml_cov + 0.25 * Eigen::MatrixXd::Identity(2, 2), 1e-12));
}

TEST(NaiveGmm, IntegerWeightsEqualRepeatedRows) {
  const Eigen::MatrixXd X = synthetic_data(10, 11);
  const Eigen::Index N = X.rows();
  Eigen::VectorXd w(N);
  Eigen::Index total = 0;
  for (Eigen::Index n = 0; n < N; ++n) {
    w(n) = static_cast<double>(1 + n % 3);
    total += 1 + n % 3;
  }
  Eigen::MatrixXd Xrep(total, 2);
  Eigen::Index r = 0;
  for (Eigen::Index n = 0; n < N; ++n)
    for (int j = 0; j < 1 + n % 3; ++j) Xrep.row(r++) = X.row(n);
  Eigen::MatrixXd init(3, 2);
  init << 0.0, 0.0, 4.0, 1.0, 1.0, 5.0;
  for (const char* type : kCovTypes) {
    const naive_gmm a = naive_em(X, w, init, type, 20, 1e-6);
    const naive_gmm b = naive_em(Xrep, Eigen::VectorXd::Ones(total), init, type, 20, 1e-6);
    EXPECT_NEAR(a.log_likelihood, b.log_likelihood, 1e-8 * std::abs(b.log_likelihood)) << type;
    EXPECT_TRUE(a.weights.isApprox(b.weights, 1e-10)) << type;
    for (std::size_t k = 0; k < 3; ++k) {
      EXPECT_TRUE(a.means[k].isApprox(b.means[k], 1e-10)) << type;
      EXPECT_TRUE(a.covariances[k].isApprox(b.covariances[k], 1e-10)) << type;
    }
  }
}

TEST(NaiveGmm, CovarianceStructureMatchesType) {
  const Eigen::MatrixXd X = synthetic_data(30, 3);
  const Eigen::VectorXd w = Eigen::VectorXd::Ones(X.rows());
  Eigen::MatrixXd init(3, 2);
  init << 0.0, 0.0, 4.0, 1.0, 1.0, 5.0;
  const naive_gmm d = naive_em(X, w, init, "diag", 10, 1e-6);
  const naive_gmm s = naive_em(X, w, init, "spherical", 10, 1e-6);
  const naive_gmm t = naive_em(X, w, init, "tied", 10, 1e-6);
  for (std::size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(d.covariances[k](0, 1), 0.0);
    EXPECT_EQ(d.covariances[k](1, 0), 0.0);
    EXPECT_EQ(s.covariances[k](0, 1), 0.0);
    EXPECT_EQ(s.covariances[k](0, 0), s.covariances[k](1, 1));
    EXPECT_EQ(t.covariances[k], t.covariances[0]);
  }
  EXPECT_NEAR(d.weights.sum(), 1.0, 1e-14);
}

TEST(NaiveGmm, EmNeverDecreasesLogLikelihood) {
  const Eigen::MatrixXd X = synthetic_data(50, 42);
  Eigen::VectorXd w(X.rows());
  for (Eigen::Index n = 0; n < X.rows(); ++n) w(n) = 0.5 + static_cast<double>(n % 5) * 0.25;
  Eigen::MatrixXd init(3, 2);  // deliberately poor start
  init << 1.0, 1.0, 2.0, 2.0, 3.0, 3.0;
  for (const char* type : kCovTypes) {
    double previous = -std::numeric_limits<double>::infinity();
    for (int it = 0; it <= 30; ++it) {
      const naive_gmm g = naive_em(X, w, init, type, it, 1e-6);
      EXPECT_TRUE(std::isfinite(g.log_likelihood));
      EXPECT_GE(g.log_likelihood, previous - 1e-9 * std::abs(previous)) << type << " iteration " << it;
      EXPECT_NEAR(g.log_likelihood, naive_log_likelihood(X, w, g), 1e-12 * std::abs(g.log_likelihood));
      previous = g.log_likelihood;
    }
  }
}

TEST(NaiveGmm, NearestMeanInitialisationTiesGoToLowestIndex) {
  // Point 0 is equidistant from both initial means; with 0 iterations the
  // model is the M-step of the one-hot assignment.
  Eigen::MatrixXd X(4, 1);
  X << 0.0, -1.0, 1.0, 1.2;
  Eigen::MatrixXd init(2, 1);
  init << -1.0, 1.0;
  const naive_gmm g = naive_em(X, Eigen::VectorXd::Ones(4), init, "full", 0, 1e-6);
  EXPECT_NEAR(g.weights(0), 0.5, 1e-15);  // {0, -1}
  EXPECT_NEAR(g.means[0](0), -0.5, 1e-15);
  EXPECT_NEAR(g.means[1](0), 1.1, 1e-15);  // {1, 1.2}
  EXPECT_NEAR(g.covariances[0](0, 0), 0.25 + 1e-6, 1e-15);
}

TEST(NaiveGmm, MStepDirect) {
  Eigen::MatrixXd X(3, 2);
  X << 0.0, 0.0, 2.0, 0.0, 0.0, 4.0;
  Eigen::VectorXd w(3);
  w << 1.0, 1.0, 2.0;
  Eigen::MatrixXd R(3, 2);
  R << 1.0, 0.0, 0.5, 0.5, 0.0, 1.0;
  const naive_gmm g = naive_m_step(X, w, R, "full", 0.0);
  // N_1 = 1.5, N_2 = 2.5, total 4.
  EXPECT_NEAR(g.weights(0), 1.5 / 4.0, 1e-15);
  EXPECT_NEAR(g.weights(1), 2.5 / 4.0, 1e-15);
  EXPECT_TRUE(g.means[0].isApprox(Eigen::Vector2d(1.0 / 1.5, 0.0), 1e-14));
  EXPECT_TRUE(g.means[1].isApprox(Eigen::Vector2d(1.0 / 2.5, 8.0 / 2.5), 1e-14));
  // Σ_1(0,0) = [1·(0-2/3)² + 0.5·(2-2/3)²] / 1.5
  const double m = 2.0 / 3.0;
  EXPECT_NEAR(g.covariances[0](0, 0), (m * m + 0.5 * (2.0 - m) * (2.0 - m)) / 1.5, 1e-14);
}

TEST(NaiveGmm, FreeParameters) {
  EXPECT_EQ(naive_free_parameters("full", 2, 2), 4 + 6 + 1);
  EXPECT_EQ(naive_free_parameters("diag", 2, 2), 4 + 4 + 1);
  EXPECT_EQ(naive_free_parameters("spherical", 2, 2), 4 + 2 + 1);
  EXPECT_EQ(naive_free_parameters("tied", 2, 2), 4 + 3 + 1);
  EXPECT_EQ(naive_free_parameters("full", 3, 4), 12 + 30 + 2);
  EXPECT_EQ(naive_free_parameters("tied", 3, 4), 12 + 10 + 2);
}

TEST(NaiveGmm, UnknownCovarianceThrows) {
  const Eigen::MatrixXd X = synthetic_data(5, 1);
  const Eigen::VectorXd w = Eigen::VectorXd::Ones(X.rows());
  EXPECT_THROW(naive_em(X, w, X.topRows(2), "Full", 3, 1e-6), std::invalid_argument);
  EXPECT_THROW(naive_m_step(X, w, Eigen::MatrixXd::Ones(X.rows(), 1), "banded", 1e-6), std::invalid_argument);
  EXPECT_THROW(naive_free_parameters("", 2, 2), std::invalid_argument);
}

TEST(NaiveGmm, OldFaithfulKnownMaximum) {
  const Eigen::MatrixXd X = read_faithful();
  ASSERT_EQ(X.rows(), 272);
  ASSERT_EQ(X.cols(), 2);
  Eigen::MatrixXd init(2, 2);
  init << 2.0, 55.0, 4.5, 80.0;
  const naive_gmm g = naive_em(X, Eigen::VectorXd::Ones(272), init, "full", 500, 1e-6);
  std::printf("Old Faithful log-likelihood %.8f\n", g.log_likelihood);
  for (int k = 0; k < 2; ++k) {
    const auto ku = static_cast<std::size_t>(k);
    std::printf("  k=%d weight %.8f mean (%.8f, %.8f) cov [[%.8f, %.8f], [%.8f, %.8f]]\n", k, g.weights(k),
                g.means[ku](0), g.means[ku](1), g.covariances[ku](0, 0), g.covariances[ku](0, 1),
                g.covariances[ku](1, 0), g.covariances[ku](1, 1));
  }
  EXPECT_NEAR(g.log_likelihood, -1130.26396, 1e-5);
  EXPECT_NEAR(g.weights(0), 0.3559, 1e-3);
  EXPECT_NEAR(g.means[0](0), 2.0364, 1e-3);
  EXPECT_NEAR(g.means[0](1), 54.4786, 1e-3);
  EXPECT_NEAR(g.means[1](0), 4.2897, 1e-3);
  EXPECT_NEAR(g.means[1](1), 79.9681, 1e-3);
}
