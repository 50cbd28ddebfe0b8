#pragma once
/// \file
/// The readable account of a fitted model that the command line prints.

#include <cstdio>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include <Eigen/Core>

#include "model_file.hpp"

namespace emkit::cli {

/// `v` in a field of `width` characters with 8 significant digits.
[[nodiscard]] inline std::string format_cell(double v, int width = 15) {
  char text[64];
  std::snprintf(text, sizeof text, "%*.8g", width, v);
  return text;
}

/// "  <label>" then the values of `v`, 8 to a line, continuation lines indented to match.
[[nodiscard]] inline std::string format_row(const std::string& label, const Eigen::VectorXd& v) {
  constexpr index per_line = 8;
  std::string out = "  " + label;
  for (index d = 0; d < v.size(); ++d) {
    if (d > 0 && d % per_line == 0) out += "\n  " + std::string(label.size(), ' ');
    out += format_cell(v[d]);
  }
  return out + "\n";
}

/// A covariance matrix, one row per line, the first labelled.
[[nodiscard]] inline std::string format_matrix(const std::string& label, const std::string& indent,
                                               const Eigen::MatrixXd& m) {
  std::string out;
  for (index i = 0; i < m.rows(); ++i) {
    out += indent + (i == 0 ? label : std::string(label.size(), ' '));
    for (index j = 0; j < m.cols(); ++j) out += format_cell(m(i, j));
    out += "\n";
  }
  return out;
}

/// "  columns: a b c\n", or nothing when the data had no header.
[[nodiscard]] inline std::string columns_line(const std::vector<std::string>& columns) {
  if (columns.empty()) return {};
  std::string out = "  columns:";
  for (const std::string& c : columns) out += " " + c;
  return out + "\n";
}

/// K, D, the covariance type and, per component (numbered from 0, as in the model file and
/// the fit's warnings), its weight, mean and covariance matrix.
[[nodiscard]] inline std::string describe_gaussian_mixture(const gaussian_mixture& model,
                                                           const gaussian_mixture::params_type& theta,
                                                           const std::vector<std::string>& columns) {
  std::string out = "Gaussian mixture: K = " + std::to_string(theta.size()) +
                    " components, D = " + std::to_string(theta.dimension) + " dimensions, covariance " +
                    to_string(model.family.covariance) + "\n" + columns_line(columns);
  for (index k = 0; k < theta.size(); ++k) {
    const gaussian_params& c = theta.components[static_cast<std::size_t>(k)];
    out += "component " + std::to_string(k) + ": weight " + format_cell(theta.weights[k], 0) + "\n";
    out += "  mean       ";
    for (index d = 0; d < c.mean.size(); ++d) out += format_cell(c.mean[d]);
    out += "\n";
    out += format_matrix("covariance ", "  ", effective_covariance(c));
  }
  return out;
}

/// The model, whatever its family: a header line (family, K, D), the column names, and per
/// component its weight and parameters (per block for a product).
[[nodiscard]] inline std::string describe_model(const fitted_model& m, const std::vector<std::string>& columns) {
  return std::visit(
      [&](const auto& f) -> std::string {
        using M = std::remove_cvref_t<decltype(f.model)>;
        const auto& theta = f.params;
        const std::string sizes = "K = " + std::to_string(theta.size()) +
                                  " components, D = " + std::to_string(theta.dimension) + " dimensions";
        if constexpr (std::is_same_v<M, gaussian_mixture>) {
          return describe_gaussian_mixture(f.model, theta, columns);
        } else if constexpr (std::is_same_v<M, kmeans_mixture>) {
          std::string out = "K-means: K = " + std::to_string(theta.size()) +
                            " clusters, D = " + std::to_string(theta.dimension) +
                            " dimensions (weights fixed at 1/K)\n" + columns_line(columns);
          for (index k = 0; k < theta.size(); ++k) {
            out += "cluster " + std::to_string(k) + ":\n" +
                   format_row("center ", theta.components[static_cast<std::size_t>(k)].mean);
          }
          return out;
        } else {
          std::string out;
          if constexpr (std::is_same_v<M, poisson_mixture>) out = "Poisson mixture: " + sizes + "\n";
          if constexpr (std::is_same_v<M, bernoulli_mixture>) out = "Bernoulli mixture: " + sizes + "\n";
          if constexpr (std::is_same_v<M, product_mixture>) {
            out = "Product mixture: " + sizes + ", layout " + layout_text(f.model.family) + "\n";
          }
          out += columns_line(columns);
          for (index k = 0; k < theta.size(); ++k) {
            const auto& c = theta.components[static_cast<std::size_t>(k)];
            out += "component " + std::to_string(k) + ": weight " + format_cell(theta.weights[k], 0) + "\n";
            if constexpr (std::is_same_v<M, poisson_mixture>) out += format_row("rates         ", c.rates);
            if constexpr (std::is_same_v<M, bernoulli_mixture>) out += format_row("probabilities ", c.probabilities);
            if constexpr (std::is_same_v<M, product_mixture>) {
              for (std::size_t b = 0; b < c.blocks.size(); ++b) {
                out += "  block " + std::to_string(b) + " (" + layout_piece(f.model.family.blocks[b]) + ")\n";
                if (const auto* g = std::get_if<gaussian_params>(&c.blocks[b])) {
                  out += "  " + format_row("mean          ", g->mean);
                  out += format_matrix("covariance    ", "    ", effective_covariance(*g));
                } else if (const auto* p = std::get_if<poisson_params>(&c.blocks[b])) {
                  out += "  " + format_row("rates         ", p->rates);
                } else {
                  out += "  " + format_row("probabilities ", std::get<bernoulli_params>(c.blocks[b]).probabilities);
                }
              }
            }
          }
          return out;
        }
      },
      m);
}

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
