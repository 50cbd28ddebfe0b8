#pragma once
/// \file
/// The settings of a fit: an aggregate with defaults and `validate()`.

#include <cstdint>
#include <functional>

#include <emkit/framework/engine/iteration_record.hpp>
#include <emkit/framework/error.hpp>
#include <emkit/framework/monitor/monitor.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

/// Scalar settings of `fitter`; use designated initialisers and call `validate()` (the
/// fitter does) before use.
struct fit_options {
  int max_iterations = 1000;  ///< EM iterations per restart, at least 0
  /// Stop when 0 ≤ change < tol, where change is the signed change of the objective divided
  /// by max(Σw, |objective|): the change of the mean log-likelihood, made relative when
  /// |mean ℓ| > 1. A decrease never counts as convergence. 0 runs exactly max_iterations.
  double relative_tolerance = 1e-8;
  int restarts = 1;        ///< independent initialisations; the best objective is kept
  std::uint64_t seed = 0;  ///< restart r draws from stream r of this seed
  /// Rows per chunk of every pass: the unit of threads, of streaming and of the summation order.
  /// 0 (the default): about 16384 values per chunk, by D and K (`resolved_chunk_rows`: 1024 rows
  /// at D = 16, K = 8; 256 once D or K reaches 33).
  index chunk_rows = 0;
  monitor_options monitor{};
  /// Called on the fitting thread with the restart (0-based) and each record as it is appended
  /// to that restart's trace: iteration 0 (the initial parameters), then every EM iteration.
  /// For progress displays; it must not throw. Empty (the default): not called.
  std::function<void(int restart, const iteration_record& record)> on_iteration;

  /// Throws `invalid_option` naming the field, its value and the accepted range.
  void validate() const {
    check_option(max_iterations >= 0, "fit_options", "max_iterations", max_iterations, ">= 0");
    check_option(relative_tolerance >= 0 && relative_tolerance < 1, "fit_options", "relative_tolerance",
                 relative_tolerance, "in [0, 1)");
    check_option(restarts >= 1, "fit_options", "restarts", restarts, ">= 1");
    check_option(chunk_rows >= 0, "fit_options", "chunk_rows", chunk_rows, ">= 0 (0: by D and K)");
    check_option(monitor.relative_tolerance >= 0, "fit_options", "monitor.relative_tolerance",
                 monitor.relative_tolerance, ">= 0");
  }
};

}  // namespace emkit
