#pragma once
/// \file
/// The conformance suite: the laws of STYLE.md, asserted for a component family by one
/// GoogleTest typed test. Every shipped family runs it (tests/models), and so can yours
/// (docs/writing-a-model.md, "Testing a new family").
///
/// Requires GoogleTest: link your test with `GTest::gtest` (and `GTest::gtest_main`, or your own
/// `main`). The header is installed with emkit but is usable only where <gtest/gtest.h> is.
///
/// A family joins by writing a traits struct and instantiating the suite with it:
///
///     struct my_traits {
///       using family_type = ...;
///       static family_type family();                                   // the configured family
///       static family_type fit_family();                               // the same, as fitted from random
///                                                                      // starts (a regularised one, say)
///       static constexpr int K = ...;                                  // components of the test mixture
///       static Eigen::MatrixXd data(Eigen::Index n, unsigned seed);    // draws from a known K-mixture
///       static Eigen::MatrixXd start_means(const Eigen::MatrixXd& X);  // K×D rows to start EM from
///       static double reference_log_density(const family_type::params_type& p, const Eigen::VectorXd& x);
///                                                                      // independent: Boost.Math or closed form
///       static family_type::params_type reference_mle(const Eigen::MatrixXd& X);
///                                                                      // textbook MLE of one component, unit weights
///     };
///     namespace emkit::testing {  // the suite's namespace
///     INSTANTIATE_TYPED_TEST_SUITE_P(MyFamily, Conformance, ::testing::Types<my_traits>);
///     }
///
/// Parameters are compared through what they mean, their log densities at the data, and
/// statistics through theirs (the M-step they give, and Σ_n w_n log f(x_n | p) at a few p when
/// the family has `expected_log_density`), so the suite needs no knowledge of a family's layout.
///
/// The laws (one test each):
/// - LogDensityAgreesWithAnIndependentReference: `log_density` against `reference_log_density`.
/// - StatisticsMergeExactly: accumulate(X1) += accumulate(X2) fits as accumulate(X); `stats_type{}`
///   is the identity.
/// - StatisticsScaleWithTheirWeights (when `stats_type` models `ScalableStats`, which online EM
///   needs): stats(X, a·w) == (stats(X, w) *= a); (s *= a) += (t *= b) == stats of the combined
///   rows and weights; s *= 0 is the identity under +=.
/// - StatisticsRoundTripThroughFlatten (when `flattenable_v<stats_type>`, which processes need):
///   the family's statistics, the identity and the mixture's accumulator flatten and come back
///   bit for bit; a short buffer is a `shape_error`.
/// - UnitWeightsGiveTheTextbookMle, OneComponentFitIsTheClosedFormMle.
/// - FitsFromManyStartsAreProperAndPassTheMonitor: responsibilities are a distribution, ℓ agrees
///   with `score_samples`, and the monitor's record holds no violation.
/// - TheRecordAgreesWithAnIndependentDecomposition: each row of the fit's trace (ℓ, Q, H, KL, the
///   E-step gap) equals `bound_decomposition`, which computes every term on its own from
///   `predict_proba` (KL as Σ q (log q − log r), never as ℓ − ELBO), and the ELBO at the
///   posterior equals ℓ evaluated directly.
/// - ThreadsGiveBitIdenticalFits: 1, 2, 3 and 8 threads give the same bits.
/// - ProcessesGiveBitIdenticalFits (when `flattenable_v<stats_type>`): 2 and 3 processes
///   (threads standing in for them, <emkit/testing/thread_process_group.hpp>) give the bits of one.
/// - PermutingRowsLeavesTheObjectiveUnchanged, AWeightOfTwoCountsAsTheRowTwice.
/// A law whose hook the family does not have is skipped, and says so.
#if !__has_include(<gtest/gtest.h>)
#error "<emkit/testing/conformance.hpp> needs GoogleTest: link GTest::gtest"
#endif

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <numeric>
#include <span>
#include <vector>

#include <gtest/gtest.h>

#include <Eigen/Core>

#include <emkit/emkit.hpp>
#include <emkit/framework/execution/flatten.hpp>
#include <emkit/framework/verify/bound.hpp>
#include <emkit/testing/monitor_passed.hpp>
#include <emkit/testing/thread_process_group.hpp>

