#pragma once
/// \file
/// `emkit fit`: fit a mixture to the rows of a CSV file and write the model (and the trace).
///
/// The steps are small named functions so that later subcommands (predict, score, sample,
/// select, info) can reuse them: read the inputs, build the model, fit with a run-time
/// choice of initialisation, write the JSON and the trace atomically, print a report.
/// Nothing is written unless the fit succeeds.

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <CLI/CLI.hpp>
#include <Eigen/Core>

#include <emkit/emkit.hpp>
#include <emkit/framework/engine/online_fitter.hpp>
#include <emkit/framework/io/atomic_file.hpp>
#include <emkit/framework/io/csv.hpp>

#include "cli_files.hpp"
#include "model_file.hpp"
#include "model_report.hpp"
#include "progress.hpp"
#include "trace_csv.hpp"

namespace emkit::cli {

/// The values of `emkit fit`'s command line, with its defaults.
struct fit_args {
  std::string data;
  std::string family = "gaussian";
  std::string columns;  ///< --columns: the layout of --family product
  std::string covariance = "full";
  index components = 0;
  std::string init = "kmeans++";
  std::string init_means;
  std::string weights;
  int restarts = 1;
  std::uint64_t seed = 0;
  double tol = 1e-8;
  int max_iter = 1000;
  double reg_covar = 1e-6;
  std::string empty_component = "reseed";  ///< --empty-component: the mixture's empty_component_policy
  int threads = 0;
  std::string trace;
  std::string output;
  std::string progress = "auto";  ///< --progress: auto (on a terminal), always or never
  bool quiet = false;             ///< --quiet: print nothing on success (and no progress line)
  bool stream = false;            ///< --stream: read DATA chunk by chunk on every pass, never whole
  index chunk_rows = 0;           ///< --chunk-rows: rows per chunk of every pass (fit_options::chunk_rows; 0: by D, K)
  /// Not an option: called with every iteration record of the fit (the progress line).
  std::function<void(int, const iteration_record&)> on_iteration;
  bool distributed = false;  ///< --distributed: one process of an MPI job (`mpirun -np P emkit fit ...`)
  /// Not an option: the processes of a --distributed fit (set by main once MPI is up).
  std::shared_ptr<const process_group> processes;
  bool covariance_given = false;  ///< --covariance was on the command line (only gaussian takes it)
  bool reg_covar_given = false;   ///< --reg-covar was on the command line (only Gaussian components take it)

  // Online EM (--online: stepwise, --minibatch: incremental; online_fitter.hpp).
  bool online = false;
  bool minibatch = false;
  index batch_size = 10000;
  double alpha = 0.6;
  double t0 = 2.0;
  int burn_in = 0;
  bool polyak = false;
  int epochs = 5;
  int online_options_given = 0;    ///< how many of the options above but --online/--minibatch were given
  int stepwise_options_given = 0;  ///< how many of --alpha, --t0, --burn-in, --polyak were given
};

/// Accepts a decimal integer in [0, 2^64): CLI11 2.1 reads an unsigned option with
/// strtoull, which takes "-1" as 2^64 − 1 and saturates on overflow.
inline CLI::Validator unsigned_64_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        std::uint64_t value = 0;
        const char* const end = text.data() + text.size();
        const auto [ptr, ec] = std::from_chars(text.data(), end, value);
        if (text.empty() || ec != std::errc() || ptr != end) {
          return text + " is not an integer in [0, 18446744073709551615]";
        }
        return {};
      },
      "");
}

/// Adds `--progress auto|always|never` to `command`, storing into `mode`.
inline void add_progress_option(CLI::App& command, std::string& mode) {
  command
      .add_option("--progress", mode,
                  "A progress line on standard error (restart, iteration, log-likelihood, change): auto (when "
                  "standard error is a terminal), always or never; --quiet means never")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "always", "never"}));
}

/// Adds the options of online EM (below, with the rest of online EM's block).
inline void add_online_options(CLI::App& fit, fit_args& args);

