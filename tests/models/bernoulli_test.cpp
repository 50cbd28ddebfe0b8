// The Bernoulli family: the conformance suite, its hooks against Boost.Math and each other,
// the binarised digits, validation of the data and options, and the probability floor.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/math/distributions/bernoulli.hpp>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_01.hpp>

#include <emkit/emkit.hpp>
#include <emkit/framework/io/csv.hpp>
#include <emkit/models/bernoulli.hpp>
#include <emkit/testing/monitor_passed.hpp>

#include <emkit/testing/conformance.hpp>

namespace {

/// A known Bernoulli mixture: weights and probabilities (K×D).
struct known_bernoulli_mixture {
  Eigen::VectorXd weights;
  Eigen::MatrixXd probabilities;
};

/// K = 3, D = 8, distinct binary profiles.
known_bernoulli_mixture three_binary_profiles() {
  known_bernoulli_mixture m;
  m.weights = Eigen::Vector3d(0.4, 0.35, 0.25);
  m.probabilities.resize(3, 8);
  m.probabilities << 0.9, 0.9, 0.8, 0.7, 0.1, 0.2, 0.1, 0.3,  //
      0.1, 0.2, 0.9, 0.8, 0.9, 0.1, 0.2, 0.7,                 //
      0.2, 0.8, 0.1, 0.1, 0.3, 0.9, 0.9, 0.8;
  return m;
}

/// n draws from `m`, made with Boost.Random directly (not with emkit's sampler).
Eigen::MatrixXd draw_binary(const known_bernoulli_mixture& m, Eigen::Index n, unsigned seed,
                            std::vector<int>* labels = nullptr) {
  boost::random::mt19937 rng(seed);
  boost::random::uniform_01<double> uniform;
  Eigen::MatrixXd X(n, m.probabilities.cols());
  if (labels) labels->assign(static_cast<std::size_t>(n), 0);
  for (Eigen::Index i = 0; i < n; ++i) {
    double u = uniform(rng), acc = 0.0;
    int k = 0;
    for (; k + 1 < m.weights.size(); ++k) {
      acc += m.weights[k];
      if (u < acc) break;
    }
    for (Eigen::Index d = 0; d < X.cols(); ++d) X(i, d) = uniform(rng) < m.probabilities(k, d) ? 1.0 : 0.0;
    if (labels) (*labels)[static_cast<std::size_t>(i)] = k;
  }
  return X;
}

double reference_log_pmf(const Eigen::VectorXd& p, const Eigen::VectorXd& x) {
  double sum = 0.0;
  for (Eigen::Index d = 0; d < x.size(); ++d)
    sum += std::log(boost::math::pdf(boost::math::bernoulli_distribution<>(p[d]), x[d]));
  return sum;
}

struct bernoulli_traits {
  using family_type = emkit::bernoulli;
  static constexpr int K = 3;
  static family_type family() { return {}; }
  static family_type fit_family() { return {}; }
  static Eigen::MatrixXd data(Eigen::Index n, unsigned seed) { return draw_binary(three_binary_profiles(), n, seed); }
  static Eigen::MatrixXd start_means(const Eigen::MatrixXd&) { return three_binary_profiles().probabilities; }
  static double reference_log_density(const emkit::bernoulli_params& p, const Eigen::VectorXd& x) {
    return reference_log_pmf(p.probabilities, x);
  }
  // Column means; a column of all 0 or all 1 is held at the documented floor.
  static emkit::bernoulli_params reference_mle(const Eigen::MatrixXd& X) {
    const double floor = emkit::bernoulli{}.probability_floor;
    return emkit::bernoulli_params::from(Eigen::VectorXd(X.colwise().mean()).cwiseMax(floor).cwiseMin(1.0 - floor));
  }
};

using bernoulli_mixture = emkit::mixture<emkit::bernoulli>;

// Every hook the mixture looks for is found (a signature drift would silently drop one).
static_assert(emkit::ComponentFamily<emkit::bernoulli>);
static_assert(emkit::HasValidateData<emkit::bernoulli> && emkit::HasExpectedLogDensity<emkit::bernoulli> &&
              emkit::HasFreeParameters<emkit::bernoulli> && emkit::HasFloorReport<emkit::bernoulli> &&
              emkit::HasSample<emkit::bernoulli> && emkit::HasBatchedAccumulate<emkit::bernoulli>);
static_assert(emkit::HasBatchedLogDensity<emkit::bernoulli>);

}  // namespace

