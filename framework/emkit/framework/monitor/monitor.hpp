#pragma once
/// \file
/// The monitor: EM theory checked at every iteration (DESIGN.md, "The monitor").

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <emkit/framework/engine/iteration_record.hpp>
#include <emkit/framework/engine/summary.hpp>
#include <emkit/framework/error.hpp>

namespace emkit {

/// What the monitor does with a violated check.
enum class monitor_action {
  record,  ///< keep it in `summary::violations` and go on
  raise,   ///< throw `monitor_violation` at once (the tests ask for this)
};

/// Settings of the monitor; part of `fit_options`.
struct monitor_options {
  bool enabled = true;
  monitor_action action = monitor_action::record;
  /// Tolerance relative to the size of the quantities compared: tol = rel·max(1, |ℓ|, |Q|, H).
  double relative_tolerance = 1e-10;
};

/// Checks the record of the starting point θ_0: only the E-step identity applies.
inline void monitor_start(const monitor_options& options, int restart, const iteration_record& start, bool hard,
                          std::vector<violation>& out) {
  if (!options.enabled || hard || !std::isfinite(start.estep_gap)) return;
  const double tol = options.relative_tolerance * std::max(1.0, std::abs(start.log_likelihood));
  if (std::abs(start.estep_gap) <= tol) return;
  if (options.action == monitor_action::raise) {
    throw monitor_violation(detail::concat("EM monitor: estep_exact violated at restart ", restart,
                                           ", iteration 0 by ", std::abs(start.estep_gap), " (tolerance ", tol, ")"));
  }
  out.push_back({restart, 0, monitor_check::estep_exact, std::abs(start.estep_gap), tol});
}

/// Checks one iteration's record against the previous one. `previous_q_current` is
/// Q(θ_{t−1}; q_{t−1}), the value the M-step had to beat. `hard` drops the entropy rows.
inline void monitor_iteration(const monitor_options& options, int restart, const iteration_record& previous,
                              const iteration_record& current, double previous_q_current, bool hard,
                              std::vector<violation>& out) {
  if (!options.enabled) return;
  const double scale = std::max({1.0, std::abs(current.log_likelihood), std::abs(previous.log_likelihood),
                                 std::isfinite(current.q) ? std::abs(current.q) : 0.0,
                                 std::isfinite(current.entropy) ? std::abs(current.entropy) : 0.0});
  const double tol = options.relative_tolerance * scale;
  auto flag = [&](monitor_check check, double size) {
    violation v{restart, current.iteration, check, size, tol};
    if (options.action == monitor_action::raise) {
      throw monitor_violation(detail::concat("EM monitor: ", to_string(check), " violated at restart ", restart,
                                             ", iteration ", current.iteration, " by ", size, " (tolerance ", tol,
                                             ")"));
    }
    out.push_back(v);
  };
  if (!hard && std::isfinite(current.estep_gap) && std::abs(current.estep_gap) > tol)
    flag(monitor_check::estep_exact, std::abs(current.estep_gap));
  if (current.reseeded) return;  // a re-seed resets the baseline: no comparison with θ_{t−1}
  if (std::isfinite(current.q) && std::isfinite(previous_q_current) && current.q < previous_q_current - tol)
    flag(monitor_check::mstep_improves_q, previous_q_current - current.q);
  if (!hard && std::isfinite(current.kl) && current.kl < -tol) flag(monitor_check::kl_nonnegative, -current.kl);
  if (current.objective < previous.objective - tol) flag(monitor_check::ascent, previous.objective - current.objective);
}

}  // namespace emkit
