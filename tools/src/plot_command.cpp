/// \file
/// `emkit plot` (see <emkit/cli/plot_command.hpp>).

#include <emkit/cli/plot_command.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <Eigen/Core>

#include <emkit/cli/cli_files.hpp>
#include <emkit/cli/gnuplot.hpp>
#include <emkit/cli/model_file.hpp>
#include <emkit/cli/plot_geometry.hpp>
#include <emkit/cli/plot_scripts.hpp>
#include <emkit/cli/research_commands.hpp>

namespace emkit::cli {

CLI::App* add_plot_command(CLI::App& app, plot_args& a) {
  CLI::App* c = app.add_subcommand("plot", "Draw a picture with gnuplot (PNG or SVG, by the extension of -o)");
  c->add_option("KIND", a.kind,
                "clusters MODEL.json DATA (the data, component means and 1- and 2-sigma ellipses), trace "
                "TRACE.csv (from fit --trace) or selection TABLE.csv (from select --table)")
      ->required();
  c->add_option("INPUTS", a.inputs, "The input files of KIND")->required();
  c->add_option("-o,--output", a.output, "The picture: a file name ending in .png or .svg")->required();
  c->add_option("--delimiter", a.delimiter, "CSV delimiter of DATA (one character, or 'tab')")->capture_default_str();
  return c;
}

/// At most this many points are drawn: beyond it every m-th row is, so that a script stays small.
inline constexpr index max_plotted_points = 20000;

// ---- comma-separated tables with text and "nan" ----------------------------------------------

/// A CSV file written by `fit --trace` or `select --table`: a header and rows of fields, read
/// as text (a covariance type is text; "nan" is a number there, which `io::read_csv` rejects).
struct text_table {
  std::string name;  ///< the file, as messages name it
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::size_t> lines;  ///< the 1-based line of each row

  /// The index of the column named `column`; throws `data_error` naming the file when there is none.
  [[nodiscard]] std::size_t column(std::string_view column, std::string_view written_by) const {
    for (std::size_t j = 0; j < header.size(); ++j)
      if (header[j] == column) return j;
    throw data_error(name + ": line 1: no column '" + std::string(column) +
                     "' in the header (expected a file written by " + std::string(written_by) + ")");
  }

  /// The number in row `row`, column `col` ("nan", "inf" allowed); throws `data_error` naming line and column.
  [[nodiscard]] double number(std::size_t row, std::size_t col) const {
    const std::string& text = rows[row][col];
    double v = 0.0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
      throw data_error(detail::concat(name, ": line ", lines[row], ", column ", col + 1, ": '", display_name(text),
                                      "' is not a number"));
    }
    return v;
  }
};

/// The table in the CSV file `path`: the first non-blank line is the header, every other
/// non-blank line must have as many fields. Throws `data_error` naming the file and line.
text_table read_text_table(const std::string& path) {
  const std::string text = read_file_text(path);
  text_table t;
  t.name = display_name(path);
  const auto fields = [](std::string_view line) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = line.find(',', start);
      std::string_view f = line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      while (!f.empty() && (f.front() == ' ' || f.front() == '\t')) f.remove_prefix(1);
      while (!f.empty() && (f.back() == ' ' || f.back() == '\t' || f.back() == '\r')) f.remove_suffix(1);
      out.emplace_back(f);
      if (comma == std::string_view::npos) return out;
      start = comma + 1;
    }
  };
  std::size_t line = 0;
  for (std::size_t position = 0; position < text.size();) {
    ++line;
    std::size_t end = text.find('\n', position);
    if (end == std::string::npos) end = text.size();
    const std::string_view content = std::string_view(text).substr(position, end - position);
    position = end + 1;
    if (content.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    std::vector<std::string> f = fields(content);
    if (t.header.empty()) {
      t.header = std::move(f);
      continue;
    }
    if (f.size() != t.header.size()) {
      throw data_error(detail::concat(t.name, ": line ", line, ": has ", counted(static_cast<index>(f.size()), "field"),
                                      ", but the header has ", t.header.size()));
    }
    t.rows.push_back(std::move(f));
    t.lines.push_back(line);
  }
  if (t.header.empty()) throw data_error(t.name + ": is empty, expected a header line and rows");
  if (t.rows.empty()) throw data_error(t.name + ": has a header but no rows");
  return t;
}

// ---- the three pictures ------------------------------------------------------------------------

/// The name of column j of the data for an axis label: the header's, else "column j+1".
std::string column_label(const std::vector<std::string>& names, index j) {
  if (static_cast<std::size_t>(j) < names.size() && !names[static_cast<std::size_t>(j)].empty()) {
    return names[static_cast<std::size_t>(j)];
  }
  return "column " + std::to_string(j + 1);
}

