#pragma once
/// \file
/// The model file of the command line ("format": "emkit-model", version 1) for a fitted
/// Gaussian mixture, and its text.
///
/// Doubles are written by nlohmann::json with the shortest representation that reads back
/// to the same double, so a model file round-trips bit for bit. Keys keep the order below
/// (nlohmann::ordered_json) so that the file reads top-down.

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <emkit/framework/engine/summary.hpp>
#include <emkit/models/gaussian.hpp>
#include <emkit/models/mixture.hpp>
#include <emkit/version.hpp>

namespace emkit::cli {

/// The model the command line fits for `--family gaussian`.
using gaussian_mixture = mixture<gaussian>;

/// The name and version written in every model file.
inline constexpr const char* model_format = "emkit-model";
inline constexpr int model_format_version = 1;

/// What a fit was asked to do and of which data: recorded beside the parameters so that a
/// model file says how to reproduce it.
struct fit_provenance {
  std::string data_file;                    ///< as given ("-" for standard input)
  std::vector<std::string> columns;         ///< the data's header; empty when it had none
  std::optional<std::string> weights_file;  ///< --weights, if given
  std::string init;                         ///< kmeans++, random, random-resp or given-means
  std::optional<std::string> init_means_file;
  int restarts = 1;
  std::uint64_t seed = 0;
  double tolerance = 0.0;
  int max_iterations = 0;
};

/// A vector as a JSON array of numbers.
[[nodiscard]] inline nlohmann::ordered_json json_array(const Eigen::VectorXd& v) {
  auto out = nlohmann::ordered_json::array();
  for (index i = 0; i < v.size(); ++i) out.push_back(v[i]);
  return out;
}

/// A matrix as a JSON array of rows.
[[nodiscard]] inline nlohmann::ordered_json json_array(const Eigen::MatrixXd& m) {
  auto out = nlohmann::ordered_json::array();
  for (index i = 0; i < m.rows(); ++i) out.push_back(json_array(Eigen::VectorXd(m.row(i).transpose())));
  return out;
}

/// Σ_k as the model uses it: the densities depend on Σ only through its Cholesky factor,
/// which reads the lower triangle, so the file holds that triangle mirrored — exactly
/// symmetric, and refactoring it gives the same factor bit for bit.
[[nodiscard]] inline Eigen::MatrixXd effective_covariance(const gaussian_params& p) {
  return p.covariance.selfadjointView<Eigen::Lower>();
}

/// The information criteria of a fit: p free parameters, BIC = −2ℓ + p log Σw, AIC = −2ℓ + 2p.
struct information_criteria {
  std::size_t parameters = 0;
  double bic = 0.0;
  double aic = 0.0;
};

/// BIC and AIC of θ from the fit's log-likelihood and total weight (N without weights).
[[nodiscard]] inline information_criteria criteria_of(const gaussian_mixture& model,
                                                      const gaussian_mixture::params_type& theta, const summary& s) {
  information_criteria c;
  c.parameters = model.num_free_parameters(theta);
  const double p = static_cast<double>(c.parameters);
  c.bic = -2.0 * s.log_likelihood + p * std::log(s.total_weight);
  c.aic = -2.0 * s.log_likelihood + 2.0 * p;
  return c;
}

/// The monitor's verdict: whether every check passed, and each violation.
[[nodiscard]] inline nlohmann::ordered_json monitor_json(const summary& s) {
  nlohmann::ordered_json out;
  out["checks_passed"] = s.violations.empty();
  auto list = nlohmann::ordered_json::array();
  for (const violation& v : s.violations) {
    list.push_back({{"restart", v.restart},
                    {"iteration", v.iteration},
                    {"check", to_string(v.check)},
                    {"size", v.size},
                    {"tolerance", v.tolerance}});
  }
  out["violations"] = std::move(list);
  return out;
}

/// The warnings of a fit, each "restart r, iteration t: message".
[[nodiscard]] inline nlohmann::ordered_json warnings_json(const summary& s) {
  auto out = nlohmann::ordered_json::array();
  for (const warning& w : s.warnings) {
    out.push_back("restart " + std::to_string(w.restart) + ", iteration " + std::to_string(w.iteration) + ": " +
                  w.message);
  }
  return out;
}

/// The model file of a fitted Gaussian mixture. Keys: format, format_version, emkit_version,
/// family, covariance, k, dim, weights [K], means [K][D], covariances [K][D][D] (full
/// matrices for every covariance type), log_likelihood, iterations, converged,
/// n_parameters, bic, aic, seconds, n_observations, total_weight, reg_covar, restarts,
/// seed, tol, max_iter, init, init_means_file, data_file, weights_file, columns,
/// best_restart, restart_objectives, monitor {checks_passed, violations}, warnings.
[[nodiscard]] inline nlohmann::ordered_json gaussian_mixture_json(const gaussian_mixture& model,
                                                                  const gaussian_mixture::params_type& theta,
                                                                  const summary& s, index n_observations,
                                                                  const fit_provenance& how) {
  const information_criteria ic = criteria_of(model, theta, s);
  nlohmann::ordered_json j;
  j["format"] = model_format;
  j["format_version"] = model_format_version;
  j["emkit_version"] = version;
  j["family"] = "gaussian";
  j["covariance"] = to_string(model.family.covariance);
  j["k"] = theta.size();
  j["dim"] = theta.dimension;
  j["weights"] = json_array(theta.weights);
  auto means = nlohmann::ordered_json::array();
  auto covariances = nlohmann::ordered_json::array();
  for (const gaussian_params& c : theta.components) {
    means.push_back(json_array(c.mean));
    covariances.push_back(json_array(effective_covariance(c)));
  }
  j["means"] = std::move(means);
  j["covariances"] = std::move(covariances);
  j["log_likelihood"] = s.log_likelihood;
  j["iterations"] = s.iterations;
  j["converged"] = s.converged;
  j["n_parameters"] = ic.parameters;
  j["bic"] = ic.bic;
  j["aic"] = ic.aic;
  j["seconds"] = s.seconds;
  j["n_observations"] = n_observations;
  j["total_weight"] = s.total_weight;
  j["reg_covar"] = model.family.reg_covar;
  j["restarts"] = how.restarts;
  j["seed"] = how.seed;
  j["tol"] = how.tolerance;
  j["max_iter"] = how.max_iterations;
  j["init"] = how.init;
  j["init_means_file"] = how.init_means_file ? nlohmann::ordered_json(*how.init_means_file) : nullptr;
  j["data_file"] = how.data_file;
  j["weights_file"] = how.weights_file ? nlohmann::ordered_json(*how.weights_file) : nullptr;
  j["columns"] = how.columns;
  j["best_restart"] = s.best_restart;
  j["restart_objectives"] = s.restart_objectives;
  j["monitor"] = monitor_json(s);
  j["warnings"] = warnings_json(s);
  return j;
}

/// The text of a model file: indented by 2, ending in a newline. Bytes that are not UTF-8
/// (in a file or column name) are replaced rather than failing after a successful fit.
[[nodiscard]] inline std::string model_file_text(const nlohmann::ordered_json& j) {
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace emkit::cli
