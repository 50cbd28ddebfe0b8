// The Poisson family: the conformance suite, its hooks against Boost.Math and each other,
// recovery of known rates, validation of counts and options, and the rate floor.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <span>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/math/distributions/poisson.hpp>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/poisson_distribution.hpp>
#include <boost/random/uniform_01.hpp>

#include <emkit/emkit.hpp>
#include <emkit/models/poisson.hpp>
#include <emkit/testing/monitor_passed.hpp>

#include <emkit/testing/conformance.hpp>

namespace {

/// A known Poisson mixture: weights and rates (K×D).
struct known_poisson_mixture {
  Eigen::VectorXd weights;
  Eigen::MatrixXd rates;
};

/// K = 3, D = 4, well-separated rates.
known_poisson_mixture three_count_profiles() {
  known_poisson_mixture m;
  m.weights = Eigen::Vector3d(0.5, 0.3, 0.2);
  m.rates.resize(3, 4);
  m.rates << 1.0, 8.0, 25.0, 3.0,  //
      8.0, 25.0, 1.0, 12.0,        //
      25.0, 1.0, 8.0, 40.0;
  return m;
}

/// n draws from `m`, made with Boost.Random directly (not with emkit's sampler).
Eigen::MatrixXd draw_counts(const known_poisson_mixture& m, Eigen::Index n, unsigned seed,
                            std::vector<int>* labels = nullptr) {
  boost::random::mt19937 rng(seed);
  boost::random::uniform_01<double> uniform;
  Eigen::MatrixXd X(n, m.rates.cols());
  if (labels) labels->assign(static_cast<std::size_t>(n), 0);
  for (Eigen::Index i = 0; i < n; ++i) {
    double u = uniform(rng), acc = 0.0;
    int k = 0;
    for (; k + 1 < m.weights.size(); ++k) {
      acc += m.weights[k];
      if (u < acc) break;
    }
    for (Eigen::Index d = 0; d < X.cols(); ++d) {
      if (m.rates(k, d) == 0) {  // a rate of 0 counts nothing (Boost.Random asks for a rate > 0)
        X(i, d) = 0;
        continue;
      }
      boost::random::poisson_distribution<int, double> poisson(m.rates(k, d));
      X(i, d) = poisson(rng);
    }
    if (labels) (*labels)[static_cast<std::size_t>(i)] = k;
  }
  return X;
}

double reference_log_pmf(const Eigen::VectorXd& rates, const Eigen::VectorXd& x) {
  double sum = 0.0;
  for (Eigen::Index d = 0; d < x.size(); ++d)
    sum += std::log(boost::math::pdf(boost::math::poisson_distribution<>(rates[d]), x[d]));
  return sum;
}

struct poisson_traits {
  using family_type = emkit::poisson;
  static constexpr int K = 3;
  static family_type family() { return {}; }
  static family_type fit_family() { return {}; }
  static Eigen::MatrixXd data(Eigen::Index n, unsigned seed) { return draw_counts(three_count_profiles(), n, seed); }
  static Eigen::MatrixXd start_means(const Eigen::MatrixXd&) { return three_count_profiles().rates; }
  static double reference_log_density(const emkit::poisson_params& p, const Eigen::VectorXd& x) {
    return reference_log_pmf(p.rates, x);
  }
  // Column means; a column of zeros is held at the documented floor.
  static emkit::poisson_params reference_mle(const Eigen::MatrixXd& X) {
    return emkit::poisson_params::from(Eigen::VectorXd(X.colwise().mean()).cwiseMax(emkit::poisson{}.rate_floor));
  }
};

using poisson_mixture = emkit::mixture<emkit::poisson>;

// Every hook the mixture looks for is found (a signature drift would silently drop one).
static_assert(emkit::ComponentFamily<emkit::poisson>);
static_assert(emkit::HasValidateData<emkit::poisson> && emkit::HasExpectedLogDensity<emkit::poisson> &&
              emkit::HasFreeParameters<emkit::poisson> && emkit::HasFloorReport<emkit::poisson> &&
              emkit::HasSample<emkit::poisson> && emkit::HasBatchedAccumulate<emkit::poisson>);
static_assert(emkit::HasPrepare<emkit::poisson> && emkit::HasCachedLogDensity<emkit::poisson> &&
              emkit::HasCachedBatchedLogDensity<emkit::poisson>);

}  // namespace