/// The picture of `plot clusters`: the data (every m-th row beyond `max_plotted_points`) in the
/// plane of its two columns, or of its first two principal axes when it has more.
cluster_plot clusters_picture(const model_and_data& md, const std::string& model_path, const std::string& data_path) {
  const matrix_ref X = md.data.table.values;
  const index D = X.cols();
  if (D < 2) {
    throw data_error(display_name(data_path) +
                     ": has 1 column, but plot clusters draws two coordinates (use emkit score for 1-D data)");
  }
  const std::vector<std::string>& names = md.data.table.header.empty() ? md.model.columns : md.data.table.header;
  const plot_plane plane = D == 2 ? identity_plane() : principal_plane(X);
  cluster_plot p;
  const fitted_model& model = *md.model.model;
  p.title =
      display_name(model_path) + ": " + family_name(model) + " mixture, K = " + std::to_string(model.num_components());
  const std::vector<Eigen::MatrixXd> covariances = model.component_covariances();
  if (const std::optional<std::string> kind = model.kind_text(); kind && !covariances.empty()) {
    p.title += ", " + *kind + " covariance";
  }
  if (D == 2) {
    p.xlabel = column_label(names, 0);
    p.ylabel = column_label(names, 1);
  } else {
    char text[96];
    for (int j = 0; j < 2; ++j) {
      std::snprintf(text, sizeof text, "principal axis %d (%.1f%% of the variance)", j + 1,
                    100.0 * plane.variance_fraction[j]);
      (j == 0 ? p.xlabel : p.ylabel) = text;
    }
    p.title += ", " + std::to_string(D) + " columns projected";
  }

  const Eigen::VectorX<index> labels = model.predict(X);
  const index step = (X.rows() + max_plotted_points - 1) / max_plotted_points;
  const index shown = (X.rows() + step - 1) / step;
  if (step > 1) p.title += detail::concat(" (every ", step, "th of ", X.rows(), " rows)");
  const Eigen::MatrixXd projected = plane.project(X);
  p.points.resize(shown, 2);
  for (index i = 0; i < shown; ++i) {
    p.points.row(i) = projected.row(i * step);
    p.labels.push_back(labels[i * step]);
  }
  p.weights = model.weights();
  for (const Eigen::VectorXd& mean : model.component_means()) p.means.push_back(plane.project_point(mean));
  for (const Eigen::MatrixXd& c : covariances) p.covariances.push_back(plane.project_covariance(c));
  return p;
}

/// The picture of `plot trace` from a file written by `fit --trace`.
trace_plot trace_picture(const std::string& path) {
  const text_table t = read_text_table(path);
  constexpr std::string_view writer = "emkit fit --trace";
  const std::size_t it = t.column("iteration", writer), ll = t.column("log_likelihood", writer),
                    elbo = t.column("elbo", writer), kl = t.column("kl", writer);
  trace_plot p;
  p.title = display_name(path) + ": the EM identity ℓ = ELBO + KL, by iteration";
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    p.iteration.push_back(t.number(r, it));
    p.log_likelihood.push_back(t.number(r, ll));
    p.elbo.push_back(t.number(r, elbo));
    p.kl.push_back(t.number(r, kl));
  }
  bool any = false;
  for (double v : p.log_likelihood) any = any || std::isfinite(v);
  if (!any) throw data_error(t.name + ": no finite log_likelihood to draw");
  return p;
}

/// The picture of `plot selection` from a file written by `select --table`.
selection_plot selection_picture(const std::string& path) {
  const text_table t = read_text_table(path);
  constexpr std::string_view writer = "emkit select --table";
  const std::size_t k = t.column("k", writer), cov = t.column("covariance", writer), bic = t.column("bic", writer),
                    cv = t.column("cv_loglik_per_obs", writer), best = t.column("best", writer);
  selection_plot p;
  p.title = display_name(path) + ": choosing K";
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const std::string& type = t.rows[r][cov];
    auto found =
        std::find_if(p.series.begin(), p.series.end(), [&](const selection_series& s) { return s.covariance == type; });
    if (found == p.series.end()) found = p.series.insert(p.series.end(), selection_series{type, {}, {}, {}});
    found->k.push_back(t.number(r, k));
    found->bic.push_back(t.number(r, bic));
    found->cv.push_back(t.number(r, cv));
    if (t.number(r, best) == 1) {
      p.best_k = t.number(r, k);
      p.best_bic = t.number(r, bic);
      p.best_cv = t.number(r, cv);
    }
  }
  return p;
}

/// Runs `emkit plot`: checks the kind, the inputs and the output, builds the picture, draws it
/// with gnuplot and writes it atomically; prints "plot written to FILE" on `out`.
void run_plot_command(const plot_args& a, std::ostream& out, const family_list& families) {
  const std::size_t wanted = a.kind == "clusters" ? 2 : 1;
  if (a.kind != "clusters" && a.kind != "trace" && a.kind != "selection") {
    throw usage_error("plot " + display_name(a.kind) + ": unknown kind of plot, expected clusters, trace or selection");
  }
  if (a.inputs.size() != wanted) {
    throw usage_error(detail::concat("plot ", a.kind, " takes ",
                                     a.kind == "clusters" ? "MODEL.json DATA (2 files)" : "one file", ", got ",
                                     a.inputs.size()));
  }
  (void)image_format(a.output);
  check_output_path("-o", a.output);
  for (const std::string& input : a.inputs) {
    if (same_file(input, a.output)) {
      throw usage_error("-o " + display_name(a.output) + ": would overwrite the input file " + display_name(input));
    }
  }
  if (a.kind == "clusters") {
    const model_and_data md = load_model_and_data(a.inputs[0], a.inputs[1], a.delimiter, families);
    render_plot(clusters_script(clusters_picture(md, a.inputs[0], a.inputs[1])), a.output, 960, 640);
  } else if (a.kind == "trace") {
    render_plot(trace_script(trace_picture(a.inputs[0])), a.output, 800, 720);
  } else {
    render_plot(selection_script(selection_picture(a.inputs[0])), a.output, 1200, 500);
  }
  out << "plot written to " << display_name(a.output) << '\n' << std::flush;
}

}  // namespace emkit::cli
