#pragma once
/// \file
/// The readable account of a fitted model that the command line prints.

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include <emkit/cli/model_file.hpp>
#include <emkit/cli/text_format.hpp>

namespace emkit::cli {

/// The monitor's full report, then the log-likelihood (and for K-means the inertia and the
/// classification log-likelihood), BIC, AIC, iterations and convergence.
[[nodiscard]] inline std::string describe_fit(const summary& s, const information_criteria& ic,
                                              const std::optional<double>& inertia = std::nullopt) {
  char text[512];
  std::string out = "fit: " + s.full_report();
  std::snprintf(text, sizeof text, "log-likelihood: %.12g\n", s.log_likelihood);
  out += text;
  if (inertia) {
    std::snprintf(text, sizeof text, "inertia: %.12g\nclassification log-likelihood: %.12g\n", *inertia, s.objective);
    out += text;
  }
  std::snprintf(text, sizeof text,
                "BIC: %.12g\nAIC: %.12g\nfree parameters: %zu\niterations: %d\nconverged: %s\nseconds: %.3g\n", ic.bic,
                ic.aic, ic.parameters, s.iterations, s.converged ? "yes" : "no", s.seconds);
  return out + text;
}

}  // namespace emkit::cli