namespace emkit::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Poisson, Conformance, ::testing::Types<poisson_traits>);
}

namespace {

TEST(PoissonDensity, AgreesWithBoostMathAtSpotValuesIncludingTheFloor) {
  const emkit::poisson family;
  Eigen::MatrixXd X(5, 3);
  X << 0, 0, 0,   //
      1, 7, 30,   //
      12, 0, 2,   //
      0, 150, 1,  //
      3, 3, 3;
  for (const Eigen::Vector3d& rates : {Eigen::Vector3d(0.5, 7.0, 30.0), Eigen::Vector3d(1e-10, 120.0, 2.0)}) {
    const auto p = emkit::poisson_params::from(rates);
    const Eigen::VectorXd got = family.log_density(p, X);
    for (Eigen::Index n = 0; n < X.rows(); ++n) {
      const double expected = reference_log_pmf(rates, X.row(n).transpose());
      if (std::isfinite(expected)) {
        EXPECT_NEAR(got[n], expected, 1e-12 * std::max(1.0, std::abs(expected))) << n;
      }
      EXPECT_TRUE(std::isfinite(got[n]));
    }
  }
  // At the floor, a zero count has log density −λ, not NaN.
  const auto floored = emkit::poisson_params::from(Eigen::VectorXd::Constant(1, 1e-10));
  EXPECT_DOUBLE_EQ(family.log_density(floored, Eigen::MatrixXd::Zero(1, 1))[0], -1e-10);
}

TEST(PoissonDensity, CachedUncachedAndBatchedFormsAgree) {
  const auto truth = three_count_profiles();
  const Eigen::MatrixXd X = draw_counts(truth, 500, 11);
  const emkit::poisson family;
  const Eigen::MatrixXd cache = family.prepare(X);
  ASSERT_EQ(cache.rows(), X.rows());
  ASSERT_EQ(cache.cols(), 1);
  // The cache is row-wise: the cache of a block is the block of the cache.
  EXPECT_EQ(family.prepare(X.middleRows(100, 37)), cache.middleRows(100, 37));
  for (Eigen::Index n = 0; n < X.rows(); ++n) {
    double c = 0.0;
    for (Eigen::Index d = 0; d < X.cols(); ++d) c += std::lgamma(X(n, d) + 1.0);
    ASSERT_NEAR(cache(n, 0), c, 1e-12 * std::max(1.0, c));
  }
  std::vector<emkit::poisson_params> ps;
  for (Eigen::Index k = 0; k < truth.rates.rows(); ++k)
    ps.push_back(emkit::poisson_params::from(truth.rates.row(k).transpose()));
  Eigen::MatrixXd all(X.rows(), 3);
  family.log_density_all(std::span<const emkit::poisson_params>(ps), X, cache, all);
  for (int k = 0; k < 3; ++k) {
    const Eigen::VectorXd uncached = family.log_density(ps[k], X);
    const Eigen::VectorXd cached = family.log_density(ps[k], X, cache);
    EXPECT_LT((uncached - cached).cwiseAbs().maxCoeff(), 1e-12 * uncached.cwiseAbs().maxCoeff());
    EXPECT_LT((all.col(k) - cached).cwiseAbs().maxCoeff(), 1e-12 * cached.cwiseAbs().maxCoeff());
    for (Eigen::Index n = 0; n < X.rows(); n += 50)
      EXPECT_NEAR(cached[n], reference_log_pmf(ps[k].rates, X.row(n).transpose()), 1e-10 * std::abs(cached[n]));
  }
}

TEST(PoissonStats, BatchedAccumulateAndExpectedLogDensityAgreeWithTheirDefinitions) {
  const Eigen::MatrixXd X = draw_counts(three_count_profiles(), 300, 12);
  const emkit::poisson family;
  Eigen::MatrixXd W(X.rows(), 3);
  for (Eigen::Index n = 0; n < X.rows(); ++n) W.row(n) << 0.2 + 0.001 * n, 0.5, 1.0 / (1 + n % 7);
  std::vector<emkit::poisson_stats> batched(3);
  family.accumulate_all(X.topRows(120), W.topRows(120), std::span<emkit::poisson_stats>(batched));
  family.accumulate_all(X.bottomRows(180), W.bottomRows(180), std::span<emkit::poisson_stats>(batched));
  for (int k = 0; k < 3; ++k) {
    const auto single = family.accumulate(X, W.col(k));
    EXPECT_NEAR(batched[k].weight, single.weight, 1e-12 * single.weight);
    EXPECT_LT((batched[k].counts - single.counts).cwiseAbs().maxCoeff(), 1e-12 * single.counts.cwiseAbs().maxCoeff());
    EXPECT_NEAR(batched[k].log_factorials, single.log_factorials, 1e-12 * single.log_factorials);
    // Q from statistics is Σ_n w_n log f(x_n | λ), the data-only term included.
    const auto p = family.maximize(single);
    const double direct = W.col(k).dot(family.log_density(p, X));
    EXPECT_NEAR(family.expected_log_density(single, p), direct, 1e-11 * std::abs(direct));
  }
  EXPECT_EQ(family.expected_log_density(emkit::poisson_stats{}, family.maximize(batched[0])), 0.0);
}

TEST(PoissonDensity, LargeCountsAgreeWithBoostMathAndStirling) {
  // Counts above poisson::large_count use the saddle-point form; the direct form would lose ~10
  // at x = 1e15. Truth: Boost.Math's pdf where it is representable (λ = x + a√x), and at 1e300
  // the analytic log f(x | x) = −½ log 2πx − 1/(12x) + O(x⁻³).
  const emkit::poisson family;
  for (const double x : {1025.0, 5000.0, 123456.0, 1e9, 1e15}) {
    for (const double a : {0.0, 1.0, -3.0, 10.0}) {
      const double lambda = x + a * std::sqrt(x);
      const double expected = std::log(boost::math::pdf(boost::math::poisson_distribution<>(lambda), x));
      const auto p = emkit::poisson_params::from(Eigen::VectorXd::Constant(1, lambda));
      const double got = family.log_density(p, Eigen::MatrixXd::Constant(1, 1, x))[0];
      EXPECT_NEAR(got, expected, 1e-12 * std::abs(expected)) << "x = " << x << ", lambda = " << lambda;
    }
  }
  for (const double x : {1e100, 1e300}) {
    const auto p = emkit::poisson_params::from(Eigen::VectorXd::Constant(1, x));
    const double expected = -0.5 * std::log(2.0 * std::numbers::pi * x) - 1.0 / (12.0 * x);
    EXPECT_NEAR(family.log_density(p, Eigen::MatrixXd::Constant(1, 1, x))[0], expected, 1e-13 * std::abs(expected));
  }
  // A row mixing small and large counts, in the batched and cached forms: Σ_d of Boost's terms.
  const Eigen::MatrixXd X = (Eigen::MatrixXd(3, 3) << 3, 1e15, 2000, 0, 1e15 + 3e7, 1, 7, 5, 1).finished();
  std::vector<emkit::poisson_params> ps{emkit::poisson_params::from(Eigen::Vector3d(4.0, 1e15, 2100.0)),
                                        emkit::poisson_params::from(Eigen::Vector3d(0.5, 1e15 + 1e7, 3.0))};
  Eigen::MatrixXd all(3, 2);
  family.log_density_all(std::span<const emkit::poisson_params>(ps), X, family.prepare(X), all);
  for (int k = 0; k < 2; ++k) {
    for (Eigen::Index n = 0; n < 2; ++n) {
      const double expected = reference_log_pmf(ps[k].rates, X.row(n).transpose());
      EXPECT_NEAR(all(n, k), expected, 1e-12 * std::abs(expected)) << n << ", " << k;
    }
  }
}

TEST(PoissonStats, LargeCountsGiveAnExactQFromStatistics) {
  // Q from statistics, Σ_n w_n log f(x_n | λ), against the sum of Boost.Math's log pmf, from two
  // chunks merged and from one: a column of counts around 1e15 (Q ~ −1e3, where the direct form
  // would be off by ~10 a row), then the same column with small counts mixed in.
  const emkit::poisson family;
  for (const bool mixed : {false, true}) {
    Eigen::MatrixXd X(40, 2);
    for (Eigen::Index n = 0; n < X.rows(); ++n)
      X.row(n) << (mixed && n % 4 == 0 ? static_cast<double>(n % 9) : 1e15 + 1e7 * static_cast<double>(n % 13)),
          static_cast<double>(n % 5);
    Eigen::VectorXd w(X.rows());
    for (Eigen::Index n = 0; n < X.rows(); ++n) w[n] = 0.25 + 0.05 * static_cast<double>(n % 6);
    std::vector<emkit::poisson_stats> merged(1);
    family.accumulate_all(X.topRows(17), w.head(17), std::span<emkit::poisson_stats>(merged));
    family.accumulate_all(X.bottomRows(23), w.tail(23), std::span<emkit::poisson_stats>(merged));
    const auto whole = family.accumulate(X, w);
    EXPECT_NEAR(merged[0].counts[0], X.col(0).dot(w), 1e-15 * X.col(0).dot(w));
    for (const Eigen::Vector2d& rates : {Eigen::Vector2d(1e15 + 6e7, 1.5), Eigen::Vector2d(7.5e14, 2.0)}) {
      const auto p = emkit::poisson_params::from(rates);
      double direct = 0.0;
      for (Eigen::Index n = 0; n < X.rows(); ++n) {
        for (Eigen::Index d = 0; d < 2; ++d) {
          // Where Boost's pdf underflows, log f is huge and the direct form is exact relative to it.
          const double pdf = boost::math::pdf(boost::math::poisson_distribution<>(rates[d]), X(n, d));
          direct +=
              w[n] * (pdf > 0 ? std::log(pdf) : X(n, d) * std::log(rates[d]) - rates[d] - std::lgamma(X(n, d) + 1.0));
        }
      }
      EXPECT_NEAR(family.expected_log_density(whole, p), direct, 1e-12 * std::abs(direct)) << mixed;
      EXPECT_NEAR(family.expected_log_density(merged[0], p), direct, 1e-12 * std::abs(direct)) << mixed;
    }
  }
}

TEST(PoissonFit, RecoversKnownRatesWithErrorsThatShrinkWithN) {
  const auto truth = three_count_profiles();
  double previous_error = std::numeric_limits<double>::infinity();
  for (Eigen::Index n : {1000, 10000, 100000}) {
    const Eigen::MatrixXd X = draw_counts(truth, n, 21);
    emkit::fitter<> fitter;
    fitter.options.restarts = 3;
    fitter.options.seed = 1;
    auto [theta, summary] = fitter.fit(poisson_mixture{}, X, 3);
    ASSERT_TRUE(summary.converged);
    EXPECT_TRUE(emkit::testing::monitor_passed(summary));
    double error = 0.0;
    for (int j = 0; j < 3; ++j) {  // match each true component to the nearest fitted rates
      const Eigen::VectorXd rates = truth.rates.row(j).transpose();
      int best = 0;
      for (int k = 1; k < 3; ++k)
        if ((theta.components[k].rates - rates).norm() < (theta.components[best].rates - rates).norm()) best = k;
      const double count = static_cast<double>(n) * truth.weights[j];
      // Five standard errors: sd(λ̂_d) = √(λ_d / (N π_k)), and sd(π̂) = √(π (1 − π) / N).
      for (Eigen::Index d = 0; d < rates.size(); ++d)
        EXPECT_LT(std::abs(theta.components[best].rates[d] - rates[d]), 5 * std::sqrt(rates[d] / count))
            << "n = " << n << ", component " << j << ", rate " << d;
      EXPECT_LT(std::abs(theta.weights[best] - truth.weights[j]),
                5 * std::sqrt(truth.weights[j] * (1 - truth.weights[j]) / static_cast<double>(n)));
      error += ((theta.components[best].rates - rates).array() / rates.array().sqrt()).matrix().norm();
    }
    EXPECT_LT(error, previous_error) << "n = " << n;
    previous_error = error;
  }
}

TEST(PoissonFit, KnownRatesFromTheGivenStartAndTheBicCountsKTimesDRates) {
  const Eigen::MatrixXd X = draw_counts(three_count_profiles(), 2000, 5);
  const poisson_mixture model;
  emkit::fitter<emkit::soft_estep, emkit::given_means> fitter;
  fitter.init.means = three_count_profiles().rates;
  fitter.options.relative_tolerance = 1e-12;
  auto [theta, summary] = fitter.fit(model, X, 3);
  EXPECT_TRUE(emkit::testing::monitor_passed(summary));
  EXPECT_TRUE(summary.converged);
  EXPECT_NEAR(emkit::log_likelihood(model, theta, X), summary.log_likelihood, 1e-9 * std::abs(summary.log_likelihood));
  // The log-likelihood agrees with Boost.Math's pmf summed over rows.
  double reference = 0.0;
  for (Eigen::Index n = 0; n < X.rows(); ++n) {
    double p = 0.0;
    for (int k = 0; k < 3; ++k)
      p += theta.weights[k] * std::exp(reference_log_pmf(theta.components[k].rates, X.row(n).transpose()));
    reference += std::log(p);
  }
  EXPECT_NEAR(summary.log_likelihood, reference, 1e-9 * std::abs(reference));
  // 3·4 rates + 2 weights.
  EXPECT_EQ(model.num_free_parameters(theta), 14u);
  EXPECT_NEAR(emkit::bic(model, theta, X), -2 * summary.log_likelihood + 14 * std::log(2000.0), 1e-8);
}

TEST(PoissonValidation, EveryInvalidCountNamesItsRowColumnAndValue) {
  const Eigen::MatrixXd good = draw_counts(three_count_profiles(), 20, 3);
  const emkit::poisson family;
  EXPECT_NO_THROW(family.validate_data(good));
  struct bad_case {
    double value;
    const char* text;
  };
  const double inf = std::numeric_limits<double>::infinity();
  for (const bad_case& c : {bad_case{-1.0, "-1"}, bad_case{1.5, "1.5"}, bad_case{std::nan(""), "nan"},
                            bad_case{inf, "inf"}, bad_case{-inf, "-inf"}, bad_case{-0.5, "-0.5"}}) {
    Eigen::MatrixXd X = good;
    X(7, 2) = c.value;
    try {
      family.validate_data(X);
      ADD_FAILURE() << "expected data_error for " << c.text;
    } catch (const emkit::data_error& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr(std::string("X(7, 2) = ") + c.text)) << e.what();
      EXPECT_THAT(e.what(), ::testing::HasSubstr("0-based"));
    }
    // Through the fitter: the framework's finiteness check or the family's support check.
    try {
      (void)emkit::fitter<>{}.fit(poisson_mixture{}, X, 2);
      ADD_FAILURE() << "expected data_error for " << c.text;
    } catch (const emkit::data_error& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr(std::string("X(7, 2) = ") + c.text)) << e.what();
    }
  }
  // Predictions check the support too.
  const auto theta = emkit::fitter<>{}.fit(poisson_mixture{}, good, 2).params;
  Eigen::MatrixXd X = good;
  X(3, 1) = 2.25;
  EXPECT_THROW((void)emkit::predict(poisson_mixture{}, theta, X), emkit::data_error);
}

