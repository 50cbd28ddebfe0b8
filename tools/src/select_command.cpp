/// \file
/// `emkit select` (see <emkit/cli/select_command.hpp>).

#include <emkit/cli/select_command.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include <emkit/cli/fit_command.hpp>
#include <emkit/cli/model_file.hpp>
#include <emkit/cli/progress.hpp>
#include <emkit/cli/research_commands.hpp>
#include <emkit/cli/trace_csv.hpp>
#include <emkit/framework/io/atomic_file.hpp>
#include <emkit/framework/numeric/random.hpp>

namespace emkit::cli {

CLI::App* add_select_command(CLI::App& app, select_args& a, const family_list& families) {
  CLI::App* c = app.add_subcommand("select", "Fit mixtures over K and covariance types; keep the best");
  c->add_option("DATA", a.data, "CSV or .npy file of observations ('-': standard input)")->required();
  c->add_option("--family", a.family, "Component family, as for fit")->default_str(families.front()->name());
  c->add_option("--k", a.ks, "Values of K: a range FIRST..LAST and/or a comma-separated list")->capture_default_str();
  c->add_option("--covariance", a.covariances,
                "Comma-separated covariance types (of a family with --covariance; default: all it takes)");
  c->add_option("--folds", a.folds, "Folds of the cross-validation (>= 2)")->capture_default_str();
  c->add_option("--criterion", a.criterion, "What chooses the best model: bic, aic, icl (lowest) or cv (highest)")
      ->capture_default_str()
      ->check(CLI::IsMember({"bic", "aic", "icl", "cv"}));
  c->add_option("--restarts", a.restarts, "Independent initialisations per fit")->capture_default_str();
  c->add_option("--seed", a.seed, "Seed of the initialisations and of the folds")
      ->capture_default_str()
      ->check(unsigned_64_validator());
  c->add_option("--tol", a.tol, "Convergence tolerance, as for fit")->capture_default_str();
  c->add_option("--max-iter", a.max_iter, "Maximum EM iterations per restart")->capture_default_str();
  c->add_option("--reg-covar", a.reg_covar, "Added to the diagonal of every covariance (as for fit)");
  c->add_option("--threads", a.threads, "Worker threads (0: all cores)")->capture_default_str();
  c->add_option("--delimiter", a.delimiter, "CSV delimiter (one character, or 'tab')")->capture_default_str();
  c->add_option("-o,--output", a.output, "Write the best model to this JSON file")->required();
  c->add_option("--table", a.table,
                "Also write the table to this CSV file (columns k, covariance, log_likelihood, bic, aic, icl, "
                "cv_loglik_per_obs, best), as emkit plot selection reads it");
  add_progress_option(*c, a.progress);
  return c;
}

/// The values of `--k`: comma-separated pieces, each an integer or a range FIRST..LAST.
std::vector<index> parse_k_list(const std::string& text) {
  const auto fail = [&](const std::string& why) -> void {
    throw usage_error("--k \"" + display_name(text) + "\": " + why);
  };
  const auto integer = [&](std::string_view s) {
    index v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size())
      fail("'" + std::string(s) + "' is not an integer");
    if (v < 1) fail("K must be at least 1");
    return v;
  };
  std::vector<index> out;
  for (const std::string& piece : [&] {
         std::vector<std::string> pieces;
         std::string current;
         for (char ch : text) {
           if (ch == ',') {
             pieces.push_back(current);
             current.clear();
           } else {
             current += ch;
           }
         }
         pieces.push_back(current);
         return pieces;
       }()) {
    const std::size_t dots = piece.find("..");
    if (dots == std::string::npos) {
      out.push_back(integer(piece));
      continue;
    }
    const index first = integer(std::string_view(piece).substr(0, dots));
    const index last = integer(std::string_view(piece).substr(dots + 2));
    if (last < first) fail("the range " + piece + " is empty");
    if (last - first > 1000) fail("the range " + piece + " is too long");
    for (index k = first; k <= last; ++k) out.push_back(k);
  }
  return out;
}

