// The Gaussian family's hooks against independent truths: Boost.Math densities, the textbook
// formula, closed-form maximum-likelihood estimates, exact merging of statistics.
#include <cmath>
#include <span>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <Eigen/LU>
#include <boost/math/distributions/normal.hpp>

#include <emkit/emkit.hpp>

#include "support/data.hpp"
#include "support/naive_gmm.hpp"

namespace {

using emkit::covariance_type;
constexpr covariance_type all_types[] = {covariance_type::full, covariance_type::diagonal, covariance_type::spherical,
                                         covariance_type::tied};

Eigen::MatrixXd spread_data(Eigen::Index n, Eigen::Index D, unsigned seed, double offset = 0.0) {
  Eigen::MatrixXd X(n, D);
  emkit::random_engine rng = emkit::make_engine(seed);
  Eigen::MatrixXd A = Eigen::MatrixXd::Random(D, D) * 0.5 + Eigen::MatrixXd::Identity(D, D);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index d = 0; d < D; ++d) X(i, d) = emkit::uniform01(rng) * 2 - 1 + 0.1 * d;
  return (X * A).array() + offset;
}

double max_rel_diff(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return (a - b).cwiseAbs().maxCoeff() / std::max(1.0, b.cwiseAbs().maxCoeff());
}

TEST(GaussianDensity, OneDimensionalAgreesWithBoostMath) {
  const emkit::gaussian family{.covariance = covariance_type::full};
  for (double mu : {-3.0, 0.0, 2.5}) {
    for (double sigma : {0.01, 1.0, 40.0}) {
      const auto p = emkit::gaussian_params::from(Eigen::VectorXd::Constant(1, mu),
                                                  Eigen::MatrixXd::Constant(1, 1, sigma * sigma));
      Eigen::MatrixXd X(5, 1);
      X << mu, mu + sigma, mu - 3 * sigma, mu + 0.1, -7.0;
      const Eigen::VectorXd got = family.log_density(p, X);
      const boost::math::normal_distribution<double> ref(mu, sigma);
      for (Eigen::Index i = 0; i < X.rows(); ++i) {
        const double expected = std::log(boost::math::pdf(ref, X(i, 0)));
        if (std::isfinite(expected)) {
          EXPECT_NEAR(got[i], expected, 1e-12 * std::max(1.0, std::abs(expected)));
        }
      }
    }
  }
}

TEST(GaussianDensity, FullCovarianceAgreesWithTextbookFormulaAtSpotValues) {
  Eigen::Matrix3d S;
  S << 2.0, 0.6, -0.3, 0.6, 1.0, 0.2, -0.3, 0.2, 0.5;
  const Eigen::Vector3d mu(1.0, -2.0, 0.5);
  const auto p = emkit::gaussian_params::from(mu, S);
  Eigen::MatrixXd X(4, 3);
  X << 1.0, -2.0, 0.5, 0.0, 0.0, 0.0, 3.0, 1.0, -1.0, -10.0, 5.0, 2.0;
  const Eigen::VectorXd got = emkit::gaussian{}.log_density(p, X);
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    // −½(D log 2π + log det Σ + (x−μ)ᵀ Σ⁻¹ (x−μ)) with an explicit inverse and determinant.
    const Eigen::Vector3d d = X.row(i).transpose() - mu;
    const double expected = -0.5 * (3 * std::log(2 * M_PI) + std::log(S.determinant()) + d.dot(S.inverse() * d));
    EXPECT_NEAR(got[i], expected, 1e-11 * std::abs(expected));
  }
  // At the mean the density is (2π)^{-D/2} det(Σ)^{-1/2} exactly.
  EXPECT_NEAR(got[0], -1.5 * std::log(2 * M_PI) - 0.5 * std::log(S.determinant()), 1e-13);
}

TEST(GaussianDensity, DiagonalIsAProductOfBoostNormals) {
  const Eigen::Vector2d mu(0.5, -1.0), var(0.25, 4.0);
  const auto p = emkit::gaussian_params::from_variances(mu, var);
  Eigen::MatrixXd X(3, 2);
  X << 0.0, 0.0, 1.0, 2.0, -3.0, 5.0;
  const Eigen::VectorXd got = emkit::gaussian{.covariance = covariance_type::diagonal}.log_density(p, X);
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    double expected = 0;
    for (int d = 0; d < 2; ++d)
      expected += std::log(boost::math::pdf(boost::math::normal_distribution<>(mu[d], std::sqrt(var[d])), X(i, d)));
    EXPECT_NEAR(got[i], expected, 1e-12 * std::abs(expected));
  }
}

