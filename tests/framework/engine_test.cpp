// The engine's boundary and policies: argument checks with clear messages, initialisation,
// hard EM, restarts and the convergence rule.
#include <cmath>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <emkit/emkit.hpp>
#include <emkit/testing/monitor_passed.hpp>

#include "support/data.hpp"

namespace {

using ::testing::HasSubstr;
using gmm = emkit::mixture<emkit::gaussian>;

template <class Error, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no exception";
  return {};
}

TEST(EngineArguments, BadDataAndOptionsAreNamedErrors) {
  Eigen::MatrixXd X = Eigen::MatrixXd::Random(10, 2);
  const emkit::fitter<> fitter;
  const gmm model;
  EXPECT_THAT(message_of<emkit::invalid_option>([&] { (void)fitter.fit(model, X, 0); }),
              HasSubstr("K = 0, expected >= 1"));
  EXPECT_THAT(message_of<emkit::invalid_option>([&] { (void)fitter.fit(model, X, 11); }),
              HasSubstr("K = 11, expected <= the number of observations 10"));
  X(3, 1) = std::nan("");
  EXPECT_THAT(message_of<emkit::data_error>([&] { (void)fitter.fit(model, X, 2); }), HasSubstr("X(3, 1) = nan"));
  X(3, 1) = INFINITY;
  EXPECT_THAT(message_of<emkit::data_error>([&] { (void)fitter.fit(model, X, 2); }), HasSubstr("X(3, 1) = inf"));
  X(3, 1) = 0.0;
  EXPECT_THAT(message_of<emkit::shape_error>([&] { (void)fitter.fit(model, X, 2, Eigen::VectorXd::Ones(9)); }),
              HasSubstr("weights.size() = 9, expected the number of rows 10"));
  Eigen::VectorXd w = Eigen::VectorXd::Ones(10);
  w[4] = -1;
  EXPECT_THAT(message_of<emkit::data_error>([&] { (void)fitter.fit(model, X, 2, w); }), HasSubstr("weights(4) = -1"));
  EXPECT_THAT(message_of<emkit::invalid_option>([&] { (void)fitter.fit(model, X, 2, Eigen::VectorXd::Zero(10)); }),
              HasSubstr("sum of weights = 0"));
  emkit::fitter<> bad;
  bad.options.restarts = 0;
  EXPECT_THAT(message_of<emkit::invalid_option>([&] { (void)bad.fit(model, X, 2); }), HasSubstr("restarts = 0"));
  bad.options = {};
  bad.options.relative_tolerance = -1;
  EXPECT_THAT(message_of<emkit::invalid_option>([&] { (void)bad.fit(model, X, 2); }),
              HasSubstr("relative_tolerance = -1"));
  emkit::fitter<emkit::soft_estep, emkit::given_means> given;
  given.init.means = Eigen::MatrixXd::Zero(3, 2);
  EXPECT_THAT(message_of<emkit::shape_error>([&] { (void)given.fit(model, X, 2); }), HasSubstr("means.rows() = 3"));
}

TEST(Initialisation, KMeansPlusPlusAndRandomRowsPickDistinctDataRowsDeterministically) {
  const Eigen::MatrixXd X = emkit::testing::draw(emkit::testing::three_blobs(), 500, 2);
  const Eigen::VectorXd w = Eigen::VectorXd::Ones(500);
  auto centers_of = [&](const auto& policy, std::uint64_t seed) {
    emkit::random_engine rng = emkit::make_engine(seed);
    return std::get<emkit::nearest_centers>(policy.initialize(X, w, 3, rng)).centers;
  };
  for (int seed = 0; seed < 10; ++seed) {
    for (const Eigen::MatrixXd& C :
         {centers_of(emkit::kmeans_plus_plus{}, seed), centers_of(emkit::random_rows{}, seed)}) {
      std::set<std::pair<double, double>> distinct;
      for (int k = 0; k < 3; ++k) {
        bool is_row = false;
        for (Eigen::Index n = 0; n < X.rows() && !is_row; ++n) is_row = X.row(n) == C.row(k);
        EXPECT_TRUE(is_row);
        distinct.insert({C(k, 0), C(k, 1)});
      }
      EXPECT_EQ(distinct.size(), 3u);
    }
    EXPECT_EQ(centers_of(emkit::kmeans_plus_plus{}, seed), centers_of(emkit::kmeans_plus_plus{}, seed));
  }
  // k-means++ spreads its centres over the three blobs far more often than chance.
  int spread = 0;
  for (int seed = 0; seed < 20; ++seed) {
    const Eigen::MatrixXd C = centers_of(emkit::kmeans_plus_plus{}, seed);
    std::set<emkit::index> blobs;
    for (int k = 0; k < 3; ++k) blobs.insert(emkit::nearest_center(emkit::testing::three_blobs().means, C.row(k)));
    spread += blobs.size() == 3;
  }
  EXPECT_GE(spread, 18);
}