/// Adds the `fit` subcommand to `app`, storing into `args` (which must outlive parsing).
inline CLI::App* add_fit_command(CLI::App& app, fit_args& args) {
  CLI::App* fit = app.add_subcommand("fit", "Fit a mixture model to the rows of a CSV file by EM");
  fit->add_option("DATA", args.data,
                  "CSV file of observations, one row each, comma-separated; a first line that is not numeric "
                  "is a header; '-' reads standard input")
      ->required();
  fit->add_option("--family", args.family,
                  "Component family: gaussian, poisson (counts), bernoulli (0/1 data), kmeans (K-means by hard EM) "
                  "or product (a family per block of columns, see --columns)")
      ->capture_default_str();
  fit->add_option("--columns", args.columns,
                  "With --family product: the family of each block of columns, 0-based inclusive ranges, such as "
                  "gaussian-diag:0-1,poisson:2-4,bernoulli:5-9 (families gaussian-full, gaussian-diag, "
                  "gaussian-spherical, gaussian-tied, poisson, bernoulli)");
  fit->add_option("--covariance", args.covariance, "Covariance type (--family gaussian)")
      ->capture_default_str()
      ->check(CLI::IsMember({"full", "diag", "spherical", "tied"}))
      ->each([&args](const std::string&) { args.covariance_given = true; });
  fit->add_option("-k,--components", args.components, "Number of components K (1 <= K <= rows of DATA)")->required();
  CLI::Option* init = fit->add_option("--init", args.init, "Initialisation of each restart")
                          ->capture_default_str()
                          ->check(CLI::IsMember({"kmeans++", "random", "random-resp"}));
  fit->add_option("--init-means", args.init_means,
                  "CSV file of K initial means, one row of D values each (instead of --init)")
      ->excludes(init);
  fit->add_option("--weights", args.weights,
                  "CSV file of one non-negative weight per row of DATA (a single column; header allowed)");
  fit->add_option("--restarts", args.restarts, "Independent initialisations; the best fit is kept")
      ->capture_default_str();
  fit->add_option("--seed", args.seed, "Seed of the random initialisation (restart r uses stream r)")
      ->capture_default_str()
      ->check(unsigned_64_validator());
  fit->add_option("--tol", args.tol,
                  "Stop when the change of the mean log-likelihood is in [0, tol); 0 runs exactly --max-iter "
                  "iterations")
      ->capture_default_str();
  fit->add_option("--max-iter", args.max_iter, "Maximum EM iterations per restart")->capture_default_str();
  fit->add_option("--reg-covar", args.reg_covar,
                  "Added to the diagonal of every covariance matrix (Gaussian components only)")
      ->capture_default_str()
      ->each([&args](const std::string&) { args.reg_covar_given = true; });
  fit->add_option("--empty-component", args.empty_component,
                  "A component that loses all its mass: reseed (once per restart, then keep), keep (weight 0), "
                  "drop (fit K - 1 components) or raise (stop with an error)")
      ->capture_default_str()
      ->check(CLI::IsMember({"reseed", "keep", "drop", "raise"}));
  fit->add_option("--threads", args.threads, "Worker threads (0: all cores); results do not depend on it")
      ->capture_default_str();
  fit->add_flag("--distributed", args.distributed,
                "Run as one process of an MPI job (mpirun -np P emkit fit ...): each process computes its share "
                "of the rows; the result is the same bits as one process");
  fit->add_flag("--stream", args.stream,
                "Stream DATA (.npy or CSV, not '-') from disk in chunks on every pass instead of loading it: "
                "memory does not grow with the rows; the result is the same as without --stream");
  fit->add_option("--chunk-rows", args.chunk_rows,
                  "Rows per chunk of every pass (the unit of threads, of streaming and of the summation order); "
                  "0: about 16384 values per chunk, by the columns D and components K "
                  "(1024 rows at D = 16, K = 8; 256 once D or K reaches 33)")
      ->capture_default_str();
  fit->add_option("--trace", args.trace, "Write the per-iteration record of the returned fit to this CSV file");
  fit->add_option("-o,--output", args.output, "Write the fitted model to this JSON file")->required();
  add_progress_option(*fit, args.progress);
  add_online_options(*fit, args);
  return fit;
}

/// The families of `--family`.
inline constexpr const char* known_families = "gaussian, poisson, bernoulli, kmeans or product";

/// Throws `usage_error` unless `family` is one of `known_families`.
inline void check_family(const std::string& family) {
  for (const char* known : {"gaussian", "poisson", "bernoulli", "kmeans", "product"}) {
    if (family == known) return;
  }
  throw usage_error("--family " + display_name(family) + " is unknown, expected " + known_families);
}

/// The product layout of `--columns`; throws `usage_error` naming the offending piece.
[[nodiscard]] inline mixed_product parse_columns_option(const std::string& columns) {
  try {
    return parse_product_layout(columns);
  } catch (const invalid_option& e) {
    std::string_view why = e.what();
    constexpr std::string_view prefix = "parse_product_layout: ";
    if (why.starts_with(prefix)) why.remove_prefix(prefix.size());
    throw usage_error("--columns \"" + display_name(columns) + "\": " + std::string(why));
  }
}

/// Whether a product layout has a Gaussian block.
[[nodiscard]] inline bool has_gaussian_block(const mixed_product& p) {
  for (const mixed_product::block& b : p.blocks)
    if (std::holds_alternative<gaussian>(b.family)) return true;
  return false;
}

