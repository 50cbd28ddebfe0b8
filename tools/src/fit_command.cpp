/// \file
/// `emkit fit` (see <emkit/cli/fit_command.hpp>).

#include <emkit/cli/fit_command.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include <emkit/cli/cli_files.hpp>
#include <emkit/cli/model_file.hpp>
#include <emkit/cli/model_report.hpp>
#include <emkit/cli/progress.hpp>
#include <emkit/cli/research_commands.hpp>
#include <emkit/cli/trace_csv.hpp>
#include <emkit/framework/io/atomic_file.hpp>

namespace emkit::cli {

CLI::Validator unsigned_64_validator() {
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

void add_progress_option(CLI::App& command, std::string& mode) {
  command
      .add_option("--progress", mode,
                  "A progress line on standard error (restart, iteration, log-likelihood, change): auto (when "
                  "standard error is a terminal), always or never; --quiet means never")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "always", "never"}));
}

void add_family_options(CLI::App& command, const family_list& families, std::map<std::string, std::string>& values,
                        std::map<std::string, bool>& given) {
  std::set<std::string> added;
  for (const auto& kind : families) {
    for (const family_option& o : kind->options()) {
      if (!added.insert(o.name).second) continue;
      std::string& value = values[o.name];
      bool& was_given = given[o.name];
      CLI::Option* option = command.add_option(o.name, value, o.help);
      if (!o.default_value.empty()) option->default_str(o.default_value);
      if (!o.choices.empty()) option->check(CLI::IsMember(o.choices));
      option->each([&was_given](const std::string&) { was_given = true; });
    }
  }
}

option_values family_option_values(const model_kind& kind, const family_list& families,
                                   const std::map<std::string, std::string>& values,
                                   const std::map<std::string, bool>& given) {
  std::map<std::string, std::string> out;
  std::set<std::string> out_given;
  const std::vector<family_option> own = kind.options();
  for (const family_option& o : own) out[o.name] = o.default_value;
  for (const auto& [name, was_given] : given) {
    if (!was_given) continue;
    bool taken = false;
    for (const family_option& o : own) taken = taken || o.name == name;
    if (!taken) {
      std::vector<std::string> takers;
      for (const auto& k : families) {
        for (const family_option& o : k->options())
          if (o.name == name) takers.push_back(k->name());
      }
      std::string list;
      for (std::size_t i = 0; i < takers.size(); ++i)
        list += (i == 0 ? "" : i + 1 == takers.size() ? " or " : ", ") + takers[i];
      throw usage_error(name + " applies to --family " + list + " only, not " + display_name(kind.name()) +
                        kind.option_hint(name));
    }
    out[name] = values.at(name);
    out_given.insert(name);
  }
  return option_values(std::move(out), std::move(out_given));
}

