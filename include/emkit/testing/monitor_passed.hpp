#pragma once
/// \file
/// `monitor_passed(summary)`: a GoogleTest assertion on the monitor's record of a fit.
///
/// Why not `monitor_action::raise` followed by `EXPECT_TRUE(summary.violations.empty())`: with
/// `raise`, a violation throws before the expectation runs, so the expectation can never fail
/// (the throw fails the test, but with a message that names only the first violation, and any
/// check after the throw never runs). A test that fits with the default `monitor_action::record`
/// and then asserts `EXPECT_TRUE(emkit::testing::monitor_passed(summary))` runs every check it
/// wrote, and on failure prints the full report: every violation, its restart, iteration, size
/// and tolerance.
///
/// Requires GoogleTest (`GTest::gtest`); it is installed with emkit for users' own tests.
#if !__has_include(<gtest/gtest.h>)
#error "<emkit/testing/monitor_passed.hpp> needs GoogleTest: link GTest::gtest"
#endif

#include <gtest/gtest.h>

#include <emkit/framework/engine/summary.hpp>

namespace emkit::testing {

/// Success when the monitor recorded no violation and, unless `require_q` is false, could check
/// the M-step and KL rows too (the family has `expected_log_density`). Fails with the summary's
/// full report otherwise.
inline ::testing::AssertionResult monitor_passed(const summary& s, bool require_q = true) {
  if (!s.violations.empty())
    return ::testing::AssertionFailure() << s.violations.size() << " monitor violation(s)\n" << s.full_report();
  if (require_q && !s.monitor_checked_q)
    return ::testing::AssertionFailure() << "the monitor could not check Q (no expected_log_density hook)\n"
                                         << s.full_report();
  return ::testing::AssertionSuccess();
}

}  // namespace emkit::testing
