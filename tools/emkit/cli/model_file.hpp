#pragma once
/// \file
/// The model file of the command line ("format": "emkit-model", "format_version": 1):
/// writing a fitted model with its summary and run settings, and loading it back.
///
///     const std::string text = emkit::cli::model_file_text(emkit::cli::model_json(*fit, summary, measures, how));
///     emkit::cli::loaded_model m = emkit::cli::load("model.json");
///     Eigen::VectorX<emkit::index> labels = m.model->predict(X);
///
/// Every family writes and reads its own part through its description; this file writes
/// the rest and finds the family by the file's "family" among the registered ones. A loaded
/// model predicts bit for bit as the fitted one: nlohmann::json writes every double with the
/// shortest text that reads back to the same double, and the derived quantities (Cholesky
/// factors, log-determinants, log rates, log probabilities) are rebuilt by the same library
/// functions the M-step used. Keys keep the order written (nlohmann::ordered_json) so that the
/// file reads top-down. A file that is not valid JSON, of another format or version, or with a
/// key missing, of the wrong type or shape, or out of range gives an `emkit::error` naming the
/// file and the key.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <emkit/cli/cli_files.hpp>
#include <emkit/cli/model.hpp>
#include <emkit/cli/model_reader.hpp>
#include <emkit/framework/engine/summary.hpp>

namespace emkit::cli {

/// The name and version written in every model file.
inline constexpr const char* model_format = "emkit-model";
inline constexpr int model_format_version = 1;

/// What a fit was asked to do and of which data: recorded beside the parameters so that a
/// model file says how to reproduce it.
struct fit_provenance {
  std::string data_file;                    ///< as given ("-" for standard input)
  std::vector<std::string> columns;         ///< the data's header; empty when it had none
  std::optional<std::string> weights_file;  ///< --weights, if given
  std::string init;                         ///< kmeans++, random, random-resp, given-means, given-labels or given-model
  std::optional<std::string> init_means_file;
  std::optional<std::string> init_labels_file;  ///< written only when given
  std::optional<std::string> init_model_file;   ///< written only when given
  int restarts = 1;
  std::uint64_t seed = 0;
  double tolerance = 0.0;
  int max_iterations = 0;
};

/// What the fitted model measures on its data, beyond the summary: N, and for K-means the
/// exact inertia (a pass over the data). `measure_fit` fills it.
struct fit_measures {
  index n_observations = 0;
  std::optional<double> inertia;  ///< K-means only
};

/// N and, for K-means, the inertia Σ_n w_n min_k ‖x_n − μ_k‖² of θ on X (chunks of 256 rows,
/// as `emkit::inertia`).
[[nodiscard]] fit_measures measure_fit(const fitted_model& m, matrix_ref X, vector_ref w);
/// The same of a streamed file, reading its chunks.
[[nodiscard]] fit_measures measure_fit(const fitted_model& m, const stream_file& data);

/// The information criteria of a fit: p free parameters, BIC = −2ℓ + p log Σw, AIC = −2ℓ + 2p,
/// with ℓ the summary's log-likelihood at the returned parameters.
struct information_criteria {
  std::size_t parameters = 0;
  double bic = 0.0;
  double aic = 0.0;
};

/// BIC and AIC of a fitted model from its fit's log-likelihood and total weight (N without
/// weights). For K-means ℓ is the log-likelihood of the fixed model (weights 1/K, covariance
/// σ²I) and p = K·D, the centres: `emkit::bic` of the same model and data.
[[nodiscard]] information_criteria criteria_of(const fitted_model& m, const summary& s);

/// The monitor's verdict: whether every check passed, and each violation.
[[nodiscard]] json monitor_json(const summary& s);
/// The warnings of a fit, each "restart r, iteration t: message".
[[nodiscard]] json warnings_json(const summary& s);

/// The model file of a fitted model. Keys, in order:
///
/// * format, format_version, emkit_version, family; the keys of the family's kind (its
///   description's `write_kind`); then k, dim;
/// * weights [K]; the family's components (`write_components`);
/// * log_likelihood; hard EM: classification_log_likelihood, inertia; iterations, converged,
///   n_parameters, bic, aic, seconds, n_observations, total_weight;
/// * the family's setting (`write_setting`);
/// * restarts, seed, tol, max_iter, init, init_means_file, data_file, weights_file, columns,
///   best_restart, restart_objectives, monitor {checks_passed, violations}, warnings.
///
/// Throws `invalid_option` for a K-means model whose `measures` lack the inertia.
[[nodiscard]] json model_json(const fitted_model& m, const summary& s, const fit_measures& measures,
                              const fit_provenance& how);

/// The text of a model file: indented by 2, ending in a newline. Bytes that are not UTF-8
/// (in a file or column name) are replaced rather than failing after a successful fit.
[[nodiscard]] std::string model_file_text(const json& j);

/// Writes the model file of a fitted model to `path` atomically (a temporary file, then a
/// rename). Throws `emkit::error` when it cannot be written.
void save(const std::string& path, const fitted_model& m, const summary& s, const fit_measures& measures,
          const fit_provenance& how);

/// A model file read back: the model with its parameters, the data's column names (empty
/// when the data had no header), and the whole document (for the fit's numbers and settings).
struct loaded_model {
  std::shared_ptr<const fitted_model> model;
  std::vector<std::string> columns;
  json document;
};

/// Parses and checks the text of a model file of one of `families`; `name` names it in
/// messages. Throws `emkit::error` "<name>: ..." for text that is not JSON (naming the line,
/// column and key), and "<name>: key "<key>": ..." for a file of another format or version or
/// family, a missing key, a value of the wrong type, shape or range, or parameters the
/// library rejects.
[[nodiscard]] loaded_model load_text(std::string_view text, const std::string& name, const family_list& families);
/// The same for the shipped families.
[[nodiscard]] loaded_model load_text(std::string_view text, const std::string& name);

/// Reads the model file `path` ("-": standard input); see `load_text`. Throws `data_error`
/// when the file cannot be read.
[[nodiscard]] loaded_model load(const std::string& path, const family_list& families);
[[nodiscard]] loaded_model load(const std::string& path);

/// The family name of a fitted model, as in its model file.
[[nodiscard]] std::string family_name(const fitted_model& m);
/// K, the number of components.
[[nodiscard]] inline index num_components(const fitted_model& m) { return m.num_components(); }
/// D, the number of columns the model was fitted to.
[[nodiscard]] inline index dimension(const fitted_model& m) { return m.dimension(); }

}  // namespace emkit::cli