namespace emkit::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Bernoulli, Conformance, ::testing::Types<bernoulli_traits>);
}

namespace {

TEST(BernoulliDensity, AgreesWithBoostMathAtSpotValuesIncludingTheFloor) {
  const emkit::bernoulli family;
  Eigen::MatrixXd X(4, 3);
  X << 0, 0, 0,  //
      1, 1, 1,   //
      1, 0, 1,   //
      0, 1, 0;
  for (const Eigen::Vector3d& p : {Eigen::Vector3d(0.5, 0.01, 0.99), Eigen::Vector3d(1e-10, 1 - 1e-10, 0.3)}) {
    const auto params = emkit::bernoulli_params::from(p);
    const Eigen::VectorXd got = family.log_density(params, X);
    Eigen::MatrixXd batched(X.rows(), 1);
    family.log_density_all(std::span<const emkit::bernoulli_params>(&params, 1), X, batched);
    for (Eigen::Index n = 0; n < X.rows(); ++n) {
      const double expected = reference_log_pmf(p, X.row(n).transpose());
      EXPECT_NEAR(got[n], expected, 1e-12 * std::max(1.0, std::abs(expected))) << n;
      EXPECT_NEAR(batched(n, 0), expected, 1e-12 * std::max(1.0, std::abs(expected))) << n;
    }
  }
}

TEST(BernoulliDensity, BatchedEqualsPerComponent) {
  const auto truth = three_binary_profiles();
  const Eigen::MatrixXd X = draw_binary(truth, 400, 11);
  const emkit::bernoulli family;
  std::vector<emkit::bernoulli_params> ps;
  for (Eigen::Index k = 0; k < truth.probabilities.rows(); ++k)
    ps.push_back(emkit::bernoulli_params::from(truth.probabilities.row(k).transpose()));
  Eigen::MatrixXd all(X.rows(), 3);
  family.log_density_all(std::span<const emkit::bernoulli_params>(ps), X, all);
  for (int k = 0; k < 3; ++k) {
    const Eigen::VectorXd single = family.log_density(ps[k], X);
    EXPECT_LT((all.col(k) - single).cwiseAbs().maxCoeff(), 1e-12 * single.cwiseAbs().maxCoeff());
  }
}

TEST(BernoulliStats, BatchedAccumulateAndExpectedLogDensityAgreeWithTheirDefinitions) {
  const Eigen::MatrixXd X = draw_binary(three_binary_profiles(), 300, 12);
  const emkit::bernoulli family;
  Eigen::MatrixXd W(X.rows(), 3);
  for (Eigen::Index n = 0; n < X.rows(); ++n) W.row(n) << 0.2 + 0.001 * n, 0.5, 1.0 / (1 + n % 7);
  std::vector<emkit::bernoulli_stats> batched(3);
  family.accumulate_all(X.topRows(120), W.topRows(120), std::span<emkit::bernoulli_stats>(batched));
  family.accumulate_all(X.bottomRows(180), W.bottomRows(180), std::span<emkit::bernoulli_stats>(batched));
  for (int k = 0; k < 3; ++k) {
    const auto single = family.accumulate(X, W.col(k));
    EXPECT_NEAR(batched[k].weight, single.weight, 1e-12 * single.weight);
    EXPECT_LT((batched[k].ones - single.ones).cwiseAbs().maxCoeff(), 1e-12 * single.ones.cwiseAbs().maxCoeff());
    const auto p = family.maximize(single);
    const double direct = W.col(k).dot(family.log_density(p, X));
    EXPECT_NEAR(family.expected_log_density(single, p), direct, 1e-11 * std::abs(direct));
  }
  EXPECT_EQ(family.expected_log_density(emkit::bernoulli_stats{}, family.maximize(batched[0])), 0.0);
}

TEST(BernoulliFit, RecoversKnownProbabilitiesAndCountsKTimesDParameters) {
  const auto truth = three_binary_profiles();
  const Eigen::Index n = 20000;
  const Eigen::MatrixXd X = draw_binary(truth, n, 21);
  const bernoulli_mixture model;
  emkit::fitter<emkit::soft_estep, emkit::given_means> fitter;
  fitter.init.means = truth.probabilities;
  auto [theta, summary] = fitter.fit(model, X, 3);
  EXPECT_TRUE(summary.converged);
  EXPECT_TRUE(emkit::testing::monitor_passed(summary));
  for (int k = 0; k < 3; ++k) {
    const double count = static_cast<double>(n) * truth.weights[k];
    for (Eigen::Index d = 0; d < 8; ++d) {
      const double p = truth.probabilities(k, d);
      // Six standard errors: sd(p̂) ≈ √(p (1 − p) / (N π_k)), inflated a little for overlap.
      EXPECT_LT(std::abs(theta.components[k].probabilities[d] - p), 6 * std::sqrt(p * (1 - p) / count))
          << k << ", " << d;
    }
    EXPECT_LT(std::abs(theta.weights[k] - truth.weights[k]), 0.02);
  }
  EXPECT_EQ(model.num_free_parameters(theta), 3u * 8u + 2u);
  EXPECT_NEAR(emkit::bic(model, theta, X), -2 * summary.log_likelihood + 26 * std::log(static_cast<double>(n)), 1e-7);
}

/// The binarised digits, 1797×64.
Eigen::MatrixXd load_digits() { return emkit::io::read_csv(std::string(EMKIT_DATA_DIR) + "/digits_binary.csv").values; }

TEST(BernoulliFit, DigitsRestartsWithKMeansPlusPlusBeatTheMedianSingleRestart) {
  const Eigen::MatrixXd X = load_digits();
  ASSERT_EQ(X.rows(), 1797);
  ASSERT_EQ(X.cols(), 64);
  const bernoulli_mixture model;
  constexpr int K = 10;

  emkit::fitter<emkit::soft_estep, emkit::kmeans_plus_plus> restarted;
  restarted.options.restarts = 10;
  restarted.options.seed = 2026;
  auto [theta, summary] = restarted.fit(model, X, K);
  EXPECT_TRUE(emkit::testing::monitor_passed(summary));
  EXPECT_TRUE(summary.converged) << summary.full_report();

  std::vector<double> single;
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    emkit::fitter<emkit::soft_estep, emkit::random_rows> plain;
    plain.options.seed = seed;
    const auto run = plain.fit(model, X, K);
    EXPECT_TRUE(emkit::testing::monitor_passed(run.summary));
    single.push_back(run.summary.log_likelihood);
  }
  std::vector<double> sorted = single;
  std::sort(sorted.begin(), sorted.end());
  const double median = 0.5 * (sorted[4] + sorted[5]);
  std::printf("digits, K = 10: best of 10 k-means++ restarts %.6f (restart %d)\n", summary.log_likelihood,
              summary.best_restart);
  std::printf("digits, K = 10: single random-rows runs, min %.6f median %.6f max %.6f\n", sorted.front(), median,
              sorted.back());
  std::vector<double> restarts = summary.restart_objectives;
  std::sort(restarts.begin(), restarts.end());
  std::printf("digits, K = 10: the 10 k-means++ restarts alone, min %.6f median %.6f\n", restarts.front(),
              0.5 * (restarts[4] + restarts[5]));
  EXPECT_GE(summary.log_likelihood, median);

