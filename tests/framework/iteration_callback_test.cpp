// fit_options::on_iteration: called once per record of every restart's trace, in order, with
// the numbers the Summary's trace holds for the restart that was kept.
#include <bit>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include <emkit/emkit.hpp>

#include "support/data.hpp"

namespace {

using gmm = emkit::mixture<emkit::gaussian>;

struct seen {
  int restart;
  emkit::iteration_record record;
};

/// Bit-for-bit equality of two doubles (NaN equals NaN), so that "the same numbers" is exact.
void expect_same_bits(double a, double b, const char* field, int iteration) {
  EXPECT_EQ(std::bit_cast<std::uint64_t>(a), std::bit_cast<std::uint64_t>(b))
      << field << " at iteration " << iteration << ": " << a << " vs " << b;
}

TEST(IterationCallback, SeesEveryIterationOfEveryRestartInOrderWithTheTraceNumbers) {
  const Eigen::MatrixXd X = emkit::testing::draw(emkit::testing::three_blobs(), 400, 11);
  std::vector<seen> calls;
  emkit::fitter<> fitter;
  fitter.options.restarts = 3;
  fitter.options.seed = 5;
  fitter.options.on_iteration = [&](int restart, const emkit::iteration_record& r) { calls.push_back({restart, r}); };
  const auto [theta, summary] = fitter.fit(gmm{}, X, 3);

  // Restarts come in order 0, 1, 2; within each, iterations 0, 1, 2, ... with no gap.
  ASSERT_FALSE(calls.empty());
  std::vector<std::vector<emkit::iteration_record>> by_restart(3);
  int last_restart = 0;
  for (const seen& s : calls) {
    ASSERT_GE(s.restart, last_restart);
    ASSERT_LT(s.restart, 3);
    last_restart = s.restart;
    auto& records = by_restart[static_cast<std::size_t>(s.restart)];
    EXPECT_EQ(s.record.iteration, static_cast<int>(records.size())) << "restart " << s.restart;
    records.push_back(s.record);
  }
  for (const auto& records : by_restart) EXPECT_FALSE(records.empty());

  // The kept restart's records are its trace, number for number.
  const auto& kept = by_restart[static_cast<std::size_t>(summary.best_restart)];
  ASSERT_EQ(kept.size(), summary.trace.size());
  EXPECT_EQ(static_cast<int>(kept.size()), summary.iterations + 1);
  for (std::size_t i = 0; i < kept.size(); ++i) {
    const emkit::iteration_record& a = kept[i];
    const emkit::iteration_record& b = summary.trace[i];
    EXPECT_EQ(a.iteration, b.iteration);
    expect_same_bits(a.log_likelihood, b.log_likelihood, "log_likelihood", a.iteration);
    expect_same_bits(a.objective, b.objective, "objective", a.iteration);
    expect_same_bits(a.q, b.q, "q", a.iteration);
    expect_same_bits(a.entropy, b.entropy, "entropy", a.iteration);
    expect_same_bits(a.elbo, b.elbo, "elbo", a.iteration);
    expect_same_bits(a.kl, b.kl, "kl", a.iteration);
    expect_same_bits(a.estep_gap, b.estep_gap, "estep_gap", a.iteration);
    expect_same_bits(a.change, b.change, "change", a.iteration);
    expect_same_bits(a.seconds, b.seconds, "seconds", a.iteration);
    EXPECT_EQ(a.reseeded, b.reseeded);
  }
  // The last record seen for the kept restart is the returned fit's log-likelihood.
  EXPECT_EQ(kept.back().log_likelihood, summary.log_likelihood);
}

TEST(IterationCallback, HardEMAndZeroIterationsAreReportedToo) {
  const Eigen::MatrixXd X = emkit::testing::draw(emkit::testing::three_blobs(), 200, 3);
  std::vector<int> iterations;
  emkit::fitter<emkit::hard_estep> fitter;
  fitter.options.max_iterations = 0;
  fitter.options.on_iteration = [&](int, const emkit::iteration_record& r) { iterations.push_back(r.iteration); };
  const auto result = fitter.fit(gmm{}, X, 3);
  EXPECT_EQ(iterations, std::vector<int>{0});  // only the initial parameters
  EXPECT_EQ(result.summary.trace.size(), 1u);

  iterations.clear();
  fitter.options.max_iterations = 4;
  fitter.options.relative_tolerance = 0;  // runs exactly 4 iterations
  (void)fitter.fit(gmm{}, X, 3);
  EXPECT_EQ(iterations, (std::vector<int>{0, 1, 2, 3, 4}));
}

}  // namespace
