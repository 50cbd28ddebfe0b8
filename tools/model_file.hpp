#pragma once
/// \file
/// The model file of the command line ("format": "emkit-model", "format_version": 1):
/// writing a fitted model with its summary and run settings, and loading it back.
///
///     const std::string text = emkit::cli::model_file_text(emkit::cli::model_json(fit, summary, measures, how));
///     emkit::cli::loaded_model m = emkit::cli::load("model.json");
///     std::visit([&](const auto& f) { return emkit::predict(f.model, f.params, X); }, m.model);
///
/// A loaded model predicts bit for bit as the fitted one: nlohmann::json writes every double
/// with the shortest text that reads back to the same double, and the derived quantities
/// (Cholesky factors, log-determinants, log rates, log probabilities) are rebuilt by the same
/// library functions the M-step used (`gaussian_params::from`, `from_variances`,
/// `poisson_params::from`, `bernoulli_params::from`). Keys keep the order written below
/// (nlohmann::ordered_json) so that the file reads top-down. A file that is not valid JSON,
/// of another format or version, or with a key missing, of the wrong type or shape, or out of
/// range gives an `emkit::error` naming the file and the key.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <emkit/framework/engine/summary.hpp>
#include <emkit/framework/error.hpp>
#include <emkit/framework/io/atomic_file.hpp>
#include <emkit/models/bernoulli.hpp>
#include <emkit/models/gaussian.hpp>
#include <emkit/models/kmeans.hpp>
#include <emkit/models/mixture.hpp>
#include <emkit/models/poisson.hpp>
#include <emkit/models/product.hpp>
#include <emkit/version.hpp>

#include "cli_files.hpp"

