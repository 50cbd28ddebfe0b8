/// \file
/// `emkit predict`, `score`, `sample` and `info` (see <emkit/cli/research_commands.hpp>).

#include <emkit/cli/research_commands.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include <emkit/cli/fit_command.hpp>
#include <emkit/cli/model_file.hpp>
#include <emkit/framework/io/atomic_file.hpp>
#include <emkit/models/mixture.hpp>

namespace emkit::cli {

void check_support(const fitted_model& model, const data_file& data) {
  const matrix_ref X = data.table.values;
  const std::string name = display_name(data.path);
  try {
    model.validate_data(X);
  } catch (const data_error& e) {
    const auto& at = e.entry();
    if (!at || at->row < 0 || at->row >= X.rows() || at->column < 0 || at->column >= X.cols()) {
      throw data_error(name + ": " + e.what());
    }
    throw data_error(detail::concat(name, ": line ", data.line_of(at->row), ", column ", at->column + 1, ": ",
                                    number_text(at->value), " is not ", e.expected(), " ",
                                    model.support_note(at->column)));
  } catch (const error& e) {
    throw data_error(name + ": " + e.what());
  }
}

/// The value of `--delimiter`: one character, or "tab" / "\t" for a tab.
io::csv_options csv_options_of(const std::string& delimiter) {
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
std::string full_precision(double v) {
  char text[64];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

/// Loads `model_path`, reads `data_path` with `delimiter`, and checks that they fit together.
model_and_data load_model_and_data(const std::string& model_path, const std::string& data_path,
                                   const std::string& delimiter, const family_list& families) {
  const io::csv_options options = csv_options_of(delimiter);
  if (model_path == "-" && data_path == "-") {
    throw usage_error("standard input ('-') can be read by only one of MODEL and DATA");
  }
  model_and_data out{load(model_path, families), read_data(data_path, options)};
  const index D = out.model.model->dimension();
  const index columns = out.data.table.values.cols();
  if (columns != D) {
    throw data_error(detail::concat(display_name(data_path), ": has ", counted(columns, "column"), ", but the model ",
                                    display_name(model_path), " has D = ", D, " (it was fitted to ",
                                    counted(D, "column"), ")"));
  }
  check_support(*out.model.model, out.data);
  return out;
}

// ---- predict ----------------------------------------------------------------------------------

CLI::App* add_predict_command(CLI::App& app, predict_args& a) {
  CLI::App* c = app.add_subcommand("predict", "Print the most probable component of each row of DATA");
  c->add_option("MODEL", a.model, "Model file written by emkit fit ('-': standard input)")->required();
  c->add_option("DATA", a.data, "CSV or .npy file of observations ('-': standard input)")->required();
  c->add_flag("--proba", a.proba, "Print the posterior probabilities instead: one CSV row of K columns per row");
  c->add_option("--delimiter", a.delimiter, "CSV delimiter (one character, or 'tab')")->capture_default_str();
  return c;
}

void run_predict_command(const predict_args& a, std::ostream& out, const family_list& families) {
  const model_and_data md = load_model_and_data(a.model, a.data, a.delimiter, families);
  const matrix_ref X = md.data.table.values;
  std::string text;
  const fitted_model& f = *md.model.model;
  {
    {
      if (a.proba) {
        const Eigen::MatrixXd R = f.predict_proba(X);
        for (index n = 0; n < R.rows(); ++n) {
          for (index k = 0; k < R.cols(); ++k) {
            if (k > 0) text += ',';
            text += full_precision(R(n, k));
          }
          text += '\n';
        }
      } else {
        const Eigen::VectorX<index> labels = f.predict(X);
        for (index n = 0; n < labels.size(); ++n) text += std::to_string(labels[n]) + '\n';
      }
    }
  }
  out << text;
  out.flush();
}

// ---- score ------------------------------------------------------------------------------------

CLI::App* add_score_command(CLI::App& app, score_args& a) {
  CLI::App* c = app.add_subcommand("score", "Print log p(x | model) of each row of DATA; optionally flag anomalies");
  c->add_option("MODEL", a.model, "Model file written by emkit fit ('-': standard input)")->required();
  c->add_option("DATA", a.data, "CSV or .npy file of observations ('-': standard input)")->required();
  CLI::Option* t =
      c->add_option("--threshold", a.threshold, "Flag rows whose log density is below T (a second column, 0 or 1)");
  c->add_option("--quantile", a.quantile,
                "Flag rows whose log density is below the Q-quantile of the scores (0 <= Q <= 1)")
      ->excludes(t);
  c->add_option("--delimiter", a.delimiter, "CSV delimiter (one character, or 'tab')")->capture_default_str();
  return c;
}

/// The q-quantile of `v` by linear interpolation between order statistics (NumPy's default).
double quantile_of(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double position = q * static_cast<double>(v.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, v.size() - 1);
  const double fraction = position - static_cast<double>(below);
  return fraction == 0.0 ? v[below] : v[below] + fraction * (v[above] - v[below]);
}

void run_score_command(const score_args& a, std::ostream& out, std::ostream& err, const family_list& families) {
  if (a.threshold && !std::isfinite(*a.threshold)) {
    throw usage_error("--threshold " + number_text(*a.threshold) + ": expected a finite number");
  }
  if (a.quantile && !(*a.quantile >= 0.0 && *a.quantile <= 1.0)) {
    throw usage_error("--quantile " + number_text(*a.quantile) + ": expected a number in [0, 1]");
  }
  const model_and_data md = load_model_and_data(a.model, a.data, a.delimiter, families);
  const Eigen::VectorXd s = md.model.model->score_samples(md.data.table.values);
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

CLI::App* add_sample_command(CLI::App& app, sample_args& a) {
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

void run_sample_command(const sample_args& a, std::ostream& out, const family_list& families) {
  if (a.n < 0) throw usage_error(detail::concat("-n ", a.n, ": expected at least 0"));
  if (!a.output.empty()) {
    check_output_path("-o", a.output);
    if (same_file(a.output, a.model)) {
      throw usage_error("-o " + display_name(a.output) + ": would overwrite the input file " + display_name(a.model));
    }
  }
  const loaded_model m = load(a.model, families);
  mixture_draws draws;
  m.model->sample(static_cast<index>(a.n), a.seed, draws);
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

CLI::App* add_info_command(CLI::App& app, info_args& a) {
  CLI::App* c = app.add_subcommand("info", "Describe a model file");
  c->add_option("MODEL", a.model, "Model file written by emkit fit ('-': standard input)")->required();
  c->add_flag("--json", a.json, "Print the summary as JSON");
  return c;
}

/// The summary `info` prints: family, K, D, layout, the fit's numbers and the weights.
json info_json(const loaded_model& m) {
  json j;
  const json& doc = m.document;
  const auto number = [&](const char* key) -> json { return doc.contains(key) ? doc[key] : json(nullptr); };
  j["family"] = family_name(*m.model);
  j["k"] = m.model->num_components();
  j["dim"] = m.model->dimension();
  const std::optional<std::string> kind = m.model->kind_text();
  j["layout"] = kind ? json(*kind) : json(nullptr);
  j["log_likelihood"] = number("log_likelihood");
  j["bic"] = number("bic");
  j["aic"] = number("aic");
  j["n_parameters"] = number("n_parameters");
  j["n_observations"] = number("n_observations");
  j["converged"] = number("converged");
  j["iterations"] = number("iterations");
  j["weights"] = json_array(m.model->weights());
  j["columns"] = m.columns;
  return j;
}

void run_info_command(const info_args& a, std::ostream& out, const family_list& families) {
  const loaded_model m = load(a.model, families);
  const json j = info_json(m);
  if (a.json) {
    out << j.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
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
  if (j["converged"].is_boolean())
    text += std::string("converged: ") + (j["converged"].get<bool>() ? "yes" : "no") + "\n";
  if (j["iterations"].is_number()) text += "iterations: " + std::to_string(j["iterations"].get<long long>()) + "\n";
  text += "weights:";
  for (const auto& w : j["weights"]) text += " " + full_precision(w.get<double>());
  text += "\n" + m.model->describe(m.columns);
  out << text;
  out.flush();
}

}  // namespace emkit::cli