/// Throws `usage_error` for options that do not apply to the family: --covariance (gaussian
/// only), --reg-covar (Gaussian components only), --columns (product only, and required there).
inline void check_family_options(const fit_args& a) {
  const std::string family = display_name(a.family);
  if (a.covariance_given && a.family != "gaussian") {
    throw usage_error(
        "--covariance applies to --family gaussian only, not " + family +
        (a.family == "product" ? " (give each Gaussian block's type in --columns, e.g. gaussian-diag:0-1)" : ""));
  }
  if (a.family == "product") {
    if (a.columns.empty()) {
      throw usage_error(
          "--family product needs --columns, the family of each block of columns, e.g. --columns "
          "\"gaussian-diag:0-1,poisson:2-4,bernoulli:5-9\"");
    }
    if (const mixed_product layout = parse_columns_option(a.columns);
        a.reg_covar_given && !has_gaussian_block(layout)) {
      throw usage_error("--reg-covar applies only to Gaussian components, and --columns \"" + display_name(a.columns) +
                        "\" has no Gaussian block");
    }
    return;
  }
  if (!a.columns.empty()) throw usage_error("--columns applies to --family product only, not " + family);
  if (a.reg_covar_given && a.family != "gaussian") {
    throw usage_error("--reg-covar applies only to Gaussian components, not to --family " + family);
  }
}

/// Throws `usage_error` for option values that no data could make valid.
inline void validate_fit_args(const fit_args& a) {
  check_family(a.family);
  check_family_options(a);
  const auto fail = [](const std::string& what) -> void { throw usage_error(what); };
  if (a.components < 1) fail(detail::concat("-k ", a.components, ": the number of components must be at least 1"));
  if (a.restarts < 1) fail(detail::concat("--restarts ", a.restarts, ": expected at least 1"));
  if (!(a.tol >= 0 && a.tol < 1)) fail(detail::concat("--tol ", a.tol, ": expected a number in [0, 1)"));
  if (a.max_iter < 0) fail(detail::concat("--max-iter ", a.max_iter, ": expected at least 0"));
  if (!(a.reg_covar >= 0 && std::isfinite(a.reg_covar))) {
    fail(detail::concat("--reg-covar ", a.reg_covar, ": expected a finite number >= 0"));
  }
  if (a.threads < 0) fail(detail::concat("--threads ", a.threads, ": expected at least 0 (0: all cores)"));
  if (a.chunk_rows < 0) fail(detail::concat("--chunk-rows ", a.chunk_rows, ": expected at least 0 (0: by D and K)"));
  if (a.stream && a.data == "-") fail("--stream: DATA '-' (standard input) cannot be streamed; give a file");
}

/// Checks, before reading or fitting anything, that the outputs can be written and would
/// not overwrite an input or each other, and that standard input is read at most once.
inline void check_fit_files(const fit_args& a) {
  const int stdin_uses = (a.data == "-") + (a.weights == "-") + (a.init_means == "-");
  if (stdin_uses > 1)
    throw usage_error("standard input ('-') can be read by only one of DATA, --weights, --init-means");
  check_output_path("-o", a.output);
  if (!a.trace.empty()) {
    check_output_path("--trace", a.trace);
    if (same_file(a.trace, a.output)) {
      throw usage_error("--trace " + display_name(a.trace) + ": is the same file as -o");
    }
  }
  for (const std::string* input : {&a.data, &a.weights, &a.init_means}) {
    for (const auto& [option, output] : {std::pair{"-o", &a.output}, std::pair{"--trace", &a.trace}}) {
      if (!input->empty() && !output->empty() && same_file(*input, *output)) {
        throw usage_error(std::string(option) + " " + display_name(*output) + ": would overwrite the input file " +
                          display_name(*input));
      }
    }
  }
}

/// A Gaussian mixture with the given covariance type and regularisation.
[[nodiscard]] inline gaussian_mixture make_gaussian_mixture(const std::string& covariance, double reg_covar) {
  gaussian_mixture model;
  model.family.covariance = parse_covariance_type(covariance);
  model.family.reg_covar = reg_covar;
  return model;
}

/// The initialisation policies the command line offers; the fitter takes the policy as a
/// template parameter, so the choice made at run time is dispatched by `std::visit`.
using init_policy = std::variant<kmeans_plus_plus, random_rows, random_responsibility_init, given_means>;

/// The policy named by --init (kmeans++, random, random-resp).
[[nodiscard]] inline init_policy make_init_policy(const std::string& name) {
  if (name == "kmeans++") return kmeans_plus_plus{};
  if (name == "random") return random_rows{};
  if (name == "random-resp") return random_responsibility_init{};
  throw usage_error("--init " + display_name(name) + " is unknown, expected kmeans++, random or random-resp");
}