  // The digits' constant pixels (always 0 at the border) are held at the floor, and said so.
  EXPECT_TRUE(std::any_of(summary.warnings.begin(), summary.warnings.end(),
                          [](const emkit::warning& w) { return w.code == emkit::warning_code::floor_applied; }));
  EXPECT_TRUE(theta.weights.allFinite());
  for (const auto& c : theta.components)
    EXPECT_TRUE(c.probabilities.allFinite() && c.log_probabilities.allFinite() && c.log_complements.allFinite());
  EXPECT_TRUE(std::isfinite(summary.log_likelihood));
  EXPECT_NEAR(emkit::log_likelihood(model, theta, X), summary.log_likelihood, 1e-9 * std::abs(summary.log_likelihood));
}

TEST(BernoulliValidation, EveryValueOtherThanZeroOrOneNamesItsRowColumnAndValue) {
  const Eigen::MatrixXd good = draw_binary(three_binary_profiles(), 20, 3);
  const emkit::bernoulli family;
  EXPECT_NO_THROW(family.validate_data(good));
  struct bad_case {
    double value;
    const char* text;
  };
  for (const bad_case& c : {bad_case{2.0, "2"}, bad_case{0.5, "0.5"}, bad_case{-1.0, "-1"},
                            bad_case{std::nan(""), "nan"}, bad_case{std::numeric_limits<double>::infinity(), "inf"}}) {
    Eigen::MatrixXd X = good;
    X(11, 5) = c.value;
    try {
      family.validate_data(X);
      ADD_FAILURE() << "expected data_error for " << c.text;
    } catch (const emkit::data_error& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr(std::string("X(11, 5) = ") + c.text)) << e.what();
      EXPECT_THAT(e.what(), ::testing::HasSubstr("0-based"));
    }
    try {
      (void)emkit::fitter<>{}.fit(bernoulli_mixture{}, X, 2);
      ADD_FAILURE() << "expected data_error for " << c.text;
    } catch (const emkit::data_error& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr(std::string("X(11, 5) = ") + c.text)) << e.what();
    }
  }
  const auto theta = emkit::fitter<>{}.fit(bernoulli_mixture{}, good, 2).params;
  Eigen::MatrixXd X = good;
  X(0, 0) = 0.25;
  EXPECT_THROW((void)emkit::predict_proba(bernoulli_mixture{}, theta, X), emkit::data_error);
}

