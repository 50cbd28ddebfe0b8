#pragma once
/// \file
/// `emkit verify MODEL.json DATA [--json]`: EM theory checked numerically at a saved model
/// (`emkit::verify`, <emkit/models/verify/verify.hpp>): the gradient norm, the fixed-point
/// residual, standard errors by Louis' identity against a finite-difference Hessian, the
/// empirical EM rate and the fraction of missing information. Every family with a
/// parameterisation (Gaussian of each covariance type, Poisson, Bernoulli, K-means); the
/// product family has none and is refused with a clear error.

#include <cmath>
#include <optional>
#include <ostream>
#include <string>
#include <variant>

#include <CLI/CLI.hpp>
#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <emkit/models/verify/verify.hpp>

#include "cli_files.hpp"
#include "research_commands.hpp"

namespace emkit::cli {

struct verify_args {
  std::string model;
  std::string data;
  std::string weights;
  std::string delimiter = ",";
  bool json = false;
  index hessian_max_coordinates = verify_options{}.hessian_max_coordinates;
  std::uint64_t seed = 0;
};

inline CLI::App* add_verify_command(CLI::App& app, verify_args& a) {
  CLI::App* c = app.add_subcommand(
      "verify", "Check EM theory numerically at a fitted model: gradient, fixed point, standard errors, EM rate");
  c->add_option("MODEL", a.model, "Model file written by emkit fit ('-': standard input)")->required();
  c->add_option("DATA", a.data, "The data it was fitted to: CSV or .npy ('-': standard input)")->required();
  c->add_option("--weights", a.weights, "Observation weights, one per row (CSV or .npy), as given to fit");
  c->add_flag("--json", a.json, "Print the report as JSON");
  c->add_option("--hessian-max-coordinates", a.hessian_max_coordinates,
                "Skip the O(P^2) finite-difference Hessian above this many free parameters")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  c->add_option("--seed", a.seed, "Seed of the perturbation behind em_rate")->capture_default_str();
  c->add_option("--delimiter", a.delimiter, "CSV delimiter (one character, or 'tab')")->capture_default_str();
  return c;
}

/// The report as JSON: the six headline fields first (NaN, "not available", as null), then
/// what stands behind them.
[[nodiscard]] inline nlohmann::ordered_json verify_json(const verify_report& r, const std::string& family) {
  const auto number = [](double v) { return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(); };
  nlohmann::ordered_json j;
  j["family"] = family;
  j["gradient_norm"] = number(r.gradient_norm);
  j["fixed_point_residual"] = number(r.fixed_point_residual);
  nlohmann::ordered_json errors = nlohmann::ordered_json::array();
  for (const standard_error& s : r.standard_errors) {
    errors.push_back(
        {{"name", s.name}, {"estimate", number(s.estimate)}, {"value", number(s.value)}, {"derived", s.derived}});
  }
  j["standard_errors"] = std::move(errors);
  j["hessian_agreement"] = number(r.hessian_agreement);
  j["em_rate"] = number(r.em_rate);
  j["missing_information_rate"] = number(r.missing_information_rate);
  j["missing_information_rate_louis"] = number(r.missing_information_rate_louis);
  j["log_likelihood"] = number(r.log_likelihood);
  j["total_weight"] = number(r.total_weight);
  j["free_parameters"] = r.names.size();
  j["newton_gain"] = number(r.newton_gain);
  j["information_positive_definite"] = r.information_positive_definite;
  j["fixed_point_distance"] = number(r.fixed_point_distance);
  j["fixed_point_iterations"] = r.fixed_point_iterations;
  j["analytic_scores"] = r.analytic_scores;
  return j;
}

inline void run_verify_command(const verify_args& a, std::ostream& out) {
  if (a.weights == "-" && (a.model == "-" || a.data == "-")) {
    throw usage_error("standard input ('-') can be read by only one of MODEL, DATA and --weights");
  }
  const model_and_data md = load_model_and_data(a.model, a.data, a.delimiter);
  const matrix_ref X = md.data.table.values;
  const Eigen::VectorXd w =
      a.weights.empty() ? Eigen::VectorXd::Ones(X.rows()) : read_weights(a.weights, a.data, X.rows());
  verify_options options;
  options.hessian_max_coordinates = a.hessian_max_coordinates;
  options.seed = a.seed;
  const std::string family = family_name(md.model.model);
  const verify_report report = std::visit(
      [&](const auto& f) -> verify_report {
        using family_type = typename std::decay_t<decltype(f.model)>::family_type;
        if constexpr (HasParameterisation<family_type>) {
          return verify(f.model, f.params, X, w, options);
        } else {
          throw usage_error("verify: the " + family +
                            " family has no parameterisation (free coordinates) to differentiate; verify supports "
                            "gaussian, poisson, bernoulli and kmeans models");
        }
      },
      md.model.model);
  const std::string text = a.json ? verify_json(report, family).dump(2) + "\n" : report.full_report();
  out << text;
  out.flush();
}

}  // namespace emkit::cli
