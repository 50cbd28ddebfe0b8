// K-means as a configuration of the engine: the fixed-variance spherical Gaussian through the
// conformance suite; iteration-by-iteration agreement with a plain Lloyd's algorithm written
// here; the known iris optimum; soft EM tending to K-means as σ → 0; empty clusters; threads.
#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <vector>

#include <gtest/gtest.h>
#include <boost/math/distributions/normal.hpp>

#include <emkit/emkit.hpp>
#include <emkit/models/kmeans.hpp>
#include <emkit/testing/monitor_passed.hpp>

#include <emkit/testing/conformance.hpp>
#include "support/data.hpp"

namespace {

using km_params = emkit::mixture_params<emkit::fixed_spherical_gaussian_params>;
using labels_type = Eigen::VectorX<Eigen::Index>;

// ---- the conformance suite ------------------------------------------------------------------

struct fixed_spherical_traits {
  using family_type = emkit::fixed_spherical_gaussian;
  static constexpr int K = 3;
  static family_type family() { return {.variance = 0.8}; }
  static family_type fit_family() { return family(); }
  static Eigen::MatrixXd data(Eigen::Index n, unsigned seed) {
    return emkit::testing::draw(emkit::testing::three_blobs(), n, seed);
  }
  static Eigen::MatrixXd start_means(const Eigen::MatrixXd&) { return emkit::testing::three_blobs().means; }
  // The product of D univariate normal densities with standard deviation σ.
  static double reference_log_density(const emkit::fixed_spherical_gaussian_params& p, const Eigen::VectorXd& x) {
    const double sd = std::sqrt(family().variance);
    double density = 1.0;
    for (Eigen::Index d = 0; d < x.size(); ++d)
      density *= boost::math::pdf(boost::math::normal_distribution<>(p.mean[d], sd), x[d]);
    return std::log(density);
  }
  static emkit::fixed_spherical_gaussian_params reference_mle(const Eigen::MatrixXd& X) {
    return {X.colwise().mean().transpose()};
  }
};

// ---- a plain Lloyd's algorithm --------------------------------------------------------------

// Nearest centre by the direct squared distance, ties to the lowest index.
labels_type lloyd_assign(const Eigen::MatrixXd& X, const Eigen::MatrixXd& C) {
  labels_type labels(X.rows());
  for (Eigen::Index n = 0; n < X.rows(); ++n) {
    Eigen::Index best = 0;
    double best_d = std::numeric_limits<double>::infinity();
    for (Eigen::Index k = 0; k < C.rows(); ++k) {
      const double d = (X.row(n) - C.row(k)).squaredNorm();
      if (d < best_d) best_d = d, best = k;
    }
    labels[n] = best;
  }
  return labels;
}

// Each centre moves to the mean of its points; `emptied` is set if one has none.
Eigen::MatrixXd lloyd_update(const Eigen::MatrixXd& X, const labels_type& labels, Eigen::Index K, bool& emptied) {
  Eigen::MatrixXd C = Eigen::MatrixXd::Zero(K, X.cols());
  Eigen::VectorXd count = Eigen::VectorXd::Zero(K);
  for (Eigen::Index n = 0; n < X.rows(); ++n) {
    C.row(labels[n]) += X.row(n);
    count[labels[n]] += 1.0;
  }
  for (Eigen::Index k = 0; k < K; ++k) {
    if (count[k] == 0) {
      emptied = true;
      C.row(k) = X.colwise().mean();
    } else {
      C.row(k) /= count[k];
    }
  }
  return C;
}

double lloyd_inertia(const Eigen::MatrixXd& X, const Eigen::MatrixXd& C) {
  const labels_type labels = lloyd_assign(X, C);
  double J = 0.0;
  for (Eigen::Index n = 0; n < X.rows(); ++n) J += (X.row(n) - C.row(labels[n])).squaredNorm();
  return J;
}

Eigen::MatrixXd rows_of(const Eigen::MatrixXd& X, std::initializer_list<Eigen::Index> rows) {
  Eigen::MatrixXd out(static_cast<Eigen::Index>(rows.size()), X.cols());
  Eigen::Index i = 0;
  for (Eigen::Index r : rows) out.row(i++) = X.row(r);
  return out;
}

Eigen::MatrixXd iris() { return emkit::testing::load_data("iris.csv"); }

// Four spherical blobs in 3-D, away from the origin, overlapping enough that Lloyd moves for
// several iterations.
Eigen::MatrixXd four_blobs(Eigen::Index n, unsigned seed, double offset = 50.0) {
  emkit::testing::known_mixture m;
  m.weights = Eigen::Vector4d(0.3, 0.3, 0.2, 0.2);
  m.means.resize(4, 3);
  m.means << 0, 0, 0, 3, 0, 0, 0, 3, 1, 3, 3, 3;
  m.means.array() += offset;
  for (int k = 0; k < 4; ++k) m.covariances.push_back(Eigen::Matrix3d::Identity() * (0.5 + 0.2 * k));
  return emkit::testing::draw(m, n, seed);
}

emkit::kmeans_fitter<emkit::given_means> given_kmeans(const Eigen::MatrixXd& start, int iterations, double tol = 0) {
  emkit::kmeans_fitter<emkit::given_means> f;
  f.init.means = start;
  f.options.relative_tolerance = tol;
  f.options.max_iterations = iterations;
  f.options.chunk_rows = 16;  // several chunks, so statistics are merged
  f.options.monitor.action = emkit::monitor_action::raise;
  return f;
}

bool has_warning(const emkit::summary& s, emkit::warning_code code) {
  return std::any_of(s.warnings.begin(), s.warnings.end(), [&](const emkit::warning& w) { return w.code == code; });
}

// Runs the engine for T = 0..10 iterations from `start` and compares with Lloyd at every T.
// θ_0 is one M-step from the nearest-given-centre assignment, i.e. Lloyd's centres after its
// first update, so the engine's θ_T is Lloyd's C_{T+1}.
void expect_lloyd_iterates(const Eigen::MatrixXd& X, const Eigen::MatrixXd& start, const char* name) {
  const Eigen::Index K = start.rows();
  constexpr int max_T = 10;
  std::vector<Eigen::MatrixXd> C{start};
  bool emptied = false;
  for (int t = 0; t <= max_T; ++t) C.push_back(lloyd_update(X, lloyd_assign(X, C.back()), K, emptied));
  ASSERT_FALSE(emptied) << name << ": choose a start where Lloyd keeps every cluster";
  // The test means something only if Lloyd still moves during these iterations.
  ASSERT_NE(lloyd_assign(X, C[3]), lloyd_assign(X, C[max_T])) << name;

  const double scale = std::max(1.0, X.cwiseAbs().maxCoeff());
  const auto model = emkit::kmeans_model();
  std::vector<double> J;  // inertia of θ_T recomputed from the data
  for (int T = 0; T <= max_T; ++T) {
    auto [theta, summary] = given_kmeans(start, T).fit(model, X, K);
    ASSERT_EQ(summary.iterations, T) << name;
    ASSERT_EQ(summary.trace.size(), static_cast<std::size_t>(T + 1)) << name;
    EXPECT_FALSE(has_warning(summary, emkit::warning_code::component_reseeded)) << name;
    EXPECT_EQ(emkit::predict(model, theta, X), lloyd_assign(X, C[T + 1])) << name << " T = " << T;
    EXPECT_LT((emkit::centers(theta) - C[T + 1]).cwiseAbs().maxCoeff(), 1e-12 * scale) << name << " T = " << T;
    EXPECT_NEAR(emkit::inertia(theta, X), lloyd_inertia(X, C[T + 1]), 1e-12 * lloyd_inertia(X, C[T + 1]))
        << name << " T = " << T;
    J.push_back(emkit::inertia(theta, X));
    // The trace, converted: the inertia of every θ_t, t ≤ T, never increasing.
    for (int t = 0; t <= T; ++t) {
      const double from_trace = emkit::inertia_from_objective(
          model, summary.trace[static_cast<std::size_t>(t)].objective, summary.total_weight, K, X.cols());
      EXPECT_NEAR(from_trace, lloyd_inertia(X, C[t + 1]), 1e-9 * lloyd_inertia(X, C[t + 1])) << name << " t = " << t;
      if (t > 0) {
        const double before = summary.trace[static_cast<std::size_t>(t - 1)].objective;
        EXPECT_GE(summary.trace[static_cast<std::size_t>(t)].objective, before) << name << " t = " << t;
      }
    }
  }
  for (std::size_t T = 1; T < J.size(); ++T) EXPECT_LE(J[T], J[T - 1]) << name << " T = " << T;
  EXPECT_LT(J.back(), J.front()) << name;
}

}  // namespace