/// The scalar settings of a fit from the command line.
[[nodiscard]] inline fit_options make_fit_options(const fit_args& a) {
  fit_options options;
  options.relative_tolerance = a.tol;
  options.max_iterations = a.max_iter;
  options.restarts = a.restarts;
  options.seed = a.seed;
  options.chunk_rows = a.chunk_rows;
  options.on_iteration = a.on_iteration;
  return options;
}

/// Fits `model` with K components to X (weights w) by the E-step `E` (soft or hard) under
/// `execution` (threads, and the processes of a distributed fit), with the initialisation
/// chosen at run time.
template <EStepPolicy E, LatentModel M>
[[nodiscard]] fit_result<typename M::params_type> fit_model(const M& model, const init_policy& init,
                                                            const fit_options& options, const threads& execution,
                                                            matrix_ref X, index K, vector_ref w) {
  return std::visit(
      [&](const auto& policy) {
        fitter<E, std::decay_t<decltype(policy)>, emkit::threads> f;
        f.init = policy;
        f.execution = execution;
        f.options = options;
        return f.fit(model, X, K, w);
      },
      init);
}

/// The same for a streamed file (its weights are the source's).
template <EStepPolicy E, LatentModel M>
[[nodiscard]] fit_result<typename M::params_type> fit_model(const M& model, const init_policy& init,
                                                            const fit_options& options, const threads& execution,
                                                            const stream_file& data, index K) {
  return std::visit(
      [&](const auto& policy, const auto& source) {
        fitter<E, std::decay_t<decltype(policy)>, emkit::threads> f;
        f.init = policy;
        f.execution = execution;
        f.options = options;
        return f.fit(model, source, K);
      },
      init, data.source);
}

/// A fitted model and what its fit observed.
struct fit_outcome {
  fitted_model model;
  summary report;
};

/// `fit_model` of `model`, its result as a `fitted_model`.
template <EStepPolicy E, LatentModel M>
[[nodiscard]] fit_outcome fit_outcome_of(const M& model, const init_policy& init, const fit_options& options,
                                         const threads& execution, matrix_ref X, index K, vector_ref w) {
  fit_result<typename M::params_type> r = fit_model<E>(model, init, options, execution, X, K, w);
  return {fitted<M>{model, std::move(r.params)}, std::move(r.summary)};
}

/// The product of `--columns` with `--reg-covar` on its Gaussian blocks.
[[nodiscard]] inline mixed_product make_product_family(const fit_args& a) {
  mixed_product family = parse_columns_option(a.columns);
  for (mixed_product::block& b : family.blocks) {
    if (auto* g = std::get_if<gaussian>(&b.family)) g->reg_covar = a.reg_covar;
  }
  return family;
}

/// Throws `data_error` naming the data file when the layout does not cover exactly its
/// columns (a block beyond the last column, or columns in no block).
inline void check_layout_columns(const mixed_product& layout, index D, const std::string& path) {
  const std::string name = display_name(path);
  for (const mixed_product::block& b : layout.blocks) {
    if (b.first + b.count > D) {
      throw data_error(detail::concat(name, ": has ", counted(D, "column"), " (0-", D - 1,
                                      " counting from 0, as --columns does), but --columns piece '", layout_piece(b),
                                      "' reaches column ", b.first + b.count - 1));
    }
  }
  if (const index covered = layout.num_columns(); covered < D) {
    const std::string left =
        covered + 1 == D ? detail::concat("column ", covered) : detail::concat("columns ", covered, "-", D - 1);
    throw data_error(detail::concat(name, ": has ", counted(D, "column"), ", but --columns covers only columns 0-",
                                    covered - 1, ", leaving ", left, " (counting from 0) in no block"));
  }
}

inline void check_layout_columns(const mixed_product& layout, const data_file& data) {
  check_layout_columns(layout, data.table.values.cols(), data.path);
}
inline void check_layout_columns(const mixed_product& layout, const stream_file& data) {
  check_layout_columns(layout, data.cols(), data.path);
}

/// What a value outside a family's support is not, for messages.
[[nodiscard]] inline const char* support_text(const poisson&) { return "is not a non-negative integer count"; }
[[nodiscard]] inline const char* support_text(const bernoulli&) { return "is not 0 or 1"; }
template <class Family>
[[nodiscard]] const char* support_text(const Family&) {
  return "is outside the family's support";
}
[[nodiscard]] inline const char* support_text(const mixed_product::family_variant& f) {
  return std::visit([](const auto& family) { return support_text(family); }, f);
}

