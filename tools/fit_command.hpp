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
#include <iostream>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

#include <CLI/CLI.hpp>
#include <Eigen/Core>

#include <emkit/emkit.hpp>
#include <emkit/framework/io/atomic_file.hpp>
#include <emkit/framework/io/csv.hpp>

#include "cli_files.hpp"
#include "model_json.hpp"
#include "model_report.hpp"
#include "trace_csv.hpp"

namespace emkit::cli {

/// The values of `emkit fit`'s command line, with its defaults.
struct fit_args {
  std::string data;
  std::string family = "gaussian";
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
  int threads = 0;
  std::string trace;
  std::string output;
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

/// Adds the `fit` subcommand to `app`, storing into `args` (which must outlive parsing).
inline CLI::App* add_fit_command(CLI::App& app, fit_args& args) {
  CLI::App* fit = app.add_subcommand("fit", "Fit a mixture model to the rows of a CSV file by EM");
  fit->add_option("DATA", args.data,
                  "CSV file of observations, one row each, comma-separated; a first line that is not numeric "
                  "is a header; '-' reads standard input")
      ->required();
  fit->add_option("--family", args.family, "Component family (only gaussian for now)")->capture_default_str();
  fit->add_option("--covariance", args.covariance, "Covariance type")
      ->capture_default_str()
      ->check(CLI::IsMember({"full", "diag", "spherical", "tied"}));
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
  fit->add_option("--reg-covar", args.reg_covar, "Added to the diagonal of every covariance matrix")
      ->capture_default_str();
  fit->add_option("--threads", args.threads, "Worker threads (0: all cores); results do not depend on it")
      ->capture_default_str();
  fit->add_option("--trace", args.trace, "Write the per-iteration record of the returned fit to this CSV file");
  fit->add_option("-o,--output", args.output, "Write the fitted model to this JSON file")->required();
  return fit;
}

/// The families the command line knows of; only gaussian is implemented so far.
inline void check_family(const std::string& family) {
  if (family == "gaussian") return;
  if (family == "poisson" || family == "bernoulli" || family == "kmeans" || family == "product") {
    throw usage_error("--family " + family + " is not yet supported (only gaussian is)");
  }
  throw usage_error("--family " + display_name(family) + " is unknown, expected gaussian");
}

/// Throws `usage_error` for option values that no data could make valid.
inline void validate_fit_args(const fit_args& a) {
  check_family(a.family);
  const auto fail = [](const std::string& what) -> void { throw usage_error(what); };
  if (a.components < 1) fail(detail::concat("-k ", a.components, ": the number of components must be at least 1"));
  if (a.restarts < 1) fail(detail::concat("--restarts ", a.restarts, ": expected at least 1"));
  if (!(a.tol >= 0 && a.tol < 1)) fail(detail::concat("--tol ", a.tol, ": expected a number in [0, 1)"));
  if (a.max_iter < 0) fail(detail::concat("--max-iter ", a.max_iter, ": expected at least 0"));
  if (!(a.reg_covar >= 0 && std::isfinite(a.reg_covar))) {
    fail(detail::concat("--reg-covar ", a.reg_covar, ": expected a finite number >= 0"));
  }
  if (a.threads < 0) fail(detail::concat("--threads ", a.threads, ": expected at least 0 (0: all cores)"));
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
  return options;
}

/// Fits `model` with K components to X (weights w) by soft EM on `thread_count` threads, with the
/// initialisation chosen at run time.
template <LatentModel M>
[[nodiscard]] fit_result<typename M::params_type> fit_model(const M& model, const init_policy& init,
                                                            const fit_options& options, int thread_count, matrix_ref X,
                                                            index K, vector_ref w) {
  return std::visit(
      [&](const auto& policy) {
        fitter<soft_estep, std::decay_t<decltype(policy)>, emkit::threads> f;
        f.init = policy;
        f.execution.n = thread_count;
        f.options = options;
        return f.fit(model, X, K, w);
      },
      init);
}

/// Runs `emkit fit`: checks the arguments and files, reads the inputs, fits, writes the
/// trace and then the model atomically, and prints the model and the monitor's report to
/// `out`. Throws `usage_error`, `emkit::error` or another `std::exception`; in every such
/// case no file has been written.
inline void run_fit_command(const fit_args& a, std::ostream& out) {
  validate_fit_args(a);
  check_fit_files(a);

  const io::table data = read_data(a.data);
  const matrix_ref X = data.values;
  const index N = X.rows();
  const index K = a.components;
  if (K > N) {
    throw data_error(detail::concat(display_name(a.data), ": -k ", K, " exceeds the number of rows (", N, ")"));
  }
  const Eigen::VectorXd w = a.weights.empty() ? Eigen::VectorXd::Ones(N) : read_weights(a.weights, a.data, N);
  const init_policy init = a.init_means.empty()
                               ? make_init_policy(a.init)
                               : init_policy{given_means{read_means(a.init_means, K, X.cols(), a.data)}};
  const gaussian_mixture model = make_gaussian_mixture(a.covariance, a.reg_covar);

  const auto [theta, summary] = [&] {
    try {
      return fit_model(model, init, make_fit_options(a), a.threads, X, K, w);
    } catch (const numerical_error& e) {
      throw numerical_error("fitting " + display_name(a.data) + ": " + e.what());
    }
  }();

  fit_provenance how;
  how.data_file = a.data;
  how.columns = data.header;
  if (!a.weights.empty()) how.weights_file = a.weights;
  how.init = a.init_means.empty() ? a.init : "given-means";
  if (!a.init_means.empty()) how.init_means_file = a.init_means;
  how.restarts = a.restarts;
  how.seed = a.seed;
  how.tolerance = a.tol;
  how.max_iterations = a.max_iter;
  const std::string model_text = model_file_text(gaussian_mixture_json(model, theta, summary, N, how));

  if (!a.trace.empty()) io::write_file_atomically(a.trace, trace_csv(summary.trace));
  io::write_file_atomically(a.output, model_text);

  out << describe_gaussian_mixture(model, theta, data.header) << '\n'
      << describe_fit(summary, criteria_of(model, theta, summary)) << "model written to " << display_name(a.output)
      << '\n';
  if (!a.trace.empty()) out << "trace written to " << display_name(a.trace) << '\n';
  out.flush();
}

}  // namespace emkit::cli