/// The values of `--covariance`: each one of `choices`.
std::vector<std::string> parse_covariance_list(const std::string& text, const std::vector<std::string>& choices) {
  std::vector<std::string> out;
  std::string current;
  std::string known;
  for (std::size_t i = 0; i < choices.size(); ++i) known += (i == 0 ? "" : ", ") + choices[i];
  const auto push = [&] {
    if (std::find(choices.begin(), choices.end(), current) == choices.end()) {
      throw usage_error("--covariance \"" + display_name(text) + "\": '" + display_name(current) + "' is not one of " +
                        known);
    }
    out.push_back(current);
    current.clear();
  };
  for (char ch : text) {
    if (ch == ',') {
      push();
    } else {
      current += ch;
    }
  }
  push();
  return out;
}

/// The fold (0 .. folds−1) of each of N rows: a seeded shuffle, then round robin, so that
/// the folds differ in size by at most one and depend only on N, the fold count and the seed.
std::vector<int> fold_of_rows(index N, int folds, std::uint64_t seed) {
  std::vector<index> order(static_cast<std::size_t>(N));
  std::iota(order.begin(), order.end(), index{0});
  random_engine rng = make_engine(seed, 0x5e1ec7);  // a stream of its own, apart from the restarts'
  for (index i = N - 1; i > 0; --i) {
    const auto j = static_cast<index>(uniform01(rng) * static_cast<double>(i + 1));
    std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(std::min(j, i))]);
  }
  std::vector<int> fold(static_cast<std::size_t>(N));
  for (index i = 0; i < N; ++i)
    fold[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])] = static_cast<int>(i % folds);
  return fold;
}

/// One row of the table.
struct candidate {
  index k = 0;
  std::string covariance;
  double log_likelihood = std::numeric_limits<double>::quiet_NaN();
  double bic = std::numeric_limits<double>::quiet_NaN();
  double aic = std::numeric_limits<double>::quiet_NaN();
  double icl = std::numeric_limits<double>::quiet_NaN();
  double cv = std::numeric_limits<double>::quiet_NaN();  ///< held-out log-likelihood per observation
  std::optional<fit_outcome> fit;
  std::string failure;  ///< why the fit on all the data failed, if it did
};

/// The family options of this candidate: its covariance type (when the family takes one)
/// and --reg-covar as given.
option_values candidate_options(const select_args& a, const model_kind& kind, const family_list& families,
                                const std::string& covariance) {
  std::map<std::string, std::string> values;
  std::map<std::string, bool> given;
  if (!covariance.empty()) values["--covariance"] = covariance, given["--covariance"] = true;
  if (!a.reg_covar.empty()) values["--reg-covar"] = a.reg_covar, given["--reg-covar"] = true;
  return family_option_values(kind, families, values, given);
}

/// The fit of one candidate (or one fold of it) to `data`.
fit_outcome fit_candidate(const select_args& a, const model_kind& kind, const option_values& options,
                          const data_file& data, index k, const std::function<void(int, const iteration_record&)>& cb) {
  fit_request q;
  q.table = &data;
  q.K = k;
  q.weights = Eigen::VectorXd::Ones(data.table.values.rows());
  q.execution.n = a.threads;
  q.options.restarts = a.restarts;
  q.options.seed = a.seed;
  q.options.relative_tolerance = a.tol;
  q.options.max_iterations = a.max_iter;
  q.options.on_iteration = cb;
  return kind.fit(options, q);
}

/// The rows of `data` in (or not in) fold `f`.
data_file fold_rows(const data_file& data, const std::vector<int>& fold, int f, bool in_fold) {
  std::vector<index> rows;
  for (std::size_t n = 0; n < fold.size(); ++n) {
    if ((fold[n] == f) == in_fold) rows.push_back(static_cast<index>(n));
  }
  data_file out;
  out.path = data.path;
  out.table.values.resize(static_cast<index>(rows.size()), data.table.values.cols());
  for (std::size_t i = 0; i < rows.size(); ++i)
    out.table.values.row(static_cast<index>(i)) = data.table.values.row(rows[i]);
  return out;
}