TEST(GaussianDensity, BatchedFormEqualsPerComponentFormFarFromTheOrigin) {
  // The batched diagonal form expands ‖x − μ‖²; shifting by the chunk mean keeps it exact
  // for data at 1e6 with unit spread.
  for (covariance_type type : all_types) {
    const emkit::gaussian family{.covariance = type};
    const Eigen::MatrixXd X = spread_data(300, 4, 5, 1e6);
    std::vector<emkit::gaussian_params> ps;
    for (int k = 0; k < 3; ++k) {
      Eigen::VectorXd w = Eigen::VectorXd::Zero(X.rows());
      w.segment(k * 100, 100).setOnes();
      ps.push_back(family.maximize(family.accumulate(X, w)));
    }
    Eigen::MatrixXd batched(X.rows(), 3);
    family.log_density_all(std::span<const emkit::gaussian_params>(ps), X, batched);
    for (int k = 0; k < 3; ++k) {
      const Eigen::VectorXd single = family.log_density(ps[k], X);
      EXPECT_LT(max_rel_diff(batched.col(k), single), 1e-9) << emkit::to_string(type);
    }
  }
}

TEST(GaussianStats, TwoHalvesMergedEqualTheWhole) {
  for (covariance_type type : all_types) {
    const emkit::gaussian family{.covariance = type};
    const Eigen::MatrixXd X = spread_data(101, 3, 7);
    Eigen::VectorXd w = Eigen::VectorXd::LinSpaced(X.rows(), 0.1, 2.0);
    emkit::gaussian_stats merged = family.accumulate(X.topRows(40), w.head(40));
    merged += family.accumulate(X.bottomRows(61), w.tail(61));
    const emkit::gaussian_stats whole = family.accumulate(X, w);
    EXPECT_NEAR(merged.weight, whole.weight, 1e-13 * whole.weight);
    EXPECT_LT(max_rel_diff(merged.mean, whole.mean), 1e-14);
    EXPECT_LT(max_rel_diff(merged.scatter, whole.scatter), 1e-13);
    // The identity: an empty statistic merges to nothing, and from nothing to a copy.
    emkit::gaussian_stats empty;
    empty += whole;
    EXPECT_EQ(empty.scatter, whole.scatter);
    emkit::gaussian_stats copy = whole;
    copy += emkit::gaussian_stats{};
    EXPECT_EQ(copy.mean, whole.mean);
  }
}

TEST(GaussianStats, BatchedAccumulateEqualsPerComponentAccumulate) {
  for (covariance_type type : all_types) {
    const emkit::gaussian family{.covariance = type};
    const Eigen::MatrixXd X = spread_data(64, 3, 9, 100.0);
    const Eigen::MatrixXd W = (Eigen::MatrixXd::Random(64, 2).array() + 1.0) / 2.0;
    std::vector<emkit::gaussian_stats> batched(2);
    family.accumulate_all(X, W, std::span<emkit::gaussian_stats>(batched));
    for (int k = 0; k < 2; ++k) {
      const emkit::gaussian_stats single = family.accumulate(X, W.col(k));
      EXPECT_NEAR(batched[k].weight, single.weight, 1e-13 * single.weight);
      EXPECT_LT(max_rel_diff(batched[k].mean, single.mean), 1e-14);
      EXPECT_LT(max_rel_diff(batched[k].scatter, single.scatter), 1e-12);
    }
  }
}

TEST(GaussianStats, ExpectedLogDensityFromStatisticsEqualsTheSumOverRows) {
  for (covariance_type type : all_types) {
    const emkit::gaussian family{.covariance = type};
    const Eigen::MatrixXd X = spread_data(200, 3, 13);
    const Eigen::VectorXd w = Eigen::VectorXd::LinSpaced(X.rows(), 0.0, 1.0);
    Eigen::MatrixXd S(3, 3);
    S << 1.5, 0.2, 0.1, 0.2, 0.7, -0.1, 0.1, -0.1, 0.9;
    const auto p = family.diagonal_form()
                       ? emkit::gaussian_params::from_variances(Eigen::Vector3d(0.3, -0.2, 0.1), S.diagonal())
                       : emkit::gaussian_params::from(Eigen::Vector3d(0.3, -0.2, 0.1), S);
    const double from_rows = w.dot(family.log_density(p, X));
    const double from_stats = family.expected_log_density(family.accumulate(X, w), p);
    EXPECT_NEAR(from_stats, from_rows, 1e-11 * std::abs(from_rows)) << emkit::to_string(type);
  }
}