TEST(BernoulliValidation, AnInvalidFloorOrProbabilityIsRejected) {
  const Eigen::MatrixXd X = draw_binary(three_binary_profiles(), 50, 4);
  for (double floor : {0.0, -1e-3, 0.5, 0.7, std::nan("")}) {
    const bernoulli_mixture model{emkit::bernoulli{.probability_floor = floor}};
    EXPECT_THROW((void)emkit::fitter<>{}.fit(model, X, 2), emkit::invalid_option) << floor;
    EXPECT_THROW((void)model.family.maximize(model.family.accumulate(X, Eigen::VectorXd::Ones(50))),
                 emkit::invalid_option);
  }
  for (double p : {0.0, 1.0, -0.1, std::nan("")}) {
    try {
      (void)emkit::bernoulli_params::from(Eigen::Vector3d(0.5, p, 0.5));
      ADD_FAILURE() << "expected invalid_option for " << p;
    } catch (const emkit::invalid_option& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr("probabilities(1) = "));
    }
  }
  EXPECT_THROW((void)emkit::bernoulli{}.maximize(emkit::bernoulli_stats{}), emkit::numerical_error);
}

TEST(BernoulliFloor, AFeatureConstantInAClusterIsHeldAtTheFloorAndReported) {
  // In cluster 0, feature 0 is always 0 and feature 1 always 1; cluster 1 varies in both.
  known_bernoulli_mixture m;
  m.weights = Eigen::Vector2d(0.5, 0.5);
  m.probabilities.resize(2, 8);
  m.probabilities << 0.0, 1.0, 0.9, 0.9, 0.9, 0.1, 0.1, 0.1,  //
      0.5, 0.5, 0.1, 0.1, 0.1, 0.9, 0.9, 0.9;
  std::vector<int> labels;
  const Eigen::MatrixXd X = draw_binary(m, 800, 9, &labels);
  const emkit::bernoulli family;
  const bernoulli_mixture model{family};
  emkit::fitter<emkit::soft_estep, emkit::given_means> fitter;
  fitter.init.means = m.probabilities;
  auto [theta, summary] = fitter.fit(model, X, 2);
  EXPECT_TRUE(summary.converged);
  EXPECT_TRUE(emkit::testing::monitor_passed(summary));
  EXPECT_EQ(theta.components[0].probabilities[0], family.probability_floor);
  EXPECT_EQ(theta.components[0].probabilities[1], 1.0 - family.probability_floor);
  EXPECT_EQ(family.floors_applied(theta.components[0]), 2);
  EXPECT_EQ(family.floors_applied(theta.components[1]), 0);
  const bool reported = std::any_of(summary.warnings.begin(), summary.warnings.end(), [](const emkit::warning& w) {
    return w.code == emkit::warning_code::floor_applied && w.component == 0;
  });
  EXPECT_TRUE(reported) << summary.full_report();
  EXPECT_TRUE(theta.weights.allFinite());
  for (const auto& c : theta.components)
    EXPECT_TRUE(c.probabilities.allFinite() && c.log_probabilities.allFinite() && c.log_complements.allFinite());
  for (const auto& r : summary.trace) {
    EXPECT_TRUE(std::isfinite(r.log_likelihood)) << r.iteration;
    if (r.iteration > 0) {
      EXPECT_TRUE(std::isfinite(r.q) && std::isfinite(r.elbo) && std::isfinite(r.kl)) << r.iteration;
    }
  }
  EXPECT_TRUE(emkit::score_samples(model, theta, X).allFinite());
  const Eigen::VectorX<emkit::index> predicted = emkit::predict(model, theta, X);
  int agree = 0;
  for (Eigen::Index n = 0; n < X.rows(); ++n) agree += predicted[n] == labels[static_cast<std::size_t>(n)];
  EXPECT_GE(agree, 790);
  // A feature constant over all the data is floored in every component.
  Eigen::MatrixXd Y = X;
  Y.col(7).setOnes();
  const auto all_ones = fitter.fit(model, Y, 2);
  for (const auto& c : all_ones.params.components) EXPECT_EQ(c.probabilities[7], 1.0 - family.probability_floor);
}