namespace emkit::cli {

// ---- the models a file can hold -------------------------------------------------------------

/// `--family gaussian`.
using gaussian_mixture = mixture<gaussian>;
/// `--family poisson`.
using poisson_mixture = mixture<poisson>;
/// `--family bernoulli`.
using bernoulli_mixture = mixture<bernoulli>;
/// `--family kmeans`: `kmeans_model()`, fitted by hard EM.
using kmeans_mixture = mixture<fixed_spherical_gaussian>;
/// `--family product --columns ...`.
using product_mixture = mixture<mixed_product>;

/// A model and its fitted parameters θ.
template <class Model>
struct fitted {
  Model model;
  typename Model::params_type params;
};

/// Any model the command line fits, with its parameters; `std::visit` it to call the
/// library's generic functions (`predict`, `score_samples`, `sample`, ...).
using fitted_model = std::variant<fitted<gaussian_mixture>, fitted<poisson_mixture>, fitted<bernoulli_mixture>,
                                  fitted<kmeans_mixture>, fitted<product_mixture>>;

/// The name of a model's family in files and on the command line.
inline const char* family_name(const gaussian_mixture&) { return "gaussian"; }
inline const char* family_name(const poisson_mixture&) { return "poisson"; }
inline const char* family_name(const bernoulli_mixture&) { return "bernoulli"; }
inline const char* family_name(const kmeans_mixture&) { return "kmeans"; }
inline const char* family_name(const product_mixture&) { return "product"; }

/// The family name of a fitted model ("gaussian", "poisson", "bernoulli", "kmeans", "product").
[[nodiscard]] inline std::string family_name(const fitted_model& m) {
  return std::visit([](const auto& f) { return std::string(family_name(f.model)); }, m);
}

/// K, the number of components.
[[nodiscard]] inline index num_components(const fitted_model& m) {
  return std::visit([](const auto& f) { return f.params.size(); }, m);
}

/// D, the number of columns the model was fitted to.
[[nodiscard]] inline index dimension(const fitted_model& m) {
  return std::visit([](const auto& f) { return f.params.dimension; }, m);
}

// ---- the product's layout as text -----------------------------------------------------------

/// A block family's name in a layout: gaussian-full, gaussian-diag, gaussian-spherical,
/// gaussian-tied, poisson or bernoulli (the names `parse_product_layout` reads).
[[nodiscard]] inline std::string block_family_name(const mixed_product::family_variant& f) {
  if (const auto* g = std::get_if<gaussian>(&f)) return std::string("gaussian-") + to_string(g->covariance);
  if (std::holds_alternative<poisson>(f)) return "poisson";
  return "bernoulli";
}

/// One piece of a layout, "poisson:2-4" (or "poisson:3" for one column); columns are 0-based.
[[nodiscard]] inline std::string layout_piece(const mixed_product::block& b) {
  if (b.count == 1) return emkit::detail::concat(block_family_name(b.family), ":", b.first);
  return emkit::detail::concat(block_family_name(b.family), ":", b.first, "-", b.first + b.count - 1);
}

/// The layout as `--columns` takes it: "gaussian-diag:0-1,poisson:2-4,bernoulli:5-9".
[[nodiscard]] inline std::string layout_text(const mixed_product& p) {
  std::string out;
  for (const mixed_product::block& b : p.blocks) {
    if (!out.empty()) out += ',';
    out += layout_piece(b);
  }
  return out;
}

// ---- writing --------------------------------------------------------------------------------

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

/// What the fitted model measures on its data, beyond the summary: N, and for K-means the
/// exact inertia (a pass over the data, `emkit::inertia`). `measure_fit` fills it.
struct fit_measures {
  index n_observations = 0;
  std::optional<double> inertia;  ///< K-means only
};

/// N and, for K-means, the inertia Σ_n w_n min_k ‖x_n − μ_k‖² of θ on X.
[[nodiscard]] inline fit_measures measure_fit(const fitted_model& m, matrix_ref X, vector_ref w) {
  fit_measures out;
  out.n_observations = X.rows();
  if (const auto* km = std::get_if<fitted<kmeans_mixture>>(&m)) out.inertia = inertia(km->params, X, w);
  return out;
}

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
[[nodiscard]] inline information_criteria criteria_of(const fitted_model& m, const summary& s) {
  information_criteria c;
  c.parameters = std::visit([](const auto& f) { return f.model.num_free_parameters(f.params); }, m);
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

namespace file_detail {

/// "means" [K][D] and "covariances" [K][D][D] (full matrices whatever the type) into `j`.
inline void put_gaussian_components(nlohmann::ordered_json& j, std::span<const gaussian_params> components) {
  auto means = nlohmann::ordered_json::array();
  auto covariances = nlohmann::ordered_json::array();
  for (const gaussian_params& c : components) {
    means.push_back(json_array(c.mean));
    covariances.push_back(json_array(effective_covariance(c)));
  }
  j["means"] = std::move(means);
  j["covariances"] = std::move(covariances);
}

/// One row per component of `field(component)`, a vector of the component's parameters.
template <class Params, class Field>
[[nodiscard]] nlohmann::ordered_json rows_of(std::span<const Params> components, Field&& field) {
  auto out = nlohmann::ordered_json::array();
  for (const Params& c : components) out.push_back(json_array(Eigen::VectorXd(field(c))));
  return out;
}

/// Block b of the components of a product, as the block family's own parameters.
template <class P>
[[nodiscard]] std::vector<P> block_components(const product_mixture::params_type& theta, std::size_t b) {
  std::vector<P> out;
  out.reserve(theta.components.size());
  for (const auto& c : theta.components) out.push_back(std::get<P>(c.blocks[b]));
  return out;
}

/// The "blocks" array of a fitted product: per block its family, settings, columns and
/// parameters of every component.
[[nodiscard]] inline nlohmann::ordered_json product_blocks_json(const product_mixture& model,
                                                                const product_mixture::params_type& theta) {
  auto blocks = nlohmann::ordered_json::array();
  for (std::size_t b = 0; b < model.family.blocks.size(); ++b) {
    const mixed_product::block& blk = model.family.blocks[b];
    nlohmann::ordered_json j;
    if (const auto* g = std::get_if<gaussian>(&blk.family)) {
      j["family"] = "gaussian";
      j["covariance"] = to_string(g->covariance);
    } else {
      j["family"] = block_family_name(blk.family);
    }
    j["first_column"] = blk.first;
    j["last_column"] = blk.first + blk.count - 1;
    if (const auto* g = std::get_if<gaussian>(&blk.family)) {
      j["reg_covar"] = g->reg_covar;
      put_gaussian_components(j, block_components<gaussian_params>(theta, b));
    } else if (const auto* p = std::get_if<poisson>(&blk.family)) {
      j["rate_floor"] = p->rate_floor;
      j["rates"] = rows_of<poisson_params>(block_components<poisson_params>(theta, b),
                                           [](const poisson_params& c) { return c.rates; });
    } else {
      j["probability_floor"] = std::get<bernoulli>(blk.family).probability_floor;
      j["probabilities"] = rows_of<bernoulli_params>(block_components<bernoulli_params>(theta, b),
                                                     [](const bernoulli_params& c) { return c.probabilities; });
    }
    blocks.push_back(std::move(j));
  }
  return blocks;
}

}  // namespace file_detail

/// The model file of a fitted model. Keys, in order:
///
/// * format, format_version, emkit_version, family; gaussian: covariance; product: layout;
///   then k, dim;
/// * weights [K]; gaussian: means [K][D], covariances [K][D][D]; poisson: rates [K][D];
///   bernoulli: probabilities [K][D]; kmeans: centers [K][D]; product: blocks, each with
///   family (covariance), first_column, last_column, its setting and its parameters;
/// * log_likelihood; kmeans: classification_log_likelihood, inertia; iterations, converged,
///   n_parameters, bic, aic, seconds, n_observations, total_weight;
/// * the family's setting: gaussian reg_covar, poisson rate_floor, bernoulli
///   probability_floor, kmeans variance;
/// * restarts, seed, tol, max_iter, init, init_means_file, data_file, weights_file, columns,
///   best_restart, restart_objectives, monitor {checks_passed, violations}, warnings.
///
/// Throws `invalid_option` for a K-means model whose `measures` lack the inertia.
[[nodiscard]] inline nlohmann::ordered_json model_json(const fitted_model& m, const summary& s,
                                                       const fit_measures& measures, const fit_provenance& how) {
  const information_criteria ic = criteria_of(m, s);
  nlohmann::ordered_json j;
  j["format"] = model_format;
  j["format_version"] = model_format_version;
  j["emkit_version"] = version;
  j["family"] = family_name(m);
  nlohmann::ordered_json setting;  // the family's own setting, written after the fit's numbers
  std::visit(
      [&](const auto& f) {
        using M = std::remove_cvref_t<decltype(f.model)>;
        const auto& theta = f.params;
        if constexpr (std::is_same_v<M, gaussian_mixture>) j["covariance"] = to_string(f.model.family.covariance);
        if constexpr (std::is_same_v<M, product_mixture>) j["layout"] = layout_text(f.model.family);
        j["k"] = theta.size();
        j["dim"] = theta.dimension;
        j["weights"] = json_array(theta.weights);
        using P = typename M::component_params;
        const std::span<const P> components(theta.components);
        if constexpr (std::is_same_v<M, gaussian_mixture>) {
          file_detail::put_gaussian_components(j, components);
          setting["reg_covar"] = f.model.family.reg_covar;
        } else if constexpr (std::is_same_v<M, poisson_mixture>) {
          j["rates"] = file_detail::rows_of<P>(components, [](const P& c) { return c.rates; });
          setting["rate_floor"] = f.model.family.rate_floor;
        } else if constexpr (std::is_same_v<M, bernoulli_mixture>) {
          j["probabilities"] = file_detail::rows_of<P>(components, [](const P& c) { return c.probabilities; });
          setting["probability_floor"] = f.model.family.probability_floor;
        } else if constexpr (std::is_same_v<M, kmeans_mixture>) {
          j["centers"] = file_detail::rows_of<P>(components, [](const P& c) { return c.mean; });
          setting["variance"] = f.model.family.variance;
        } else {
          j["blocks"] = file_detail::product_blocks_json(f.model, theta);
        }
      },
      m);
  j["log_likelihood"] = s.log_likelihood;
  if (std::holds_alternative<fitted<kmeans_mixture>>(m)) {
    if (!measures.inertia) throw invalid_option("model_json: a K-means model needs its inertia (see measure_fit)");
    j["classification_log_likelihood"] = s.objective;
    j["inertia"] = *measures.inertia;
  }
  j["iterations"] = s.iterations;
  j["converged"] = s.converged;
  j["n_parameters"] = ic.parameters;
  j["bic"] = ic.bic;
  j["aic"] = ic.aic;
  j["seconds"] = s.seconds;
  j["n_observations"] = measures.n_observations;
  j["total_weight"] = s.total_weight;
  for (auto it = setting.begin(); it != setting.end(); ++it) j[it.key()] = it.value();
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

/// Writes the model file of a fitted model to `path` atomically (a temporary file, then a
/// rename). Throws `emkit::error` when it cannot be written.
inline void save(const std::string& path, const fitted_model& m, const summary& s, const fit_measures& measures,
                 const fit_provenance& how) {
  io::write_file_atomically(path, model_file_text(model_json(m, s, measures, how)));
}

// ---- reading --------------------------------------------------------------------------------

/// A model file read back: the model with its parameters, the data's column names (empty
/// when the data had no header), and the whole document (for the fit's numbers and settings).
struct loaded_model {
  fitted_model model;
  std::vector<std::string> columns;
  nlohmann::ordered_json document;
};

namespace file_detail {

using json = nlohmann::ordered_json;

/// Follows the key path of a parse so that a syntax error can name where it happened.
class json_path_tracker {
 public:
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  bool null() { return value(); }
  bool boolean(bool) { return value(); }
  bool number_integer(number_integer_t) { return value(); }
  bool number_unsigned(number_unsigned_t) { return value(); }
  bool number_float(number_float_t, const string_t&) { return value(); }
  bool string(string_t&) { return value(); }
  bool binary(binary_t&) { return value(); }
  bool start_object(std::size_t) {
    value();
    frames_.push_back({false, {}, 0, false});
    return true;
  }
  bool key(string_t& k) {
    // The key goes into a one-line message: control characters (a JSON "\n") become '?'.
    frames_.back().key = k;
    for (char& c : frames_.back().key) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) c = '?';
    }
    frames_.back().value_seen = false;
    return true;
  }
  bool end_object() {
    frames_.pop_back();
    return true;
  }
  bool start_array(std::size_t) {
    value();
    frames_.push_back({true, {}, 0, false});
    return true;
  }
  bool end_array() {
    frames_.pop_back();
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception&) {
    error_position_ = position;
    error_path_ = path();
    error_after_value_ = !frames_.empty() && !frames_.back().array && frames_.back().value_seen;
    return false;
  }

  /// The byte just past the error.
  [[nodiscard]] std::size_t error_position() const { return error_position_; }
  /// Where the error is: "(in key "means[1][0]")", "(after key "k")" when the text broke
  /// between an object's members, or "" at the top level.
  [[nodiscard]] std::string error_place() const {
    if (error_path_.empty()) return {};
    return (error_after_value_ ? " (after key \"" : " (in key \"") + error_path_ + "\")";
  }

 private:
  struct frame {
    bool array = false;
    std::string key;
    std::size_t started = 0;  ///< elements of an array started so far
    bool value_seen = false;  ///< an object's value for `key` has started
  };

  bool value() {
    if (!frames_.empty()) {
      ++frames_.back().started;
      frames_.back().value_seen = true;
    }
    return true;
  }

  /// "means[1][0]", "blocks[2].rates": the innermost array names the element being read
  /// (the next one), the others the element that holds it.
  [[nodiscard]] std::string path() const {
    std::string out;
    for (std::size_t i = 0; i < frames_.size(); ++i) {
      const frame& f = frames_[i];
      const bool innermost = i + 1 == frames_.size();
      if (f.array) {
        out += '[';
        out += std::to_string(innermost ? f.started : (f.started == 0 ? 0 : f.started - 1));
        out += ']';
      } else if (!f.key.empty() || !innermost) {
        if (!out.empty()) out += '.';
        out += f.key;
      }
    }
    return out;
  }

  std::vector<frame> frames_;
  std::size_t error_position_ = 0;
  std::string error_path_;
  bool error_after_value_ = false;
};

/// "an array of 3", "a string", ...: what a JSON value is, for messages.
[[nodiscard]] inline std::string describe_json(const json& j) {
  switch (j.type()) {
    case json::value_t::array:
      return "an array of " + std::to_string(j.size());
    case json::value_t::object:
      return "an object";
    case json::value_t::string: {
      std::string text = j.dump(-1, ' ', false, json::error_handler_t::replace);
      if (text.size() > 40) text = text.substr(0, 37) + "...";
      return "the string " + display_name(text);
    }
    case json::value_t::boolean:
      return j.get<bool>() ? "true" : "false";
    case json::value_t::null:
      return "null";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "the number " + j.dump();
    default:
      return "a binary value";
  }
}

/// Reads the values of a model file, naming the file and the key in every error.
class model_reader {
 public:
  explicit model_reader(std::string file) : file_(std::move(file)) {}

  /// Throws `emkit::error`: "<file>: key "<key>": <what>".
  [[noreturn]] void fail(std::string_view key, std::string_view what) const {
    throw error(emkit::detail::concat(file_, ": key \"", key, "\": ", what));
  }

  /// The member `name` of the object `parent`, whose key path is `path`.
  [[nodiscard]] const json& member(const json& parent, const std::string& name, const std::string& path) const {
    const auto it = parent.find(name);
    if (it == parent.end()) fail(path, "missing");
    return *it;
  }

  [[nodiscard]] std::string string(const json& parent, const std::string& name, const std::string& path) const {
    const json& j = member(parent, name, path);
    if (!j.is_string()) fail(path, "expected a string, found " + describe_json(j));
    return j.get<std::string>();
  }

  /// An integer in [low, high].
  [[nodiscard]] std::int64_t integer(const json& parent, const std::string& name, const std::string& path,
                                     std::int64_t low, std::int64_t high) const {
    const json& j = member(parent, name, path);
    if (!j.is_number_integer()) fail(path, "expected an integer, found " + describe_json(j));
    if (j.is_number_unsigned() && j.get<std::uint64_t>() > static_cast<std::uint64_t>(high)) {
      fail(path, emkit::detail::concat(j.dump(), " is out of range, expected an integer in [", low, ", ", high, "]"));
    }
    const std::int64_t v = j.get<std::int64_t>();
    if (v < low || v > high) {
      fail(path, emkit::detail::concat(v, " is out of range, expected an integer in [", low, ", ", high, "]"));
    }
    return v;
  }

  /// A finite number.
  [[nodiscard]] double number(const json& parent, const std::string& name, const std::string& path) const {
    return finite(member(parent, name, path), path);
  }

  /// `rows` rows of `cols` numbers.
  [[nodiscard]] Eigen::MatrixXd matrix(const json& parent, const std::string& name, const std::string& path, index rows,
                                       index cols) const {
    return matrix_at(member(parent, name, path), path, rows, cols, "");
  }

  /// `n` numbers.
  [[nodiscard]] Eigen::VectorXd vector(const json& parent, const std::string& name, const std::string& path,
                                       index n) const {
    const json& j = member(parent, name, path);
    const std::string expected = "expected " + counted(n, "number");
    if (!j.is_array() || static_cast<index>(j.size()) != n) fail(path, expected + ", found " + describe_json(j));
    Eigen::VectorXd v(n);
    for (index i = 0; i < n; ++i) v[i] = finite(j[static_cast<std::size_t>(i)], element(path, {i}));
    return v;
  }

  /// `count` matrices of `rows` rows of `cols` numbers.
  [[nodiscard]] std::vector<Eigen::MatrixXd> matrices(const json& parent, const std::string& name,
                                                      const std::string& path, index count, index rows,
                                                      index cols) const {
    const json& j = member(parent, name, path);
    const std::string each = counted(rows, "row") + " of " + counted(cols, "number");
    if (!j.is_array() || static_cast<index>(j.size()) != count) {
      fail(path, "expected " + counted(count, "matri" + std::string(count == 1 ? "x" : "ce")) + " of " + each +
                     ", found " + describe_json(j));
    }
    std::vector<Eigen::MatrixXd> out;
    out.reserve(static_cast<std::size_t>(count));
    for (index k = 0; k < count; ++k) {
      out.push_back(matrix_at(j[static_cast<std::size_t>(k)], path, rows, cols, emkit::detail::concat("[", k, "]")));
    }
    return out;
  }

  /// "means[1][2]".
  [[nodiscard]] static std::string element(const std::string& path, std::initializer_list<index> at) {
    std::string out = path;
    for (index i : at) {
      out += '[';
      out += std::to_string(i);
      out += ']';
    }
    return out;
  }

 private:
  [[nodiscard]] double finite(const json& j, const std::string& path) const {
    if (!j.is_number()) fail(path, "expected a number, found " + describe_json(j));
    const double v = j.get<double>();
    if (!std::isfinite(v)) fail(path, "expected a finite number, found " + j.dump());
    return v;
  }

  /// The matrix `j`; `where` ("[k]") places it within the key `path` for messages.
  [[nodiscard]] Eigen::MatrixXd matrix_at(const json& j, const std::string& path, index rows, index cols,
                                          const std::string& where) const {
    const std::string expected = "expected " + counted(rows, "row") + " of " + counted(cols, "number");
    const std::string at = path + where;
    if (!j.is_array() || static_cast<index>(j.size()) != rows) fail(at, expected + ", found " + describe_json(j));
    // Every row's length before the rows×cols allocation: the sizes come from the file.
    for (index i = 0; i < rows; ++i) {
      const json& row = j[static_cast<std::size_t>(i)];
      if (!row.is_array() || static_cast<index>(row.size()) != cols) {
        fail(at, emkit::detail::concat(expected, ", found row ", i, " ", describe_json(row)));
      }
    }
    Eigen::MatrixXd m(rows, cols);
    for (index i = 0; i < rows; ++i) {
      const json& row = j[static_cast<std::size_t>(i)];
      for (index d = 0; d < cols; ++d) m(i, d) = finite(row[static_cast<std::size_t>(d)], element(at, {i, d}));
    }
    return m;
  }

  std::string file_;
};

/// A library error while rebuilding parameters, as "<file>: key "<key>": <message>".
template <class Fn>
auto rebuild(const model_reader& r, const std::string& path, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const error& e) {
    r.fail(path, e.what());
  }
}

/// The mixing weights: K finite numbers ≥ 0 summing to 1 (to 1e-9).
[[nodiscard]] inline Eigen::VectorXd read_weights(const model_reader& r, const json& doc, index K) {
  const Eigen::VectorXd w = r.vector(doc, "weights", "weights", K);
  for (index k = 0; k < K; ++k) {
    if (!(w[k] >= 0))
      r.fail(model_reader::element("weights", {k}), emkit::detail::concat(number_text(w[k]), " is negative"));
  }
  if (!(std::abs(w.sum() - 1.0) <= 1e-9)) {
    r.fail("weights", emkit::detail::concat("sum to ", number_text(w.sum()), ", expected 1"));
  }
  return w;
}

/// K Gaussian components from "means" [K][D] and "covariances" [K][D][D] of `obj` (key paths
/// prefixed by `prefix`), rebuilt as the M-step builds them: `from_variances` on the diagonal
/// for diag and spherical, `from` on the full matrix for full and tied. The matrices must
/// have the type's shape exactly (symmetric; diagonal; equal variances; one shared matrix).
[[nodiscard]] inline std::vector<gaussian_params> read_gaussian_components(const model_reader& r, const json& obj,
                                                                           const std::string& prefix,
                                                                           covariance_type type, index K, index D) {
  const std::string means_key = prefix + "means", cov_key = prefix + "covariances";
  const Eigen::MatrixXd means = r.matrix(obj, "means", means_key, K, D);
  const std::vector<Eigen::MatrixXd> covs = r.matrices(obj, "covariances", cov_key, K, D, D);
  const char* type_name = to_string(type);
  std::vector<gaussian_params> out;
  out.reserve(static_cast<std::size_t>(K));
  for (index k = 0; k < K; ++k) {
    const Eigen::MatrixXd& S = covs[static_cast<std::size_t>(k)];
    const std::string at = model_reader::element(cov_key, {k});
    for (index i = 0; i < D; ++i) {
      for (index j = 0; j < i; ++j) {
        if (S(i, j) != S(j, i)) {
          r.fail(at, emkit::detail::concat("is not symmetric: entry [", i, "][", j, "] = ", number_text(S(i, j)),
                                           " but [", j, "][", i, "] = ", number_text(S(j, i))));
        }
        if (S(i, j) != 0.0 && (type == covariance_type::diagonal || type == covariance_type::spherical)) {
          r.fail(at, emkit::detail::concat("entry [", i, "][", j, "] = ", number_text(S(i, j)),
                                           ", expected 0 for covariance ", type_name, " (a diagonal matrix)"));
        }
      }
      if (type == covariance_type::spherical && S(i, i) != S(0, 0)) {
        r.fail(at, emkit::detail::concat("variance [", i, "][", i, "] = ", number_text(S(i, i)),
                                         " differs from [0][0] = ", number_text(S(0, 0)),
                                         ", expected equal variances for covariance spherical"));
      }
    }
    if (type == covariance_type::tied && k > 0 && S != covs[0]) {
      r.fail(at, "differs from component 0, expected one shared matrix for covariance tied");
    }
    Eigen::VectorXd mean = means.row(k).transpose();
    out.push_back(rebuild(r, at, [&] {
      if (type == covariance_type::diagonal || type == covariance_type::spherical) {
        return gaussian_params::from_variances(std::move(mean), S.diagonal());
      }
      return gaussian_params::from(std::move(mean), S);
    }));
  }
  return out;
}

/// K rows of D numbers of `obj[name]`, each rebuilt into a component by `make`.
template <class P, class Make>
[[nodiscard]] std::vector<P> read_rows(const model_reader& r, const json& obj, const std::string& name,
                                       const std::string& path, index K, index D, Make&& make) {
  const Eigen::MatrixXd rows = r.matrix(obj, name, path, K, D);
  std::vector<P> out;
  out.reserve(static_cast<std::size_t>(K));
  for (index k = 0; k < K; ++k) {
    out.push_back(
        rebuild(r, model_reader::element(path, {k}), [&] { return make(Eigen::VectorXd(rows.row(k).transpose())); }));
  }
  return out;
}

/// A covariance type's name in a file ("full", "diag", "spherical", "tied").
[[nodiscard]] inline covariance_type read_covariance_type(const model_reader& r, const json& obj,
                                                          const std::string& path) {
  const std::string name = r.string(obj, "covariance", path);
  if (name == "full" || name == "diag" || name == "spherical" || name == "tied") return parse_covariance_type(name);
  r.fail(path, "\"" + display_name(name) + "\" is unknown, expected full, diag, spherical or tied");
}

/// The family's own setting: a finite number that its `validate()` (or `check`) accepts.
template <class Check>
[[nodiscard]] double read_setting(const model_reader& r, const json& obj, const std::string& name,
                                  const std::string& path, Check&& check) {
  const double v = r.number(obj, name, path);
  rebuild(r, path, [&] {
    check(v);
    return 0;
  });
  return v;
}

[[nodiscard]] inline double read_reg_covar(const model_reader& r, const json& obj, const std::string& path) {
  return read_setting(r, obj, "reg_covar", path,
                      [](double v) { check_option(v >= 0, "gaussian", "reg_covar", v, "a finite number >= 0"); });
}

[[nodiscard]] inline double read_rate_floor(const model_reader& r, const json& obj, const std::string& path) {
  return read_setting(r, obj, "rate_floor", path, [](double v) { poisson{.rate_floor = v}.validate(); });
}

[[nodiscard]] inline double read_probability_floor(const model_reader& r, const json& obj, const std::string& path) {
  return read_setting(r, obj, "probability_floor", path,
                      [](double v) { bernoulli{.probability_floor = v}.validate(); });
}

/// The product of a file's "blocks": each block's family, columns, setting and parameters
/// of the K components. The blocks must tile the D columns.
[[nodiscard]] inline fitted<product_mixture> read_product(const model_reader& r, const json& doc, index K, index D) {
  const json& blocks = r.member(doc, "blocks", "blocks");
  if (!blocks.is_array() || blocks.empty()) {
    r.fail("blocks", "expected a non-empty array of blocks, found " + describe_json(blocks));
  }
  fitted<product_mixture> out;
  // K comes from the file: check it against the K weights the file holds before allocating K
  // components (a 200-byte file may say k = 2^31).
  out.params.weights = read_weights(r, doc, K);
  out.params.components.resize(static_cast<std::size_t>(K));
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    const json& blk = blocks[b];
    const std::string prefix = emkit::detail::concat("blocks[", b, "].");
    if (!blk.is_object())
      r.fail(emkit::detail::concat("blocks[", b, "]"), "expected an object, found " + describe_json(blk));
    const std::string family = r.string(blk, "family", prefix + "family");
    const index first = r.integer(blk, "first_column", prefix + "first_column", 0, D - 1);
    const index last = r.integer(blk, "last_column", prefix + "last_column", first, D - 1);
    const index count = last - first + 1;
    mixed_product::block block{poisson{}, first, count};
    if (family == "gaussian") {
      const covariance_type type = read_covariance_type(r, blk, prefix + "covariance");
      const gaussian g{.covariance = type, .reg_covar = read_reg_covar(r, blk, prefix + "reg_covar")};
      block.family = g;
      const std::vector<gaussian_params> ps = read_gaussian_components(r, blk, prefix, type, K, count);
      for (index k = 0; k < K; ++k)
        out.params.components[k].blocks.emplace_back(std::in_place_type<gaussian_params>, ps[k]);
    } else if (family == "poisson") {
      block.family = poisson{.rate_floor = read_rate_floor(r, blk, prefix + "rate_floor")};
      const auto ps = read_rows<poisson_params>(r, blk, "rates", prefix + "rates", K, count,
                                                [](Eigen::VectorXd v) { return poisson_params::from(std::move(v)); });
      for (index k = 0; k < K; ++k)
        out.params.components[k].blocks.emplace_back(std::in_place_type<poisson_params>, ps[k]);
    } else if (family == "bernoulli") {
      block.family = bernoulli{.probability_floor = read_probability_floor(r, blk, prefix + "probability_floor")};
      const auto ps =
          read_rows<bernoulli_params>(r, blk, "probabilities", prefix + "probabilities", K, count,
                                      [](Eigen::VectorXd v) { return bernoulli_params::from(std::move(v)); });
      for (index k = 0; k < K; ++k)
        out.params.components[k].blocks.emplace_back(std::in_place_type<bernoulli_params>, ps[k]);
    } else {
      r.fail(prefix + "family", "\"" + display_name(family) + "\" is unknown, expected gaussian, poisson or bernoulli");
    }
    out.model.family.blocks.push_back(std::move(block));
  }
  rebuild(r, "blocks", [&] {
    out.model.family.validate_layout(D);
    return 0;
  });
  return out;
}

