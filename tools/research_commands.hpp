#pragma once
/// \file
/// `emkit predict`, `emkit score`, `emkit sample` and `emkit info`: what a saved model file
/// answers. Each loads the model with `load` (model_file.hpp), reads the data with
/// `read_data` (CSV or .npy, cli_files.hpp), checks its columns and support as `fit` does
/// (`check_support`, fit_command.hpp) and calls the library (predict.hpp, `emkit::sample`).
/// Nothing is printed to standard output and no file is written unless the command succeeds.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include <CLI/CLI.hpp>
#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <emkit/emkit.hpp>
#include <emkit/framework/io/atomic_file.hpp>

#include "cli_files.hpp"
#include "fit_command.hpp"
#include "model_file.hpp"
#include "model_report.hpp"

namespace emkit::cli {

/// The value of `--delimiter`: one character, or "tab" / "\t" for a tab.
[[nodiscard]] inline io::csv_options csv_options_of(const std::string& delimiter) {
  io::csv_options options;
  if (delimiter == "tab" || delimiter == "\\t") {
    options.delimiter = '\t';
  } else if (delimiter.size() == 1) {
    options.delimiter = delimiter[0];
  } else {
    throw usage_error("--delimiter " + display_name(delimiter) + ": expected a single character (or 'tab')");
  }
  try {
    options.validate();
  } catch (const invalid_option&) {
    throw usage_error("--delimiter " + display_name(delimiter) +
                      ": cannot separate numbers (a letter, a digit, one of .+- or a control character)");
  }
  return options;
}

/// `v` with round-trip precision ("%.17g").
[[nodiscard]] inline std::string full_precision(double v) {
  char text[64];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

/// A loaded model and data read to match it: the column count checked against the model's
/// D, the values against the family's support (messages as `fit` gives them).
struct model_and_data {
  loaded_model model;
  data_file data;
};

/// Loads `model_path`, reads `data_path` with `delimiter`, and checks that they fit together.
[[nodiscard]] inline model_and_data load_model_and_data(const std::string& model_path, const std::string& data_path,
                                                        const std::string& delimiter) {
  const io::csv_options options = csv_options_of(delimiter);
  if (model_path == "-" && data_path == "-") {
    throw usage_error("standard input ('-') can be read by only one of MODEL and DATA");
  }
  model_and_data out{load(model_path), read_data(data_path, options)};
  const index D = dimension(out.model.model);
  const index columns = out.data.table.values.cols();
  if (columns != D) {
    throw data_error(detail::concat(display_name(data_path), ": has ", counted(columns, "column"), ", but the model ",
                                    display_name(model_path), " has D = ", D, " (it was fitted to ",
                                    counted(D, "column"), ")"));
  }
  std::visit([&](const auto& f) { check_support(f.model, out.data); }, out.model.model);
  return out;
}

// ---- predict ----------------------------------------------------------------------------------

struct predict_args {
  std::string model;
  std::string data;
  std::string delimiter = ",";
  bool proba = false;
};

inline CLI::App* add_predict_command(CLI::App& app, predict_args& a) {
  CLI::App* c = app.add_subcommand("predict", "Print the most probable component of each row of DATA");
  c->add_option("MODEL", a.model, "Model file written by emkit fit ('-': standard input)")->required();
  c->add_option("DATA", a.data, "CSV or .npy file of observations ('-': standard input)")->required();
  c->add_flag("--proba", a.proba, "Print the posterior probabilities instead: one CSV row of K columns per row");
  c->add_option("--delimiter", a.delimiter, "CSV delimiter (one character, or 'tab')")->capture_default_str();
  return c;
}

inline void run_predict_command(const predict_args& a, std::ostream& out) {
  const model_and_data md = load_model_and_data(a.model, a.data, a.delimiter);
  const matrix_ref X = md.data.table.values;
  std::string text;
  std::visit(
      [&](const auto& f) {
        if (a.proba) {
          const Eigen::MatrixXd R = predict_proba(f.model, f.params, X);
          for (index n = 0; n < R.rows(); ++n) {
            for (index k = 0; k < R.cols(); ++k) {
              if (k > 0) text += ',';
              text += full_precision(R(n, k));
            }
            text += '\n';
          }
        } else {
          const Eigen::VectorX<index> labels = predict(f.model, f.params, X);
          for (index n = 0; n < labels.size(); ++n) text += std::to_string(labels[n]) + '\n';
        }
      },
      md.model.model);
  out << text;
  out.flush();
}

// ---- score ------------------------------------------------------------------------------------

struct score_args {
  std::string model;
  std::string data;
  std::string delimiter = ",";
  std::optional<double> threshold;
  std::optional<double> quantile;
};

inline CLI::App* add_score_command(CLI::App& app, score_args& a) {
  CLI::App* c = app.add_subcommand("score", "Print log p(x | model) of each row of DATA; optionally flag anomalies");
  c->add_option("MODEL", a.model, "Model file written by emkit fit ('-': standard input)")->required();
  c->add_option("DATA", a.data, "CSV or .npy file of observations ('-': standard input)")->required();
  CLI::Option* t = c->add_option("--threshold", a.threshold,
                                 "Flag rows whose log density is below T (a second column, 0 or 1)");
  c->add_option("--quantile", a.quantile,
                "Flag rows whose log density is below the Q-quantile of the scores (0 <= Q <= 1)")
      ->excludes(t);
  c->add_option("--delimiter", a.delimiter, "CSV delimiter (one character, or 'tab')")->capture_default_str();
  return c;
}

/// The q-quantile of `v` by linear interpolation between order statistics (NumPy's default).
[[nodiscard]] inline double quantile_of(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double position = q * static_cast<double>(v.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, v.size() - 1);
  const double fraction = position - static_cast<double>(below);
  return fraction == 0.0 ? v[below] : v[below] + fraction * (v[above] - v[below]);
}

inline void run_score_command(const score_args& a, std::ostream& out, std::ostream& err) {
  if (a.threshold && !std::isfinite(*a.threshold)) {
    throw usage_error("--threshold " + number_text(*a.threshold) + ": expected a finite number");
  }
  if (a.quantile && !(*a.quantile >= 0.0 && *a.quantile <= 1.0)) {
    throw usage_error("--quantile " + number_text(*a.quantile) + ": expected a number in [0, 1]");
  }
  const model_and_data md = load_model_and_data(a.model, a.data, a.delimiter);
  const Eigen::VectorXd s =
      std::visit([&](const auto& f) { return score_samples(f.model, f.params, md.data.table.values); }, md.model.model);
  std::optional<double> threshold = a.threshold;
  if (a.quantile) threshold = quantile_of(std::vector<double>(s.data(), s.data() + s.size()), *a.quantile);
  std::string text;
  index flagged = 0;
  for (index n = 0; n < s.size(); ++n) {
    text += full_precision(s[n]);
    if (threshold) {
      const bool anomaly = s[n] < *threshold;
      flagged += anomaly;
      text += anomaly ? ",1" : ",0";
    }
    text += '\n';
  }
  out << text;
  out.flush();
  if (threshold) {
    err << "emkit: " << flagged << " of " << counted(s.size(), "observation") << " flagged (log density below "
        << full_precision(*threshold) << ")" << std::endl;
  }
}

// ---- sample -----------------------------------------------------------------------------------

struct sample_args {
  std::string model;
  std::int64_t n = -1;
  std::uint64_t seed = 0;
  bool labels = false;
  std::string output;
};

inline CLI::App* add_sample_command(CLI::App& app, sample_args& a) {
  CLI::App* c = app.add_subcommand("sample", "Draw observations from a model file (CSV)");
  c->add_option("MODEL", a.model, "Model file written by emkit fit ('-': standard input)")->required();
  c->add_option("-n", a.n, "Number of draws (>= 0)")->required();
  c->add_option("--seed", a.seed, "Seed; the same seed gives the same draws")
      ->capture_default_str()
      ->check(unsigned_64_validator());
  c->add_flag("--labels", a.labels, "Add the component of each draw as a last column");
  c->add_option("-o,--output", a.output, "Write the draws to this file (atomically) instead of standard output");
  return c;
}

inline void run_sample_command(const sample_args& a, std::ostream& out) {
  if (a.n < 0) throw usage_error(detail::concat("-n ", a.n, ": expected at least 0"));
  if (!a.output.empty()) {
    check_output_path("-o", a.output);
    if (same_file(a.output, a.model)) {
      throw usage_error("-o " + display_name(a.output) + ": would overwrite the input file " + display_name(a.model));
    }
  }
  const loaded_model m = load(a.model);
  const mixture_draws draws = std::visit(
      [&](const auto& f) { return emkit::sample(f.model, f.params, static_cast<index>(a.n), a.seed); }, m.model);
  std::string text;
  if (!m.columns.empty()) {
    for (std::size_t d = 0; d < m.columns.size(); ++d) text += (d > 0 ? "," : "") + m.columns[d];
    text += a.labels ? ",label\n" : "\n";
  }
  for (index n = 0; n < draws.X.rows(); ++n) {
    for (index d = 0; d < draws.X.cols(); ++d) {
      if (d > 0) text += ',';
      text += full_precision(draws.X(n, d));
    }
    if (a.labels) text += "," + std::to_string(draws.labels[n]);
    text += '\n';
  }
  if (a.output.empty()) {
    out << text;
    out.flush();
  } else {
    io::write_file_atomically(a.output, text);
  }
}

// ---- info -------------------------------------------------------------------------------------

struct info_args {
  std::string model;
  bool json = false;
};

inline CLI::App* add_info_command(CLI::App& app, info_args& a) {
  CLI::App* c = app.add_subcommand("info", "Describe a model file");
  c->add_option("MODEL", a.model, "Model file written by emkit fit ('-': standard input)")->required();
  c->add_flag("--json", a.json, "Print the summary as JSON");
  return c;
}

/// The summary `info` prints: family, K, D, layout, the fit's numbers and the weights.
[[nodiscard]] inline nlohmann::ordered_json info_json(const loaded_model& m) {
  nlohmann::ordered_json j;
  const nlohmann::ordered_json& doc = m.document;
  const auto number = [&](const char* key) -> nlohmann::ordered_json {
    return doc.contains(key) ? doc[key] : nlohmann::ordered_json(nullptr);
  };
  j["family"] = family_name(m.model);
  j["k"] = num_components(m.model);
  j["dim"] = dimension(m.model);
  j["layout"] = std::visit(
      [](const auto& f) -> nlohmann::ordered_json {
        using M = std::remove_cvref_t<decltype(f.model)>;
        if constexpr (std::is_same_v<M, gaussian_mixture>) return to_string(f.model.family.covariance);
        if constexpr (std::is_same_v<M, product_mixture>) return layout_text(f.model.family);
        return nullptr;
      },
      m.model);
  j["log_likelihood"] = number("log_likelihood");
  j["bic"] = number("bic");
  j["aic"] = number("aic");
  j["n_parameters"] = number("n_parameters");
  j["n_observations"] = number("n_observations");
  j["converged"] = number("converged");
  j["iterations"] = number("iterations");
  j["weights"] = std::visit([](const auto& f) { return json_array(f.params.weights); }, m.model);
  j["columns"] = m.columns;
  return j;
}

inline void run_info_command(const info_args& a, std::ostream& out) {
  const loaded_model m = load(a.model);
  const nlohmann::ordered_json j = info_json(m);
  if (a.json) {
    out << j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << '\n';
    out.flush();
    return;
  }
  std::string text = "model file: " + display_name(a.model) + "\n";
  text += "family: " + j["family"].get<std::string>() + "\n";
  text += "K: " + std::to_string(j["k"].get<index>()) + "\nD: " + std::to_string(j["dim"].get<index>()) + "\n";
  if (!j["layout"].is_null()) text += "layout: " + j["layout"].get<std::string>() + "\n";
  const auto line = [&](const char* label, const char* key) {
    if (j[key].is_number()) text += std::string(label) + ": " + full_precision(j[key].get<double>()) + "\n";
  };
  line("log-likelihood", "log_likelihood");
  line("BIC", "bic");
  line("AIC", "aic");
  if (j["converged"].is_boolean()) text += std::string("converged: ") + (j["converged"].get<bool>() ? "yes" : "no") + "\n";
  if (j["iterations"].is_number()) text += "iterations: " + std::to_string(j["iterations"].get<long long>()) + "\n";
  text += "weights:";
  for (const auto& w : j["weights"]) text += " " + full_precision(w.get<double>());
  text += "\n" + describe_model(m.model, m.columns);
  out << text;
  out.flush();
}

// ---- fit --quiet / --json ----------------------------------------------------------------------

/// `fit --json`: the summary of the model file just written (as `info --json`), with its path
/// and the fit's seconds, N, restarts and monitor verdict.
[[nodiscard]] inline std::string fit_json_text(const std::string& model_path) {
  const loaded_model m = load(model_path);
  nlohmann::ordered_json j;
  j["model_file"] = model_path;
  const nlohmann::ordered_json info = info_json(m);
  for (auto it = info.begin(); it != info.end(); ++it) j[it.key()] = it.value();
  for (const char* key : {"seconds", "total_weight", "restarts", "best_restart", "restart_objectives"}) {
    if (m.document.contains(key)) j[key] = m.document[key];
  }
  if (m.document.contains("monitor")) j["checks_passed"] = m.document["monitor"].value("checks_passed", false);
  if (m.document.contains("warnings")) j["warnings"] = m.document["warnings"];
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace emkit::cli
