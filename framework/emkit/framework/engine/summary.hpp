#pragma once
/// \file
/// The outcome of a fit as data: converged or not, warnings, monitor violations, the trace.

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <emkit/framework/engine/iteration_record.hpp>
#include <emkit/framework/error.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

/// Kinds of numerical events that a fit reports instead of hiding.
enum class warning_code {
  not_converged,       ///< max_iterations reached before the tolerance
  component_reseeded,  ///< a component lost all its mass and was re-seeded
  floor_applied,       ///< a family kept a parameter off its boundary (a rate or probability floor)
  restart_failed,      ///< a restart ended in a numerical error; the other restarts went on
  component_kept,      ///< a component lost all its mass and was kept at weight 0 (reseed: after its re-seed)
  component_dropped,   ///< a component lost all its mass and was removed: K − 1 components go on
};

/// A numerical event: where it happened and what was done.
struct warning {
  warning_code code;
  int restart = 0;
  int iteration = 0;
  index component = -1;  ///< −1 when it concerns no single component
  std::string message;
};

/// The four EM checks of the monitor.
enum class monitor_check {
  estep_exact,       ///< ℓ(θ_t) − ELBO(q_t, θ_t) ≈ 0
  mstep_improves_q,  ///< Q(θ_{t+1}; q_t) ≥ Q(θ_t; q_t)
  kl_nonnegative,    ///< ℓ(θ_{t+1}) − ELBO(q_t, θ_{t+1}) ≥ 0
  ascent,            ///< objective(θ_{t+1}) ≥ objective(θ_t)
};

/// The name of a check, as written in reports and trace files.
inline const char* to_string(monitor_check c) {
  switch (c) {
    case monitor_check::estep_exact:
      return "estep_exact";
    case monitor_check::mstep_improves_q:
      return "mstep_improves_q";
    case monitor_check::kl_nonnegative:
      return "kl_nonnegative";
    case monitor_check::ascent:
      return "ascent";
  }
  return "unknown";
}

/// A violated check: its iteration and by how much (positive, in objective units).
struct violation {
  int restart = 0;
  int iteration = 0;
  monitor_check check;
  double size = 0.0;
  double tolerance = 0.0;
};

/// Everything a fit observed. `trace` is the per-iteration record of the returned restart.
struct summary {
  bool converged = false;
  int iterations = 0;           ///< EM iterations (M-steps after initialisation) of the returned restart
  double log_likelihood = 0.0;  ///< ℓ at the returned parameters (natural log, weighted)
  double objective = 0.0;       ///< the maximised objective at the returned parameters
  double total_weight = 0.0;    ///< Σ_n w_n (N without weights)
  int best_restart = 0;
  std::vector<double> restart_objectives;
  std::vector<warning> warnings;
  std::vector<violation> violations;  ///< of every restart
  std::vector<iteration_record> trace;
  double seconds = 0.0;
  /// The model gave Q from statistics, so the M-step and KL checks ran; without it the monitor
  /// checked the E-step identity and ascent only.
  bool monitor_checked_q = true;

  /// One line: converged or not, iterations, ℓ, and the monitor's verdict.
  [[nodiscard]] std::string brief_report() const {
    char line[256];
    std::snprintf(line, sizeof line, "%s after %d iterations, log-likelihood %.10g, monitor: %s, %zu warning(s)",
                  converged ? "converged" : "NOT converged", iterations, log_likelihood,
                  violations.empty() ? (monitor_checked_q ? "all checks passed" : "E-step and ascent checks passed")
                                     : "VIOLATIONS",
                  warnings.size());
    return line;
  }

  /// The brief line, then the restarts, the warnings and every violation.
  [[nodiscard]] std::string full_report() const {
    std::string out = brief_report() + "\n";
    char line[512];
    for (std::size_t r = 0; r < restart_objectives.size(); ++r) {
      std::snprintf(line, sizeof line, "  restart %zu: objective %.12g%s\n", r, restart_objectives[r],
                    static_cast<int>(r) == best_restart ? "  (best)" : "");
      out += line;
    }
    for (const warning& w : warnings) {
      std::snprintf(line, sizeof line, "  warning (restart %d, iteration %d): %s\n", w.restart, w.iteration,
                    w.message.c_str());
      out += line;
    }
    for (const violation& v : violations) {
      std::snprintf(line, sizeof line, "  violation (restart %d, iteration %d): %s by %.3g (tolerance %.3g)\n",
                    v.restart, v.iteration, to_string(v.check), v.size, v.tolerance);
      out += line;
    }
    return out;
  }
};

/// The sink through which a model's M-step reports events (a re-seeded component, a floor).
/// One per restart: it also remembers which components were re-seeded in it.
struct fit_events {
  int restart = 0;
  int iteration = 0;
  bool reseeded = false;  ///< this M-step re-seeded or dropped a component: the monitor resets its baseline
  std::vector<warning>* warnings = nullptr;
  std::vector<index> reseeded_components{};  ///< every component re-seeded in this restart

  /// Whether `component` was re-seeded earlier in this restart.
  [[nodiscard]] bool was_reseeded(index component) const {
    return std::find(reseeded_components.begin(), reseeded_components.end(), component) != reseeded_components.end();
  }

  void warn(warning_code code, index component, std::string message) {
    if (code == warning_code::component_reseeded) reseeded_components.push_back(component);
    if (code == warning_code::component_reseeded || code == warning_code::component_dropped) reseeded = true;
    if (!warnings) return;
    // A floor that holds a parameter, or a component kept empty, usually stays so at every
    // iteration: report the first time.
    if (code == warning_code::floor_applied || code == warning_code::component_kept) {
      for (const warning& w : *warnings)
        if (w.code == code && w.restart == restart && w.component == component) return;
      message += detail::concat(" (from iteration ", iteration, " on)");
    }
    warnings->push_back({code, restart, iteration, component, std::move(message)});
  }
};

}  // namespace emkit
