// A fit spread over processes gives the same bits as one process: each process runs its own
// blocks and the blocks' statistics are exchanged, flattened by Hana reflection, before the
// ordered merge. The processes here are threads (<emkit/testing/thread_process_group.hpp>); the same
// engine code runs under MPI in tests/distributed.
#include <cmath>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <emkit/emkit.hpp>
#include <emkit/framework/execution/flatten.hpp>

#include <emkit/testing/thread_process_group.hpp>
#include "support/data.hpp"
#include "support/fit_values.hpp"

namespace {

using emkit::testing::fit_values;
using emkit::testing::run_as_processes;

// The round trip of every family's statistics and of the mixture's accumulator, and a fit's
// bits on 2 and 3 processes, are laws of the conformance suite (<emkit/testing/conformance.hpp>,
// StatisticsRoundTripThroughFlatten and ProcessesGiveBitIdenticalFits), run for every family.
// Here: the representations and cases the suite's data does not reach.

TEST(Flatten, PoissonSplitStatisticsRoundTrip) {
  Eigen::MatrixXd X(4, 2);
  X << 1, 5000, 2, 3, 0, 7000, 4, 1;  // counts above 1024 split the Poisson statistics
  const emkit::mixture<emkit::poisson> pm;
  auto pacc = pm.make_accumulator(2);
  pm.accumulate(X, pm.prepare(X), Eigen::VectorXd::Ones(4), Eigen::MatrixXd::Constant(4, 2, 0.5), pacc);
  const std::vector<double> pflat = emkit::flattened(pacc);
  decltype(pacc) pback;
  std::span<const double> pin(pflat);
  emkit::unflatten(pin, pback);
  EXPECT_EQ(emkit::flattened(pback), pflat);
  EXPECT_TRUE(pback.stats[0].split());
}

// Fits X with the policy `threads{1, group}` on P "processes" and on one, and checks the bits.
template <class Fitter, class Model>
void expect_same_bits(const Fitter& base, const Model& model, const Eigen::MatrixXd& X, emkit::index K, int P) {
  const auto serial = base.fit(model, X, K);
  const auto values = fit_values(serial);
  const auto all = run_as_processes(P, [&](std::shared_ptr<const emkit::process_group> group) {
    Fitter f = base;
    f.execution.processes = std::move(group);
    return fit_values(f.fit(model, X, K));
  });
  for (int p = 0; p < P; ++p) EXPECT_EQ(all[static_cast<std::size_t>(p)], values) << "process " << p << " of " << P;
}

TEST(Processes, HardEmIsBitIdentical) {
  const Eigen::MatrixXd X = emkit::testing::draw(emkit::testing::three_blobs(), 3001, 5);
  emkit::fitter<emkit::hard_estep, emkit::kmeans_plus_plus, emkit::threads> hard;
  hard.options.chunk_rows = 50;
  expect_same_bits(hard, emkit::kmeans_model(), X, 3, 3);
}

TEST(Processes, MoreProcessesThanBlocksLeaveSomeIdle) {
  const Eigen::MatrixXd X = emkit::testing::draw(emkit::testing::three_blobs(), 300, 3);
  emkit::fitter<emkit::soft_estep, emkit::kmeans_plus_plus, emkit::threads> f;  // 300 rows: one block
  expect_same_bits(f, emkit::mixture<emkit::gaussian>{}, X, 2, 3);
}

// A Gaussian mixture whose log joint fails on the chunk holding a marked row.
struct failing_mixture : emkit::mixture<emkit::gaussian> {
  void log_joint(const params_type& theta, emkit::matrix_ref X, emkit::matrix_ref C, emkit::matrix_out L) const {
    if ((X.array() > 1000).any()) throw emkit::numerical_error("the marked row");
    emkit::mixture<emkit::gaussian>::log_joint(theta, X, C, L);
  }
};

TEST(Processes, AFailureInOneProcessIsThrownByEveryProcess) {
  Eigen::MatrixXd X = emkit::testing::draw(emkit::testing::three_blobs(), 4000, 2);
  X(3990, 0) = 5000;  // in the last block, which only the last process runs
  emkit::fitter<emkit::soft_estep, emkit::given_means, emkit::threads> f;
  f.init.means = X.topRows(2);
  f.options.chunk_rows = 64;
  const auto messages = run_as_processes(2, [&](std::shared_ptr<const emkit::process_group> group) {
    auto g = f;
    g.execution.processes = std::move(group);
    try {
      (void)g.fit(failing_mixture{}, X, 2);
    } catch (const emkit::numerical_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  });
  EXPECT_THAT(messages[0], ::testing::HasSubstr("process 1 of 2: the marked row"));
  EXPECT_EQ(messages[1], "the marked row");
}

TEST(Processes, ASourceIsCheckedAndFittedAcrossProcesses) {
  Eigen::MatrixXd X = emkit::testing::draw(emkit::testing::three_blobs(), 5003, 13);
  const Eigen::VectorXd w = Eigen::VectorXd::LinSpaced(X.rows(), 0.5, 2.0);
  emkit::fitter<emkit::soft_estep, emkit::kmeans_plus_plus, emkit::threads> f;
  f.options.chunk_rows = 64;
  const emkit::mixture<emkit::gaussian> model;
  const auto serial = fit_values(f.fit(model, emkit::memory_source(X, w), 3));
  const auto all = run_as_processes(3, [&](std::shared_ptr<const emkit::process_group> group) {
    auto g = f;
    g.execution.processes = std::move(group);
    return fit_values(g.fit(model, emkit::memory_source(X, w), 3));
  });
  for (const auto& values : all) EXPECT_EQ(values, serial);

  // The checking pass is shared too: a NaN in the last process's rows is every process's error.
  X(4900, 1) = std::nan("");
  const auto messages = run_as_processes(2, [&](std::shared_ptr<const emkit::process_group> group) {
    auto g = f;
    g.execution.processes = std::move(group);
    try {
      (void)g.fit(model, emkit::memory_source(X, w), 3);
    } catch (const emkit::data_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  });
  EXPECT_THAT(messages[0], ::testing::HasSubstr("X(4900, 1) = nan"));
  EXPECT_EQ(messages[1], messages[0]);
}

TEST(Flatten, AnEmptyVectorLastRoundTrips) {
  // A value-initialised Eigen::VectorXd is 0×1: its column count, 1, is more than the values left
  // after it when it comes last (the exponential example's identity statistics end so).
  const std::pair<double, Eigen::VectorXd> empty{0.0, Eigen::VectorXd()};
  const std::vector<double> flat = emkit::flattened(empty);
  std::pair<double, Eigen::VectorXd> back{1.0, Eigen::VectorXd::Ones(3)};
  std::span<const double> in(flat);
  emkit::unflatten(in, back);
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(back.second.size(), 0);
  EXPECT_EQ(emkit::flattened(back), flat);
  // A size that the values left cannot fill is still an error.
  const std::vector<double> short_matrix{2.0, 3.0, 1.0, 2.0};
  std::span<const double> cut(short_matrix);
  Eigen::MatrixXd m;
  EXPECT_THROW(emkit::unflatten(cut, m), emkit::shape_error);
}

TEST(Flatten, TheTraitSaysWhatCanBeCarried) {
  static_assert(emkit::flattenable_v<emkit::estep_totals>);
  static_assert(emkit::flattenable_v<emkit::mixture_accumulator<emkit::gaussian_stats>>);
  static_assert(emkit::flattenable_v<std::optional<std::pair<emkit::index, std::string>>>);
  struct opaque {
    int* pointer = nullptr;
  };
  static_assert(!emkit::flattenable_v<opaque>);
  static_assert(!emkit::flattenable_v<std::vector<opaque>>);
  const std::optional<std::pair<emkit::index, std::string>> message{{42, "X(42, 0) = nan \xc3\xa9"}};
  const std::vector<double> flat = emkit::flattened(message);
  std::optional<std::pair<emkit::index, std::string>> back;
  std::span<const double> in(flat);
  emkit::unflatten(in, back);
  EXPECT_EQ(back, message);
}

TEST(Processes, OwnedBlocksCoverEveryBlockOnceInOrder) {
  for (emkit::index blocks : {0, 1, 5, 64}) {
    for (int size : {1, 2, 3, 7}) {
      emkit::index next = 0;
      for (int r = 0; r < size; ++r) {
        const auto [first, last] = emkit::owned_blocks(blocks, r, size);
        EXPECT_EQ(first, next);
        EXPECT_LE(last - first, blocks / size + 1);
        next = last;
      }
      EXPECT_EQ(next, blocks);
    }
  }
}

}  // namespace