/// Finds "X(row, col)" in a library message (0-based row and column of the data).
[[nodiscard]] inline bool reported_entry(std::string_view message, index& row, index& col) {
  for (std::size_t pos = message.find("X("); pos != std::string_view::npos; pos = message.find("X(", pos + 2)) {
    const char* p = message.data() + pos + 2;
    const char* const end = message.data() + message.size();
    auto [after_row, ec_row] = std::from_chars(p, end, row);
    if (ec_row != std::errc() || end - after_row < 2 || after_row[0] != ',' || after_row[1] != ' ') continue;
    auto [after_col, ec_col] = std::from_chars(after_row + 2, end, col);
    if (ec_col != std::errc() || after_col == end || *after_col != ')') continue;
    return true;
  }
  return false;
}

/// Throws the message of `check_support` for the value `x` at `line`, 0-based column `col`.
template <class Model>
[[noreturn]] void throw_support_error(const Model& model, const std::string& name, std::size_t line, index col,
                                      double x, const data_error& e) {
  std::string what;
  if constexpr (std::is_same_v<Model, product_mixture>) {
    for (const mixed_product::block& b : model.family.blocks) {
      if (col >= b.first && col < b.first + b.count) {
        what = detail::concat(support_text(b.family), " (block '", layout_piece(b),
                              "' of --columns, which counts columns from 0)");
      }
    }
  } else {
    what = detail::concat(support_text(model.family), " (", family_name(model), ")");
  }
  if (what.empty()) throw data_error(name + ": " + e.what());
  throw data_error(detail::concat(name, ": line ", line, ", column ", col + 1, ": ", number_text(x), " ", what));
}

/// Checks that the data is in the support of `model`'s family (`validate_data`), turning the
/// library's 0-based "X(row, col)" into the file's line and 1-based column:
/// "counts.csv: line 8, column 3: 1.5 is not a non-negative integer count (poisson)". For a
/// product, the column is the data's and the message names the block of --columns.
template <class Model>
void check_support(const Model& model, const data_file& data) {
  const matrix_ref X = data.table.values;
  const std::string name = display_name(data.path);
  try {
    model.validate_data(X);
  } catch (const data_error& e) {
    index row = 0, col = 0;
    if (!reported_entry(e.what(), row, col) || row < 0 || row >= X.rows() || col < 0 || col >= X.cols()) {
      throw data_error(name + ": " + e.what());
    }
    throw_support_error(model, name, data.line_of(row), col, X(row, col), e);
  } catch (const error& e) {
    throw data_error(name + ": " + e.what());
  }
}

/// The value of row `row`, column `col` of a streamed file (one row read).
[[nodiscard]] inline double value_at(const stream_file& data, index row, index col) {
  return std::visit(
      [&](const auto& source) {
        Eigen::MatrixXd x(1, source.cols());
        Eigen::VectorXd w(1);
        source.read({row, 1}, x, w);
        return x(0, col);
      },
      data.source);
}

/// Fits a streamed file, turning the fit's support error "X(row, col)" (0-based rows of the
/// whole file, from its checking pass) into the message `check_support` gives in memory.
template <EStepPolicy E, LatentModel M>
[[nodiscard]] fit_outcome check_and_fit(const M& model, const stream_file& data, const init_policy& init,
                                        const fit_args& a, index K, vector_ref) {
  const std::string name = display_name(data.path);
  try {
    fit_result<typename M::params_type> r =
        fit_model<E>(model, init, make_fit_options(a), threads{a.threads, a.processes}, data, K);
    return {fitted<M>{model, std::move(r.params)}, std::move(r.summary)};
  } catch (const data_error& e) {
    index row = 0, col = 0;
    const std::string_view what = e.what();
    if (what.starts_with("fit: X(") || !reported_entry(what, row, col) || row < 0 || row >= data.rows() || col < 0 ||
        col >= data.cols()) {
      throw data_error(what.starts_with(name + ": ") ? std::string(what) : name + ": " + std::string(what));
    }
    throw_support_error(model, name, data.line_of(row), col, value_at(data, row, col), e);
  }
}

/// Checks the data against the model, then fits it (soft EM; hard EM for K-means).
template <EStepPolicy E, LatentModel M>
[[nodiscard]] fit_outcome check_and_fit(const M& model, const data_file& data, const init_policy& init,
                                        const fit_args& a, index K, vector_ref w) {
  check_support(model, data);
  return fit_outcome_of<E>(model, init, make_fit_options(a), threads{a.threads, a.processes}, data.table.values, K, w);
}

