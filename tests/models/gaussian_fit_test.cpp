// Fitting Gaussian mixtures end to end: the known optimum of Old Faithful, agreement with an
// independent textbook EM, the monitor over many seeds, recovery of a known mixture,
// determinism, weights as repetition, and the prediction API.
#include <cmath>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <emkit/emkit.hpp>
#include <emkit/testing/monitor_passed.hpp>

#include "support/data.hpp"
#include "support/naive_gmm.hpp"

namespace {

using emkit::covariance_type;
using gmm = emkit::mixture<emkit::gaussian>;
constexpr covariance_type all_types[] = {covariance_type::full, covariance_type::diagonal, covariance_type::spherical,
                                         covariance_type::tied};

gmm model_of(covariance_type type, double reg = 1e-6) {
  return gmm{emkit::gaussian{.covariance = type, .reg_covar = reg}};
}

// Old Faithful, K = 2, full covariance: the maximum log-likelihood that mclust and
// scikit-learn also reach.
constexpr double faithful_optimum = -1130.26396;

TEST(GaussianFit, OldFaithfulReachesTheKnownMaximumFromRestarts) {
  const Eigen::MatrixXd X = emkit::testing::load_data("faithful.csv");
  ASSERT_EQ(X.rows(), 272);
  emkit::fitter<> fitter;
  fitter.options.restarts = 5;
  fitter.options.seed = 2026;
  fitter.options.relative_tolerance = 1e-12;
  auto [theta, summary] = fitter.fit(model_of(covariance_type::full), X, 2);
  EXPECT_TRUE(emkit::testing::monitor_passed(summary));
  EXPECT_TRUE(summary.converged);
  EXPECT_NEAR(summary.log_likelihood, faithful_optimum, 1e-5);
  EXPECT_NEAR(emkit::log_likelihood(model_of(covariance_type::full), theta, X), summary.log_likelihood, 1e-9);
  // The short-eruption component: weight 0.3559, mean (2.0364, 54.479).
  const int small = theta.weights[0] < theta.weights[1] ? 0 : 1;
  EXPECT_NEAR(theta.weights[small], 0.3558729, 1e-6);
  EXPECT_NEAR(theta.components[small].mean[0], 2.036389, 1e-5);
  EXPECT_NEAR(theta.components[small].mean[1], 54.47852, 1e-4);
}

TEST(GaussianFit, AgreesWithAnIndependentTextbookEmIterationByIteration) {
  std::vector<int> labels;
  const Eigen::MatrixXd X = emkit::testing::draw(emkit::testing::three_blobs(), 600, 3, &labels);
  Eigen::MatrixXd start(3, 2);
  start << 1.0, 1.0, 6.0, 0.0, 0.0, 6.0;
  const Eigen::VectorXd w = Eigen::VectorXd::Ones(X.rows());
  for (covariance_type type : all_types) {
    for (int iterations : {0, 1, 7, 40}) {
      emkit::fitter<emkit::soft_estep, emkit::given_means> fitter;
      fitter.init.means = start;
      fitter.options.relative_tolerance = 0;
      fitter.options.max_iterations = iterations;
      fitter.options.chunk_rows = 64;  // several chunks and blocks
      auto [theta, summary] = fitter.fit(model_of(type), X, 3);
      const auto ref = emkit::testing::naive_em(X, w, start, emkit::to_string(type), iterations, 1e-6);
      ASSERT_EQ(summary.iterations, iterations);
      EXPECT_NEAR(summary.log_likelihood, ref.log_likelihood, 1e-9 * std::abs(ref.log_likelihood))
          << emkit::to_string(type) << " after " << iterations;
      for (int k = 0; k < 3; ++k) {
        EXPECT_NEAR(theta.weights[k], ref.weights[k], 1e-10);
        EXPECT_LT((theta.components[k].mean - ref.means[k]).cwiseAbs().maxCoeff(), 1e-9);
        EXPECT_LT((theta.components[k].covariance - ref.covariances[k]).cwiseAbs().maxCoeff(), 1e-9);
      }
    }
  }
}

TEST(GaussianFit, MonitorFindsNoViolationOverManySeedsForEveryCovarianceType) {
  const Eigen::MatrixXd blobs = emkit::testing::draw(emkit::testing::three_blobs(), 400, 5);
  const Eigen::MatrixXd faithful = emkit::testing::load_data("faithful.csv");
  for (covariance_type type : all_types) {
    for (const Eigen::MatrixXd* X : {&blobs, &faithful}) {
      for (int K : {2, 3, 5}) {
        emkit::fitter<emkit::soft_estep, emkit::random_responsibility_init> fitter;
        fitter.options.restarts = 6;
        fitter.options.seed = static_cast<std::uint64_t>(K);
        fitter.options.max_iterations = 300;
        fitter.options.relative_tolerance = 1e-10;
        fitter.options.chunk_rows = 32;
        // The monitor records (the default), so that the record is what is asserted; the record's
        // terms are checked against an independent decomposition by the conformance suite's
        // TheRecordAgreesWithAnIndependentDecomposition.
        auto [theta, summary] = fitter.fit(model_of(type), *X, K);
        EXPECT_TRUE(emkit::testing::monitor_passed(summary)) << emkit::to_string(type) << ", K = " << K;
        // The reported ℓ is the likelihood of the returned θ, evaluated directly.
        EXPECT_NEAR(summary.log_likelihood, emkit::log_likelihood(model_of(type), theta, *X),
                    1e-10 * std::abs(summary.log_likelihood));
      }
    }
  }
}

TEST(GaussianFit, RecoversAKnownMixtureWithErrorsThatShrinkWithN) {
  const auto truth = emkit::testing::three_blobs();
  double previous_error = 1e9;
  for (Eigen::Index n : {1000, 10000, 100000}) {
    const Eigen::MatrixXd X = emkit::testing::draw(truth, n, 21);
    emkit::fitter<> fitter;
    fitter.options.restarts = 3;
    fitter.options.seed = 1;
    auto [theta, summary] = fitter.fit(model_of(covariance_type::full), X, 3);
    ASSERT_TRUE(summary.converged);
    double error = 0.0;
    for (int j = 0; j < 3; ++j) {  // match each true component to the nearest fitted mean
      int best = 0;
      for (int k = 1; k < 3; ++k)
        if ((theta.components[k].mean - truth.means.row(j).transpose()).norm() <
            (theta.components[best].mean - truth.means.row(j).transpose()).norm())
          best = k;
      const double scale = 1.0 / std::sqrt(static_cast<double>(n) * truth.weights[j]);
      // Five standard errors of the mean, the weight and the covariance entries.
      EXPECT_LT((theta.components[best].mean - truth.means.row(j).transpose()).cwiseAbs().maxCoeff(), 5 * 1.2 * scale);
      EXPECT_LT(std::abs(theta.weights[best] - truth.weights[j]), 5 * 0.5 / std::sqrt(static_cast<double>(n)));
      EXPECT_LT((theta.components[best].covariance - truth.covariances[j]).cwiseAbs().maxCoeff(), 5 * 1.8 * scale);
      error += (theta.components[best].mean - truth.means.row(j).transpose()).norm();
    }
    EXPECT_LT(error, previous_error);
    previous_error = error;
  }
}

TEST(GaussianFit, SameSeedSameFitAndThreadCountDoesNotChangeABit) {
  const Eigen::MatrixXd X = emkit::testing::draw(emkit::testing::three_blobs(), 20000, 8);
  auto fit_with = [&](int n_threads) {
    emkit::fitter<emkit::soft_estep, emkit::kmeans_plus_plus, emkit::threads> fitter;
    fitter.execution.n = n_threads;
    fitter.options.seed = 77;
    fitter.options.restarts = 2;
    fitter.options.max_iterations = 30;
    return fitter.fit(model_of(covariance_type::full), X, 3);
  };
  const auto one = fit_with(1);
  for (int n : {1, 2, 3, 8}) {
    const auto other = fit_with(n);
    EXPECT_EQ(other.summary.log_likelihood, one.summary.log_likelihood) << n << " threads";
    EXPECT_EQ(other.params.weights, one.params.weights);
    for (int k = 0; k < 3; ++k) {
      EXPECT_EQ(other.params.components[k].mean, one.params.components[k].mean);
      EXPECT_EQ(other.params.components[k].covariance, one.params.components[k].covariance);
    }
  }
  emkit::fitter<> serial;
  serial.options.seed = 77;
  serial.options.restarts = 2;
  serial.options.max_iterations = 30;
  EXPECT_EQ(serial.fit(model_of(covariance_type::full), X, 3).summary.log_likelihood, one.summary.log_likelihood);
}

TEST(GaussianFit, AWeightOfTwoCountsExactlyAsTheRowTwice) {
  const Eigen::MatrixXd X = emkit::testing::draw(emkit::testing::three_blobs(), 300, 12);
  Eigen::VectorXd w(X.rows());
  std::vector<Eigen::Index> rows;
  for (Eigen::Index n = 0; n < X.rows(); ++n) {
    w[n] = static_cast<double>(n % 3);  // 0, 1, 2: dropped, once, twice
    for (int r = 0; r < n % 3; ++r) rows.push_back(n);
  }
  Eigen::MatrixXd repeated(static_cast<Eigen::Index>(rows.size()), 2);
  for (std::size_t i = 0; i < rows.size(); ++i) repeated.row(static_cast<Eigen::Index>(i)) = X.row(rows[i]);
  Eigen::MatrixXd start(3, 2);
  start << 0.0, 0.0, 8.0, 1.0, 2.0, 9.0;
  for (covariance_type type : all_types) {
    emkit::fitter<emkit::soft_estep, emkit::given_means> fitter;
    fitter.init.means = start;
    fitter.options.relative_tolerance = 0;
    fitter.options.max_iterations = 25;
    const auto weighted = fitter.fit(model_of(type), X, 3, w);
    const auto plain = fitter.fit(model_of(type), repeated, 3);
    EXPECT_NEAR(weighted.summary.log_likelihood, plain.summary.log_likelihood,
                1e-10 * std::abs(plain.summary.log_likelihood));
    EXPECT_DOUBLE_EQ(weighted.summary.total_weight, static_cast<double>(repeated.rows()));
    for (int k = 0; k < 3; ++k) {
      EXPECT_NEAR(weighted.params.weights[k], plain.params.weights[k], 1e-12);
      EXPECT_LT((weighted.params.components[k].mean - plain.params.components[k].mean).cwiseAbs().maxCoeff(), 1e-10);
      EXPECT_LT(
          (weighted.params.components[k].covariance - plain.params.components[k].covariance).cwiseAbs().maxCoeff(),
          1e-10);
    }
  }
}

TEST(GaussianFit, PredictionApiIsConsistent) {
  const Eigen::MatrixXd X = emkit::testing::load_data("faithful.csv");
  const gmm model = model_of(covariance_type::full);
  emkit::fitter<> fitter;
  fitter.options.seed = 4;
  auto [theta, summary] = fitter.fit(model, X, 2);
  const Eigen::MatrixXd R = emkit::predict_proba(model, theta, X);
  EXPECT_LT((R.rowwise().sum().array() - 1.0).abs().maxCoeff(), 1e-14);
  const Eigen::VectorX<emkit::index> labels = emkit::predict(model, theta, X);
  for (Eigen::Index n = 0; n < X.rows(); ++n) {
    Eigen::Index arg;
    R.row(n).maxCoeff(&arg);
    EXPECT_EQ(labels[n], arg);
  }
  const Eigen::VectorXd s = emkit::score_samples(model, theta, X);
  EXPECT_NEAR(s.sum(), summary.log_likelihood, 1e-9);
  EXPECT_NEAR(emkit::score(model, theta, X), summary.log_likelihood / 272.0, 1e-12);
  // p = 2·2 means + 2·3 covariance entries + 1 weight = 11.
  EXPECT_NEAR(emkit::bic(model, theta, X), -2 * summary.log_likelihood + 11 * std::log(272.0), 1e-8);
  EXPECT_NEAR(emkit::aic(model, theta, X), -2 * summary.log_likelihood + 22, 1e-8);
  // A row of the wrong width is a shape error, not a wrong answer.
  EXPECT_THROW((void)emkit::predict(model, theta, Eigen::MatrixXd::Zero(3, 5)), emkit::shape_error);
}

TEST(GaussianFit, SamplingIsSeededAndFollowsTheModel) {
  const gmm model = model_of(covariance_type::full);
  gmm::params_type theta;
  theta.dimension = 2;
  theta.weights = Eigen::Vector2d(0.25, 0.75);
  theta.components.push_back(emkit::gaussian_params::from(Eigen::Vector2d(-4, 0), Eigen::Matrix2d::Identity()));
  theta.components.push_back(
      emkit::gaussian_params::from(Eigen::Vector2d(4, 1), (Eigen::Matrix2d() << 2, 0.5, 0.5, 1).finished()));
  const auto a = emkit::sample(model, theta, 40000, 9);
  const auto b = emkit::sample(model, theta, 40000, 9);
  EXPECT_EQ(a.X, b.X);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_NE(emkit::sample(model, theta, 10, 10).X, emkit::sample(model, theta, 10, 9).X.topRows(10));
  const double share = static_cast<double>((a.labels.array() == 1).count()) / 40000.0;
  EXPECT_NEAR(share, 0.75, 5 * std::sqrt(0.75 * 0.25 / 40000));
  // The covariance of component 1's draws estimates Σ_1.
  emkit::fitter<emkit::soft_estep, emkit::given_means> fitter;
  fitter.init.means = (Eigen::Matrix2d() << -4, 0, 4, 1).finished();
  auto [fit, summary] = fitter.fit(model, a.X, 2);
  EXPECT_LT((fit.components[1].covariance - theta.components[1].covariance).cwiseAbs().maxCoeff(), 0.06);
}

TEST(GaussianFit, ToleranceZeroRunsExactlyMaxIterationsAndSaysNotConverged) {
  const Eigen::MatrixXd X = emkit::testing::load_data("faithful.csv");
  emkit::fitter<> fitter;
  fitter.options.relative_tolerance = 0;
  fitter.options.max_iterations = 37;
  auto [theta, summary] = fitter.fit(model_of(covariance_type::diagonal), X, 2);
  EXPECT_EQ(summary.iterations, 37);
  EXPECT_EQ(summary.trace.size(), 38u);
  EXPECT_FALSE(summary.converged);
  ASSERT_FALSE(summary.warnings.empty());
  EXPECT_EQ(summary.warnings.back().code, emkit::warning_code::not_converged);
}

TEST(GaussianFit, AnEmptyComponentIsReseededOrRaisedByPolicyNeverNaN) {
  const Eigen::MatrixXd X = emkit::testing::load_data("faithful.csv");
  Eigen::MatrixXd start(3, 2);
  start << 2.0, 55.0, 4.5, 80.0, 1000.0, 1000.0;  // no row is nearest to the third mean
  emkit::fitter<emkit::soft_estep, emkit::given_means> fitter;
  fitter.init.means = start;
  auto [theta, summary] = fitter.fit(model_of(covariance_type::full), X, 3);
  EXPECT_TRUE(emkit::testing::monitor_passed(summary));
  EXPECT_TRUE(theta.weights.allFinite());
  for (const auto& c : theta.components) EXPECT_TRUE(c.covariance.allFinite() && c.mean.allFinite());
  ASSERT_FALSE(summary.warnings.empty());
  EXPECT_EQ(summary.warnings.front().code, emkit::warning_code::component_reseeded);
  EXPECT_EQ(summary.warnings.front().component, 2);
  EXPECT_TRUE(summary.trace.front().reseeded);

  gmm strict = model_of(covariance_type::full);
  strict.empty_components = emkit::empty_component_policy::raise;
  try {
    (void)fitter.fit(strict, X, 3);
    FAIL() << "expected numerical_error";
  } catch (const emkit::numerical_error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("component 2 lost all its mass"));
  }
}

}  // namespace
