// Reliability, part 1: bad input at every public entry point. Each test is one row of the
// table in docs/reliability.md. Every error comes from the one emkit::error hierarchy
// (data_error, shape_error, invalid_option, numerical_error) and its message names the place,
// the argument and its value.
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <emkit/emkit.hpp>

#include "reliability/reliability_support.hpp"

namespace {

using emkit::index;
using emkit::reliability::gaussian_model;
using emkit::reliability::gmm;
using emkit::reliability::message_of;
using emkit::reliability::strict_fitter;
using emkit::reliability::strict_kmeans;
using emkit::reliability::two_clusters;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

Eigen::MatrixXd small_data() { return two_clusters(10, 2, 5.0, 1.0); }

// ---- the hierarchy ------------------------------------------------------------------------

TEST(BadInput, EveryErrorTypeIsAnEmkitErrorAndARuntimeError) {
  static_assert(std::is_base_of_v<std::runtime_error, emkit::error>);
  static_assert(std::is_base_of_v<emkit::error, emkit::data_error>);
  static_assert(std::is_base_of_v<emkit::error, emkit::shape_error>);
  static_assert(std::is_base_of_v<emkit::error, emkit::invalid_option>);
  static_assert(std::is_base_of_v<emkit::error, emkit::numerical_error>);
  static_assert(std::is_base_of_v<emkit::error, emkit::monitor_violation>);
  // The check_* helpers write "<where>: <argument> = <value>, expected <what>".
  EXPECT_EQ(message_of<emkit::invalid_option>([] { emkit::check_option(false, "here", "arg", 3, ">= 4"); }),
            "here: arg = 3, expected >= 4");
  EXPECT_EQ(message_of<emkit::shape_error>([] { emkit::check_shape(false, "here", "X.rows()", 0, ">= 1"); }),
            "here: X.rows() = 0, expected >= 1");
}

// ---- data ---------------------------------------------------------------------------------

TEST(BadInput, EmptyDataIsAShapeError) {
  const auto f = strict_fitter();
  EXPECT_THAT(message_of<emkit::shape_error>([&] { (void)f.fit(gmm{}, Eigen::MatrixXd(0, 2), 1); }),
              HasSubstr("fit: X.rows() = 0, expected >= 1 observation"));
  EXPECT_THAT(message_of<emkit::shape_error>([&] { (void)f.fit(gmm{}, Eigen::MatrixXd(5, 0), 1); }),
              HasSubstr("fit: X.cols() = 0, expected >= 1 column"));
}

TEST(BadInput, NaNOrInfinityInTheDataIsNamedByRowAndColumn) {
  const auto f = strict_fitter();
  for (const double bad : {nan, inf, -inf}) {
    Eigen::MatrixXd X = small_data();
    X(7, 1) = bad;
    const std::string m = message_of<emkit::data_error>([&] { (void)f.fit(gmm{}, X, 2); });
    EXPECT_THAT(m, HasSubstr("fit: X(7, 1) = ")) << bad;
    EXPECT_THAT(m, HasSubstr("expected a finite number")) << bad;
  }
}

TEST(BadInput, ComponentCountOutsideOneToNIsAnInvalidOption) {
  const auto f = strict_fitter();
  const Eigen::MatrixXd X = small_data();
  EXPECT_THAT(message_of<emkit::invalid_option>([&] { (void)f.fit(gmm{}, X, 0); }),
              HasSubstr("fit: K = 0, expected >= 1"));
  EXPECT_THAT(message_of<emkit::invalid_option>([&] { (void)f.fit(gmm{}, X, -3); }), HasSubstr("K = -3"));
  EXPECT_THAT(message_of<emkit::invalid_option>([&] { (void)f.fit(gmm{}, X, 11); }),
              HasSubstr("K = 11, expected <= the number of observations 10"));
}

// ---- weights ------------------------------------------------------------------------------

TEST(BadInput, WeightsOfTheWrongLengthAreAShapeError) {
  const auto f = strict_fitter();
  const Eigen::MatrixXd X = small_data();
  for (const index n : {0, 9, 11}) {
    EXPECT_THAT(message_of<emkit::shape_error>([&] { (void)f.fit(gmm{}, X, 2, Eigen::VectorXd::Ones(n)); }),
                HasSubstr("fit: weights.size() = " + std::to_string(n) + ", expected the number of rows 10"));
  }
}

TEST(BadInput, NegativeOrNonFiniteWeightsAreNamed) {
  const auto f = strict_fitter();
  const Eigen::MatrixXd X = small_data();
  for (const double bad : {-1.0, -1e-300, nan, inf}) {
    Eigen::VectorXd w = Eigen::VectorXd::Ones(10);
    w[4] = bad;
    EXPECT_THAT(message_of<emkit::data_error>([&] { (void)f.fit(gmm{}, X, 2, w); }),
                AllOf(HasSubstr("fit: weights(4) = "), HasSubstr("expected a finite number >= 0")))
        << bad;
  }
}

TEST(BadInput, AllZeroWeightsAreAnInvalidOption) {
  const auto f = strict_fitter();
  EXPECT_THAT(
      message_of<emkit::invalid_option>([&] { (void)f.fit(gmm{}, small_data(), 2, Eigen::VectorXd::Zero(10)); }),
      HasSubstr("fit: sum of weights = 0, expected > 0"));
}

TEST(BadInput, FewerPositiveWeightRowsThanComponentsIsNamedByRandomRows) {
  auto f = strict_fitter<emkit::soft_estep, emkit::random_rows>();
  Eigen::VectorXd w = Eigen::VectorXd::Zero(10);
  w[2] = 1.0;
  EXPECT_THAT(message_of<emkit::invalid_option>([&] { (void)f.fit(gmm{}, small_data(), 2, w); }),
              HasSubstr("random_rows: K = 2, expected <= the number of rows of positive weight"));
}

// ---- options ------------------------------------------------------------------------------

TEST(BadInput, EveryFitOptionOutOfRangeIsNamed) {
  const Eigen::MatrixXd X = small_data();
  auto expect_named = [&](auto&& set, const std::string& text) {
    auto f = strict_fitter();
    set(f.options);
    EXPECT_THAT(message_of<emkit::invalid_option>([&] { (void)f.fit(gmm{}, X, 2); }),
                AllOf(HasSubstr("fit_options: "), HasSubstr(text)));
  };
  expect_named([](emkit::fit_options& o) { o.max_iterations = -1; }, "max_iterations = -1, expected >= 0");
  expect_named([](emkit::fit_options& o) { o.relative_tolerance = -1e-3; }, "relative_tolerance = -0.001");
  expect_named([](emkit::fit_options& o) { o.relative_tolerance = 1.0; }, "relative_tolerance = 1, expected in [0, 1)");
  expect_named([](emkit::fit_options& o) { o.relative_tolerance = nan; }, "relative_tolerance = nan");
  expect_named([](emkit::fit_options& o) { o.restarts = 0; }, "restarts = 0, expected >= 1");
  expect_named([](emkit::fit_options& o) { o.chunk_rows = -1; }, "chunk_rows = -1, expected >= 0");
  expect_named([](emkit::fit_options& o) { o.monitor.relative_tolerance = -1; }, "monitor.relative_tolerance = -1");
  expect_named([](emkit::fit_options& o) { o.monitor.relative_tolerance = nan; }, "monitor.relative_tolerance = nan");
}

TEST(BadInput, NegativeWorkerCountIsNamed) {
  auto f = strict_fitter<emkit::soft_estep, emkit::kmeans_plus_plus, emkit::threads>();
  f.execution.n = -1;
  EXPECT_THAT(message_of<emkit::invalid_option>([&] { (void)f.fit(gmm{}, small_data(), 2); }),
              HasSubstr("threads: n = -1, expected >= 0"));
}

TEST(BadInput, GivenMeansOfTheWrongShapeOrNotFiniteAreNamed) {
  auto f = strict_fitter<emkit::soft_estep, emkit::given_means>();
  const Eigen::MatrixXd X = small_data();
  f.init.means = Eigen::MatrixXd::Zero(3, 2);
  EXPECT_THAT(message_of<emkit::shape_error>([&] { (void)f.fit(gmm{}, X, 2); }),
              HasSubstr("given_means: means.rows() = 3, expected K = 2"));
  f.init.means = Eigen::MatrixXd::Zero(2, 5);
  EXPECT_THAT(message_of<emkit::shape_error>([&] { (void)f.fit(gmm{}, X, 2); }),
              HasSubstr("given_means: means.cols() = 5, expected the data's dimension 2"));
  f.init.means = Eigen::MatrixXd::Zero(2, 2);
  f.init.means(1, 0) = nan;
  EXPECT_THAT(message_of<emkit::invalid_option>([&] { (void)f.fit(gmm{}, X, 2); }), HasSubstr("given_means: means"));
}

TEST(BadInput, KMeansPlusPlusNegativeLocalTrialsIsNamed) {
  auto f = strict_fitter();
  f.init.local_trials = -5;
  EXPECT_THAT(message_of<emkit::invalid_option>([&] { (void)f.fit(gmm{}, small_data(), 2); }),
              HasSubstr("kmeans_plus_plus: local_trials = -5, expected >= 0"));
}

// ---- family options and the families' support ----------------------------------------------

TEST(BadInput, GaussianRegCovarNegativeOrNaNIsAnInvalidOption) {
  const auto f = strict_fitter();
  const Eigen::MatrixXd X = small_data();
  // Before the fix: a numerical_error from the Cholesky factorisation, "increase reg_covar".
  for (const double bad : {-1.0, nan, inf}) {
    for (const auto c : emkit::reliability::every_covariance_type()) {
      EXPECT_THAT(message_of<emkit::invalid_option>([&] { (void)f.fit(gaussian_model(c, bad), X, 2); }),
                  HasSubstr("gaussian: reg_covar = "))
          << bad << " " << to_string(c);
    }
  }
  // A fitted model with a bad reg_covar is rejected by the prediction functions too.
  const auto fitted = f.fit(gaussian_model(emkit::covariance_type::full), X, 2);
  EXPECT_THAT(message_of<emkit::invalid_option>(
                  [&] { (void)emkit::predict(gaussian_model(emkit::covariance_type::full, -1.0), fitted.params, X); }),
              HasSubstr("gaussian: reg_covar = -1, expected a finite number >= 0"));
}

TEST(BadInput, CountsOutsideThePoissonSupportAreNamed) {
  const auto f = strict_fitter();
  for (const double bad : {-1.0, 0.5, -0.0 - 1e-300}) {
    Eigen::MatrixXd X = Eigen::MatrixXd::Ones(6, 2);
    X(3, 1) = bad;
    EXPECT_THAT(message_of<emkit::data_error>([&] { (void)f.fit(emkit::mixture<emkit::poisson>{}, X, 2); }),
                AllOf(HasSubstr("poisson: X(3, 1) = "), HasSubstr("expected a non-negative integer count")))
        << bad;
  }
}

TEST(BadInput, ValuesOutsideTheBernoulliSupportAreNamed) {
  const auto f = strict_fitter();
  for (const double bad : {2.0, -1.0, 0.5}) {
    Eigen::MatrixXd X = Eigen::MatrixXd::Zero(6, 3);
    X(5, 2) = bad;
    EXPECT_THAT(message_of<emkit::data_error>([&] { (void)f.fit(emkit::mixture<emkit::bernoulli>{}, X, 2); }),
                AllOf(HasSubstr("bernoulli: X(5, 2) = "), HasSubstr("expected 0 or 1")))
        << bad;
  }
}

TEST(BadInput, FamilySettingsOutOfRangeAreNamed) {
  const auto f = strict_fitter();
  const Eigen::MatrixXd counts = Eigen::MatrixXd::Ones(6, 2);
  EXPECT_THAT(message_of<emkit::invalid_option>(
                  [&] { (void)f.fit(emkit::mixture<emkit::poisson>{emkit::poisson{.rate_floor = 0}}, counts, 2); }),
              HasSubstr("poisson: rate_floor = 0, expected a finite number > 0"));
  EXPECT_THAT(message_of<emkit::invalid_option>([&] {
                (void)f.fit(emkit::mixture<emkit::bernoulli>{emkit::bernoulli{.probability_floor = 0.5}}, counts, 2);
              }),
              HasSubstr("bernoulli: probability_floor = 0.5, expected a number in (0, 0.5)"));
  for (const double bad : {0.0, -1.0, nan, inf}) {
    EXPECT_THAT(message_of<emkit::invalid_option>([&] { (void)emkit::kmeans_model(bad); }),
                HasSubstr("fixed_spherical_gaussian: variance = "))
        << bad;
  }
}

TEST(BadInput, ProductLayoutsThatDoNotTileTheColumnsAreNamed) {
  EXPECT_THAT(message_of<emkit::invalid_option>([] { (void)emkit::parse_product_layout("poisson:0-1,bernoulli:3"); }),
              HasSubstr("column 2 in no block"));
  EXPECT_THAT(message_of<emkit::invalid_option>([] { (void)emkit::parse_product_layout("poisson:0-2,bernoulli:2"); }),
              HasSubstr("overlaps"));
  const auto family = emkit::parse_product_layout("gaussian-diag:0,poisson:1");
  const auto f = strict_fitter();
  EXPECT_THAT(message_of<emkit::shape_error>(
                  [&] { (void)f.fit(emkit::mixture<emkit::mixed_product>{family}, Eigen::MatrixXd::Ones(6, 3), 2); }),
              HasSubstr("3"));
}

// ---- what a fitted model answers ------------------------------------------------------------

class BadPredictionInput : public ::testing::Test {
 protected:
  void SetUp() override {
    X = two_clusters(40, 2, 6.0, 1.0);
    theta = strict_fitter().fit(gmm{}, X, 2).params;
  }
  Eigen::MatrixXd X;
  gmm::params_type theta;
};

TEST_F(BadPredictionInput, DataOfTheWrongDimensionIsAShapeErrorEverywhere) {
  const Eigen::MatrixXd wide = Eigen::MatrixXd::Zero(3, 3);
  const std::string expected = "X.cols() = 3, expected the model's dimension 2";
  EXPECT_THAT(message_of<emkit::shape_error>([&] { (void)emkit::predict(gmm{}, theta, wide); }), HasSubstr(expected));
  EXPECT_THAT(message_of<emkit::shape_error>([&] { (void)emkit::predict_proba(gmm{}, theta, wide); }),
              HasSubstr(expected));
  EXPECT_THAT(message_of<emkit::shape_error>([&] { (void)emkit::score_samples(gmm{}, theta, wide); }),
              HasSubstr(expected));
  EXPECT_THAT(message_of<emkit::shape_error>([&] { (void)emkit::log_likelihood(gmm{}, theta, wide); }),
              HasSubstr(expected));
  EXPECT_THAT(message_of<emkit::shape_error>([&] { (void)emkit::bic(gmm{}, theta, wide); }), HasSubstr(expected));
  EXPECT_THAT(message_of<emkit::shape_error>([&] { (void)emkit::aic(gmm{}, theta, wide); }), HasSubstr(expected));
}

TEST_F(BadPredictionInput, NaNOrEmptyDataIsNamedByEveryPredictionFunction) {
  Eigen::MatrixXd bad = X.topRows(3);
  bad(2, 0) = nan;
  EXPECT_THAT(message_of<emkit::data_error>([&] { (void)emkit::predict(gmm{}, theta, bad); }),
              HasSubstr("predict: X(2, 0) = nan"));
  EXPECT_THAT(message_of<emkit::data_error>([&] { (void)emkit::predict_proba(gmm{}, theta, bad); }),
              HasSubstr("predict_proba: X(2, 0) = nan"));
  EXPECT_THAT(message_of<emkit::data_error>([&] { (void)emkit::score_samples(gmm{}, theta, bad); }),
              HasSubstr("score_samples: X(2, 0) = nan"));
  EXPECT_THAT(message_of<emkit::shape_error>([&] { (void)emkit::predict(gmm{}, theta, Eigen::MatrixXd(0, 2)); }),
              HasSubstr("predict: X.rows() = 0"));
  const auto poisson_fit = strict_fitter().fit(emkit::mixture<emkit::poisson>{}, Eigen::MatrixXd::Ones(5, 1), 1);
  EXPECT_THAT(message_of<emkit::data_error>([&] {
                (void)emkit::predict(emkit::mixture<emkit::poisson>{}, poisson_fit.params,
                                     Eigen::MatrixXd::Constant(2, 1, -3));
              }),
              HasSubstr("poisson: X(0, 0) = -3"));
}

TEST_F(BadPredictionInput, InformationCriteriaWithBadWeightsAreNamed) {
  EXPECT_THAT(message_of<emkit::shape_error>([&] { (void)emkit::bic(gmm{}, theta, X, Eigen::VectorXd::Ones(3)); }),
              HasSubstr("bic: weights.size() = 3, expected the number of rows 40"));
  Eigen::VectorXd w = Eigen::VectorXd::Ones(40);
  w[1] = -2;
  EXPECT_THAT(message_of<emkit::data_error>([&] { (void)emkit::aic(gmm{}, theta, X, w); }),
              HasSubstr("aic: weights(1) = -2"));
  EXPECT_THAT(message_of<emkit::invalid_option>([&] { (void)emkit::bic(gmm{}, theta, X, Eigen::VectorXd::Zero(40)); }),
              HasSubstr("bic: sum of weights = 0"));
}

TEST_F(BadPredictionInput, SampleWithBadArgumentsIsNamed) {
  EXPECT_THAT(message_of<emkit::invalid_option>([&] { (void)emkit::sample(gmm{}, theta, -1, 0); }),
              HasSubstr("sample: n = -1, expected >= 0"));
  auto bad = theta;
  bad.weights << 0.7, 0.7;
  EXPECT_THAT(message_of<emkit::invalid_option>([&] { (void)emkit::sample(gmm{}, bad, 5, 0); }),
              HasSubstr("sample: theta.weights = not a distribution"));
  bad = theta;
  bad.dimension = 0;
  EXPECT_THAT(message_of<emkit::shape_error>([&] { (void)emkit::sample(gmm{}, bad, 5, 0); }),
              HasSubstr("sample: theta.dimension = 0"));
  EXPECT_EQ(emkit::sample(gmm{}, theta, 0, 0).X.rows(), 0);  // n = 0 is an empty sample, not an error
}

TEST_F(BadPredictionInput, MalformedParametersAreRejectedNotTurnedIntoNaN) {
  auto negative = theta;
  negative.weights << -0.5, 1.5;
  EXPECT_THAT(message_of<emkit::invalid_option>([&] { (void)emkit::predict_proba(gmm{}, negative, X); }),
              HasSubstr("predict_proba: theta.weights"));
  auto short_weights = theta;
  short_weights.weights.resize(1);
  short_weights.weights << 1.0;
  EXPECT_THAT(message_of<emkit::invalid_option>([&] { (void)emkit::predict(gmm{}, short_weights, X); }),
              HasSubstr("predict: theta.weights.size() = 1, expected the number of components 2"));
  gmm::params_type empty;
  empty.dimension = 2;
  EXPECT_THAT(message_of<emkit::invalid_option>([&] { (void)emkit::score_samples(gmm{}, empty, X); }),
              HasSubstr("score_samples: theta.weights.size() = 0, expected the number of components 0 (at least 1)"));
  EXPECT_THAT(message_of<emkit::invalid_option>([&] { (void)emkit::bic(gmm{}, negative, X); }),
              HasSubstr("theta.weights = not a distribution"));
}

TEST(BadInput, InertiaWithBadArgumentsIsNamed) {
  const Eigen::MatrixXd X = two_clusters(20, 2, 5.0, 1.0);
  const auto theta = strict_kmeans().fit(emkit::kmeans_model(), X, 2).params;
  EXPECT_THAT(message_of<emkit::shape_error>([&] { (void)emkit::inertia(theta, Eigen::MatrixXd::Zero(4, 3)); }),
              HasSubstr("inertia: X.cols() = 3, expected the model's dimension 2"));
  EXPECT_THAT(message_of<emkit::shape_error>([&] { (void)emkit::inertia(theta, X, Eigen::VectorXd::Ones(2)); }),
              HasSubstr("inertia: weights.size() = 2"));
  Eigen::MatrixXd bad = X;
  bad(0, 0) = inf;
  EXPECT_THAT(message_of<emkit::data_error>([&] { (void)emkit::inertia(theta, bad); }),
              HasSubstr("inertia: X(0, 0) = inf"));
}

}  // namespace
