#pragma once
/// \file
/// `emkit fit`: fit a model of any registered family to the rows of a data file and write the
/// model (and the trace). The family's own options (`--covariance`, `--columns`, ...) come from
/// its description; nothing here names a family. Nothing is written unless the fit succeeds.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>

#include <CLI/CLI.hpp>

#include <emkit/cli/description.hpp>
#include <emkit/cli/model.hpp>
#include <emkit/framework/engine/iteration_record.hpp>
#include <emkit/framework/execution/processes.hpp>
#include <emkit/framework/types.hpp>

namespace emkit::cli {

/// The values of `emkit fit`'s command line, with its defaults.
struct fit_args {
  std::string data;
  std::string family;  ///< --family; empty: the first registered family
  index components = 0;
  bool components_given = false;  ///< -k was given (--init-model gives K otherwise)
  std::string init = "kmeans++";
  std::string init_means;
  std::string init_labels;  ///< --init-labels: one component per row of DATA
  std::string init_model;   ///< --init-model: a model file to start from (a warm start)
  std::string weights;
  int restarts = 1;
  std::uint64_t seed = 0;
  double tol = 1e-8;
  int max_iter = 1000;
  std::string empty_component = "reseed";  ///< --empty-component: the mixture's empty_component_policy
  int threads = 0;
  std::string trace;
  std::string output;
  std::string progress = "auto";  ///< --progress: auto (on a terminal), always or never
  bool quiet = false;             ///< --quiet: print nothing on success (and no progress line)
  bool stream = false;            ///< --stream: read DATA chunk by chunk on every pass, never whole
  index chunk_rows = 0;           ///< --chunk-rows: rows per chunk of every pass (fit_options::chunk_rows; 0: by D, K)
  /// The families' own options (--covariance, --reg-covar, --columns, ...): their text as typed,
  /// and which were given. `family_option_values()` adds the defaults of the chosen family.
  std::map<std::string, std::string> family_options;
  std::map<std::string, bool> family_options_given;
  /// Not an option: called with every iteration record of the fit (the progress line).
  std::function<void(int, const iteration_record&)> on_iteration;
  bool distributed = false;  ///< --distributed: one process of an MPI job (`mpirun -np P emkit fit ...`)
  /// Not an option: the processes of a --distributed fit (set by main once MPI is up).
  std::shared_ptr<const process_group> processes;

  // Online EM (--online: stepwise, --minibatch: incremental).
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
[[nodiscard]] CLI::Validator unsigned_64_validator();

/// Adds `--progress auto|always|never` to `command`, storing into `mode`.
void add_progress_option(CLI::App& command, std::string& mode);

/// Adds every option of `families` to `command` once (an option several families take, such
/// as --reg-covar, once), storing into `values` and `given`.
void add_family_options(CLI::App& command, const family_list& families, std::map<std::string, std::string>& values,
                        std::map<std::string, bool>& given);

/// The options of the family `kind` from what was typed: its defaults, then the values
/// given. Throws `usage_error` for a given option that `kind` does not take, naming the
/// families that do.
[[nodiscard]] option_values family_option_values(const model_kind& kind, const family_list& families,
                                                 const std::map<std::string, std::string>& values,
                                                 const std::map<std::string, bool>& given);

/// Adds the `fit` subcommand to `app`, storing into `args` (which must outlive parsing).
CLI::App* add_fit_command(CLI::App& app, fit_args& args, const family_list& families);

/// Runs `emkit fit`: checks the arguments and files, reads the inputs, fits, writes the
/// trace and then the model atomically, and prints the model and the monitor's report to
/// `out`. Throws `usage_error`, `emkit::error` or another `std::exception`; in every such
/// case no file has been written.
void run_fit_command(const fit_args& a, std::ostream& out, const family_list& families);

/// `fit --json`: the summary of the model file just written (as `info --json`), with its path
/// and the fit's seconds, N, restarts and monitor verdict.
[[nodiscard]] std::string fit_json_text(const std::string& model_path, const family_list& families);

}  // namespace emkit::cli
