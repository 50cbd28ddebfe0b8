// Reliability, part 2: degenerate data. Each test is one row of the table in
// docs/reliability.md: emkit either fits (every number finite, the monitor set to throw finds
// no violation, what happened is in the summary) or throws a named error. Never NaN.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <Eigen/Cholesky>
#include <boost/math/distributions/poisson.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <emkit/emkit.hpp>

#include "reliability/reliability_support.hpp"
#include "support/data.hpp"

namespace {

using emkit::covariance_type;
using emkit::index;
using emkit::warning_code;
using emkit::reliability::count_warnings;
using emkit::reliability::every_covariance_type;
using emkit::reliability::fit_is_finite;
using emkit::reliability::gaussian_model;
using emkit::reliability::gmm;
using emkit::reliability::message_of;
using emkit::reliability::separates_halves;
using emkit::reliability::strict_fitter;
using emkit::reliability::strict_kmeans;
using emkit::reliability::two_clusters;
using emkit::reliability::uniform_matrix;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

using poisson_mixture = emkit::mixture<emkit::poisson>;
using bernoulli_mixture = emkit::mixture<emkit::bernoulli>;

constexpr double log_two_pi = 1.8378770664093454835606594728112;

/// Rows 0..n/2 at 0 and the rest at 1: two distinct points.
Eigen::MatrixXd two_distinct_points(index n) {
  Eigen::MatrixXd X = Eigen::MatrixXd::Zero(n, 1);
  X.bottomRows(n - n / 2).setOnes();
  return X;
}

/// Old Faithful with K = 3 and a third starting mean that no row is nearest to: that
/// component is empty after the initial assignment.
struct empty_start {
  Eigen::MatrixXd X = emkit::testing::load_data("faithful.csv");
  Eigen::MatrixXd means = (Eigen::MatrixXd(3, 2) << 2.0, 55.0, 4.5, 80.0, 1000.0, 1000.0).finished();
};

// ---- identical points -----------------------------------------------------------------------

TEST(Degenerate, AllPointsIdenticalOneComponentIsTheRegularisedPointMass) {
  const Eigen::MatrixXd X = Eigen::MatrixXd::Constant(20, 3, 3.25);
  for (const covariance_type c : every_covariance_type()) {
    const auto r = strict_fitter().fit(gaussian_model(c), X, 1);
    ASSERT_TRUE(fit_is_finite(r)) << to_string(c);
    EXPECT_TRUE(r.summary.converged) << to_string(c);
    EXPECT_TRUE(r.params.components[0].mean.isApprox(X.row(0).transpose())) << to_string(c);
    // Zero scatter: Σ is exactly the regularisation reg_covar·I.
    EXPECT_TRUE(r.params.components[0].covariance.isApprox(1e-6 * Eigen::MatrixXd::Identity(3, 3), 1e-9))
        << to_string(c);
    EXPECT_NEAR(r.summary.log_likelihood, -0.5 * 20 * 3 * (log_two_pi + std::log(1e-6)), 1e-9) << to_string(c);
  }
}

TEST(Degenerate, AllPointsIdenticalSeveralComponentsAreReseededAndReported) {
  const Eigen::MatrixXd X = Eigen::MatrixXd::Constant(20, 2, -7.5);
  const double one = strict_fitter().fit(gmm{}, X, 1).summary.log_likelihood;
  for (const covariance_type c : every_covariance_type()) {
    const auto r = strict_fitter().fit(gaussian_model(c), X, 3);
    ASSERT_TRUE(fit_is_finite(r)) << to_string(c);
    EXPECT_TRUE(r.summary.converged) << to_string(c);
    // k-means++ finds one distinct point; the other two components start empty and are
    // re-seeded as the one-component fit, which here is the same point mass.
    EXPECT_EQ(count_warnings(r.summary, warning_code::component_reseeded), 2u) << to_string(c);
    EXPECT_NEAR(r.summary.log_likelihood, one, 1e-9 * std::abs(one)) << to_string(c);
    EXPECT_THAT(r.summary.full_report(), HasSubstr("lost all its mass"));
  }
}

TEST(Degenerate, AllPointsIdenticalUnderHardEmAndKMeansConverge) {
  const Eigen::MatrixXd X = Eigen::MatrixXd::Constant(20, 2, 1.5);
  const auto km = strict_kmeans().fit(emkit::kmeans_model(), X, 3);
  ASSERT_TRUE(fit_is_finite(km));
  const auto hard = strict_fitter<emkit::hard_estep>().fit(gmm{}, X, 3);
  ASSERT_TRUE(fit_is_finite(hard));
  // Every row ties and goes to component 0: components 1 and 2 start empty and are re-seeded
  // once (at the fit of all the data, the same point), are empty again at the next M-step and
  // are then kept (with weight 0 under learned weights), so the fit converges.
  for (const auto* r : {&km.summary, &hard.summary}) {
    EXPECT_TRUE(r->converged);
    EXPECT_EQ(count_warnings(*r, warning_code::component_reseeded), 2u);
    EXPECT_EQ(count_warnings(*r, warning_code::component_kept), 2u);
    EXPECT_EQ(count_warnings(*r, warning_code::not_converged), 0u);
  }
  EXPECT_EQ(km.summary.warnings.size(), 4u);
  // The Gaussian's covariance is reg_covar·I, all regularisation: one floor_applied per component.
  EXPECT_EQ(count_warnings(hard.summary, warning_code::floor_applied), 3u);
  EXPECT_EQ(hard.params.weights[1], 0.0);
  EXPECT_EQ(hard.params.weights[2], 0.0);
}

TEST(Degenerate, DuplicateRowsAreTheSameAsAWeightOfTwo) {
  const Eigen::MatrixXd base = two_clusters(30, 2, 4.0, 1.0);
  Eigen::MatrixXd doubled(60, 2);
  doubled << base, base;
  Eigen::VectorXd w = Eigen::VectorXd::Constant(30, 2.0);
  auto f = strict_fitter<emkit::soft_estep, emkit::given_means>();
  f.init.means = base.topRows(2);
  f.options.relative_tolerance = 0;
  f.options.max_iterations = 50;
  for (const covariance_type c : every_covariance_type()) {
    const auto a = f.fit(gaussian_model(c), doubled, 2);
    const auto b = f.fit(gaussian_model(c), base, 2, w);
    ASSERT_TRUE(fit_is_finite(a));
    EXPECT_NEAR(a.summary.log_likelihood, b.summary.log_likelihood, 1e-9 * std::abs(a.summary.log_likelihood));
    for (int k = 0; k < 2; ++k)
      EXPECT_TRUE(a.params.components[k].covariance.isApprox(b.params.components[k].covariance, 1e-8)) << to_string(c);
  }
  // The same for counts.
  Eigen::MatrixXd counts = (base.array().abs() * 3).round();
  Eigen::MatrixXd counts2(60, 2);
  counts2 << counts, counts;
  f.init.means = counts.topRows(2);
  const auto pa = f.fit(poisson_mixture{}, counts2, 2);
  const auto pb = f.fit(poisson_mixture{}, counts, 2, w);
  EXPECT_NEAR(pa.summary.log_likelihood, pb.summary.log_likelihood, 1e-9 * std::abs(pa.summary.log_likelihood));
}

// ---- singular covariances -------------------------------------------------------------------

TEST(Degenerate, AConstantColumnIsHeldAtTheRegularisation) {
  Eigen::MatrixXd X = two_clusters(60, 3, 5.0, 1.0);
  X.col(1).setConstant(0.1);
  for (const covariance_type c : every_covariance_type()) {
    const auto r = strict_fitter(2).fit(gaussian_model(c), X, 2);
    ASSERT_TRUE(fit_is_finite(r)) << to_string(c);
    EXPECT_TRUE(separates_halves(emkit::predict(gaussian_model(c), r.params, X))) << to_string(c);
    if (c == covariance_type::full || c == covariance_type::diagonal || c == covariance_type::tied) {
      for (const auto& p : r.params.components) EXPECT_NEAR(p.covariance(1, 1), 1e-6, 1e-15) << to_string(c);
    }
  }
}

TEST(Degenerate, ADuplicatedColumnGivesAFiniteRegularisedFit) {
  Eigen::MatrixXd X = two_clusters(60, 3, 5.0, 1.0);
  X.col(2) = X.col(0);
  for (const covariance_type c : every_covariance_type()) {
    const auto r = strict_fitter(3).fit(gaussian_model(c), X, 2);
    ASSERT_TRUE(fit_is_finite(r)) << to_string(c);
    EXPECT_TRUE(separates_halves(emkit::predict(gaussian_model(c), r.params, X))) << to_string(c);
    EXPECT_TRUE(std::isfinite(emkit::bic(gaussian_model(c), r.params, X))) << to_string(c);
  }
}

TEST(Degenerate, SingularCovarianceWithoutRegularisationIsANamedNumericalError) {
  Eigen::MatrixXd X = two_clusters(40, 2, 5.0, 1.0);
  X.col(1).setConstant(2.0);
  EXPECT_THAT(message_of<emkit::numerical_error>(
                  [&] { (void)strict_fitter(1, 3).fit(gaussian_model(covariance_type::full, 0.0), X, 2); }),
              HasSubstr("component 0: covariance is not positive definite"));
  EXPECT_THAT(message_of<emkit::numerical_error>(
                  [&] { (void)strict_fitter().fit(gaussian_model(covariance_type::diagonal, 0.0), X, 2); }),
              HasSubstr("smallest variance 0"));
  EXPECT_THAT(message_of<emkit::numerical_error>(
                  [&] { (void)strict_fitter().fit(gaussian_model(covariance_type::tied, 0.0), X, 2); }),
              HasSubstr("tied covariance: covariance is not positive definite"));
  // A spherical variance pools the columns, so one constant column leaves it positive.
  EXPECT_TRUE(fit_is_finite(strict_fitter().fit(gaussian_model(covariance_type::spherical, 0.0), X, 2)));
}

// ---- more components than the data can support -------------------------------------------

TEST(Degenerate, MoreComponentsThanDistinctPointsUnderSoftEm) {
  const Eigen::MatrixXd X = two_distinct_points(10);
  for (const covariance_type c : {covariance_type::full, covariance_type::diagonal, covariance_type::spherical}) {
    const auto r = strict_fitter().fit(gaussian_model(c), X, 4);
    ASSERT_TRUE(fit_is_finite(r)) << to_string(c);
    EXPECT_TRUE(r.summary.converged) << to_string(c);
    EXPECT_GE(count_warnings(r.summary, warning_code::component_reseeded), 1u) << to_string(c);
  }
  // Random responsibilities start every component with mass, and EM shares the two points.
  const auto rr = strict_fitter<emkit::soft_estep, emkit::random_responsibility_init>().fit(gmm{}, X, 4);
  ASSERT_TRUE(fit_is_finite(rr));
  EXPECT_TRUE(rr.summary.converged);
}

TEST(Degenerate, MoreComponentsThanDistinctPointsTiedAndKMeansConverge) {
  const Eigen::MatrixXd X = two_distinct_points(10);
  const auto tied = strict_fitter().fit(gaussian_model(covariance_type::tied), X, 4);
  ASSERT_TRUE(fit_is_finite(tied));
  const auto km = strict_kmeans().fit(emkit::kmeans_model(), X, 3);
  ASSERT_TRUE(fit_is_finite(km));
  EXPECT_NEAR(emkit::inertia(km.params, X), 0.0, 1e-12);  // the two points are two centres
  // A component re-seeded once and empty again is kept, not re-seeded forever.
  EXPECT_GE(count_warnings(tied.summary, warning_code::component_kept), 1u);
  EXPECT_EQ(count_warnings(km.summary, warning_code::component_reseeded), 1u);
  EXPECT_EQ(count_warnings(km.summary, warning_code::component_kept), 1u);
  EXPECT_TRUE(tied.summary.converged);
  EXPECT_TRUE(km.summary.converged);
  EXPECT_LE(km.summary.warnings.size(), 3u);
}

// ---- a component that loses all its mass ----------------------------------------------------

TEST(Degenerate, AnEmptyComponentIsReseededAndTheSummarySaysSo) {
  const empty_start s;
  auto f = strict_fitter<emkit::soft_estep, emkit::given_means>();
  f.init.means = s.means;
  const auto r = f.fit(gmm{}, s.X, 3);
  ASSERT_TRUE(fit_is_finite(r));
  ASSERT_GE(count_warnings(r.summary, warning_code::component_reseeded), 1u);
  EXPECT_EQ(r.summary.warnings.front().component, 2);
  EXPECT_EQ(r.summary.warnings.front().iteration, 0);
  EXPECT_TRUE(r.summary.trace.front().reseeded);
  EXPECT_THAT(r.summary.full_report(), HasSubstr("component 2 lost all its mass (N_k = 0); re-seeded"));
  // Poisson counts: the same rule, the same report.
  const Eigen::MatrixXd counts = s.X.array().round();
  f.init.means = s.means;
  const auto p = f.fit(poisson_mixture{}, counts, 3);
  ASSERT_TRUE(fit_is_finite(p));
  EXPECT_GE(count_warnings(p.summary, warning_code::component_reseeded), 1u);
}

TEST(Degenerate, AnEmptyComponentRaisesWhenThePolicySaysSo) {
  const empty_start s;
  auto f = strict_fitter<emkit::soft_estep, emkit::given_means>();
  f.init.means = s.means;
  gmm strict;
  strict.empty_components = emkit::empty_component_policy::raise;
  EXPECT_THAT(message_of<emkit::numerical_error>([&] { (void)f.fit(strict, s.X, 3); }),
              HasSubstr("mixture: component 2 lost all its mass (N_k = 0) at iteration 0"));
}

TEST(Degenerate, AnEmptyComponentIsKeptWhenThePolicySaysSo) {
  const empty_start s;
  auto f = strict_fitter<emkit::soft_estep, emkit::given_means>();
  f.init.means = s.means;
  gmm model;
  model.empty_components = emkit::empty_component_policy::keep;
  const auto r = f.fit(model, s.X, 3);
  ASSERT_EQ(r.params.size(), 3);
  EXPECT_TRUE(fit_is_finite(r));
  EXPECT_TRUE(r.summary.converged);
  EXPECT_EQ(r.params.weights[2], 0.0);
  EXPECT_EQ(count_warnings(r.summary, warning_code::component_kept), 1u);  // once, not at every iteration
  EXPECT_EQ(r.summary.warnings.front().component, 2);
  EXPECT_THAT(r.summary.warnings.front().message, HasSubstr("component 2 lost all its mass (N_k = 0); kept"));
  const Eigen::MatrixXd R = emkit::predict_proba(model, r.params, s.X);
  EXPECT_TRUE(R.allFinite());
  EXPECT_EQ(R.col(2).maxCoeff(), 0.0);
  // The two live components are the K = 2 fit from the same two starting means.
  auto f2 = f;
  f2.init.means = s.means.topRows(2);
  const auto two = f2.fit(gmm{}, s.X, 2);
  EXPECT_NEAR(r.summary.log_likelihood, two.summary.log_likelihood, 1e-9 * std::abs(two.summary.log_likelihood));
}

TEST(Degenerate, AnEmptyComponentIsDroppedWhenThePolicySaysSo) {
  const empty_start s;
  auto f = strict_fitter<emkit::soft_estep, emkit::given_means>();
  f.init.means = s.means;
  gmm model;
  model.empty_components = emkit::empty_component_policy::drop;
  const auto r = f.fit(model, s.X, 3);
  ASSERT_EQ(r.params.size(), 2);
  EXPECT_TRUE(fit_is_finite(r));
  EXPECT_TRUE(r.summary.converged);
  EXPECT_EQ(count_warnings(r.summary, warning_code::component_dropped), 1u);
  EXPECT_EQ(r.summary.warnings.front().component, 2);
  EXPECT_TRUE(r.summary.trace.front().reseeded);  // K changed: the monitor's baseline was reset
  EXPECT_EQ(emkit::predict_proba(model, r.params, s.X).cols(), 2);
  EXPECT_TRUE(std::isfinite(emkit::bic(model, r.params, s.X)));
  // The same fit as K = 2 from the two starting means that kept their rows.
  auto f2 = f;
  f2.init.means = s.means.topRows(2);
  const auto two = f2.fit(gmm{}, s.X, 2);
  EXPECT_NEAR(r.summary.log_likelihood, two.summary.log_likelihood, 1e-9 * std::abs(two.summary.log_likelihood));
  EXPECT_TRUE(r.params.weights.isApprox(two.params.weights, 1e-9));
  // K-means (fixed weights 1/K): the weights become 1/(K − 1).
  emkit::kmeans_fitter<emkit::given_means> km;
  km.init.means = s.means;
  km.options.monitor.action = emkit::monitor_action::raise;
  const auto kr = km.fit(emkit::kmeans_model(1.0, emkit::empty_component_policy::drop), s.X, 3);
  ASSERT_EQ(kr.params.size(), 2);
  EXPECT_EQ(kr.params.weights[0], 0.5);
}

// ---- far-separated clusters: responsibilities that underflow --------------------------------

TEST(Degenerate, FarSeparatedClustersGiveExactZeroOneResponsibilitiesNotNaN) {
  // 1000 widths apart: every cross-cluster density underflows to exactly 0.
  const Eigen::MatrixXd X = two_clusters(100, 2, 1e3, 1.0);
  for (const covariance_type c : every_covariance_type()) {
    const auto r = strict_fitter().fit(gaussian_model(c), X, 2);
    ASSERT_TRUE(fit_is_finite(r)) << to_string(c);
    const Eigen::MatrixXd R = emkit::predict_proba(gaussian_model(c), r.params, X);
    ASSERT_TRUE(R.allFinite());
    EXPECT_TRUE(((R.array() == 0.0) || (R.array() == 1.0)).all()) << "exp underflows to exactly 0";
    EXPECT_EQ(r.summary.trace.back().entropy, 0.0);
    EXPECT_TRUE(separates_halves(emkit::predict(gaussian_model(c), r.params, X)));
  }
  const auto km = strict_kmeans().fit(emkit::kmeans_model(), X, 2);
  ASSERT_TRUE(fit_is_finite(km));
  EXPECT_TRUE(separates_halves(emkit::predict(emkit::kmeans_model(), km.params, X)));
}

/// ℓ = Σ_n log Σ_k π_k N(x_n | μ_k, Σ_k), each density computed directly from x_n − μ_k.
double direct_log_likelihood(const gmm::params_type& theta, const Eigen::MatrixXd& X) {
  double total = 0.0;
  for (index n = 0; n < X.rows(); ++n) {
    Eigen::VectorXd terms(theta.size());
    for (index k = 0; k < theta.size(); ++k) {
      const auto& p = theta.components[static_cast<std::size_t>(k)];
      const Eigen::VectorXd y = X.row(n).transpose() - p.mean;
      const Eigen::LLT<Eigen::MatrixXd> llt(p.covariance);
      const double maha = llt.matrixL().solve(y).squaredNorm();
      terms[k] =
          std::log(theta.weights[k]) - 0.5 * (static_cast<double>(X.cols()) * log_two_pi + p.log_det_covariance + maha);
    }
    const double m = terms.maxCoeff();
    total += m + std::log((terms.array() - m).exp().sum());
  }
  return total;
}

TEST(Degenerate, ClustersFarApartRelativeToTheirWidthKeepTheLikelihoodExact) {
  // The batched densities expand ‖x − μ‖² about the chunk's mean; with two clusters 1e5 or 1e8
  // widths apart, that mean is far from every row and the expansion cancels.
  std::vector<std::string> wrong;
  for (const double gap : {1e5, 1e8}) {
    const Eigen::MatrixXd X = two_clusters(100, 2, gap, 1.0);
    for (const covariance_type c : every_covariance_type()) {
      auto f = strict_fitter();
      f.options.monitor.action = emkit::monitor_action::record;
      const auto r = f.fit(gaussian_model(c), X, 2);
      ASSERT_TRUE(fit_is_finite(r));
      const double exact = direct_log_likelihood(r.params, X);
      if (!(std::abs(r.summary.log_likelihood - exact) <= 1e-9 * std::abs(exact)) || !r.summary.violations.empty())
        wrong.push_back(emkit::detail::concat(to_string(c), " at gap ", gap, ": log-likelihood ",
                                              r.summary.log_likelihood, ", exact ", exact, ", ",
                                              r.summary.violations.size(), " violation(s)"));
    }
    const auto model = emkit::kmeans_model();
    auto k = strict_kmeans();
    k.options.monitor.action = emkit::monitor_action::record;
    const auto km = k.fit(model, X, 4);
    const double exact = emkit::inertia(km.params, X);
    const double from_objective = emkit::inertia_from_objective(model, km.params, km.summary);
    if (!(std::abs(from_objective - exact) <= 1e-6 * exact) || !km.summary.violations.empty())
      wrong.push_back(emkit::detail::concat("kmeans at gap ", gap, ": inertia ", from_objective, ", exact ", exact,
                                            ", ", km.summary.violations.size(), " violation(s)"));
  }
  // Before the accuracy guard of scaled_squared_distances: ℓ off by 4 (diagonal) and 57
  // (spherical) at 1e8, K-means' inertia off by half, monitor violations.
  std::string list;
  for (const std::string& w : wrong) list += "\n  " + w;
  EXPECT_TRUE(wrong.empty()) << list;
}

TEST(Degenerate, OneOutlierDoesNotCorruptTheFitOfTheOtherRows) {
  // 200 ordinary rows and one at (v, v): the outlier takes a component of its own and the
  // other two must fit as they would without it. The outlier shares a chunk with the other
  // rows and pulls the chunk mean, about which the batched densities are expanded, to v/201.
  std::vector<std::string> wrong;
  for (const double v : {1e6, 1e12}) {
    Eigen::MatrixXd X(201, 2);
    X << two_clusters(200, 2, 6.0, 1.0), Eigen::RowVector2d(v, v);
    for (const covariance_type c : every_covariance_type()) {
      auto f = strict_fitter(3, 3);
      f.options.monitor.action = emkit::monitor_action::record;
      const auto r = f.fit(gaussian_model(c), X, 3);
      ASSERT_TRUE(r.params.weights.allFinite());
      const double exact = direct_log_likelihood(r.params, X);
      if (!(std::abs(r.summary.log_likelihood - exact) <= 1e-9 * std::abs(exact)) || !r.summary.violations.empty() ||
          !r.summary.converged)
        wrong.push_back(emkit::detail::concat(
            to_string(c), " with an outlier at ", v, ": log-likelihood ", r.summary.log_likelihood, ", exact ", exact,
            ", ", r.summary.violations.size(), " violation(s)", r.summary.converged ? "" : ", not converged"));
    }
    auto k = strict_kmeans(3, 3);
    k.options.monitor.action = emkit::monitor_action::record;
    const auto km = k.fit(emkit::kmeans_model(), X, 3);
    const double exact = emkit::inertia(km.params, X);
    const double from_objective = emkit::inertia_from_objective(emkit::kmeans_model(), km.params, km.summary);
    if (!(std::abs(from_objective - exact) <= 1e-6 * exact) || !km.summary.violations.empty() || !km.summary.converged)
      wrong.push_back(emkit::detail::concat("kmeans with an outlier at ", v, ": inertia ", from_objective, ", exact ",
                                            exact, ", ", km.summary.violations.size(), " violation(s)",
                                            km.summary.converged ? "" : ", not converged"));
  }
  // Before the fix (the guarded expansion, and statistics from deviations about each
  // component's own mean): the diagonal ℓ was +96650 where the exact value is −1009 at 1e12.
  std::string list;
  for (const std::string& w : wrong) list += "\n  " + w;
  EXPECT_TRUE(wrong.empty()) << list;
}

TEST(Degenerate, AOnePointComponentFarFromTheOthersPassesTheMonitor) {
  // Found by fuzz/fit_fuzzer: three rows, K = 2. One component holds the far row alone, so its
  // variance is reg_covar = 1e-6 and the chunk mean is ~1700 away from it.
  const Eigen::MatrixXd X = (Eigen::MatrixXd(3, 2) << 5, 2, 3, 4, -5e3, 6.25).finished();
  std::vector<std::string> failed;
  for (const covariance_type c : every_covariance_type()) {
    try {
      const auto r = strict_fitter().fit(gaussian_model(c), X, 2);
      EXPECT_TRUE(fit_is_finite(r)) << to_string(c);
    } catch (const emkit::monitor_violation& e) {
      failed.push_back(std::string(to_string(c)) + ": " + e.what());
    }
  }
  std::string list;
  for (const std::string& f : failed) list += "\n  " + f;
  EXPECT_TRUE(failed.empty()) << list;
}

TEST(Degenerate, APointFarFromEveryComponentHasAFiniteLogDensityUntilItOverflows) {
  const Eigen::MatrixXd X = two_clusters(60, 1, 10.0, 1.0);
  const auto r = strict_fitter().fit(gmm{}, X, 2);
  Eigen::MatrixXd far(1, 1);
  far << 1e10;
  // exp underflows in every component: the posterior is still exact (log space).
  EXPECT_TRUE(std::isfinite(emkit::score_samples(gmm{}, r.params, far)[0]));
  const Eigen::MatrixXd R = emkit::predict_proba(gmm{}, r.params, far);
  EXPECT_TRUE(R.allFinite());
  EXPECT_DOUBLE_EQ(R.sum(), 1.0);
  // So far away that (x − μ)²/σ² overflows: p(x | θ) is 0 in double precision, log p = −∞.
  far << 1e200;
  EXPECT_EQ(emkit::score_samples(gmm{}, r.params, far)[0], -std::numeric_limits<double>::infinity());
  EXPECT_THAT(message_of<emkit::numerical_error>([&] { (void)emkit::predict_proba(gmm{}, r.params, far); }),
              HasSubstr("row 0"));
  EXPECT_THAT(message_of<emkit::numerical_error>([&] { (void)emkit::predict(gmm{}, r.params, far); }),
              HasSubstr("row 0"));
}

// ---- extreme scales ------------------------------------------------------------------------

TEST(Degenerate, DataAtScale1e150FitsEveryCovarianceTypeAndKMeans) {
  const Eigen::MatrixXd X = two_clusters(200, 2, 5.0, 1e150);
  for (const covariance_type c : every_covariance_type()) {
    const auto r = strict_fitter().fit(gaussian_model(c), X, 2);
    ASSERT_TRUE(fit_is_finite(r)) << to_string(c);
    EXPECT_TRUE(separates_halves(emkit::predict(gaussian_model(c), r.params, X))) << to_string(c);
  }
  const auto km = strict_kmeans().fit(emkit::kmeans_model(), X, 2);
  ASSERT_TRUE(fit_is_finite(km));
  EXPECT_TRUE(separates_halves(emkit::predict(emkit::kmeans_model(), km.params, X)));
}

TEST(Degenerate, DataAtScale1eMinus150FitsWithARegularisationOnItsScale) {
  const double scale = 1e-150;
  const Eigen::MatrixXd X = two_clusters(200, 2, 5.0, scale);
  for (const covariance_type c : every_covariance_type()) {
    for (const double reg : {1e-6 * scale * scale, 0.0}) {
      const auto r = strict_fitter().fit(gaussian_model(c, reg), X, 2);
      ASSERT_TRUE(fit_is_finite(r)) << to_string(c) << " reg " << reg;
      EXPECT_TRUE(separates_halves(emkit::predict(gaussian_model(c, reg), r.params, X))) << to_string(c);
    }
  }
  // K-means: the fixed variance σ² must be on the data's scale too.
  const auto model = emkit::kmeans_model(scale * scale);
  const auto km = strict_kmeans().fit(model, X, 2);
  ASSERT_TRUE(fit_is_finite(km));
  EXPECT_TRUE(separates_halves(emkit::predict(model, km.params, X)));
}

TEST(Degenerate, DataAtScale1eMinus150WithTheDefaultRegularisationIsReported) {
  const Eigen::MatrixXd X = two_clusters(200, 2, 5.0, 1e-150);
  const auto r = strict_fitter().fit(gmm{}, X, 2);
  ASSERT_TRUE(fit_is_finite(r));  // finite, but Σ = 1e-6·I is all regularisation
  const auto km = strict_kmeans().fit(emkit::kmeans_model(), X, 2);
  ASSERT_TRUE(fit_is_finite(km));  // finite, but σ² = 1 cannot tell the rows apart
  // (1) Σ = 1e-6·I is all regularisation: reported per component, naming the columns.
  // (2) K-means with σ² = 1 cannot tell the rows apart (every ‖x − μ‖²/σ² ≈ 1e-300 vanishes
  // against the constant terms): every row ties to centre 0, and centre 1, re-seeded once, is
  // then kept; the fit converges with those two warnings.
  EXPECT_EQ(count_warnings(r.summary, warning_code::floor_applied), 2u);
  EXPECT_THAT(r.summary.full_report(),
              HasSubstr("component 0: variance of column(s) 0, 1 at most 2·reg_covar = 2e-06: mostly regularisation"));
  EXPECT_TRUE(km.summary.converged);
  EXPECT_EQ(count_warnings(km.summary, warning_code::component_reseeded), 1u);
  EXPECT_EQ(count_warnings(km.summary, warning_code::component_kept), 1u);
  EXPECT_LE(km.summary.warnings.size(), 2u);
}

TEST(Degenerate, DataWhoseSquaredSpreadOverflowsIsANamedError) {
  const Eigen::MatrixXd X = two_clusters(100, 2, 5.0, 1e200);
  // Without k-means++ (see the next test), the Gaussian M-step fails with a numerical_error.
  const auto random_rows_fitter = strict_fitter<emkit::soft_estep, emkit::random_rows>();
  for (const covariance_type c : every_covariance_type()) {
    EXPECT_THROW((void)random_rows_fitter.fit(gaussian_model(c), X, 2), emkit::numerical_error) << to_string(c);
  }
  // The message names the overflow and the column, not reg_covar (no regularisation helps).
  for (const covariance_type c : every_covariance_type()) {
    EXPECT_THAT(message_of<emkit::numerical_error>([&] { (void)random_rows_fitter.fit(gaussian_model(c), X, 2); }),
                AllOf(HasSubstr("column 0 overflows double precision"), HasSubstr("rescale the data"),
                      Not(HasSubstr("reg_covar"))))
        << to_string(c);
  }
  // K-means: every squared distance but a row's own overflows, so most rows have no finite
  // log joint; the E-step names the first instead of returning ℓ = NaN.
  EXPECT_THAT(message_of<emkit::numerical_error>(
                  [&] { (void)strict_kmeans<emkit::random_rows>().fit(emkit::kmeans_model(), X, 2); }),
              AllOf(HasSubstr("fit: row "), HasSubstr("not finite for any component")));
}

TEST(Degenerate, KMeansPlusPlusOnDataWhoseDistancesOverflowDoesNotReadOutOfBounds) {
  // Before the fix k-means++ kept best_row = -1 when every trial's potential was inf or NaN and
  // read X.row(-1).
  Eigen::MatrixXd X = two_clusters(100, 2, 5.0, 1e200);
  EXPECT_THROW((void)strict_fitter().fit(gmm{}, X, 2), emkit::error);
  X = two_clusters(100, 2, 5.0, 1.0);
  X(17, 0) = 1e200;  // one outlier among ordinary rows
  EXPECT_THROW((void)strict_fitter().fit(gmm{}, X, 2), emkit::error);
  Eigen::VectorXd w = Eigen::VectorXd::Ones(100);
  w[17] = 0.0;  // the same outlier with weight 0 must not matter at all
  const auto r = strict_fitter().fit(gmm{}, X, 2, w);
  EXPECT_TRUE(fit_is_finite(r));
}

TEST(Degenerate, DataFarFromTheOriginLosesNoPrecision) {
  const Eigen::MatrixXd X = two_clusters(200, 2, 6.0, 1.0);
  const Eigen::MatrixXd shifted = X.array() + 1e9;
  auto f = strict_fitter<emkit::soft_estep, emkit::given_means>();
  f.options.relative_tolerance = 0;
  f.options.max_iterations = 30;
  for (const covariance_type c : every_covariance_type()) {
    f.init.means = (Eigen::MatrixXd(2, 2) << X.row(0), X.row(150)).finished();
    const auto a = f.fit(gaussian_model(c), X, 2);
    f.init.means.array() += 1e9;
    const auto b = f.fit(gaussian_model(c), shifted, 2);
    ASSERT_TRUE(fit_is_finite(b));
    for (int k = 0; k < 2; ++k) {
      EXPECT_LT((b.params.components[k].covariance - a.params.components[k].covariance).cwiseAbs().maxCoeff(), 1e-6)
          << to_string(c);
    }
    EXPECT_NEAR(a.summary.log_likelihood, b.summary.log_likelihood, 1e-6 * std::abs(a.summary.log_likelihood));
  }
}

// ---- tiny data and wide data -----------------------------------------------------------------

TEST(Degenerate, ASingleObservationFitsEveryFamily) {
  const Eigen::MatrixXd x = (Eigen::MatrixXd(1, 3) << 2.0, 0.0, 1.0).finished();
  for (const covariance_type c : every_covariance_type()) {
    const auto r = strict_fitter().fit(gaussian_model(c), x, 1);
    ASSERT_TRUE(fit_is_finite(r)) << to_string(c);
    EXPECT_TRUE(r.params.components[0].covariance.isApprox(1e-6 * Eigen::MatrixXd::Identity(3, 3), 1e-9));
  }
  const auto p = strict_fitter().fit(poisson_mixture{}, x, 1);
  ASSERT_TRUE(fit_is_finite(p));
  EXPECT_EQ(count_warnings(p.summary, warning_code::floor_applied), 1u);  // the zero count
  const auto b = strict_fitter().fit(bernoulli_mixture{}, x.cwiseMin(1.0), 1);
  ASSERT_TRUE(fit_is_finite(b));
  const auto km = strict_kmeans().fit(emkit::kmeans_model(), x, 1);
  ASSERT_TRUE(fit_is_finite(km));
  EXPECT_EQ(km.params.components[0].mean, x.row(0).transpose());
  EXPECT_THAT(message_of<emkit::invalid_option>([&] { (void)strict_fitter().fit(gmm{}, x, 2); }),
              HasSubstr("K = 2, expected <= the number of observations 1"));
}

TEST(Degenerate, OneColumnFitsEveryCovarianceType) {
  const Eigen::MatrixXd X = two_clusters(100, 1, 8.0, 1.0);
  for (const covariance_type c : every_covariance_type()) {
    const auto r = strict_fitter().fit(gaussian_model(c), X, 2);
    ASSERT_TRUE(fit_is_finite(r)) << to_string(c);
    EXPECT_TRUE(separates_halves(emkit::predict(gaussian_model(c), r.params, X))) << to_string(c);
  }
}

TEST(Degenerate, MoreColumnsThanRowsGivesAFiniteRegularisedFit) {
  const Eigen::MatrixXd X = two_clusters(10, 50, 4.0, 1.0);
  for (const covariance_type c : every_covariance_type()) {
    for (const index K : {index{1}, index{2}, index{10}}) {
      const auto r = strict_fitter().fit(gaussian_model(c), X, K);
      ASSERT_TRUE(fit_is_finite(r)) << to_string(c) << " K = " << K;
      EXPECT_TRUE(std::isfinite(emkit::bic(gaussian_model(c), r.params, X)));
      EXPECT_TRUE(emkit::predict_proba(gaussian_model(c), r.params, X).allFinite());
    }
  }
}

// ---- weights ------------------------------------------------------------------------------

TEST(Degenerate, TinyOrHugeUniformWeightsGiveTheUnweightedFit) {
  const Eigen::MatrixXd X = two_clusters(100, 2, 5.0, 1.0);
  auto f = strict_fitter<emkit::soft_estep, emkit::given_means>();
  f.init.means = (Eigen::MatrixXd(2, 2) << X.row(0), X.row(99)).finished();
  f.options.relative_tolerance = 0;
  f.options.max_iterations = 20;
  const auto unit = f.fit(gmm{}, X, 2);
  for (const double c : {1e-300, 1e300}) {
    const auto r = f.fit(gmm{}, X, 2, Eigen::VectorXd::Constant(100, c));
    ASSERT_TRUE(fit_is_finite(r)) << c;
    EXPECT_TRUE(r.params.weights.isApprox(unit.params.weights, 1e-12)) << c;
    for (int k = 0; k < 2; ++k) {
      EXPECT_TRUE(r.params.components[k].mean.isApprox(unit.params.components[k].mean, 1e-12)) << c;
      EXPECT_TRUE(r.params.components[k].covariance.isApprox(unit.params.components[k].covariance, 1e-12)) << c;
    }
    EXPECT_NEAR(r.summary.log_likelihood / c, unit.summary.log_likelihood,
                1e-10 * std::abs(unit.summary.log_likelihood));
  }
}

TEST(Degenerate, ZeroWeightRowsDoNotChangeTheFit) {
  const Eigen::MatrixXd X = two_clusters(100, 2, 5.0, 1.0);
  Eigen::MatrixXd with_outliers(103, 2);
  with_outliers << X, Eigen::RowVector2d(1e6, -1e6), Eigen::RowVector2d(-3e5, 0.0), Eigen::RowVector2d(0.5, 0.5);
  Eigen::VectorXd w = Eigen::VectorXd::Ones(103);
  w.tail(3).setZero();
  auto f = strict_fitter<emkit::soft_estep, emkit::given_means>();
  f.init.means = (Eigen::MatrixXd(2, 2) << X.row(0), X.row(99)).finished();
  f.options.relative_tolerance = 0;
  f.options.max_iterations = 20;
  const auto a = f.fit(gmm{}, X, 2);
  const auto b = f.fit(gmm{}, with_outliers, 2, w);
  ASSERT_TRUE(fit_is_finite(b));
  EXPECT_NEAR(a.summary.log_likelihood, b.summary.log_likelihood, 1e-10 * std::abs(a.summary.log_likelihood));
  for (int k = 0; k < 2; ++k)
    EXPECT_TRUE(a.params.components[k].covariance.isApprox(b.params.components[k].covariance, 1e-10));
  EXPECT_EQ(b.summary.total_weight, 100.0);
}

TEST(Degenerate, AZeroWeightRowWhoseDensityUnderflowsEverywhereDoesNotPoisonTheFit) {
  Eigen::MatrixXd X = two_clusters(100, 2, 5.0, 1.0);
  X(40, 1) = 1e200;
  Eigen::VectorXd w = Eigen::VectorXd::Ones(100);
  w[40] = 0.0;
  auto f = strict_fitter<emkit::soft_estep, emkit::given_means>();
  f.init.means = (Eigen::MatrixXd(2, 2) << X.row(0), X.row(99)).finished();
  bool threw = false;
  emkit::fit_result<gmm::params_type> r;
  try {
    r = f.fit(gmm{}, X, 2, w);
  } catch (const emkit::error&) {
    threw = true;
  }
  // Before the fix its responsibilities were 0/0 = NaN and NaN·0 poisoned every statistic.
  ASSERT_FALSE(threw);
  EXPECT_TRUE(fit_is_finite(r));
  // The row is ignored: the same fit as without it.
  Eigen::MatrixXd without(99, 2);
  without << X.topRows(40), X.bottomRows(59);
  const auto a = f.fit(gmm{}, without, 2);
  EXPECT_NEAR(r.summary.log_likelihood, a.summary.log_likelihood, 1e-10 * std::abs(a.summary.log_likelihood));
  EXPECT_EQ(r.summary.total_weight, 99.0);
}

// ---- counts and binary data at their boundaries ---------------------------------------------

TEST(Degenerate, AllZeroCountsHoldThePoissonRatesAtTheFloorAndSaySo) {
  const Eigen::MatrixXd X = Eigen::MatrixXd::Zero(30, 3);
  const auto r = strict_fitter().fit(poisson_mixture{}, X, 2);
  ASSERT_TRUE(fit_is_finite(r));
  EXPECT_GE(count_warnings(r.summary, warning_code::floor_applied), 1u);
  for (const auto& p : r.params.components) EXPECT_EQ(p.rates, Eigen::VectorXd::Constant(3, 1e-10));
  EXPECT_NEAR(r.summary.log_likelihood, -30 * 3 * 1e-10, 1e-13);
}

/// ℓ = Σ_n log Σ_k π_k Π_d Poisson(x_nd | λ_kd), each term from Boost.Math's pdf, or where that
/// underflows (a log density of order −λ or −x, exact relative to its size) from the direct form.
double boost_poisson_log_likelihood(const emkit::mixture_params<emkit::poisson_params>& theta,
                                    const Eigen::MatrixXd& X) {
  double total = 0.0;
  for (index n = 0; n < X.rows(); ++n) {
    Eigen::VectorXd terms(theta.size());
    for (index k = 0; k < theta.size(); ++k) {
      const Eigen::VectorXd& rates = theta.components[static_cast<std::size_t>(k)].rates;
      terms[k] = std::log(theta.weights[k]);
      for (index d = 0; d < X.cols(); ++d) {
        const double pdf = boost::math::pdf(boost::math::poisson_distribution<>(rates[d]), X(n, d));
        terms[k] += pdf > 0 ? std::log(pdf) : X(n, d) * std::log(rates[d]) - rates[d] - std::lgamma(X(n, d) + 1.0);
      }
    }
    const double m = terms.maxCoeff();
    total += m + std::log((terms.array() - m).exp().sum());
  }
  return total;
}

TEST(Degenerate, HugeCountsStayFiniteAndExact) {
  // Before the saddle-point form, x·log λ − λ − log Γ(x + 1) (terms of 3.5e16 at x = 1e15) left
  // an error of ~10 in log f, which the monitor reported as estep_exact.
  Eigen::MatrixXd X(6, 2);
  X << 0, 1e15, 1, 1e15 + 2, 2, 1e15 + 4, 1e15, 7, 1e15, 9, 1e15, 8;
  const auto r = strict_fitter(1, 3).fit(poisson_mixture{}, X, 2);
  ASSERT_TRUE(fit_is_finite(r));
  EXPECT_TRUE(separates_halves(emkit::predict(poisson_mixture{}, r.params, X)));
  const double exact = boost_poisson_log_likelihood(r.params, X);
  EXPECT_NEAR(r.summary.log_likelihood, exact, 1e-12 * std::abs(exact));
  // Counts of 1e300: k-means++ would square them (KMeansPlusPlusOnDataWhoseDistancesOverflow...);
  // random responsibilities do not.
  X.bottomRows(3).col(0).setConstant(1e300);
  const auto big =
      strict_fitter<emkit::soft_estep, emkit::random_responsibility_init>(1, 3).fit(poisson_mixture{}, X, 2);
  ASSERT_TRUE(fit_is_finite(big));
  EXPECT_TRUE(separates_halves(emkit::predict(poisson_mixture{}, big.params, X)));
  const double exact_big = boost_poisson_log_likelihood(big.params, X);
  EXPECT_NEAR(big.summary.log_likelihood, exact_big, 1e-12 * std::abs(exact_big));
}

TEST(Degenerate, ConstantBinaryFeaturesAreHeldOffZeroAndOne) {
  Eigen::MatrixXd X = Eigen::MatrixXd::Zero(40, 4);
  X.col(1).setOnes();
  X.col(2).head(20).setOnes();
  X.col(3).head(20).setOnes();
  const auto r = strict_fitter().fit(bernoulli_mixture{}, X, 2);
  ASSERT_TRUE(fit_is_finite(r));
  EXPECT_GE(count_warnings(r.summary, warning_code::floor_applied), 1u);
  for (const auto& p : r.params.components) {
    EXPECT_GT(p.probabilities.minCoeff(), 0.0);
    EXPECT_LT(p.probabilities.maxCoeff(), 1.0);
  }
  EXPECT_TRUE(separates_halves(emkit::predict(bernoulli_mixture{}, r.params, X)));
}

TEST(Degenerate, AProductOfDegenerateBlocksStaysFinite) {
  Eigen::MatrixXd X = Eigen::MatrixXd::Zero(40, 4);
  X.col(0) = two_clusters(40, 1, 6.0, 1.0);
  X.col(1).setConstant(3.0);    // a constant Gaussian column
  X.col(2).setZero();           // all-zero counts
  X.col(3).head(20).setOnes();  // a binary column that matches the clusters
  const auto family = emkit::parse_product_layout("gaussian-diag:0-1,poisson:2,bernoulli:3");
  const emkit::mixture<emkit::mixed_product> model{family};
  const auto r = strict_fitter().fit(model, X, 2);
  ASSERT_TRUE(r.params.weights.allFinite());
  EXPECT_TRUE(std::isfinite(r.summary.log_likelihood));
  EXPECT_GE(count_warnings(r.summary, warning_code::floor_applied), 1u);
  EXPECT_TRUE(separates_halves(emkit::predict(model, r.params, X)));
  EXPECT_TRUE(emkit::predict_proba(model, r.params, X).allFinite());
}

// ---- the engine's own edge cases ------------------------------------------------------------

TEST(Degenerate, ZeroIterationsReturnTheStartAndSayNotConverged) {
  const Eigen::MatrixXd X = two_clusters(50, 2, 5.0, 1.0);
  auto f = strict_fitter();
  f.options.max_iterations = 0;
  const auto r = f.fit(gmm{}, X, 2);
  ASSERT_TRUE(fit_is_finite(r));
  EXPECT_FALSE(r.summary.converged);
  EXPECT_EQ(r.summary.iterations, 0);
  EXPECT_EQ(count_warnings(r.summary, warning_code::not_converged), 1u);
  EXPECT_THAT(r.summary.brief_report(), HasSubstr("NOT converged"));
}

TEST(Degenerate, OneRowPerChunkGivesTheSameFit) {
  const Eigen::MatrixXd X = two_clusters(60, 2, 5.0, 1.0);
  auto f = strict_fitter();
  const auto a = f.fit(gmm{}, X, 2);
  f.options.chunk_rows = 1;
  const auto b = f.fit(gmm{}, X, 2);
  ASSERT_TRUE(fit_is_finite(b));
  EXPECT_NEAR(a.summary.log_likelihood, b.summary.log_likelihood, 1e-9 * std::abs(a.summary.log_likelihood));
}

}  // namespace
