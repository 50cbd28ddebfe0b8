// The monitor catches what it promises: each check against hand-made records, and real fits
// of deliberately broken families.
#include <memory>
#include <span>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <emkit/emkit.hpp>

#include "support/data.hpp"

namespace {

emkit::iteration_record record(int t, double ll, double q, double entropy, double gap = 0.0) {
  emkit::iteration_record r;
  r.iteration = t;
  r.log_likelihood = r.objective = ll;
  r.q = q;
  r.entropy = entropy;
  r.elbo = q + entropy;
  r.kl = ll - r.elbo;
  r.estep_gap = gap;
  return r;
}

std::vector<emkit::monitor_check> checks_of(const std::vector<emkit::violation>& v) {
  std::vector<emkit::monitor_check> out;
  for (const auto& x : v) out.push_back(x.check);
  return out;
}

TEST(Monitor, AHealthyIterationPasses) {
  std::vector<emkit::violation> v;
  emkit::monitor_iteration({}, 0, record(0, -100, -120, 20), record(1, -90, -115, 20), -120, false, v);
  EXPECT_TRUE(v.empty());
}

TEST(Monitor, EachCheckFlagsItsViolation) {
  using emkit::monitor_check;
  std::vector<emkit::violation> v;
  // The likelihood went down, Q went down, the ELBO is above ℓ, and the E-step left a gap.
  emkit::monitor_iteration({}, 0, record(0, -100, -120, 20), record(1, -101, -125, 30, 1e-3), -120, false, v);
  EXPECT_THAT(checks_of(v), ::testing::UnorderedElementsAre(monitor_check::estep_exact, monitor_check::mstep_improves_q,
                                                            monitor_check::kl_nonnegative, monitor_check::ascent));
  for (const auto& x : v) {
    EXPECT_EQ(x.iteration, 1);
    EXPECT_GT(x.size, 0.0);
  }
}

TEST(Monitor, ToleranceIsRelativeToTheObjective) {
  std::vector<emkit::violation> v;
  // A decrease of 1e-9 on ℓ ≈ −1e6 is rounding (tolerance 1e-10·1e6 = 1e-4); on ℓ ≈ −1 it is not.
  emkit::monitor_iteration({}, 0, record(0, -1e6, -1.1e6, 1e5), record(1, -1e6 - 1e-9, -1.1e6, 1e5), -1.1e6, false, v);
  EXPECT_TRUE(v.empty());
  emkit::monitor_iteration({}, 0, record(0, -1, -1.5, 0.5), record(1, -1 - 1e-9, -1.6, 0.5), -1.7, false, v);
  EXPECT_THAT(checks_of(v), ::testing::ElementsAre(emkit::monitor_check::ascent));
}

TEST(Monitor, HardEmHasNoEntropyRowsAndReseedResetsTheBaseline) {
  std::vector<emkit::violation> v;
  auto hard = record(1, -110, -110, 0, 5.0);
  hard.kl = -3;  // would be a violation for soft EM; hard EM has no KL row
  emkit::monitor_iteration({}, 0, record(0, -100, -100, 0), hard, -100, true, v);
  EXPECT_THAT(checks_of(v),
              ::testing::ElementsAre(emkit::monitor_check::mstep_improves_q, emkit::monitor_check::ascent));
  v.clear();
  auto reseeded = record(1, -500, -600, 100);
  reseeded.reseeded = true;
  emkit::monitor_iteration({}, 0, record(0, -100, -120, 20), reseeded, -120, false, v);
  EXPECT_TRUE(v.empty());
}

TEST(Monitor, RaiseThrowsNamingTheCheckAndIteration) {
  std::vector<emkit::violation> v;
  emkit::monitor_options options{.action = emkit::monitor_action::raise};
  try {
    emkit::monitor_iteration(options, 2, record(6, -100, -120, 20), record(7, -105, -118, 10), -120, false, v);
    FAIL();
  } catch (const emkit::monitor_violation& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("ascent violated at restart 2, iteration 7"));
  }
}

// A Gaussian family whose M-step goes wrong on every other call: the monitor must notice.
struct erratic_gaussian : emkit::gaussian {
  std::shared_ptr<int> calls = std::make_shared<int>(0);
  std::vector<emkit::gaussian_params> maximize_all(std::span<const emkit::gaussian_stats> stats) const {
    std::vector<emkit::gaussian_params> ps = gaussian::maximize_all(stats);
    if (++*calls % 2 == 0)
      for (auto& p : ps) p.mean.array() += 3.0;
    return ps;
  }
};

// A Gaussian family whose Q-from-statistics drops a term, so it disagrees with its density.
struct inconsistent_gaussian : emkit::gaussian {
  double expected_log_density(const emkit::gaussian_stats& s, const emkit::gaussian_params& p) const {
    return gaussian::expected_log_density(s, p) + 0.01 * s.weight;
  }
};

TEST(Monitor, CatchesAWrongMaximiserInARealFit) {
  const Eigen::MatrixXd X = emkit::testing::load_data("faithful.csv");
  emkit::fitter<> fitter;
  fitter.options.max_iterations = 10;
  const auto [theta, summary] = fitter.fit(emkit::mixture<erratic_gaussian>{}, X, 2);
  std::vector<emkit::monitor_check> seen = checks_of(summary.violations);
  EXPECT_THAT(seen, ::testing::Contains(emkit::monitor_check::mstep_improves_q));
  EXPECT_THAT(seen, ::testing::Contains(emkit::monitor_check::ascent));
  fitter.options.monitor.action = emkit::monitor_action::raise;
  EXPECT_THROW((void)fitter.fit(emkit::mixture<erratic_gaussian>{}, X, 2), emkit::monitor_violation);
}

TEST(Monitor, CatchesADensityAndStatisticsThatDisagree) {
  const Eigen::MatrixXd X = emkit::testing::load_data("faithful.csv");
  emkit::fitter<> fitter;
  fitter.options.max_iterations = 5;
  const auto [theta, summary] = fitter.fit(emkit::mixture<inconsistent_gaussian>{}, X, 2);
  EXPECT_THAT(checks_of(summary.violations), ::testing::Contains(emkit::monitor_check::estep_exact));
  EXPECT_THAT(checks_of(summary.violations), ::testing::Contains(emkit::monitor_check::kl_nonnegative));
}

TEST(Monitor, DisabledMonitorRecordsNothing) {
  const Eigen::MatrixXd X = emkit::testing::load_data("faithful.csv");
  emkit::fitter<> fitter;
  fitter.options.max_iterations = 10;
  fitter.options.monitor.enabled = false;
  EXPECT_TRUE(fitter.fit(emkit::mixture<erratic_gaussian>{}, X, 2).summary.violations.empty());
}

}  // namespace
