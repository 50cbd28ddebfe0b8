#pragma once
/// \file
/// The readable account of a fitted Gaussian mixture that the command line prints.

#include <cstdio>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "model_json.hpp"

namespace emkit::cli {

/// `v` in a field of `width` characters with 8 significant digits.
[[nodiscard]] inline std::string format_cell(double v, int width = 15) {
  char text[64];
  std::snprintf(text, sizeof text, "%*.8g", width, v);
  return text;
}

/// K, D, the covariance type and, per component (numbered from 0, as in the model file and
/// the fit's warnings), its weight, mean and covariance matrix.
[[nodiscard]] inline std::string describe_gaussian_mixture(const gaussian_mixture& model,
                                                           const gaussian_mixture::params_type& theta,
                                                           const std::vector<std::string>& columns) {
  std::string out = "Gaussian mixture: K = " + std::to_string(theta.size()) +
                    " components, D = " + std::to_string(theta.dimension) + " dimensions, covariance " +
                    to_string(model.family.covariance) + "\n";
  if (!columns.empty()) {
    out += "  columns:";
    for (const std::string& c : columns) out += " " + c;
    out += "\n";
  }
  for (index k = 0; k < theta.size(); ++k) {
    const gaussian_params& c = theta.components[static_cast<std::size_t>(k)];
    out += "component " + std::to_string(k) + ": weight " + format_cell(theta.weights[k], 0) + "\n";
    out += "  mean       ";
    for (index d = 0; d < c.mean.size(); ++d) out += format_cell(c.mean[d]);
    out += "\n";
    const Eigen::MatrixXd sigma = effective_covariance(c);
    for (index i = 0; i < sigma.rows(); ++i) {
      out += i == 0 ? "  covariance " : "             ";
      for (index j = 0; j < sigma.cols(); ++j) out += format_cell(sigma(i, j));
      out += "\n";
    }
  }
  return out;
}

/// The monitor's full report, then the log-likelihood, BIC, AIC, iterations and convergence.
[[nodiscard]] inline std::string describe_fit(const summary& s, const information_criteria& ic) {
  char text[512];
  std::string out = "fit: " + s.full_report();
  std::snprintf(text, sizeof text,
                "log-likelihood: %.12g\nBIC: %.12g\nAIC: %.12g\nfree parameters: %zu\niterations: %d\n"
                "converged: %s\nseconds: %.3g\n",
                s.log_likelihood, ic.bic, ic.aic, ic.parameters, s.iterations, s.converged ? "yes" : "no", s.seconds);
  return out + text;
}

}  // namespace emkit::cli
