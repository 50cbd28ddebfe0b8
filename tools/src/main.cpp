/// \file
/// `emkit::cli::main`: the emkit command line over a list of families (see <emkit/cli/main.hpp>).
///
///     emkit fit DATA.csv --covariance full -k 2 -o model.json [--trace trace.csv] ...
///     emkit predict MODEL.json DATA [--proba]     emkit score MODEL.json DATA [--threshold T]
///     emkit sample MODEL.json -n N [--seed S]     emkit info MODEL.json [--json]
///     emkit select DATA --k 1..8 ...              emkit verify MODEL.json DATA [--json]
///     emkit plot {clusters MODEL.json DATA | trace TRACE.csv | selection TABLE.csv} -o OUT.png|.svg
///
/// Exit status: 0 on success (and for --help, --version); 2 for a command line that cannot
/// be parsed or asks for something invalid (CLI11's parse errors, `usage_error`, no
/// subcommand); 1 for bad data, files that cannot be read or written, and numerical
/// failures. Every error is one line on standard error beginning "emkit: error: ".

#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include <emkit/cli/main.hpp>

#include <stdexcept>

#include <CLI/CLI.hpp>

#include <emkit/framework/error.hpp>
#include <emkit/version.hpp>

#include <emkit/cli/cli_files.hpp>
#include <emkit/cli/fit_command.hpp>
#include <emkit/cli/plot_command.hpp>
#include <emkit/cli/research_commands.hpp>
#include <emkit/cli/select_command.hpp>
#include <emkit/cli/verify_command.hpp>

#ifdef EMKIT_HAVE_MPI
#include <emkit/framework/execution/mpi.hpp>
#endif

namespace {

constexpr int exit_data_error = 1;
constexpr int exit_usage_error = 2;

/// `message` on one line: line breaks become spaces, trailing blanks are dropped.
std::string one_line(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  for (char c : message) out.push_back(c == '\n' || c == '\r' ? ' ' : c);
  while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
  return out;
}

/// The processes of `emkit fit --distributed`, once MPI is up (rank 0 of 1 otherwise).
struct distributed_state {
  int rank = 0;
  int size = 1;
};
distributed_state distributed;

/// Prints "emkit: error: <message>" on standard error (naming the process in a distributed fit)
/// and returns `status`.
int report_error(std::string_view message, int status) {
  std::cout.flush();
  std::string line = "emkit: error: ";
  if (distributed.size > 1) line += emkit::detail::concat("process ", distributed.rank, " of ", distributed.size, ": ");
  std::cerr << line + one_line(message) + '\n' << std::flush;  // one write: processes share the terminal
#ifdef EMKIT_HAVE_MPI
  // A process that stops alone would leave the others waiting in a collective: end the job.
  if (distributed.size > 1) MPI_Abort(MPI_COMM_WORLD, status);
#endif
  return status;
}

#ifdef EMKIT_HAVE_MPI
std::optional<emkit::mpi_session> mpi;
#endif

/// Joins the MPI job for `fit --distributed`; a usage error when emkit was built without MPI.
void start_distributed(emkit::cli::fit_args& args, int& argc, char**& argv) {
#ifdef EMKIT_HAVE_MPI
  mpi.emplace(argc, argv);
  auto group = std::make_shared<emkit::mpi_process_group>();
  distributed = {group->rank(), group->size()};
  args.processes = std::move(group);
#else
  (void)args, (void)argc, (void)argv;
  throw emkit::cli::usage_error(
      "--distributed: this emkit was built without MPI (install libopenmpi-dev and openmpi-bin, then rebuild)");
#endif
}

}  // namespace

namespace emkit::cli {

int main(int argc, char** argv, const family_list& families) {
  try {
    if (families.empty()) throw std::invalid_argument("emkit::cli::main: no families");
    CLI::App app{"emkit: fit latent-variable models by expectation-maximisation", "emkit"};
    app.set_version_flag("--version", std::string("emkit ") + emkit::version, "Print the version and exit");
    app.set_help_all_flag("--help-all", "Print help for every subcommand and exit");
    app.require_subcommand(0, 1);

    emkit::cli::fit_args fit_args;
    CLI::App* fit = emkit::cli::add_fit_command(app, fit_args, families);
    bool fit_json = false;
    fit->add_flag("--quiet", fit_args.quiet, "Print nothing on success (and no progress line)");
    fit->add_flag("--json", fit_json, "Print a machine-readable summary (JSON) instead of the report");
    emkit::cli::predict_args predict_args;
    CLI::App* predict = emkit::cli::add_predict_command(app, predict_args);
    emkit::cli::score_args score_args;
    CLI::App* score = emkit::cli::add_score_command(app, score_args);
    emkit::cli::sample_args sample_args;
    CLI::App* sample = emkit::cli::add_sample_command(app, sample_args);
    emkit::cli::info_args info_args;
    CLI::App* info = emkit::cli::add_info_command(app, info_args);
    emkit::cli::select_args select_args;
    CLI::App* select = emkit::cli::add_select_command(app, select_args, families);
    emkit::cli::verify_args verify_args;
    CLI::App* verify = emkit::cli::add_verify_command(app, verify_args);
    emkit::cli::plot_args plot_args;
    CLI::App* plot = emkit::cli::add_plot_command(app, plot_args);

    try {
      app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
      return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
      return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
      return app.exit(e);
    } catch (const CLI::ParseError& e) {
      return report_error(e.what(), exit_usage_error);
    }

    if (fit->parsed()) {
      if (fit_args.distributed) start_distributed(fit_args, argc, argv);
      if (distributed.rank != 0) {  // the first process prints; the others fit quietly
        std::ostringstream discarded;
        emkit::cli::run_fit_command(fit_args, discarded, families);
        return 0;
      }
      if (!fit_args.quiet && !fit_json) {
        emkit::cli::run_fit_command(fit_args, std::cout, families);
        return 0;
      }
      std::ostringstream report;
      emkit::cli::run_fit_command(fit_args, report, families);
      if (fit_json) std::cout << emkit::cli::fit_json_text(fit_args.output, families) << std::flush;
      return 0;
    }
    if (predict->parsed()) {
      emkit::cli::run_predict_command(predict_args, std::cout, families);
      return 0;
    }
    if (score->parsed()) {
      emkit::cli::run_score_command(score_args, std::cout, std::cerr, families);
      return 0;
    }
    if (sample->parsed()) {
      emkit::cli::run_sample_command(sample_args, std::cout, families);
      return 0;
    }
    if (info->parsed()) {
      emkit::cli::run_info_command(info_args, std::cout, families);
      return 0;
    }
    if (select->parsed()) {
      emkit::cli::run_select_command(select_args, std::cout, families);
      return 0;
    }
    if (verify->parsed()) {
      emkit::cli::run_verify_command(verify_args, std::cout, families);
      return 0;
    }
    if (plot->parsed()) {
      emkit::cli::run_plot_command(plot_args, std::cout, families);
      return 0;
    }
    std::cout << app.help();
    return report_error("no command given; expected one of: fit, predict, score, sample, info, select, verify, plot",
                        exit_usage_error);
  } catch (const emkit::cli::usage_error& e) {
    return report_error(e.what(), exit_usage_error);
  } catch (const std::exception& e) {
    return report_error(e.what(), exit_data_error);
  } catch (...) {
    return report_error("unexpected failure", exit_data_error);
  }
}

}  // namespace emkit::cli