/// The parameters and model of a parsed model file.
[[nodiscard]] inline fitted_model read_model(const model_reader& r, const json& doc) {
  if (!doc.is_object()) {
    throw error(emkit::detail::concat(
        "not an emkit model file: expected a JSON object with \"format\": \"emkit-model\", found ",
        describe_json(doc)));
  }
  const std::string format = r.string(doc, "format", "format");
  if (format != model_format) {
    r.fail("format", "\"" + display_name(format) + "\" is not an emkit model file, expected \"emkit-model\"");
  }
  const json& version_json = r.member(doc, "format_version", "format_version");
  if (!version_json.is_number_integer() || version_json.get<std::int64_t>() != model_format_version) {
    r.fail("format_version", emkit::detail::concat(version_json.dump(), " is not supported, expected ",
                                                   model_format_version, " (this is emkit ", version, ")"));
  }
  const std::string family = r.string(doc, "family", "family");
  constexpr std::int64_t max_size = std::int64_t{1} << 31;
  const index K = r.integer(doc, "k", "k", 1, max_size);
  const index D = r.integer(doc, "dim", "dim", 1, max_size);

  auto finish = [&](auto&& f) -> fitted_model {
    f.params.weights = read_weights(r, doc, K);
    f.params.dimension = D;
    return std::move(f);
  };
  if (family == "gaussian") {
    fitted<gaussian_mixture> f;
    f.model.family.covariance = read_covariance_type(r, doc, "covariance");
    f.model.family.reg_covar = read_reg_covar(r, doc, "reg_covar");
    f.params.components = read_gaussian_components(r, doc, "", f.model.family.covariance, K, D);
    return finish(f);
  }
  if (family == "poisson") {
    fitted<poisson_mixture> f;
    f.model.family.rate_floor = read_rate_floor(r, doc, "rate_floor");
    f.params.components = read_rows<poisson_params>(
        r, doc, "rates", "rates", K, D, [](Eigen::VectorXd v) { return poisson_params::from(std::move(v)); });
    return finish(f);
  }
  if (family == "bernoulli") {
    fitted<bernoulli_mixture> f;
    f.model.family.probability_floor = read_probability_floor(r, doc, "probability_floor");
    f.params.components =
        read_rows<bernoulli_params>(r, doc, "probabilities", "probabilities", K, D,
                                    [](Eigen::VectorXd v) { return bernoulli_params::from(std::move(v)); });
    return finish(f);
  }
  if (family == "kmeans") {
    fitted<kmeans_mixture> f;
    const double variance = read_setting(r, doc, "variance", "variance",
                                         [](double v) { fixed_spherical_gaussian{.variance = v}.validate(); });
    f.model = kmeans_model(variance);
    f.params.components = read_rows<fixed_spherical_gaussian_params>(
        r, doc, "centers", "centers", K, D,
        [](Eigen::VectorXd v) { return fixed_spherical_gaussian_params{std::move(v)}; });
    fitted_model out = finish(f);
    // K-means weights are fixed at 1/K: a file with others would predict with weights the
    // model says it does not have.
    const Eigen::VectorXd& w = std::get<fitted<kmeans_mixture>>(out).params.weights;
    const double uniform = 1.0 / static_cast<double>(K);
    for (index k = 0; k < K; ++k) {
      if (!(std::abs(w[k] - uniform) <= 1e-12)) {
        r.fail(model_reader::element("weights", {k}),
               emkit::detail::concat(number_text(w[k]), ", expected 1/K = ", number_text(uniform),
                                     " (K-means weights are fixed)"));
      }
    }
    return out;
  }
  if (family == "product") {
    fitted<product_mixture> f = read_product(r, doc, K, D);  // has read the weights
    f.params.dimension = D;
    return f;
  }
  r.fail("family",
         "\"" + display_name(family) + "\" is unknown, expected gaussian, poisson, bernoulli, kmeans or product");
}