/// The policy of --empty-component (reseed, keep, drop, raise).
[[nodiscard]] inline empty_component_policy parse_empty_component(const std::string& name) {
  if (name == "reseed") return empty_component_policy::reseed;
  if (name == "keep") return empty_component_policy::keep;
  if (name == "drop") return empty_component_policy::drop;
  if (name == "raise") return empty_component_policy::raise;
  throw usage_error("--empty-component " + display_name(name) + " is unknown, expected reseed, keep, drop or raise");
}

/// `model` with the --empty-component policy.
template <class Model>
[[nodiscard]] Model with_empty_component_policy(Model model, const fit_args& a) {
  model.empty_components = parse_empty_component(a.empty_component);
  return model;
}

/// The model of --family (and --covariance, --reg-covar, --columns, --empty-component) fitted
/// to the data.
template <class Data>
[[nodiscard]] fit_outcome fit_family(const fit_args& a, const Data& data, const init_policy& init, index K,
                                     vector_ref w) {
  const auto soft = [&](const auto& model) {
    return check_and_fit<soft_estep>(with_empty_component_policy(model, a), data, init, a, K, w);
  };
  if (a.family == "gaussian") return soft(make_gaussian_mixture(a.covariance, a.reg_covar));
  if (a.family == "poisson") return soft(poisson_mixture{});
  if (a.family == "bernoulli") return soft(bernoulli_mixture{});
  if (a.family == "kmeans") {
    return check_and_fit<hard_estep>(with_empty_component_policy(kmeans_model(), a), data, init, a, K, w);
  }
  if (a.family == "product") {
    product_mixture model{make_product_family(a)};
    model.empty_components = parse_empty_component(a.empty_component);
    check_layout_columns(model.family, data);
    return check_and_fit<soft_estep>(model, data, init, a, K, w);
  }
  check_family(a.family);
  throw usage_error("--family " + display_name(a.family) + " is not handled");
}

/// The warnings with each run of "parameters held at the family's floor" (which a Poisson or
/// Bernoulli fit may report at every iteration) kept once per restart and component, at the
/// last iteration it was reported: the state of the parameters that restart returned.
[[nodiscard]] inline std::vector<warning> condense_floor_warnings(const std::vector<warning>& warnings) {
  std::map<std::pair<int, index>, std::size_t> last;
  for (std::size_t i = 0; i < warnings.size(); ++i) {
    if (warnings[i].code == warning_code::floor_applied) last[{warnings[i].restart, warnings[i].component}] = i;
  }
  std::vector<warning> out;
  for (std::size_t i = 0; i < warnings.size(); ++i) {
    const warning& w = warnings[i];
    if (w.code != warning_code::floor_applied || last.at({w.restart, w.component}) == i) out.push_back(w);
  }
  return out;
}

/// `measure_fit` of a streamed file: N and, for K-means, the inertia by `emkit::inertia`'s
/// computation (chunks of 256 rows, each by `emkit::detail::add_chunk_inertia`, one compensated
/// sum in row order), reading the chunks from the file.
[[nodiscard]] inline fit_measures measure_stream_fit(const fitted_model& m, const stream_file& data) {
  fit_measures out;
  out.n_observations = data.rows();
  const auto* km = std::get_if<fitted<kmeans_mixture>>(&m);
  if (km == nullptr) return out;
  const std::span<const fixed_spherical_gaussian_params> ps(km->params.components);
  compensated_sum total;
  std::visit(
      [&](const auto& source) {
        constexpr index chunk = 256;
        chunk_buffer buffer;
        Eigen::MatrixXd D2;
        for (index begin = 0; begin < source.rows(); begin += chunk) {
          const chunk_view v = buffer.read(source, {begin, std::min(chunk, source.rows() - begin)});
          detail::add_chunk_inertia(ps, v.X, v.w, D2, total);
        }
      },
      data.source);
  out.inertia = total.value();
  return out;
}

// ---- online EM: --online, --minibatch and their options ------------------------------------

