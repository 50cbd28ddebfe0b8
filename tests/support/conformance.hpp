#pragma once
// The conformance suite: the laws of STYLE.md, asserted for every shipped family by one typed
// test. A family joins by writing a traits struct:
//
//   struct my_traits {
//     using family_type = ...;
//     static family_type family();                                   // the configured family
//     static family_type fit_family();                               // the same, as fitted from random
//                                                                    // starts (a regularised one, say)
//     static constexpr int K = ...;                                  // components of the test mixture
//     static Eigen::MatrixXd data(Eigen::Index n, unsigned seed);    // draws from a known K-mixture
//     static Eigen::MatrixXd start_means(const Eigen::MatrixXd& X);  // K×D rows to start EM from
//     static double reference_log_density(const family_type::params_type& p, const Eigen::VectorXd& x);
//                                                                    // independent: Boost.Math or closed form
//     static family_type::params_type reference_mle(const Eigen::MatrixXd& X);
//                                                                    // textbook MLE of one component, unit weights
//   };
//   namespace emkit::testing {  // the suite's namespace
//   INSTANTIATE_TYPED_TEST_SUITE_P(MyFamily, Conformance, ::testing::Types<my_traits>);
//   }
//
// Parameters are compared through what they mean, their log densities at the data, so the
// suite needs no knowledge of a family's parameter layout.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

#include <emkit/emkit.hpp>

namespace emkit::testing {

template <class Traits>
class Conformance : public ::testing::Test {
 protected:
  using family_type = typename Traits::family_type;
  using params_type = typename family_type::params_type;
  using model_type = emkit::mixture<family_type>;

  static double max_rel_diff(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
    return (a - b).cwiseAbs().maxCoeff() / std::max(1.0, b.cwiseAbs().maxCoeff());
  }
  // Two component parameters agree when their log densities agree at every row.
  static double param_distance(const params_type& a, const params_type& b, const Eigen::MatrixXd& X) {
    const family_type f = Traits::family();
    return max_rel_diff(f.log_density(a, X), f.log_density(b, X));
  }
  static emkit::fitter<emkit::soft_estep, emkit::given_means> given_fitter(const Eigen::MatrixXd& X, int iterations) {
    emkit::fitter<emkit::soft_estep, emkit::given_means> f;
    f.init.means = Traits::start_means(X);
    f.options.relative_tolerance = 0;
    f.options.max_iterations = iterations;
    f.options.chunk_rows = 32;
    f.options.monitor.action = emkit::monitor_action::raise;
    return f;
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

TYPED_TEST_P(Conformance, UnitWeightsGiveTheTextbookMle) {
  const Eigen::MatrixXd X = TypeParam::data(200, 3);
  const auto f = TypeParam::family();
  const auto fitted = f.maximize(f.accumulate(X, Eigen::VectorXd::Ones(X.rows())));
  EXPECT_LT(this->param_distance(fitted, TypeParam::reference_mle(X), X), 1e-10);
}

TYPED_TEST_P(Conformance, OneComponentFitIsTheClosedFormMle) {
  const Eigen::MatrixXd X = TypeParam::data(150, 4);
  emkit::fitter<> fitter;
  fitter.options.monitor.action = emkit::monitor_action::raise;
  auto [theta, summary] = fitter.fit(typename TestFixture::model_type{TypeParam::family()}, X, 1);
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
    fitter.options.monitor.action = emkit::monitor_action::raise;
    auto [theta, summary] = fitter.fit(model, X, TypeParam::K);
    EXPECT_TRUE(summary.violations.empty());
    EXPECT_NEAR(theta.weights.sum(), 1.0, 1e-12);
    const Eigen::MatrixXd R = emkit::predict_proba(model, theta, X);
    EXPECT_TRUE(R.allFinite());
    EXPECT_GE(R.minCoeff(), 0.0);
    EXPECT_LT((R.rowwise().sum().array() - 1.0).abs().maxCoeff(), 1e-12);
    EXPECT_NEAR(emkit::score_samples(model, theta, X).sum(), summary.log_likelihood,
                1e-9 * std::abs(summary.log_likelihood));
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
    return fitter.fit(model, X, TypeParam::K);
  };
  const auto one = fit_on(1);
  for (int n : {2, 3, 8}) {
    const auto other = fit_on(n);
    EXPECT_EQ(other.summary.log_likelihood, one.summary.log_likelihood) << n << " threads";
    EXPECT_EQ(other.params.weights, one.params.weights);
    for (int k = 0; k < TypeParam::K; ++k)
      EXPECT_EQ(this->param_distance(other.params.components[k], one.params.components[k], X), 0.0);
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
  EXPECT_NEAR(a.summary.log_likelihood, b.summary.log_likelihood, 1e-10 * std::abs(b.summary.log_likelihood));
  for (int k = 0; k < TypeParam::K; ++k)
    EXPECT_LT(this->param_distance(a.params.components[k], b.params.components[k], X), 1e-9);
}

REGISTER_TYPED_TEST_SUITE_P(Conformance, LogDensityAgreesWithAnIndependentReference, StatisticsMergeExactly,
                            UnitWeightsGiveTheTextbookMle, OneComponentFitIsTheClosedFormMle,
                            FitsFromManyStartsAreProperAndPassTheMonitor, ThreadsGiveBitIdenticalFits,
                            PermutingRowsLeavesTheObjectiveUnchanged, AWeightOfTwoCountsAsTheRowTwice);

}  // namespace emkit::testing