/// A parse error of nlohmann::json without its "[json.exception.parse_error.101] " prefix.
[[nodiscard]] inline std::string json_error_text(const std::exception& e) {
  std::string_view text = e.what();
  if (text.starts_with("[json.exception.")) {
    if (const std::size_t end = text.find("] "); end != std::string_view::npos) text.remove_prefix(end + 2);
  }
  return std::string(text);
}

/// "line 3, column 7" of the byte `position` of `text` (1-based; the position just past the
/// error, as nlohmann reports it).
[[nodiscard]] inline std::string text_position(std::string_view text, std::size_t position) {
  position = std::min(position, text.size());
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i + 1 < position; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return emkit::detail::concat("line ", line, ", column ", column);
}

}  // namespace file_detail

/// Parses and checks the text of a model file; `name` names it in messages. Throws
/// `emkit::error` "<name>: ..." for text that is not JSON (naming the line, column and key),
/// and "<name>: key "<key>": ..." for a file of another format or version, a missing key,
/// a value of the wrong type, shape or range, or parameters the library rejects.
[[nodiscard]] inline loaded_model load_text(std::string_view text, const std::string& name) {
  const std::string file = display_name(name);
  const file_detail::model_reader r(file);
  file_detail::json doc;
  try {
    doc = file_detail::json::parse(text);
  } catch (const file_detail::json::exception& e) {
    // Parse again, following the keys, to say where the text broke.
    file_detail::json_path_tracker tracker;
    (void)file_detail::json::sax_parse(text, &tracker);
    std::string what = file_detail::json_error_text(e);
    if (what.find(" at line ") == std::string::npos)
      what += " at " + file_detail::text_position(text, tracker.error_position());
    throw error(file + ": not valid JSON" + tracker.error_place() + ": " + what);
  }
  loaded_model out;
  try {
    out.model = file_detail::read_model(r, doc);
  } catch (const error& e) {
    const std::string what = e.what();
    if (what.starts_with(file + ": ")) throw;
    throw error(file + ": " + what);
  }
  if (const auto it = doc.find("columns"); it != doc.end() && !it->is_null()) {
    const index D = dimension(out.model);
    if (!it->is_array() || !(it->empty() || static_cast<index>(it->size()) == D)) {
      r.fail("columns", "expected no names or " + counted(D, "name") + ", found " + file_detail::describe_json(*it));
    }
    for (std::size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_string()) {
        r.fail(emkit::detail::concat("columns[", i, "]"),
               "expected a string, found " + file_detail::describe_json((*it)[i]));
      }
      out.columns.push_back((*it)[i].get<std::string>());
    }
  }
  out.document = std::move(doc);
  return out;
}

/// Reads the model file `path` ("-": standard input); see `load_text`. Throws `data_error`
/// when the file cannot be read.
[[nodiscard]] inline loaded_model load(const std::string& path) { return load_text(read_file_text(path), path); }

}  // namespace emkit::cli