/// Adds --online, --minibatch, --batch-size, --alpha, --t0, --burn-in, --polyak, --epochs.
inline void add_online_options(CLI::App& fit, fit_args& args) {
  const auto given = [&args](const auto&) { ++args.online_options_given; };
  const auto stepwise_given = [&args](const auto&) {
    ++args.online_options_given;
    ++args.stepwise_options_given;
  };
  CLI::Option* online = fit.add_flag("--online", args.online,
                                     "Stepwise online EM over mini-batches (Cappé–Moulines): s <- (1-g) s + g s_batch, "
                                     "g = (t + t0)^-alpha; --tol, --max-iter and --restarts do not apply");
  fit.add_flag("--minibatch", args.minibatch,
               "Incremental mini-batch EM (Neal–Hinton): keeps each batch's statistics, M-step after every batch")
      ->excludes(online);
  fit.add_option("--batch-size", args.batch_size, "Rows per mini-batch (--online, --minibatch)")
      ->capture_default_str()
      ->each(given);
  fit.add_option("--alpha", args.alpha, "Step-size exponent in (0.5, 1] (--online)")
      ->capture_default_str()
      ->each(stepwise_given);
  fit.add_option("--t0", args.t0, "Step-size offset >= 0 (--online)")->capture_default_str()->each(stepwise_given);
  fit.add_option("--burn-in", args.burn_in, "Batches before the first M-step (--online)")
      ->capture_default_str()
      ->each(stepwise_given);
  fit.add_flag("--polyak", args.polyak,
               "Return M-step(average of the statistics over the second half of the epochs) (--online)")
      ->each(stepwise_given);
  fit.add_option("--epochs", args.epochs, "Passes over the data (--online, --minibatch)")
      ->capture_default_str()
      ->each(given);
}

/// Throws `usage_error` for online options without --online/--minibatch, or with --restarts.
inline void validate_online_args(const fit_args& a) {
  if (!a.online && !a.minibatch) {
    if (a.online_options_given > 0)
      throw usage_error("--batch-size, --alpha, --t0, --burn-in, --polyak and --epochs need --online or --minibatch");
    return;
  }
  if (a.restarts != 1) throw usage_error("--restarts applies to batch EM only, not to --online or --minibatch");
  if (a.stream) throw usage_error("--stream applies to batch EM only: --online and --minibatch read DATA into memory");
  if (a.distributed) throw usage_error("--distributed applies to batch EM only, not to --online or --minibatch");
  if (a.batch_size < 1) throw usage_error(detail::concat("--batch-size ", a.batch_size, ": expected at least 1"));
  if (!(a.alpha > 0.5 && a.alpha <= 1)) throw usage_error(detail::concat("--alpha ", a.alpha, ": expected (0.5, 1]"));
  if (!(a.t0 >= 0 && std::isfinite(a.t0))) throw usage_error(detail::concat("--t0 ", a.t0, ": expected >= 0"));
  if (a.burn_in < 0) throw usage_error(detail::concat("--burn-in ", a.burn_in, ": expected at least 0"));
  if (a.epochs < 1) throw usage_error(detail::concat("--epochs ", a.epochs, ": expected at least 1"));
  if (a.minibatch && a.stepwise_options_given > 0)
    throw usage_error("--alpha, --t0, --burn-in and --polyak apply to --online, not --minibatch");
}

/// Fits `model` by online EM with the options of `a` (ℓ after every epoch only for --trace).
template <EStepPolicy E, LatentModel M>
[[nodiscard]] fit_outcome fit_online_model(const M& model, const data_file& data, const init_policy& init,
                                           const fit_args& a, index K, vector_ref w) {
  check_support(model, data);
  online_options o;
  o.method = a.online ? online_method::stepwise : online_method::incremental;
  o.batch_size = a.batch_size;
  o.alpha = a.alpha;
  o.t0 = a.t0;
  o.burn_in = a.burn_in;
  o.polyak = a.polyak;
  o.epochs = a.epochs;
  o.seed = a.seed;
  o.evaluate = !a.trace.empty();
  return std::visit(
      [&](const auto& policy) {
        online_fitter<E, std::decay_t<decltype(policy)>, emkit::threads> f;
        f.init = policy;
        f.execution.n = a.threads;
        f.options = o;
        auto r = f.fit(model, data.table.values, K, w);
        return fit_outcome{fitted<M>{model, std::move(r.params)}, std::move(r.summary)};
      },
      init);
}

/// What an online fit ran, for the report: it stops after --epochs, with no convergence test,
/// and the monitor's EM checks (which are for batch EM) did not run.
[[nodiscard]] inline std::string online_description(const fit_args& a) {
  char text[256];
  if (a.minibatch) {
    std::snprintf(text, sizeof text, "incremental mini-batch EM: %d epochs, batches of %lld rows", a.epochs,
                  static_cast<long long>(a.batch_size));
  } else {
    std::snprintf(text, sizeof text, "stepwise online EM: %d epochs, batches of %lld rows, alpha %g, t0 %g%s", a.epochs,
                  static_cast<long long>(a.batch_size), a.alpha, a.t0, a.polyak ? ", Polyak averaging" : "");
  }
  return std::string(text) + " (a fixed number of epochs: no convergence test; the monitor's checks do not apply)";
}

