#pragma once
/// \file
/// `emkit predict`, `emkit score`, `emkit sample` and `emkit info`: what a saved model file
/// answers. Each loads the model with `load` (model_file.hpp), reads the data with
/// `read_data` (CSV or .npy, cli_files.hpp), checks its columns and support as `fit` does
/// (`check_support`) and asks the model (`fitted_model`). Nothing is printed to standard
/// output and no file is written unless the command succeeds.

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <emkit/cli/cli_files.hpp>
#include <emkit/cli/model.hpp>
#include <emkit/cli/model_file.hpp>
#include <emkit/framework/io/csv.hpp>

namespace emkit::cli {

/// The value of `--delimiter`: one character, or "tab" / "\t" for a tab.
[[nodiscard]] io::csv_options csv_options_of(const std::string& delimiter);

/// `v` with round-trip precision ("%.17g").
[[nodiscard]] std::string full_precision(double v);

/// Checks that the data is in the support of the model's family, turning the entry of the
/// family's `data_error` into the file's line and 1-based column: "counts.csv: line 8,
/// column 3: 1.5 is not <what the family expects> (<the family>)".
void check_support(const fitted_model& model, const data_file& data);

/// A loaded model and data read to match it: the column count checked against the model's
/// D, the values against the family's support (messages as `fit` gives them).
struct model_and_data {
  loaded_model model;
  data_file data;
};

struct predict_args {
  std::string model;
  std::string data;
  std::string delimiter = ",";
  bool proba = false;
};

struct score_args {
  std::string model;
  std::string data;
  std::string delimiter = ",";
  std::optional<double> threshold;
  std::optional<double> quantile;
};

struct sample_args {
  std::string model;
  std::int64_t n = -1;
  std::uint64_t seed = 0;
  bool labels = false;
  std::string output;
};

struct info_args {
  std::string model;
  bool json = false;
};

/// Loads `model_path`, reads `data_path` with `delimiter`, and checks that they fit together.
[[nodiscard]] model_and_data load_model_and_data(const std::string& model_path, const std::string& data_path,
                                                 const std::string& delimiter, const family_list& families);

/// The q-quantile of `v` by linear interpolation between order statistics (NumPy's default).
[[nodiscard]] double quantile_of(std::vector<double> v, double q);

/// The summary `info` prints: family, K, D, layout, the fit's numbers and the weights.
[[nodiscard]] json info_json(const loaded_model& m);

CLI::App* add_predict_command(CLI::App& app, predict_args& a);
void run_predict_command(const predict_args& a, std::ostream& out, const family_list& families);
CLI::App* add_score_command(CLI::App& app, score_args& a);
void run_score_command(const score_args& a, std::ostream& out, std::ostream& err, const family_list& families);
CLI::App* add_sample_command(CLI::App& app, sample_args& a);
void run_sample_command(const sample_args& a, std::ostream& out, const family_list& families);
CLI::App* add_info_command(CLI::App& app, info_args& a);
void run_info_command(const info_args& a, std::ostream& out, const family_list& families);

}  // namespace emkit::cli