TEST(PoissonValidation, AnInvalidFloorOrRateIsRejected) {
  const Eigen::MatrixXd X = draw_counts(three_count_profiles(), 50, 4);
  for (double floor : {0.0, -1e-3, std::nan(""), std::numeric_limits<double>::infinity()}) {
    const poisson_mixture model{emkit::poisson{.rate_floor = floor}};
    EXPECT_THROW((void)emkit::fitter<>{}.fit(model, X, 2), emkit::invalid_option) << floor;
    EXPECT_THROW((void)model.family.maximize(model.family.accumulate(X, Eigen::VectorXd::Ones(50))),
                 emkit::invalid_option);
  }
  try {
    (void)emkit::poisson_params::from(Eigen::Vector3d(1.0, 0.0, 2.0));
    ADD_FAILURE() << "expected invalid_option";
  } catch (const emkit::invalid_option& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("rates(1) = 0"));
  }
  EXPECT_THROW((void)emkit::poisson{}.maximize(emkit::poisson_stats{}), emkit::numerical_error);
}

TEST(PoissonFloor, AZeroColumnInOneComponentIsHeldAtTheFloorAndReported) {
  // Component 0 never counts anything in column 2; component 1 does.
  known_poisson_mixture m;
  m.weights = Eigen::Vector2d(0.6, 0.4);
  m.rates.resize(2, 3);
  m.rates << 2.0, 15.0, 0.0, 20.0, 2.0, 6.0;
  std::vector<int> labels;
  const Eigen::MatrixXd X = draw_counts(m, 600, 8, &labels);
  const emkit::poisson family;
  emkit::fitter<emkit::soft_estep, emkit::given_means> fitter;
  fitter.init.means = m.rates;
  const poisson_mixture model{family};
  auto [theta, summary] = fitter.fit(model, X, 2);
  EXPECT_TRUE(summary.converged);
  EXPECT_TRUE(emkit::testing::monitor_passed(summary));
  EXPECT_EQ(theta.components[0].rates[2], family.rate_floor);
  EXPECT_EQ(family.floors_applied(theta.components[0]), 1);
  EXPECT_EQ(family.floors_applied(theta.components[1]), 0);
  const bool reported = std::any_of(summary.warnings.begin(), summary.warnings.end(), [](const emkit::warning& w) {
    return w.code == emkit::warning_code::floor_applied && w.component == 0;
  });
  EXPECT_TRUE(reported) << summary.full_report();
  // No NaN or −∞ anywhere: parameters, the trace, and the per-row densities.
  EXPECT_TRUE(theta.weights.allFinite());
  for (const auto& c : theta.components) EXPECT_TRUE(c.rates.allFinite() && c.log_rates.allFinite());
  for (const auto& r : summary.trace) {
    EXPECT_TRUE(std::isfinite(r.log_likelihood)) << r.iteration;
    EXPECT_TRUE(std::isfinite(r.objective)) << r.iteration;
    if (r.iteration > 0) {
      EXPECT_TRUE(std::isfinite(r.q) && std::isfinite(r.elbo) && std::isfinite(r.kl)) << r.iteration;
    }
  }
  EXPECT_TRUE(emkit::score_samples(model, theta, X).allFinite());
  EXPECT_TRUE(emkit::predict_proba(model, theta, X).allFinite());
  // The clusters are recovered.
  const Eigen::VectorX<emkit::index> predicted = emkit::predict(model, theta, X);
  int agree = 0;
  for (Eigen::Index n = 0; n < X.rows(); ++n) agree += predicted[n] == labels[static_cast<std::size_t>(n)];
  EXPECT_GE(agree, 595);
}

