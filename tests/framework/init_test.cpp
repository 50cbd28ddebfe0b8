// Open initialisation: a fit starts from given labels, from given parameters (a warm start),
// or from a rule a user writes; each start is checked against what it must equal, computed
// here directly from the rows.
#include <cmath>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <emkit/emkit.hpp>

#include "reliability/message_of.hpp"
#include "support/data.hpp"

namespace {

using emkit::reliability::message_of;
using ::testing::HasSubstr;
using gmm = emkit::mixture<emkit::gaussian>;

/// The weighted share and mean of the rows of each group, directly: what one M-step of a
/// Gaussian mixture makes of a hard assignment.
struct group_moments {
  Eigen::VectorXd weights;
  Eigen::MatrixXd means;  // K×D
};

group_moments moments_of(const Eigen::MatrixXd& X, const Eigen::VectorXd& w, const std::vector<emkit::index>& group,
                         emkit::index K) {
  group_moments out{Eigen::VectorXd::Zero(K), Eigen::MatrixXd::Zero(K, X.cols())};
  for (emkit::index n = 0; n < X.rows(); ++n) {
    const emkit::index k = group[static_cast<std::size_t>(n)];
    out.weights[k] += w[n];
    out.means.row(k) += w[n] * X.row(n);
  }
  for (emkit::index k = 0; k < K; ++k) out.means.row(k) /= out.weights[k];
  out.weights /= w.sum();
  return out;
}

void expect_moments(const gmm::params_type& theta, const group_moments& expected) {
  ASSERT_EQ(theta.size(), expected.weights.size());
  for (emkit::index k = 0; k < theta.size(); ++k) {
    EXPECT_NEAR(theta.weights[k], expected.weights[k], 1e-14) << "k = " << k;
    EXPECT_LT((theta.components[static_cast<std::size_t>(k)].mean.transpose() - expected.means.row(k)).norm(), 1e-12)
        << "k = " << k;
  }
}

TEST(Initialisation, GivenLabelsStartFromTheMStepOfTheirPartitionOnAnyChunkingAndThreads) {
  std::vector<int> truth;
  const Eigen::MatrixXd X = emkit::testing::draw(emkit::testing::three_blobs(), 500, 5, &truth);
  Eigen::VectorX<emkit::index> labels(500);
  std::vector<emkit::index> group(500);
  for (emkit::index n = 0; n < 500; ++n) labels[n] = group[static_cast<std::size_t>(n)] = truth[n];
  Eigen::VectorXd w = Eigen::VectorXd::Ones(500);
  for (emkit::index n = 0; n < 500; n += 3) w[n] = 2.5;
  const group_moments expected = moments_of(X, w, group, 3);
  for (const emkit::index chunk : {0, 7}) {
    emkit::fitter<emkit::soft_estep, emkit::given_labels, emkit::threads> f;
    f.init = emkit::given_labels(labels);
    f.options.max_iterations = 0;  // θ_0 itself
    f.options.chunk_rows = chunk;
    f.execution.n = 2;
    expect_moments(f.fit(gmm{}, X, 3, w).params, expected);
  }
}

TEST(Initialisation, GivenLabelsOutsideTheComponentsOrTooFewAreNamedErrors) {
  const Eigen::MatrixXd X = emkit::testing::draw(emkit::testing::three_blobs(), 50, 6);
  Eigen::VectorX<emkit::index> labels = Eigen::VectorX<emkit::index>::Zero(50);
  labels[17] = 3;
  emkit::fitter<emkit::soft_estep, emkit::given_labels> f;
  f.init = emkit::given_labels(labels);
  EXPECT_THAT(message_of<emkit::invalid_option>([&] { (void)f.fit(gmm{}, X, 3); }),
              HasSubstr("labels[17] = 3, expected a component in [0, 3)"));
  f.init = emkit::given_labels(Eigen::VectorX<emkit::index>(Eigen::VectorX<emkit::index>::Zero(49)));
  EXPECT_THAT(message_of<emkit::shape_error>([&] { (void)f.fit(gmm{}, X, 3); }),
              HasSubstr("labels.size() = 49, expected one label per row (50 rows)"));
}

TEST(Initialisation, AWarmStartRunsItsFirstEStepUnderTheGivenParameters) {
  const Eigen::MatrixXd X = emkit::testing::draw(emkit::testing::three_blobs(), 600, 7);
  emkit::fitter<> first;
  first.options.relative_tolerance = 1e-12;
  const gmm::params_type optimum = first.fit(gmm{}, X, 3).params;

  // From a point moved off the optimum: iteration 0 is ℓ at that point, as evaluated
  // directly, so no M-step ran before it; EM then climbs back to the optimum.
  gmm::params_type moved = optimum;
  for (auto& c : moved.components) c.mean.array() += 0.4;
  emkit::fitter<emkit::soft_estep, emkit::given_parameters<gmm::params_type>> warm;
  warm.init.theta = moved;
  warm.options.relative_tolerance = 1e-12;
  const auto r = warm.fit(gmm{}, X, 3);
  ASSERT_GE(r.summary.trace.size(), 2u);
  const double at_moved = emkit::log_likelihood(gmm{}, moved, X);
  EXPECT_NEAR(r.summary.trace[0].log_likelihood, at_moved, 1e-10 * std::abs(at_moved));
  EXPECT_LT(at_moved, emkit::log_likelihood(gmm{}, optimum, X) - 1.0);
  for (std::size_t k = 0; k < 3; ++k)
    EXPECT_LT((r.params.components[k].mean - optimum.components[k].mean).norm(), 1e-5) << "k = " << k;

  // From the optimum itself: converged at once, where it started.
  warm.init.theta = optimum;
  const auto stay = warm.fit(gmm{}, X, 3);
  EXPECT_TRUE(stay.summary.converged);
  EXPECT_LE(stay.summary.iterations, 2);
  EXPECT_NEAR(stay.summary.trace[0].log_likelihood, emkit::log_likelihood(gmm{}, optimum, X), 1e-9);
}

TEST(Initialisation, AWarmStartOfAnotherKOrDimensionIsANamedError) {
  const Eigen::MatrixXd X = emkit::testing::draw(emkit::testing::three_blobs(), 300, 8);
  emkit::fitter<> first;
  const gmm::params_type theta = first.fit(gmm{}, X, 3).params;
  emkit::fitter<emkit::soft_estep, emkit::given_parameters<gmm::params_type>> warm;
  warm.init.theta = theta;
  EXPECT_THAT(message_of<emkit::invalid_option>([&] { (void)warm.fit(gmm{}, X, 2); }),
              HasSubstr("the starting parameters' K = 3, expected K = 2"));
  const Eigen::MatrixXd wider = Eigen::MatrixXd::Random(300, 3);
  EXPECT_THAT(message_of<emkit::shape_error>([&] { (void)warm.fit(gmm{}, wider, 3); }), HasSubstr("X.cols() = 3"));
  warm.init.theta.weights[0] = 2.0;
  EXPECT_THAT(message_of<emkit::invalid_option>([&] { (void)warm.fit(gmm{}, X, 3); }), HasSubstr("theta.weights"));
}

/// A user's rule: row n to component n mod K, whatever the chunk it falls in.
struct round_robin {
  emkit::index K = 1;
  void fill(emkit::matrix_ref, emkit::row_range range, emkit::matrix_out R) const {
    R.setZero();
    for (emkit::index n = 0; n < R.rows(); ++n) R(n, (range.begin + n) % K) = 1.0;
  }
};

/// A user's policy returning it.
struct round_robin_init {
  [[nodiscard]] round_robin initialize(emkit::matrix_ref, emkit::vector_ref, emkit::index K,
                                       emkit::random_engine&) const {
    return {K};
  }
};

static_assert(emkit::ResponsibilityRule<round_robin>);
static_assert(emkit::InitPolicy<round_robin_init>);

TEST(Initialisation, AUsersOwnRuleStartsAFitInChunksAndThreads) {
  const Eigen::MatrixXd X = emkit::testing::draw(emkit::testing::three_blobs(), 400, 9);
  std::vector<emkit::index> group(400);
  for (std::size_t n = 0; n < group.size(); ++n) group[n] = static_cast<emkit::index>(n % 4);
  const group_moments expected = moments_of(X, Eigen::VectorXd::Ones(400), group, 4);
  emkit::fitter<emkit::soft_estep, round_robin_init, emkit::threads> f;
  f.options.max_iterations = 0;
  f.options.chunk_rows = 13;
  f.execution.n = 2;
  expect_moments(f.fit(gmm{}, X, 4).params, expected);
}

TEST(Initialisation, OnlineEmFromGivenParametersTakesItsFirstStatisticsUnderThem) {
  // One batch of all N rows: s_0 are the statistics under θ' and the first step mixes them
  // with themselves, so online EM's θ_1 is batch EM's first iteration from θ'.
  const Eigen::MatrixXd X = emkit::testing::draw(emkit::testing::three_blobs(), 400, 10);
  emkit::fitter<> first;
  gmm::params_type moved = first.fit(gmm{}, X, 3).params;
  for (auto& c : moved.components) c.mean.array() -= 0.3;

  emkit::fitter<emkit::soft_estep, emkit::given_parameters<gmm::params_type>> batch;
  batch.init.theta = moved;
  batch.options.max_iterations = 1;
  const gmm::params_type one_step = batch.fit(gmm{}, X, 3).params;

  emkit::online_fitter<emkit::soft_estep, emkit::given_parameters<gmm::params_type>> online;
  online.init.theta = moved;
  online.options.batch_size = 400;
  online.options.epochs = 1;
  const gmm::params_type from_online = online.fit(gmm{}, X, 3).params;
  for (std::size_t k = 0; k < 3; ++k) {
    EXPECT_LT((from_online.components[k].mean - one_step.components[k].mean).norm(), 1e-12) << "k = " << k;
    EXPECT_LT((from_online.components[k].mean - moved.components[k].mean).norm(), 1.0) << "k = " << k;
    EXPECT_GT((from_online.components[k].mean - moved.components[k].mean).norm(), 1e-3) << "k = " << k;
  }
}

}  // namespace
