// Reliability, part 3: threads under degenerate data and failures. Every test name contains
// "Thread", so that scripts/sanitize.sh runs exactly these (and the other suites' thread tests)
// under ThreadSanitizer. Each is a row of docs/reliability.md.
#include <atomic>
#include <cmath>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <emkit/emkit.hpp>

#include "reliability/reliability_support.hpp"

namespace {

using emkit::index;
using emkit::reliability::fit_is_finite;
using emkit::reliability::gaussian_model;
using emkit::reliability::gmm;
using emkit::reliability::message_of;
using emkit::reliability::two_clusters;
using ::testing::HasSubstr;

template <class Model>
auto threaded_fit(const Model& model, const Eigen::MatrixXd& X, index K, int n_threads, index chunk_rows = 8) {
  emkit::fitter<emkit::soft_estep, emkit::kmeans_plus_plus, emkit::threads> f;
  f.execution.n = n_threads;
  f.options.seed = 5;
  f.options.restarts = 2;
  f.options.chunk_rows = chunk_rows;
  f.options.monitor.action = emkit::monitor_action::raise;
  return f.fit(model, X, K);
}

template <class Result>
void expect_same_bits(const Result& a, const Result& b, const char* what) {
  EXPECT_EQ(a.summary.log_likelihood, b.summary.log_likelihood) << what;
  EXPECT_EQ(a.summary.iterations, b.summary.iterations) << what;
  EXPECT_EQ(a.summary.warnings.size(), b.summary.warnings.size()) << what;
  EXPECT_EQ(a.params.weights, b.params.weights) << what;
}

TEST(ReliabilityThreads, DegenerateDataGivesBitIdenticalFitsForAnyThreadCount) {
  struct data_case {
    const char* what;
    Eigen::MatrixXd X;
    index K;
  };
  Eigen::MatrixXd constant_column = two_clusters(300, 3, 5.0, 1.0);
  constant_column.col(2).setConstant(4.0);
  Eigen::MatrixXd two_points = Eigen::MatrixXd::Zero(300, 1);
  two_points.bottomRows(150).setOnes();
  const std::vector<data_case> cases{
      {"identical points", Eigen::MatrixXd::Constant(300, 2, 0.5), 3},
      {"constant column", constant_column, 2},
      {"more components than distinct points", two_points, 4},
      {"far-separated clusters", two_clusters(300, 2, 1e3, 1.0), 2},
      {"a single row", Eigen::MatrixXd::Constant(1, 2, 3.0), 1},
      {"scale 1e150", two_clusters(300, 2, 5.0, 1e150), 2},
  };
  for (const data_case& c : cases) {
    const auto one = threaded_fit(gmm{}, c.X, c.K, 1);
    ASSERT_TRUE(fit_is_finite(one)) << c.what;
    for (const int n : {2, 3, 8}) expect_same_bits(one, threaded_fit(gmm{}, c.X, c.K, n), c.what);
  }
}

TEST(ReliabilityThreads, AnErrorInAWorkerThreadReachesTheCallerWithItsType) {
  // A singular covariance (reg_covar = 0, a constant column) in every restart: the M-step's
  // numerical_error; and a restart whose E-step throws from inside a worker.
  Eigen::MatrixXd X = two_clusters(400, 2, 5.0, 1.0);
  X.col(1).setConstant(1.0);
  for (const int n : {1, 2, 8}) {
    EXPECT_THAT(message_of<emkit::numerical_error>(
                    [&] { (void)threaded_fit(gaussian_model(emkit::covariance_type::full, 0.0), X, 2, n); }),
                HasSubstr("covariance is not positive definite"))
        << n << " threads";
  }
}

/// A Gaussian family whose log density throws `data_error` for a marked row: the exception
/// starts inside whichever worker thread runs that row's block.
struct throwing_gaussian : emkit::gaussian {
  double poison = 1e9;
  [[nodiscard]] Eigen::VectorXd log_density(const params_type& p, emkit::matrix_ref X) const {
    for (index n = 0; n < X.rows(); ++n)
      if (X(n, 0) == poison) throw emkit::data_error("throwing_gaussian: the poisoned row");
    return emkit::gaussian::log_density(p, X);
  }
  void log_density_all(std::span<const params_type> ps, emkit::matrix_ref X, emkit::matrix_out out) const {
    for (index k = 0; k < static_cast<index>(ps.size()); ++k) out.col(k) = log_density(ps[k], X);
  }
};

TEST(ReliabilityThreads, AnExceptionThrownInsideAWorkerThreadStopsTheFitCleanly) {
  Eigen::MatrixXd X = two_clusters(2000, 2, 5.0, 1.0);
  X(1777, 0) = 1e9;  // in a late block, so that other workers are busy when it throws
  for (const int n : {1, 2, 4, 8}) {
    EXPECT_THAT(
        message_of<emkit::data_error>([&] { (void)threaded_fit(emkit::mixture<throwing_gaussian>{}, X, 2, n, 16); }),
        HasSubstr("the poisoned row"))
        << n << " threads";
  }
}

TEST(ReliabilityThreads, ConcurrentFitsFromManyThreadsShareNoState) {
  // One const fitter and model used by several threads at once (the Poisson family's static
  // log-factorial table is initialised by whichever thread gets there first).
  Eigen::MatrixXd counts = (two_clusters(500, 3, 6.0, 2.0).array().abs() * 3).round();
  const emkit::mixture<emkit::poisson> model{};
  const auto reference = threaded_fit(model, counts, 2, 1);
  ASSERT_TRUE(fit_is_finite(reference));
  std::vector<double> results(6, 0.0);
  std::atomic<int> failures{0};
  {
    std::vector<std::jthread> pool;
    for (std::size_t i = 0; i < results.size(); ++i) {
      pool.emplace_back([&, i] {
        try {
          results[i] = threaded_fit(model, counts, 2, 2).summary.log_likelihood;
        } catch (...) {
          ++failures;
        }
      });
    }
  }
  EXPECT_EQ(failures.load(), 0);
  for (const double r : results) EXPECT_EQ(r, reference.summary.log_likelihood);
}

TEST(ReliabilityThreads, MoreThreadsThanBlocksAndOneRowChunksAreFine) {
  const Eigen::MatrixXd X = two_clusters(37, 2, 5.0, 1.0);
  const auto one = threaded_fit(gmm{}, X, 2, 1, 1);
  ASSERT_TRUE(fit_is_finite(one));
  expect_same_bits(one, threaded_fit(gmm{}, X, 2, 64, 1), "64 threads, 1-row chunks");
  expect_same_bits(one, threaded_fit(gmm{}, X, 2, 3, 1000), "3 threads, one chunk");
}

}  // namespace