namespace {

/// Adds --online, --minibatch, --batch-size, --alpha, --t0, --burn-in, --polyak, --epochs.
void add_online_options(CLI::App& fit, fit_args& args) {
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

/// The family of --family (the first registered one when not given).
const model_kind& chosen_family(const fit_args& a, const family_list& families) {
  if (a.family.empty()) return *families.front();
  return find_family(families, a.family);
}

/// Throws `usage_error` for option values that no data could make valid.
void validate_fit_args(const fit_args& a, const family_list& families) {
  const auto fail = [](const std::string& what) -> void { throw usage_error(what); };
  if (!a.init_model.empty()) {
    // The model file gives the family, its options and K.
    for (const auto& [name, was_given] : a.family_options_given) {
      if (was_given) fail(name + ": with --init-model, the family's options are those of the model file");
    }
  } else {
    const model_kind& kind = chosen_family(a, families);
    kind.check_options(family_option_values(kind, families, a.family_options, a.family_options_given));
    if (!a.components_given) fail("-k,--components is required (or --init-model, which gives K)");
  }
  if (a.components_given && a.components < 1)
    fail(detail::concat("-k ", a.components, ": the number of components must be at least 1"));
  if (a.restarts < 1) fail(detail::concat("--restarts ", a.restarts, ": expected at least 1"));
  if (!(a.tol >= 0 && a.tol < 1)) fail(detail::concat("--tol ", a.tol, ": expected a number in [0, 1)"));
  if (a.max_iter < 0) fail(detail::concat("--max-iter ", a.max_iter, ": expected at least 0"));
  if (a.threads < 0) fail(detail::concat("--threads ", a.threads, ": expected at least 0 (0: all cores)"));
  if (a.chunk_rows < 0) fail(detail::concat("--chunk-rows ", a.chunk_rows, ": expected at least 0 (0: by D and K)"));
  if (a.stream && a.data == "-") fail("--stream: DATA '-' (standard input) cannot be streamed; give a file");
}

/// Throws `usage_error` for online options without --online/--minibatch, or with --restarts.
void validate_online_args(const fit_args& a) {
  if (!a.online && !a.minibatch) {
    if (a.online_options_given > 0)
      throw usage_error("--batch-size, --alpha, --t0, --burn-in, --polyak and --epochs need --online or --minibatch");
    return;
  }
  if (a.restarts != 1) throw usage_error("--restarts applies to batch EM only, not to --online or --minibatch");
  if (a.distributed) throw usage_error("--distributed applies to batch EM only, not to --online or --minibatch");
  if (a.batch_size < 1) throw usage_error(detail::concat("--batch-size ", a.batch_size, ": expected at least 1"));
  if (!(a.alpha > 0.5 && a.alpha <= 1)) throw usage_error(detail::concat("--alpha ", a.alpha, ": expected (0.5, 1]"));
  if (!(a.t0 >= 0 && std::isfinite(a.t0))) throw usage_error(detail::concat("--t0 ", a.t0, ": expected >= 0"));
  if (a.burn_in < 0) throw usage_error(detail::concat("--burn-in ", a.burn_in, ": expected at least 0"));
  if (a.epochs < 1) throw usage_error(detail::concat("--epochs ", a.epochs, ": expected at least 1"));
  if (a.minibatch && a.stepwise_options_given > 0)
    throw usage_error("--alpha, --t0, --burn-in and --polyak apply to --online, not --minibatch");
}

/// Checks, before reading or fitting anything, that the outputs can be written and would
/// not overwrite an input or each other, and that standard input is read at most once.
void check_fit_files(const fit_args& a) {
  const int stdin_uses =
      (a.data == "-") + (a.weights == "-") + (a.init_means == "-") + (a.init_labels == "-") + (a.init_model == "-");
  if (stdin_uses > 1)
    throw usage_error(
        "standard input ('-') can be read by only one of DATA, --weights, --init-means, --init-labels, --init-model");
  check_output_path("-o", a.output);
  if (!a.trace.empty()) {
    check_output_path("--trace", a.trace);
    if (same_file(a.trace, a.output)) {
      throw usage_error("--trace " + display_name(a.trace) + ": is the same file as -o");
    }
  }
  for (const std::string* input : {&a.data, &a.weights, &a.init_means, &a.init_labels, &a.init_model}) {
    for (const auto& [option, output] : {std::pair{"-o", &a.output}, std::pair{"--trace", &a.trace}}) {
      if (!input->empty() && !output->empty() && same_file(*input, *output)) {
        throw usage_error(std::string(option) + " " + display_name(*output) + ": would overwrite the input file " +
                          display_name(*input));
      }
    }
  }
}

/// The warnings with each run of "parameters held at the family's floor" (which a family with
/// a floor may report at every iteration) kept once per restart and component, at the
/// last iteration it was reported: the state of the parameters that restart returned.
std::vector<warning> condense_floor_warnings(const std::vector<warning>& warnings) {
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

/// What an online fit ran, for the report: it stops after --epochs, with no convergence test,
/// and the monitor's EM checks (which are for batch EM) did not run.
std::string online_description(const fit_args& a) {
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

}  // namespace

CLI::App* add_fit_command(CLI::App& app, fit_args& args, const family_list& families) {
  CLI::App* fit = app.add_subcommand("fit", "Fit a mixture model to the rows of a CSV file by EM");
  fit->add_option("DATA", args.data,
                  "CSV file of observations, one row each, comma-separated; a first line that is not numeric "
                  "is a header; '-' reads standard input")
      ->required();
  std::string family_help = "Component family: ";
  for (std::size_t i = 0; i < families.size(); ++i) {
    family_help += (i == 0 ? "" : i + 1 == families.size() ? " or " : ", ") + families[i]->help();
  }
  CLI::Option* family = fit->add_option("--family", args.family, family_help)->default_str(families.front()->name());
  add_family_options(*fit, families, args.family_options, args.family_options_given);
  fit->add_option("-k,--components", args.components,
                  "Number of components K (1 <= K <= rows of DATA); required unless --init-model gives it")
      ->each([&args](const std::string&) { args.components_given = true; });
  CLI::Option* init = fit->add_option("--init", args.init, "Initialisation of each restart")
                          ->capture_default_str()
                          ->check(CLI::IsMember({"kmeans++", "random", "random-resp"}));
  CLI::Option* means = fit->add_option("--init-means", args.init_means,
                                       "CSV file of K initial means, one row of D values each (instead of --init)")
                           ->excludes(init);
  CLI::Option* labels =
      fit->add_option("--init-labels", args.init_labels,
                      "CSV file of one component in 0..K-1 per row of DATA (a single column, header allowed; "
                      "as `emkit predict` writes): start from this assignment (instead of --init)")
          ->excludes(init)
          ->excludes(means);
  fit->add_option("--init-model", args.init_model,
                  "Model file to start from, a warm start: its family, options, K and parameters are the first "
                  "ones of the fit (instead of --init; -k, when given, must equal its K)")
      ->excludes(init)
      ->excludes(means)
      ->excludes(labels)
      ->excludes(family);
  fit->add_option("--weights", args.weights,
                  "CSV file of one non-negative weight per row of DATA (a single column; header allowed)");
  fit->add_option("--restarts", args.restarts, "Independent initialisations; the best fit is kept")
      ->capture_default_str();
  fit->add_option("--seed", args.seed, "Seed of the random initialisation (restart r uses stream r)")
      ->capture_default_str()
      ->check(unsigned_64_validator());
  fit->add_option("--tol", args.tol,
                  "Stop when the change of the log-likelihood divided by max(total weight, |log-likelihood|) is in "
                  "[0, tol); 0 runs exactly --max-iter iterations")
      ->capture_default_str();
  fit->add_option("--max-iter", args.max_iter, "Maximum EM iterations per restart")->capture_default_str();
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

void run_fit_command(const fit_args& a, std::ostream& out, const family_list& families) {
  validate_fit_args(a, families);
  validate_online_args(a);
  check_fit_files(a);
  // A warm start: the model file gives the family, its options and K.
  std::optional<loaded_model> start;
  if (!a.init_model.empty()) start.emplace(load(a.init_model, families));
  const model_kind& kind = start ? start->model->kind() : chosen_family(a, families);
  const option_values options = family_option_values(kind, families, a.family_options, a.family_options_given);

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
  const index K = start && !a.components_given ? start->model->num_components() : a.components;
  if (start) {
    const std::string name = "--init-model " + display_name(a.init_model);
    if (K != start->model->num_components())
      throw usage_error(detail::concat("-k ", K, ": ", name, " has K = ", start->model->num_components()));
    if (D != start->model->dimension())
      throw data_error(detail::concat(name, ": the model has D = ", start->model->dimension(), " columns, but ",
                                      display_name(a.data), " has ", D));
  }
  if (K > N) {
    throw data_error(detail::concat(display_name(a.data), ": -k ", K, " exceeds the number of rows (", N, ")"));
  }
  fit_request request;
  request.table = table ? &*table : nullptr;
  request.stream = stream ? &*stream : nullptr;
  // Weights are held in memory (8 bytes a row), also with --stream; none: all 1.
  if (!a.weights.empty()) {
    request.weights = read_weights(a.weights, a.data, N);
    if (stream) stream->set_weights(request.weights);
  } else if (!stream) {
    request.weights = Eigen::VectorXd::Ones(N);
  }
  request.init = a.init;
  if (!a.init_means.empty()) request.init_means = read_means(a.init_means, K, D, a.data);
  if (!a.init_labels.empty()) request.init_labels = read_labels(a.init_labels, a.data, N, K);
  if (start) request.init_model = start->model;
  request.empty_component = a.empty_component;
  request.K = K;
  request.execution = threads{a.threads, a.processes};
  request.options.relative_tolerance = a.tol;
  request.options.max_iterations = a.max_iter;
  request.options.restarts = a.restarts;
  request.options.seed = a.seed;
  request.options.chunk_rows = a.chunk_rows;
  if (a.online || a.minibatch) {
    request.online = fit_request::online_settings{.stepwise = a.online,
                                                  .batch_size = a.batch_size,
                                                  .alpha = a.alpha,
                                                  .t0 = a.t0,
                                                  .burn_in = a.burn_in,
                                                  .polyak = a.polyak,
                                                  .epochs = a.epochs,
                                                  .evaluate = !a.trace.empty()};
  }

  // A distributed fit: every process fits (each its share of the rows); the first writes and prints.
  const bool first_process = !a.processes || a.processes->rank() == 0;
  progress_line progress(std::cerr, first_process && progress_wanted(a.progress, a.quiet));
  request.options.on_iteration = a.on_iteration ? a.on_iteration : progress.callback(a.restarts);
  const fit_outcome fit = [&] {
    try {
      fit_outcome result = kind.fit(options, request);
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
  how.init = !a.init_means.empty()    ? "given-means"
             : !a.init_labels.empty() ? "given-labels"
             : start                  ? "given-model"
                                      : a.init;
  if (!a.init_means.empty()) how.init_means_file = a.init_means;
  if (!a.init_labels.empty()) how.init_labels_file = a.init_labels;
  if (start) how.init_model_file = a.init_model;
  how.restarts = a.restarts;
  how.seed = a.seed;
  how.tolerance = a.tol;
  how.max_iterations = a.max_iter;
  const fit_measures measures =
      stream ? measure_fit(*fit.model, *stream) : measure_fit(*fit.model, table->table.values, request.weights);
  const std::string model_text = model_file_text(model_json(*fit.model, fit.report, measures, how));
  if (!first_process) return;

  if (!a.trace.empty()) io::write_file_atomically(a.trace, trace_csv(fit.report.trace));
  io::write_file_atomically(a.output, model_text);

  out << fit.model->describe(header) << '\n'
      << describe_fit(fit.report, criteria_of(*fit.model, fit.report), measures.inertia)
      << (a.online || a.minibatch ? online_description(a) + "\n" : std::string()) << "model written to "
      << display_name(a.output) << '\n';
  if (!a.trace.empty()) out << "trace written to " << display_name(a.trace) << '\n';
  out.flush();
}

std::string fit_json_text(const std::string& model_path, const family_list& families) {
  const loaded_model m = load(model_path, families);
  json j;
  j["model_file"] = model_path;
  const json info = info_json(m);
  for (auto it = info.begin(); it != info.end(); ++it) j[it.key()] = it.value();
  for (const char* key : {"seconds", "total_weight", "restarts", "best_restart", "restart_objectives"}) {
    if (m.document.contains(key)) j[key] = m.document[key];
  }
  if (m.document.contains("monitor")) j["checks_passed"] = m.document["monitor"].value("checks_passed", false);
  if (m.document.contains("warnings")) j["warnings"] = m.document["warnings"];
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace emkit::cli