namespace emkit::testing {

/// Everything a fit computed, as values compared bit for bit: ℓ, the objective, the iterations,
/// the weights, each component's log density at the data, and the trace of the objective.
struct fit_bits {
  double log_likelihood = 0.0;
  double objective = 0.0;
  int iterations = 0;
  Eigen::VectorXd weights;
  std::vector<Eigen::VectorXd> log_densities;
  std::vector<double> trace;
};

template <class Traits>
class Conformance : public ::testing::Test {
 protected:
  using family_type = typename Traits::family_type;
  using params_type = typename family_type::params_type;
  using stats_type = typename family_type::stats_type;
  using model_type = emkit::mixture<family_type>;

  static double max_rel_diff(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
    return (a - b).cwiseAbs().maxCoeff() / std::max(1.0, b.cwiseAbs().maxCoeff());
  }
  // Two component parameters agree when their log densities agree at every row.
  static double param_distance(const params_type& a, const params_type& b, const Eigen::MatrixXd& X) {
    const family_type f = Traits::family();
    return max_rel_diff(f.log_density(a, X), f.log_density(b, X));
  }
  // A fitter from Traits::start_means for exactly `iterations` iterations, in chunks of 32 rows.
  // The monitor records (the default); the tests assert on the record.
  static emkit::fitter<emkit::soft_estep, emkit::given_means> given_fitter(const Eigen::MatrixXd& X, int iterations) {
    emkit::fitter<emkit::soft_estep, emkit::given_means> f;
    f.init.means = Traits::start_means(X);
    f.options.relative_tolerance = 0;
    f.options.max_iterations = iterations;
    f.options.chunk_rows = 32;
    return f;
  }
  static ::testing::AssertionResult passed(const emkit::summary& s) {
    return monitor_passed(s, HasExpectedLogDensity<family_type>);
  }
  static fit_bits bits_of(const fit_result<typename model_type::params_type>& r, const Eigen::MatrixXd& X) {
    const family_type f = Traits::fit_family();
    fit_bits b{r.summary.log_likelihood, r.summary.objective, r.summary.iterations, r.params.weights, {}, {}};
    for (const params_type& p : r.params.components) b.log_densities.push_back(f.log_density(p, X));
    for (const iteration_record& rec : r.summary.trace) b.trace.push_back(rec.objective);
    return b;
  }
  static void expect_same_bits(const fit_bits& got, const fit_bits& want, const char* what, int n) {
    EXPECT_EQ(got.log_likelihood, want.log_likelihood) << what << " " << n;
    EXPECT_EQ(got.objective, want.objective) << what << " " << n;
    EXPECT_EQ(got.iterations, want.iterations) << what << " " << n;
    EXPECT_EQ(got.weights, want.weights) << what << " " << n;
    ASSERT_EQ(got.log_densities.size(), want.log_densities.size()) << what << " " << n;
    for (std::size_t k = 0; k < want.log_densities.size(); ++k)
      EXPECT_EQ(got.log_densities[k], want.log_densities[k]) << what << " " << n << ", component " << k;
    EXPECT_EQ(got.trace, want.trace) << what << " " << n;
  }
  // Statistics mean what they fit, and what Σ_n w_n log f(x_n | p) they give at the probes.
  static void expect_same_meaning(const stats_type& got, const stats_type& want, const Eigen::MatrixXd& X,
                                  const std::vector<params_type>& probes, const char* law) {
    const family_type f = Traits::family();
    EXPECT_LT(param_distance(f.maximize(got), f.maximize(want), X), 1e-10) << law;
    if constexpr (HasExpectedLogDensity<family_type>) {
      for (const params_type& p : probes) {
        const double expected = f.expected_log_density(want, p);
        EXPECT_NEAR(f.expected_log_density(got, p), expected, 1e-10 * std::max(1.0, std::abs(expected))) << law;
      }
    }
  }
};

TYPED_TEST_SUITE_P(Conformance);

TYPED_TEST_P(Conformance, LogDensityAgreesWithAnIndependentReference) {
  const Eigen::MatrixXd X = TypeParam::data(60, 1);
  const auto f = TypeParam::family();
  for (int part = 0; part < 3; ++part) {
    const auto p = TypeParam::reference_mle(X.middleRows(part * 20, 20));
    const Eigen::VectorXd got = f.log_density(p, X);
    for (Eigen::Index n = 0; n < X.rows(); ++n) {
      const double expected = TypeParam::reference_log_density(p, X.row(n).transpose());
      EXPECT_NEAR(got[n], expected, 1e-10 * std::max(1.0, std::abs(expected))) << "row " << n;
    }
  }
}

TYPED_TEST_P(Conformance, StatisticsMergeExactly) {
  const Eigen::MatrixXd X = TypeParam::data(90, 2);
  const auto f = TypeParam::family();
  const Eigen::VectorXd w = Eigen::VectorXd::LinSpaced(X.rows(), 0.5, 1.5);
  auto merged = f.accumulate(X.topRows(37), w.head(37));
  merged += f.accumulate(X.bottomRows(53), w.tail(53));
  const auto whole = f.accumulate(X, w);
  EXPECT_LT(this->param_distance(f.maximize(merged), f.maximize(whole), X), 1e-12);
  typename TypeParam::family_type::stats_type identity{};
  identity += whole;
  EXPECT_LT(this->param_distance(f.maximize(identity), f.maximize(whole), X), 1e-15);
}

TYPED_TEST_P(Conformance, StatisticsScaleWithTheirWeights) {
  using stats_type = typename TestFixture::stats_type;
  if constexpr (!ScalableStats<stats_type>) {
    GTEST_SKIP() << "stats_type has no *= (ScalableStats): online EM cannot average its statistics";
  } else {
    const Eigen::MatrixXd X1 = TypeParam::data(120, 11), X2 = TypeParam::data(80, 12);
    Eigen::MatrixXd X(X1.rows() + X2.rows(), X1.cols());
    X << X1, X2;
    const Eigen::VectorXd w1 = Eigen::VectorXd::LinSpaced(X1.rows(), 0.5, 2.0);
    const Eigen::VectorXd w2 = Eigen::VectorXd::LinSpaced(X2.rows(), 1.5, 0.25);
    const double a = 0.37, b = 2.9;
    const auto f = TypeParam::family();
    // Parameters at which to weigh the statistics, in the family's own representation (a
    // diagonal Gaussian's statistics and parameters are diagonal): its fits to parts of the data.
    auto fit_to = [&](const Eigen::MatrixXd& rows) {
      return f.maximize(f.accumulate(rows, Eigen::VectorXd::Ones(rows.rows())));
    };
    const std::vector<typename TestFixture::params_type> probes{fit_to(X1), fit_to(X2), fit_to(X.middleRows(50, 100))};
    {
      stats_type scaled = f.accumulate(X1, w1);
      scaled *= a;
      const stats_type direct = f.accumulate(X1, (a * w1).eval());
      TestFixture::expect_same_meaning(scaled, direct, X, probes, "stats(X, a w) == stats(X, w) *= a");
      if constexpr (flattenable_v<stats_type>) {
        // The same rows in the same order: the same representation, up to rounding.
        const std::vector<double> got = flattened(scaled), want = flattened(direct);
        ASSERT_EQ(got.size(), want.size());
        for (std::size_t i = 0; i < want.size(); ++i)
          EXPECT_NEAR(got[i], want[i], 1e-11 * std::max(1.0, std::abs(want[i]))) << "flattened value " << i;
      }
    }
    {
      stats_type s = f.accumulate(X1, w1), t = f.accumulate(X2, w2);
      s *= a;
      t *= b;
      s += t;
      Eigen::VectorXd w(w1.size() + w2.size());
      w << a * w1, b * w2;
      TestFixture::expect_same_meaning(s, f.accumulate(X, w), X, probes,
                                       "(s *= a) += (t *= b) == stats of the combined weights");
    }
    {
      stats_type s = f.accumulate(X1, w1);
      s *= 0.0;
      s += f.accumulate(X2, w2);
      TestFixture::expect_same_meaning(s, f.accumulate(X2, w2), X, probes, "s *= 0 is the identity under +=");
    }
  }
}

TYPED_TEST_P(Conformance, StatisticsRoundTripThroughFlatten) {
  using stats_type = typename TestFixture::stats_type;
  if constexpr (!flattenable_v<stats_type>) {
    GTEST_SKIP() << "stats_type does not flatten (BOOST_HANA_ADAPT_STRUCT it): processes cannot exchange it";
  } else {
    const Eigen::MatrixXd X = TypeParam::data(150, 13);
    const Eigen::VectorXd w = Eigen::VectorXd::LinSpaced(X.rows(), 0.25, 1.75);
    const auto f = TypeParam::family();
    const stats_type s = f.accumulate(X, w);
    const std::vector<double> flat = flattened(s);
    // Read back over other statistics of the same shape: a member that flatten does not carry
    // keeps its old value, which the fit from the result then shows (and the shapes still agree).
    stats_type back = f.accumulate(X.topRows(40), Eigen::VectorXd::Ones(40));
    std::span<const double> in(flat);
    unflatten(in, back);
    EXPECT_TRUE(in.empty());
    EXPECT_EQ(flattened(back), flat);
    EXPECT_EQ(this->param_distance(f.maximize(back), f.maximize(s), X), 0.0)
        << "a member of stats_type that flatten does not carry (BOOST_HANA_ADAPT_STRUCT names every member)";

    // The identity round-trips, and is still the identity.
    const stats_type empty{};
    const std::vector<double> none = flattened(empty);
    stats_type empty_back = s;
    std::span<const double> in_none(none);
    unflatten(in_none, empty_back);
    EXPECT_EQ(flattened(empty_back), none);
    empty_back += s;
    EXPECT_EQ(flattened(empty_back), flat);

    // The mixture's accumulator is what processes exchange.
    const typename TestFixture::model_type model{TypeParam::family()};
    auto acc = model.make_accumulator(TypeParam::K);
    Eigen::MatrixXd R(X.rows(), TypeParam::K);
    for (Eigen::Index n = 0; n < R.rows(); ++n)
      for (Eigen::Index k = 0; k < R.cols(); ++k) R(n, k) = 1.0 + static_cast<double>((7 * n + 3 * k) % 5);
    R.array().colwise() /= R.array().rowwise().sum();
    model.accumulate(X, model.prepare(X), w, R, acc);
    const std::vector<double> acc_flat = flattened(acc);
    decltype(acc) acc_back;
    std::span<const double> acc_in(acc_flat);
    unflatten(acc_in, acc_back);
    EXPECT_TRUE(acc_in.empty());
    EXPECT_EQ(flattened(acc_back), acc_flat);

    // A short buffer is an error, not a silent misreading.
    std::span<const double> cut(acc_flat.data(), acc_flat.size() - 1);
    decltype(acc) junk;
    EXPECT_THROW(unflatten(cut, junk), shape_error);
  }
}

TYPED_TEST_P(Conformance, UnitWeightsGiveTheTextbookMle) {
  const Eigen::MatrixXd X = TypeParam::data(200, 3);
  const auto f = TypeParam::family();
  const auto fitted = f.maximize(f.accumulate(X, Eigen::VectorXd::Ones(X.rows())));
  EXPECT_LT(this->param_distance(fitted, TypeParam::reference_mle(X), X), 1e-10);
}

TYPED_TEST_P(Conformance, OneComponentFitIsTheClosedFormMle) {
  const Eigen::MatrixXd X = TypeParam::data(150, 4);
  emkit::fitter<> fitter;
  auto [theta, summary] = fitter.fit(typename TestFixture::model_type{TypeParam::family()}, X, 1);
  EXPECT_TRUE(TestFixture::passed(summary));
  EXPECT_DOUBLE_EQ(theta.weights[0], 1.0);
  EXPECT_LT(this->param_distance(theta.components[0], TypeParam::reference_mle(X), X), 1e-10);
}

TYPED_TEST_P(Conformance, FitsFromManyStartsAreProperAndPassTheMonitor) {
  const Eigen::MatrixXd X = TypeParam::data(300, 5);
  const typename TestFixture::model_type model{TypeParam::fit_family()};
  for (std::uint64_t seed = 0; seed < 6; ++seed) {
    emkit::fitter<emkit::soft_estep, emkit::random_responsibility_init> fitter;
    fitter.options.seed = seed;
    fitter.options.restarts = 2;
    fitter.options.max_iterations = 200;
    fitter.options.chunk_rows = 50;
    auto [theta, summary] = fitter.fit(model, X, TypeParam::K);
    EXPECT_TRUE(TestFixture::passed(summary)) << "seed " << seed;
    EXPECT_NEAR(theta.weights.sum(), 1.0, 1e-12);
    const Eigen::MatrixXd R = emkit::predict_proba(model, theta, X);
    EXPECT_TRUE(R.allFinite());
    EXPECT_GE(R.minCoeff(), 0.0);
    EXPECT_LT((R.rowwise().sum().array() - 1.0).abs().maxCoeff(), 1e-12);
    EXPECT_NEAR(emkit::score_samples(model, theta, X).sum(), summary.log_likelihood,
                1e-9 * std::abs(summary.log_likelihood));
  }
}

TYPED_TEST_P(Conformance, TheRecordAgreesWithAnIndependentDecomposition) {
  // Iteration t+1 of the trace records ℓ(θ_{t+1}), Q(θ_{t+1}; q_t), H(q_t) and KL(q_t ‖ p(Z|X, θ_{t+1}))
  // from the engine's fused pass and statistics. bound_decomposition recomputes each from the
  // rows, with q_t = predict_proba at θ_t, and KL from log q − log r: none is another's difference.
  const Eigen::MatrixXd X = TypeParam::data(240, 10);
  const typename TestFixture::model_type model{TypeParam::family()};
  for (int t : {0, 1, 3, 8}) {
    SCOPED_TRACE(::testing::Message() << "iteration " << t + 1);
    const auto at = TestFixture::given_fitter(X, t).fit(model, X, TypeParam::K);
    const auto next = TestFixture::given_fitter(X, t + 1).fit(model, X, TypeParam::K);
    ASSERT_EQ(next.summary.trace.size(), static_cast<std::size_t>(t + 2));
    const iteration_record& rec = next.summary.trace.back();
    const Eigen::MatrixXd q_t = emkit::predict_proba(model, at.params, X);
    const bound_terms b = bound_decomposition(model, next.params, X, q_t);
    const double ell = emkit::log_likelihood(model, next.params, X);  // Σ_n log Σ_k π_k f(x_n | θ_k)
    const double tol = 1e-10 * std::max(1.0, std::abs(ell));
    EXPECT_NEAR(rec.log_likelihood, ell, tol);
    EXPECT_NEAR(b.log_likelihood, ell, tol);
    if constexpr (HasExpectedLogDensity<typename TypeParam::family_type>) {
      EXPECT_NEAR(rec.q - model.log_prior(next.params), b.expected_complete, 10 * tol);
      EXPECT_NEAR(rec.entropy, b.entropy, 10 * tol);
      EXPECT_NEAR(rec.kl, b.kl, 10 * tol);
      EXPECT_GE(b.kl, -tol);  // KL ≥ 0, computed on its own
    }
    // At the posterior of θ_{t+1} the bound is tight: Q + H from the rows equals ℓ evaluated
    // directly, and the record's E-step gap is that difference.
    const bound_terms tight = bound_decomposition(model, next.params, X, emkit::predict_proba(model, next.params, X));
    EXPECT_NEAR(tight.expected_complete + tight.entropy, ell, 10 * tol);
    EXPECT_NEAR(rec.estep_gap, ell - (tight.expected_complete + tight.entropy), 10 * tol);
    EXPECT_TRUE(TestFixture::passed(next.summary));
  }
}

TYPED_TEST_P(Conformance, ThreadsGiveBitIdenticalFits) {
  const Eigen::MatrixXd X = TypeParam::data(5000, 6);
  const typename TestFixture::model_type model{TypeParam::fit_family()};
  auto fit_on = [&](int n) {
    emkit::fitter<emkit::soft_estep, emkit::kmeans_plus_plus, emkit::threads> fitter;
    fitter.execution.n = n;
    fitter.options.seed = 5;
    fitter.options.max_iterations = 15;
    fitter.options.chunk_rows = 64;
    return TestFixture::bits_of(fitter.fit(model, X, TypeParam::K), X);
  };
  const fit_bits one = fit_on(1);
  for (int n : {2, 3, 8}) TestFixture::expect_same_bits(fit_on(n), one, "threads:", n);
}

TYPED_TEST_P(Conformance, ProcessesGiveBitIdenticalFits) {
  if constexpr (!flattenable_v<typename TestFixture::stats_type>) {
    GTEST_SKIP() << "stats_type does not flatten (BOOST_HANA_ADAPT_STRUCT it): processes cannot exchange it";
  } else {
    const Eigen::MatrixXd X = TypeParam::data(3001, 9);
    const typename TestFixture::model_type model{TypeParam::fit_family()};
    emkit::fitter<emkit::soft_estep, emkit::kmeans_plus_plus, emkit::threads> fitter;
    fitter.execution.n = 2;
    fitter.options.seed = 3;
    fitter.options.restarts = 2;
    fitter.options.max_iterations = 15;
    fitter.options.chunk_rows = 64;  // 47 chunks in several blocks: every process has a share
    const fit_bits one = TestFixture::bits_of(fitter.fit(model, X, TypeParam::K), X);
    for (int P : {2, 3}) {
      const auto all = run_as_processes(P, [&](std::shared_ptr<const process_group> group) {
        auto f = fitter;
        f.execution.processes = std::move(group);
        return TestFixture::bits_of(f.fit(model, X, TypeParam::K), X);
      });
      for (int p = 0; p < P; ++p)
        TestFixture::expect_same_bits(all[static_cast<std::size_t>(p)], one, "processes, rank", p);
    }
  }
}

TYPED_TEST_P(Conformance, PermutingRowsLeavesTheObjectiveUnchanged) {
  const Eigen::MatrixXd X = TypeParam::data(400, 7);
  std::vector<Eigen::Index> order(static_cast<std::size_t>(X.rows()));
  std::iota(order.begin(), order.end(), 0);
  std::reverse(order.begin(), order.end());
  std::rotate(order.begin(), order.begin() + 123, order.end());
  Eigen::MatrixXd Y(X.rows(), X.cols());
  for (std::size_t i = 0; i < order.size(); ++i) Y.row(static_cast<Eigen::Index>(i)) = X.row(order[i]);
  const typename TestFixture::model_type model{TypeParam::family()};
  const auto a = TestFixture::given_fitter(X, 30).fit(model, X, TypeParam::K);
  const auto b = TestFixture::given_fitter(X, 30).fit(model, Y, TypeParam::K);
  EXPECT_TRUE(TestFixture::passed(a.summary));
  EXPECT_NEAR(a.summary.objective, b.summary.objective, 1e-10 * std::abs(a.summary.objective));
}

TYPED_TEST_P(Conformance, AWeightOfTwoCountsAsTheRowTwice) {
  const Eigen::MatrixXd X = TypeParam::data(200, 8);
  Eigen::VectorXd w(X.rows());
  std::vector<Eigen::Index> rows;
  for (Eigen::Index n = 0; n < X.rows(); ++n) {
    w[n] = static_cast<double>(1 + n % 2);
    for (int r = 0; r < 1 + n % 2; ++r) rows.push_back(n);
  }
  Eigen::MatrixXd repeated(static_cast<Eigen::Index>(rows.size()), X.cols());
  for (std::size_t i = 0; i < rows.size(); ++i) repeated.row(static_cast<Eigen::Index>(i)) = X.row(rows[i]);
  const typename TestFixture::model_type model{TypeParam::family()};
  const auto a = TestFixture::given_fitter(X, 20).fit(model, X, TypeParam::K, w);
  const auto b = TestFixture::given_fitter(X, 20).fit(model, repeated, TypeParam::K);
  EXPECT_TRUE(TestFixture::passed(a.summary));
  EXPECT_NEAR(a.summary.log_likelihood, b.summary.log_likelihood, 1e-10 * std::abs(b.summary.log_likelihood));
  for (int k = 0; k < TypeParam::K; ++k)
    EXPECT_LT(this->param_distance(a.params.components[k], b.params.components[k], X), 1e-9);
}

REGISTER_TYPED_TEST_SUITE_P(Conformance, LogDensityAgreesWithAnIndependentReference, StatisticsMergeExactly,
                            StatisticsScaleWithTheirWeights, StatisticsRoundTripThroughFlatten,
                            UnitWeightsGiveTheTextbookMle, OneComponentFitIsTheClosedFormMle,
                            FitsFromManyStartsAreProperAndPassTheMonitor, TheRecordAgreesWithAnIndependentDecomposition,
                            ThreadsGiveBitIdenticalFits, ProcessesGiveBitIdenticalFits,
                            PermutingRowsLeavesTheObjectiveUnchanged, AWeightOfTwoCountsAsTheRowTwice);

}  // namespace emkit::testing