/// The header of `select --table`'s CSV file.
constexpr const char* selection_table_header = "k,covariance,log_likelihood,bic,aic,icl,cv_loglik_per_obs,best";

/// The table as CSV: `selection_table_header`, then one line per candidate with 17 significant
/// digits ("nan" for a fit that failed), `best` 1 on the chosen row and 0 elsewhere.
std::string selection_table_csv(const std::vector<candidate>& table, const candidate* best) {
  std::string out = selection_table_header;
  out += '\n';
  for (const candidate& c : table) {
    out += std::to_string(c.k) + ',' + c.covariance;
    for (double v : {c.log_likelihood, c.bic, c.aic, c.icl, c.cv}) out += ',' + format_double(v);
    out += &c == best ? ",1\n" : ",0\n";
  }
  return out;
}

std::string table_cell(double v) {
  char text[64];
  std::snprintf(text, sizeof text, "%16.8g", v);
  return text;
}

void run_select_command(const select_args& a, std::ostream& out, const family_list& families) {
  const std::vector<index> ks = parse_k_list(a.ks);
  const model_kind& kind = a.family.empty() ? *families.front() : find_family(families, a.family);
  std::vector<std::string> choices;
  for (const family_option& o : kind.options())
    if (o.name == "--covariance") choices = o.choices;
  std::vector<std::string> covariances{""};
  if (!choices.empty()) {
    std::string all;
    for (const std::string& c : choices) all += (all.empty() ? "" : ",") + c;
    covariances = parse_covariance_list(a.covariances.empty() ? all : a.covariances, choices);
  } else if (!a.covariances.empty()) {
    (void)candidate_options(a, kind, families, a.covariances);  // names the families that take --covariance
  }
  if (a.folds < 2) throw usage_error(detail::concat("--folds ", a.folds, ": expected at least 2"));
  if (a.restarts < 1) throw usage_error(detail::concat("--restarts ", a.restarts, ": expected at least 1"));
  if (!(a.tol >= 0 && a.tol < 1)) throw usage_error(detail::concat("--tol ", a.tol, ": expected a number in [0, 1)"));
  if (a.max_iter < 0) throw usage_error(detail::concat("--max-iter ", a.max_iter, ": expected at least 0"));
  if (a.threads < 0) throw usage_error(detail::concat("--threads ", a.threads, ": expected at least 0 (0: all cores)"));
  for (const std::string& cov : covariances) kind.check_options(candidate_options(a, kind, families, cov));
  const io::csv_options options = csv_options_of(a.delimiter);
  check_output_path("-o", a.output);
  if (same_file(a.data, a.output)) {
    throw usage_error("-o " + display_name(a.output) + ": would overwrite the input file " + display_name(a.data));
  }
  if (!a.table.empty()) {
    check_output_path("--table", a.table);
    if (same_file(a.table, a.output))
      throw usage_error("--table " + display_name(a.table) + ": is the same file as -o");
    if (same_file(a.data, a.table)) {
      throw usage_error("--table " + display_name(a.table) + ": would overwrite the input file " +
                        display_name(a.data));
    }
  }
  progress_line progress(std::cerr, progress_wanted(a.progress, false));

  const data_file data = read_data(a.data, options);
  const matrix_ref X = data.table.values;
  const index N = X.rows();
  for (index k : ks) {
    if (k > N)
      throw data_error(detail::concat(display_name(a.data), ": --k ", k, " exceeds the number of rows (", N, ")"));
  }
  if (a.folds > N) {
    throw data_error(
        detail::concat(display_name(a.data), ": --folds ", a.folds, " exceeds the number of rows (", N, ")"));
  }
  const Eigen::VectorXd w = Eigen::VectorXd::Ones(N);
  const std::vector<int> fold = fold_of_rows(N, a.folds, a.seed);

  std::vector<candidate> table;
  for (const std::string& cov : covariances) {
    for (index k : ks) {
      candidate c;
      c.k = k;
      c.covariance = cov;
      const option_values options = candidate_options(a, kind, families, cov);
      const auto callback = progress.callback(a.restarts);
      const std::string label = "k " + std::to_string(k) + (cov.empty() ? "" : " " + cov);
      progress.set_label(label + ": ");
      try {
        fit_outcome fit = fit_candidate(a, kind, options, data, k, callback);
        const information_criteria ic = criteria_of(*fit.model, fit.report);
        c.log_likelihood = fit.report.log_likelihood;
        c.bic = ic.bic;
        c.aic = ic.aic;
        const Eigen::MatrixXd R = fit.model->predict_proba(X);
        double entropy = 0.0;
        for (index i = 0; i < R.size(); ++i) {
          const double r = R.data()[i];
          if (r > 0) entropy -= r * std::log(r);
        }
        c.icl = c.bic + 2.0 * entropy;
        c.fit = std::move(fit);
      } catch (const numerical_error& e) {
        c.failure = e.what();
      }
      if (c.fit) {
        double held_out = 0.0;
        bool ok = true;
        for (int fo = 0; fo < a.folds && ok; ++fo) {
          const data_file train = fold_rows(data, fold, fo, false);
          const data_file test = fold_rows(data, fold, fo, true);
          if (train.table.values.rows() < k) {
            ok = false;
            break;
          }
          progress.set_label(label + ", fold " + std::to_string(fo + 1) + "/" + std::to_string(a.folds) + ": ");
          try {
            const fit_outcome tf = fit_candidate(a, kind, options, train, k, callback);
            held_out += tf.model->log_likelihood(test.table.values);
          } catch (const numerical_error&) {
            ok = false;
          }
        }
        if (ok) c.cv = held_out / static_cast<double>(N);
      }
      table.push_back(std::move(c));
    }
  }
  progress.finish();

  // The best: lowest BIC, AIC or ICL, or highest CV; NaN never wins; ties to the first.
  const candidate* best = nullptr;
  const auto value = [&](const candidate& c) {
    if (a.criterion == "aic") return c.aic;
    if (a.criterion == "icl") return c.icl;
    if (a.criterion == "cv") return -c.cv;
    return c.bic;
  };
  for (const candidate& c : table) {
    if (!c.fit || !std::isfinite(value(c))) continue;
    if (best == nullptr || value(c) < value(*best)) best = &c;
  }
  if (best == nullptr) {
    throw numerical_error("fitting " + display_name(a.data) + ": no candidate could be fitted" +
                          (a.criterion == "cv" ? " and cross-validated" : "") +
                          (table.empty() || table.front().failure.empty() ? "" : " (" + table.front().failure + ")"));
  }

  fit_provenance how;
  how.data_file = a.data;
  how.columns = data.table.header;
  how.init = "kmeans++";
  how.restarts = a.restarts;
  how.seed = a.seed;
  how.tolerance = a.tol;
  how.max_iterations = a.max_iter;
  if (!a.table.empty()) io::write_file_atomically(a.table, selection_table_csv(table, best));
  save(a.output, *best->fit->model, best->fit->report, measure_fit(*best->fit->model, X, w), how);

  std::string text =
      "    k  covariance    log-likelihood             BIC             AIC             ICL  cv-loglik/obs\n";
  for (const candidate& c : table) {
    char head[64];
    std::snprintf(head, sizeof head, "%5lld  %-10s", static_cast<long long>(c.k), c.covariance.c_str());
    text += head + table_cell(c.log_likelihood) + table_cell(c.bic) + table_cell(c.aic) + table_cell(c.icl) +
            table_cell(c.cv) + (&c == best ? "  *" : "") + "\n";
  }
  text += "best by " + a.criterion + ": k = " + std::to_string(best->k) +
          (best->covariance.empty() ? "" : ", covariance " + best->covariance) + "; model written to " +
          display_name(a.output) + "\n";
  out << text;
  out.flush();
}

}  // namespace emkit::cli
