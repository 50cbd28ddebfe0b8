/// \file
/// `emkit verify` (see <emkit/cli/verify_command.hpp>).

#include <emkit/cli/verify_command.hpp>

#include <cmath>
#include <string>

#include <Eigen/Core>

#include <emkit/cli/model_file.hpp>
#include <emkit/cli/research_commands.hpp>
#include <emkit/models/verify/verify.hpp>

namespace emkit::cli {

CLI::App* add_verify_command(CLI::App& app, verify_args& a) {
  a.hessian_max_coordinates = verify_options{}.hessian_max_coordinates;  // the library's default
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
json verify_json(const verify_report& r, const std::string& family) {
  const auto number = [](double v) { return std::isfinite(v) ? json(v) : json(); };
  json j;
  j["family"] = family;
  j["gradient_norm"] = number(r.gradient_norm);
  j["fixed_point_residual"] = number(r.fixed_point_residual);
  json errors = json::array();
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

void run_verify_command(const verify_args& a, std::ostream& out, const family_list& families) {
  if (a.weights == "-" && (a.model == "-" || a.data == "-")) {
    throw usage_error("standard input ('-') can be read by only one of MODEL, DATA and --weights");
  }
  const model_and_data md = load_model_and_data(a.model, a.data, a.delimiter, families);
  const matrix_ref X = md.data.table.values;
  const Eigen::VectorXd w =
      a.weights.empty() ? Eigen::VectorXd::Ones(X.rows()) : read_weights(a.weights, a.data, X.rows());
  verify_options options;
  options.hessian_max_coordinates = a.hessian_max_coordinates;
  options.seed = a.seed;
  const std::string family = family_name(*md.model.model);
  verify_report report;
  md.model.model->verify(X, w, options, report);
  const std::string text = a.json ? verify_json(report, family).dump(2) + "\n" : report.full_report();
  out << text;
  out.flush();
}

}  // namespace emkit::cli