TEST(PoissonSample, IsSeededAndFollowsTheRates) {
  const poisson_mixture model;
  poisson_mixture::params_type theta;
  theta.dimension = 3;
  theta.weights = Eigen::Vector2d(0.3, 0.7);
  theta.components.push_back(emkit::poisson_params::from(Eigen::Vector3d(0.5, 4.0, 30.0)));
  theta.components.push_back(emkit::poisson_params::from(Eigen::Vector3d(10.0, 1e-10, 2.0)));
  const auto a = emkit::sample(model, theta, 20000, 3);
  EXPECT_EQ(a.X, emkit::sample(model, theta, 20000, 3).X);
  EXPECT_NO_THROW(model.validate_data(a.X));
  for (int k = 0; k < 2; ++k) {
    Eigen::VectorXd sum = Eigen::VectorXd::Zero(3);
    double count = 0;
    for (Eigen::Index n = 0; n < a.X.rows(); ++n)
      if (a.labels[n] == k) sum += a.X.row(n).transpose(), ++count;
    const Eigen::VectorXd& rates = theta.components[k].rates;
    for (int d = 0; d < 3; ++d)
      EXPECT_NEAR(sum[d] / count, rates[d], 5 * std::sqrt(rates[d] / count) + 1e-9) << k << ", " << d;
  }
}

}  // namespace