TEST(BernoulliSample, IsSeededAndFollowsTheProbabilities) {
  const bernoulli_mixture model;
  bernoulli_mixture::params_type theta;
  theta.dimension = 3;
  theta.weights = Eigen::Vector2d(0.4, 0.6);
  theta.components.push_back(emkit::bernoulli_params::from(Eigen::Vector3d(0.1, 0.5, 0.95)));
  theta.components.push_back(emkit::bernoulli_params::from(Eigen::Vector3d(0.7, 1e-10, 0.3)));
  const auto a = emkit::sample(model, theta, 20000, 3);
  EXPECT_EQ(a.X, emkit::sample(model, theta, 20000, 3).X);
  EXPECT_NO_THROW(model.validate_data(a.X));
  for (int k = 0; k < 2; ++k) {
    Eigen::VectorXd sum = Eigen::VectorXd::Zero(3);
    double count = 0;
    for (Eigen::Index n = 0; n < a.X.rows(); ++n)
      if (a.labels[n] == k) sum += a.X.row(n).transpose(), ++count;
    const Eigen::VectorXd& p = theta.components[k].probabilities;
    for (int d = 0; d < 3; ++d)
      EXPECT_NEAR(sum[d] / count, p[d], 5 * std::sqrt(p[d] * (1 - p[d]) / count) + 1e-9) << k << ", " << d;
  }
}

}  // namespace