TEST(Initialisation, RandomResponsibilitiesAreDistributionsIndependentOfChunking) {
  const Eigen::MatrixXd X = Eigen::MatrixXd::Random(100, 2);
  const emkit::initial_assignment a = emkit::random_responsibilities{42};
  Eigen::MatrixXd R1(100, 4), R2(100, 4);
  emkit::initial_responsibilities(a, X, {0, 100}, R1);
  emkit::initial_responsibilities(a, X, {0, 100}, R2);
  EXPECT_EQ(R1, R2);
  EXPECT_LT((R1.rowwise().sum().array() - 1).abs().maxCoeff(), 1e-14);
  EXPECT_GE(R1.minCoeff(), 0.0);
}

TEST(HardEm, ClassificationLikelihoodNeverDecreasesAndResponsibilitiesAreOneHot) {
  const Eigen::MatrixXd X = emkit::testing::draw(emkit::testing::three_blobs(), 600, 31);
  for (auto type : {emkit::covariance_type::full, emkit::covariance_type::diagonal, emkit::covariance_type::spherical,
                    emkit::covariance_type::tied}) {
    emkit::fitter<emkit::hard_estep> fitter;
    fitter.options.restarts = 4;
    fitter.options.seed = 8;
    auto [theta, summary] = fitter.fit(gmm{emkit::gaussian{.covariance = type}}, X, 3);
    EXPECT_TRUE(emkit::testing::monitor_passed(summary));
    EXPECT_TRUE(summary.converged);
    for (std::size_t i = 1; i < summary.trace.size(); ++i)
      EXPECT_GE(summary.trace[i].objective, summary.trace[i - 1].objective - 1e-9);
    // The classification likelihood is a lower bound on the likelihood.
    EXPECT_LE(summary.objective, summary.log_likelihood);
    EXPECT_TRUE(std::isnan(summary.trace.back().kl));
  }
}

TEST(Restarts, TheBestObjectiveIsKeptAndReported) {
  const Eigen::MatrixXd X = emkit::testing::draw(emkit::testing::three_blobs(), 300, 4);
  emkit::fitter<emkit::soft_estep, emkit::random_responsibility_init> fitter;
  fitter.options.restarts = 8;
  fitter.options.seed = 3;
  auto [theta, summary] = fitter.fit(gmm{}, X, 4);
  ASSERT_EQ(summary.restart_objectives.size(), 8u);
  for (double o : summary.restart_objectives) EXPECT_LE(o, summary.objective);
  EXPECT_EQ(summary.restart_objectives[static_cast<std::size_t>(summary.best_restart)], summary.objective);
  EXPECT_THAT(summary.full_report(), HasSubstr("(best)"));
}

TEST(Convergence, StopsOnTheSignedChangeBelowTolerance) {
  const Eigen::MatrixXd X = emkit::testing::load_data("faithful.csv");
  emkit::fitter<> fitter;
  fitter.options.relative_tolerance = 1e-6;
  auto [theta, summary] = fitter.fit(gmm{}, X, 2);
  ASSERT_TRUE(summary.converged);
  const auto& last = summary.trace.back();
  EXPECT_GE(last.change, 0.0);
  EXPECT_LT(last.change, 1e-6);
  for (std::size_t i = 1; i + 1 < summary.trace.size(); ++i) EXPECT_GE(summary.trace[i].change, 1e-6);
}

}  // namespace