/// `fit_family` for --online and --minibatch: the same models, fitted by `online_fitter`.
[[nodiscard]] inline fit_outcome fit_family_online(const fit_args& a, const data_file& data, const init_policy& init,
                                                   index K, vector_ref w) {
  const auto soft = [&](const auto& model) {
    return fit_online_model<soft_estep>(with_empty_component_policy(model, a), data, init, a, K, w);
  };
  if (a.family == "gaussian") return soft(make_gaussian_mixture(a.covariance, a.reg_covar));
  if (a.family == "poisson") return soft(poisson_mixture{});
  if (a.family == "bernoulli") return soft(bernoulli_mixture{});
  if (a.family == "kmeans") {
    return fit_online_model<hard_estep>(with_empty_component_policy(kmeans_model(), a), data, init, a, K, w);
  }
  product_mixture model{make_product_family(a)};
  model.empty_components = parse_empty_component(a.empty_component);
  check_layout_columns(model.family, data);
  return fit_online_model<soft_estep>(model, data, init, a, K, w);
}

/// Runs `emkit fit`: checks the arguments and files, reads the inputs, fits, writes the
/// trace and then the model atomically, and prints the model and the monitor's report to
/// `out`. Throws `usage_error`, `emkit::error` or another `std::exception`; in every such
/// case no file has been written.
inline void run_fit_command(const fit_args& a, std::ostream& out) {
  validate_fit_args(a);
  validate_online_args(a);
  check_fit_files(a);

  // In memory, the whole table; with --stream, a source read chunk by chunk on every pass.
  std::optional<data_file> table;
  std::optional<stream_file> stream;
  if (a.stream) {
    // The CSV index every 256 rows by default: every chunk size `resolved_chunk_rows` picks is a multiple.
    stream.emplace(open_stream(a.data, a.chunk_rows > 0 ? a.chunk_rows : 256));
  } else {
    table.emplace(read_data(a.data));
  }
  const index N = stream ? stream->rows() : table->table.values.rows();
  const index D = stream ? stream->cols() : table->table.values.cols();
  const std::vector<std::string> header = stream ? stream->header() : table->table.header;
  const index K = a.components;
  if (K > N) {
    throw data_error(detail::concat(display_name(a.data), ": -k ", K, " exceeds the number of rows (", N, ")"));
  }
  // Weights are held in memory (8 bytes a row), also with --stream; none: all 1.
  Eigen::VectorXd w;
  if (!a.weights.empty()) {
    w = read_weights(a.weights, a.data, N);
    if (stream) stream->set_weights(w);
  } else if (!stream) {
    w = Eigen::VectorXd::Ones(N);
  }
  const init_policy init = a.init_means.empty() ? make_init_policy(a.init)
                                                : init_policy{given_means{read_means(a.init_means, K, D, a.data)}};

  // A distributed fit: every process fits (each its share of the rows); the first writes and prints.
  const bool first_process = !a.processes || a.processes->rank() == 0;
  progress_line progress(std::cerr, first_process && progress_wanted(a.progress, a.quiet));
  fit_args with_progress = a;
  with_progress.on_iteration = progress.callback(a.restarts);
  const fit_outcome fit = [&] {
    try {
      fit_outcome result = stream                    ? fit_family(with_progress, *stream, init, K, w)
                           : a.online || a.minibatch ? fit_family_online(with_progress, *table, init, K, w)
                                                     : fit_family(with_progress, *table, init, K, w);
      result.report.warnings = condense_floor_warnings(result.report.warnings);
      return result;
    } catch (const numerical_error& e) {
      throw numerical_error("fitting " + display_name(a.data) + ": " + e.what());
    }
  }();
  progress.finish();

  fit_provenance how;
  how.data_file = a.data;
  how.columns = header;
  if (!a.weights.empty()) how.weights_file = a.weights;
  how.init = a.init_means.empty() ? a.init : "given-means";
  if (!a.init_means.empty()) how.init_means_file = a.init_means;
  how.restarts = a.restarts;
  how.seed = a.seed;
  how.tolerance = a.tol;
  how.max_iterations = a.max_iter;
  const fit_measures measures =
      stream ? measure_stream_fit(fit.model, *stream) : measure_fit(fit.model, table->table.values, w);
  const std::string model_text = model_file_text(model_json(fit.model, fit.report, measures, how));
  if (!first_process) return;

  if (!a.trace.empty()) io::write_file_atomically(a.trace, trace_csv(fit.report.trace));
  io::write_file_atomically(a.output, model_text);

  out << describe_model(fit.model, header) << '\n'
      << describe_fit(fit.report, criteria_of(fit.model, fit.report), measures.inertia)
      << (a.online || a.minibatch ? online_description(a) + "\n" : std::string()) << "model written to "
      << display_name(a.output) << '\n';
  if (!a.trace.empty()) out << "trace written to " << display_name(a.trace) << '\n';
  out.flush();
}

}  // namespace emkit::cli