namespace emkit::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(FixedSphericalGaussian, Conformance, ::testing::Types<fixed_spherical_traits>);
}

namespace {

// ---- the family's own hooks -----------------------------------------------------------------

TEST(FixedSphericalGaussian, BatchedDistancesMatchDirectOnesFarFromTheOrigin) {
  const emkit::fixed_spherical_gaussian family{.variance = 0.3};
  const Eigen::MatrixXd X = four_blobs(300, 11, 1e6);
  std::vector<emkit::fixed_spherical_gaussian_params> ps;
  for (Eigen::Index r : {0, 1, 2, 3, 4}) ps.push_back({X.row(r * 7).transpose() + Eigen::Vector3d(0.1, -0.2, 0.3)});
  ps.push_back({X.row(5).transpose()});  // a centre on a data row: distance exactly 0, never negative
  Eigen::MatrixXd D2(X.rows(), 6), L(X.rows(), 6);
  family.squared_distances_all(ps, X, D2);
  family.log_density_all(ps, X, L);
  EXPECT_GE(D2.minCoeff(), 0.0);
  for (std::size_t k = 0; k < ps.size(); ++k) {
    const Eigen::VectorXd direct = (X.rowwise() - ps[k].mean.transpose()).rowwise().squaredNorm();
    EXPECT_LT((D2.col(static_cast<Eigen::Index>(k)) - direct).cwiseAbs().maxCoeff(), 1e-8 * (1 + direct.maxCoeff()));
    const Eigen::VectorXd single = family.log_density(ps[k], X);
    EXPECT_LT((L.col(static_cast<Eigen::Index>(k)) - single).cwiseAbs().maxCoeff(),
              1e-8 * single.cwiseAbs().maxCoeff());
  }
}

TEST(FixedSphericalGaussian, BatchedAccumulateEqualsPerComponentAccumulate) {
  const emkit::fixed_spherical_gaussian family;
  const Eigen::MatrixXd X = four_blobs(64, 12, 100.0);
  const Eigen::MatrixXd W = (Eigen::MatrixXd::Random(64, 3).array() + 1.0) / 2.0;
  std::vector<emkit::fixed_spherical_gaussian_stats> batched(3);
  family.accumulate_all(X, W, std::span<emkit::fixed_spherical_gaussian_stats>(batched));
  for (int k = 0; k < 3; ++k) {
    const auto single = family.accumulate(X, W.col(k));
    EXPECT_NEAR(batched[k].weight, single.weight, 1e-13 * single.weight);
    EXPECT_LT((batched[k].mean - single.mean).cwiseAbs().maxCoeff(), 1e-13 * 100);
    EXPECT_NEAR(batched[k].scatter, single.scatter, 1e-10 * single.scatter);
    // Q from statistics equals Σ w log f at the rows.
    const emkit::fixed_spherical_gaussian_params p{single.mean + Eigen::Vector3d(0.5, 0, -0.5)};
    const double rows = family.log_density(p, X).dot(W.col(k));
    EXPECT_NEAR(family.expected_log_density(batched[k], p), rows, 1e-10 * std::abs(rows));
  }
}

TEST(FixedSphericalGaussian, LabelledAccumulateEqualsTheLongDoubleStatisticsOfEachLabelsRows) {
  // Each label's rows are summed about its own centre (each label a different one, so a shift
  // taken from the wrong label fails). Near the origin the centres are near their rows and the
  // shifted sums are used. At 1e8 with the last ten rows moved back to the origin and every
  // centre left near the origin, labels 0 and 1 (which alternate over the first 43 rows) sit 1e8
  // from their centre: their deviations carry ~1e-8 of rounding against a spread of ~1, the
  // accuracy test rejects the shifted sums, and they are recomputed from their own rows; label 2
  // (the last ten rows) keeps the shifted sums. All must give each label's weight, mean and
  // scatter: with the fallback disabled, the 1e8 case misses the scatter by far more than 1e-12.
  // (The test's second condition, the mean's rounding against the spread, is implied by the
  // scatter's for D ≤ 512, so at D = 3 it is the scatter's that sends labels 0 and 1 back.)
  const emkit::fixed_spherical_gaussian family;
  for (const double offset : {0.0, 1e8}) {
    Eigen::MatrixXd X = four_blobs(53, 21, offset);
    if (offset != 0) X.bottomRows(10).array() -= offset;
    const Eigen::VectorXd w = (Eigen::VectorXd::Random(53).array() + 1.2) / 2.0;
    std::vector<Eigen::Index> labels(53);
    for (Eigen::Index n = 0; n < 53; ++n) labels[static_cast<std::size_t>(n)] = n >= 43 ? 2 : n % 2;  // 3 stays empty
    const std::vector<emkit::fixed_spherical_gaussian_params> centres{{Eigen::Vector3d(0.5, -0.5, 1.0)},
                                                                      {Eigen::Vector3d(2.0, 1.0, 0.5)},
                                                                      {Eigen::Vector3d(1.0, 1.5, 2.0)},
                                                                      {Eigen::Vector3d(3.0, 3.0, 3.0)}};
    std::vector<emkit::fixed_spherical_gaussian_stats> stats(4);
    family.accumulate_labels(std::span<const emkit::fixed_spherical_gaussian_params>(centres), X, w, labels,
                             std::span<emkit::fixed_spherical_gaussian_stats>(stats));
    EXPECT_EQ(stats[3].weight, 0.0);
    for (Eigen::Index k = 0; k < 3; ++k) {
      long double weight = 0;
      Eigen::Matrix<long double, Eigen::Dynamic, 1> sum = Eigen::Matrix<long double, Eigen::Dynamic, 1>::Zero(3);
      for (Eigen::Index n = 0; n < 53; ++n)
        if (labels[static_cast<std::size_t>(n)] == k) {
          weight += w[n];
          sum += static_cast<long double>(w[n]) * X.row(n).transpose().cast<long double>();
        }
      const Eigen::Matrix<long double, Eigen::Dynamic, 1> mean = sum / weight;
      long double scatter = 0;
      for (Eigen::Index n = 0; n < 53; ++n)
        if (labels[static_cast<std::size_t>(n)] == k)
          scatter += static_cast<long double>(w[n]) * (X.row(n).transpose().cast<long double>() - mean).squaredNorm();
      const auto& s = stats[static_cast<std::size_t>(k)];
      EXPECT_NEAR(s.weight, static_cast<double>(weight), 1e-14 * static_cast<double>(weight));
      EXPECT_LT((s.mean - mean.cast<double>()).cwiseAbs().maxCoeff(), 1e-15 * (std::abs(offset) + 10)) << k;
      EXPECT_NEAR(s.scatter, static_cast<double>(scatter), 1e-12 * static_cast<double>(scatter)) << "offset " << offset;
    }
  }
}

TEST(FixedSphericalGaussian, HardEmByLabelFitsAsHardEmByOneHotResponsibilities) {
  // The engine takes the labelled path for K-means; a family without `accumulate_labels` (this
  // wrapper hides it) takes the one-hot product. The fits must agree to rounding.
  struct one_hot_only {
    emkit::fixed_spherical_gaussian inner;
    using params_type = emkit::fixed_spherical_gaussian_params;
    using stats_type = emkit::fixed_spherical_gaussian_stats;
    Eigen::VectorXd log_density(const params_type& p, emkit::matrix_ref X) const { return inner.log_density(p, X); }
    stats_type accumulate(emkit::matrix_ref X, emkit::vector_ref w) const { return inner.accumulate(X, w); }
    params_type maximize(const stats_type& s) const { return inner.maximize(s); }
    double expected_log_density(const stats_type& s, const params_type& p) const {
      return inner.expected_log_density(s, p);
    }
  };
  static_assert(emkit::HasLabelledAccumulate<emkit::fixed_spherical_gaussian>);
  static_assert(!emkit::HasLabelledAccumulate<one_hot_only>);
  // The engine's choice of path, checked: labels for K-means under the hard E-step only.
  using kmeans_mixture = emkit::mixture<emkit::fixed_spherical_gaussian>;
  static_assert(emkit::detail::LabelledHardEStep<emkit::hard_estep, kmeans_mixture>);
  static_assert(!emkit::detail::LabelledHardEStep<emkit::soft_estep, kmeans_mixture>);
  static_assert(!emkit::detail::LabelledHardEStep<emkit::hard_estep, emkit::mixture<one_hot_only>>);
  const Eigen::MatrixXd X = four_blobs(700, 4);
  const Eigen::MatrixXd start = X.topRows(4);
  const auto labelled = given_kmeans(start, 15).fit(emkit::kmeans_model(), X, 4);
  const emkit::mixture<one_hot_only> plain{.weights = emkit::mixture_weights::fixed_uniform};
  const auto one_hot = given_kmeans(start, 15).fit(plain, X, 4);
  ASSERT_EQ(labelled.summary.trace.size(), one_hot.summary.trace.size());
  for (std::size_t t = 0; t < labelled.summary.trace.size(); ++t) {
    const auto& a = labelled.summary.trace[t];
    const auto& b = one_hot.summary.trace[t];
    EXPECT_NEAR(a.log_likelihood, b.log_likelihood, 1e-11 * std::abs(b.log_likelihood)) << t;
    EXPECT_NEAR(a.objective, b.objective, 1e-11 * std::abs(b.objective)) << t;
    EXPECT_EQ(std::isnan(a.q), std::isnan(b.q)) << t;  // the first record has no Q
    if (!std::isnan(b.q)) EXPECT_NEAR(a.q, b.q, 1e-10 * std::abs(b.q)) << t;
  }
  for (int k = 0; k < 4; ++k)
    EXPECT_LT((labelled.params.components[k].mean - one_hot.params.components[k].mean).cwiseAbs().maxCoeff(), 1e-12);
}

TEST(FixedSphericalGaussian, VarianceIsCheckedAndSamplesHaveIt) {
  EXPECT_THROW((void)emkit::kmeans_model(0.0), emkit::invalid_option);
  EXPECT_THROW((void)emkit::kmeans_model(std::numeric_limits<double>::infinity()), emkit::invalid_option);
  const emkit::mixture<emkit::fixed_spherical_gaussian> bad{emkit::fixed_spherical_gaussian{.variance = -1.0}};
  emkit::fitter<> f;
  EXPECT_THROW((void)f.fit(bad, iris(), 3), emkit::invalid_option);

  const auto model = emkit::kmeans_model(4.0);
  km_params theta;
  theta.dimension = 2;
  theta.weights = Eigen::Vector2d(0.5, 0.5);
  theta.components = {{Eigen::Vector2d(0, 0)}, {Eigen::Vector2d(100, 100)}};
  const auto draws = emkit::sample(model, theta, 20000, 3);
  for (int k = 0; k < 2; ++k) {
    Eigen::MatrixXd Y(0, 2);
    std::vector<Eigen::Index> rows;
    for (Eigen::Index i = 0; i < draws.X.rows(); ++i)
      if (draws.labels[i] == k) rows.push_back(i);
    Y.resize(static_cast<Eigen::Index>(rows.size()), 2);
    for (std::size_t i = 0; i < rows.size(); ++i) Y.row(static_cast<Eigen::Index>(i)) = draws.X.row(rows[i]);
    const Eigen::RowVectorXd mean = Y.colwise().mean();
    EXPECT_LT((mean - theta.components[k].mean.transpose()).cwiseAbs().maxCoeff(), 0.1);
    const double var = (Y.rowwise() - mean).squaredNorm() / (2.0 * static_cast<double>(Y.rows()));
    EXPECT_NEAR(var, 4.0, 0.15);
  }
  EXPECT_EQ(model.num_free_parameters(theta), 4u);  // K·D; fixed weights and σ² are not free
}

// ---- K-means is Lloyd's algorithm ------------------------------------------------------------

TEST(KMeans, GivesLloydsAssignmentsAndCentresAtEveryIterationOnIris) {
  const Eigen::MatrixXd X = iris();
  ASSERT_EQ(X.rows(), 150);
  ASSERT_EQ(X.cols(), 4);
  // Three setosa rows: a poor start from which Lloyd needs several iterations.
  expect_lloyd_iterates(X, rows_of(X, {0, 1, 2}), "iris");
}

TEST(KMeans, GivesLloydsAssignmentsAndCentresAtEveryIterationOnSyntheticData) {
  const Eigen::MatrixXd X = four_blobs(700, 21);
  expect_lloyd_iterates(X, rows_of(X, {0, 1, 2, 3, 4}), "four blobs, K = 5");
}

TEST(KMeans, InertiaNeverIncreasesOverAFitAndAgreesWithTheObjective) {
  const Eigen::MatrixXd X = four_blobs(2000, 22);
  const auto model = emkit::kmeans_model();
  emkit::kmeans_fitter<> f;
  f.options.seed = 4;
  auto [theta, summary] = f.fit(model, X, 6);
  EXPECT_TRUE(summary.converged);
  EXPECT_TRUE(emkit::testing::monitor_passed(summary));
  double previous = std::numeric_limits<double>::infinity();
  for (const auto& rec : summary.trace) {
    const double J = emkit::inertia_from_objective(model, rec.objective, summary.total_weight, 6, 3);
    EXPECT_LE(J, previous + 1e-12 * std::abs(previous)) << "iteration " << rec.iteration;
    previous = J;
  }
  const double exact = emkit::inertia(theta, X);
  EXPECT_NEAR(emkit::inertia_from_objective(model, theta, summary), exact, 1e-10 * exact);
  // Weighted inertia: a weight of 2 counts as the row twice.
  const Eigen::VectorXd w = Eigen::VectorXd::Constant(X.rows(), 2.0);
  EXPECT_NEAR(emkit::inertia(theta, X, w), 2 * exact, 1e-12 * exact);
  // The conversion needs fixed equal weights.
  auto learned = model;
  learned.weights = emkit::mixture_weights::learned;
  EXPECT_THROW((void)emkit::inertia_from_objective(learned, theta, summary), emkit::invalid_option);
}

// ---- the known iris optimum ------------------------------------------------------------------

// scikit-learn's and R's optimum for iris, K = 3.
constexpr double iris_optimum = 78.851441;

TEST(KMeans, IrisWithRestartsReachesTheKnownOptimumInertia) {
  const Eigen::MatrixXd X = iris();
  const auto model = emkit::kmeans_model();
  emkit::kmeans_fitter<> f;
  f.options.restarts = 10;
  f.options.seed = 2026;
  auto [theta, summary] = f.fit(model, X, 3);
  EXPECT_TRUE(emkit::testing::monitor_passed(summary));
  EXPECT_TRUE(summary.converged);
  EXPECT_NEAR(emkit::inertia(theta, X), iris_optimum, 1e-4);
  EXPECT_NEAR(emkit::inertia_from_objective(model, theta, summary), iris_optimum, 1e-4);
  // The best restart is the lowest inertia among the restarts.
  for (double obj : summary.restart_objectives) EXPECT_LE(obj, summary.objective);
  // A fixed point: one more Lloyd step changes nothing.
  const Eigen::MatrixXd C = emkit::centers(theta);
  bool emptied = false;
  EXPECT_LT((lloyd_update(X, lloyd_assign(X, C), 3, emptied) - C).cwiseAbs().maxCoeff(), 1e-12);
  ::testing::Test::RecordProperty("iris_inertia", std::to_string(emkit::inertia(theta, X)));
}

// ---- soft EM tends to K-means as σ → 0 ------------------------------------------------------

TEST(KMeans, SoftEmWithAFixedSharedVarianceTendsToKMeansAsSigmaGoesToZero) {
  const Eigen::MatrixXd X = iris();
  const Eigen::MatrixXd start = rows_of(X, {0, 51, 101});
  auto [km, km_summary] = given_kmeans(start, 300, 1e-12).fit(emkit::kmeans_model(), X, 3);
  ASSERT_TRUE(km_summary.converged);
  const Eigen::MatrixXd C = emkit::centers(km);

  double previous_spread = 1.0, previous_distance = std::numeric_limits<double>::infinity();
  for (double sigma : {1.0, 0.3, 0.1, 0.03}) {
    const emkit::mixture<emkit::fixed_spherical_gaussian> soft{
        emkit::fixed_spherical_gaussian{.variance = sigma * sigma}, emkit::mixture_weights::fixed_uniform};
    emkit::fitter<emkit::soft_estep, emkit::given_means> f;
    f.init.means = start;
    f.options.relative_tolerance = 1e-13;
    f.options.max_iterations = 3000;
    f.options.monitor.action = emkit::monitor_action::raise;
    auto [theta, summary] = f.fit(soft, X, 3);
    const Eigen::MatrixXd R = emkit::predict_proba(soft, theta, X);
    const double spread = (1.0 - R.rowwise().maxCoeff().array()).maxCoeff();  // 0 when one-hot
    const double distance = (emkit::centers(theta) - C).cwiseAbs().maxCoeff();
    EXPECT_LT(spread, previous_spread) << "sigma " << sigma;
    EXPECT_LT(distance, previous_distance) << "sigma " << sigma;
    previous_spread = spread;
    previous_distance = distance;
  }
  EXPECT_LT(previous_spread, 1e-3);
  EXPECT_LT(previous_distance, 1e-6);
}

// ---- empty clusters ---------------------------------------------------------------------------

TEST(KMeans, AnEmptyClusterIsReseededAtTheGlobalMeanOrRaises) {
  const Eigen::MatrixXd X = iris();
  Eigen::MatrixXd start = rows_of(X, {0, 100, 100});
  start.row(2).setConstant(1e3);  // far from every row: no row is assigned to it
  {
    auto [theta, summary] = given_kmeans(start, 0).fit(emkit::kmeans_model(), X, 3);
    ASSERT_TRUE(has_warning(summary, emkit::warning_code::component_reseeded));
    EXPECT_EQ(summary.warnings.front().component, 2);
    EXPECT_TRUE(summary.trace.front().reseeded);
    EXPECT_LT((theta.components[2].mean - X.colwise().mean().transpose()).cwiseAbs().maxCoeff(), 1e-12);
  }
  {
    auto [theta, summary] = given_kmeans(start, 100, 1e-12).fit(emkit::kmeans_model(), X, 3);
    EXPECT_TRUE(has_warning(summary, emkit::warning_code::component_reseeded));
    EXPECT_TRUE(summary.converged);
    EXPECT_TRUE(emkit::centers(theta).allFinite());
    EXPECT_TRUE(std::isfinite(summary.objective));
    EXPECT_TRUE(std::isfinite(emkit::inertia(theta, X)));
    const labels_type labels = emkit::predict(emkit::kmeans_model(), theta, X);
    for (int k = 0; k < 3; ++k) EXPECT_GT((labels.array() == k).count(), 0) << "component " << k;
  }
  const auto strict = emkit::kmeans_model(1.0, emkit::empty_component_policy::raise);
  EXPECT_THROW((void)given_kmeans(start, 10).fit(strict, X, 3), emkit::numerical_error);
}

// ---- determinism ------------------------------------------------------------------------------

TEST(KMeans, ThreadsGiveBitIdenticalFits) {
  const Eigen::MatrixXd X = four_blobs(6000, 23);
  const auto model = emkit::kmeans_model();
  auto fit_on = [&](int n) {
    emkit::kmeans_fitter<emkit::kmeans_plus_plus, emkit::threads> f;
    f.execution.n = n;
    f.options.seed = 9;
    f.options.restarts = 2;
    f.options.chunk_rows = 64;
    f.options.monitor.action = emkit::monitor_action::raise;
    return f.fit(model, X, 5);
  };
  const auto one = fit_on(1);
  for (int n : {2, 3, 8}) {
    const auto other = fit_on(n);
    EXPECT_EQ(other.summary.objective, one.summary.objective) << n << " threads";
    EXPECT_EQ(other.summary.iterations, one.summary.iterations) << n << " threads";
    EXPECT_EQ(emkit::centers(other.params), emkit::centers(one.params)) << n << " threads";
    EXPECT_EQ(emkit::predict(model, other.params, X), emkit::predict(model, one.params, X)) << n << " threads";
  }
}

}  // namespace