TEST(GaussianMaximize, UnitWeightsGiveTheTextbookMaximumLikelihoodEstimate) {
  const Eigen::MatrixXd X = spread_data(500, 3, 17, 3.0);
  const Eigen::VectorXd mean = X.colwise().mean();
  const Eigen::MatrixXd centred = X.rowwise() - mean.transpose();
  const Eigen::MatrixXd ml_cov = centred.transpose() * centred / static_cast<double>(X.rows());
  for (covariance_type type : all_types) {
    const emkit::gaussian family{.covariance = type, .reg_covar = 0.0};
    const auto ps =
        family.maximize_all(std::vector<emkit::gaussian_stats>{family.accumulate(X, Eigen::VectorXd::Ones(500))});
    EXPECT_LT(max_rel_diff(ps[0].mean, mean), 1e-14);
    Eigen::MatrixXd expected = ml_cov;
    if (type == covariance_type::diagonal) expected = ml_cov.diagonal().asDiagonal();
    if (type == covariance_type::spherical) expected = Eigen::MatrixXd::Identity(3, 3) * ml_cov.trace() / 3.0;
    EXPECT_LT(max_rel_diff(ps[0].covariance, expected), 1e-13) << emkit::to_string(type);
  }
}

TEST(GaussianMaximize, DataFarFromTheOriginLosesNoPrecision) {
  // Unit-scale data shifted to 1e9: raw moments Σx² − N x̄² would lose about 18 digits.
  const Eigen::MatrixXd base = spread_data(1000, 2, 19);
  const Eigen::MatrixXd far = base.array() + 1e9;
  const emkit::gaussian family{.covariance = covariance_type::full, .reg_covar = 0.0};
  const emkit::row_blocks blocks{far.rows(), 64};
  emkit::gaussian_stats merged;
  for (emkit::index b = 0; b < blocks.num_blocks(); ++b)
    blocks.for_each_chunk(b, [&](emkit::row_range r) {
      merged += family.accumulate(far.middleRows(r.begin, r.rows), Eigen::VectorXd::Ones(r.rows));
    });
  const auto near_fit = family.maximize(family.accumulate(base, Eigen::VectorXd::Ones(1000)));
  const auto far_fit = family.maximize(merged);
  EXPECT_LT(max_rel_diff(far_fit.covariance, near_fit.covariance), 1e-6);
}

TEST(GaussianMaximize, SingularCovarianceIsAClearErrorNamingTheComponent) {
  // Collinear points with no regularisation: Σ is singular and the Cholesky factor fails.
  Eigen::MatrixXd X(4, 2);
  X << 0, 0, 1, 1, 2, 2, 3, 3;
  const emkit::gaussian family{.covariance = covariance_type::full, .reg_covar = 0.0};
  std::vector<emkit::gaussian_stats> stats{family.accumulate(X, Eigen::VectorXd::Ones(4)),
                                           family.accumulate(X, Eigen::VectorXd::Ones(4))};
  stats[0] = family.accumulate(Eigen::MatrixXd::Random(4, 2), Eigen::VectorXd::Ones(4));
  try {
    (void)family.maximize_all(stats);
    FAIL() << "expected numerical_error";
  } catch (const emkit::numerical_error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("component 1"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("not positive definite"));
  }
}

TEST(GaussianFamily, FreeParametersMatchTheReference) {
  for (covariance_type type : all_types) {
    const emkit::gaussian family{.covariance = type};
    std::vector<emkit::gaussian_params> ps(
        3, emkit::gaussian_params::from(Eigen::VectorXd::Zero(4), Eigen::MatrixXd::Identity(4, 4)));
    const emkit::mixture<emkit::gaussian> model{family};
    emkit::mixture<emkit::gaussian>::params_type theta{Eigen::VectorXd::Constant(3, 1.0 / 3), ps, 4};
    EXPECT_EQ(static_cast<int>(model.num_free_parameters(theta)),
              emkit::testing::naive_free_parameters(emkit::to_string(type), 3, 4));
  }
}

TEST(GaussianFamily, ParseCovarianceTypeRejectsUnknownNames) {
  EXPECT_EQ(emkit::parse_covariance_type("diag"), covariance_type::diagonal);
  EXPECT_EQ(emkit::parse_covariance_type("tied"), covariance_type::tied);
  EXPECT_THROW((void)emkit::parse_covariance_type("banana"), emkit::invalid_option);
}

}  // namespace
