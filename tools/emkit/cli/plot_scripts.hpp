#pragma once
/// \file
/// The gnuplot scripts of `emkit plot`: each function turns what a picture shows (points,
/// ellipses, series) into a script body, with the data inline as datablocks; gnuplot.hpp adds
/// the terminal and output file and runs it. Numbers are written with 17 significant digits.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include <emkit/framework/types.hpp>

#include <emkit/cli/plot_geometry.hpp>

namespace emkit::cli {

/// `text` as a gnuplot string literal: double-quoted, with '"' and '\' escaped and control
/// characters replaced by blanks.
[[nodiscard]] inline std::string gnuplot_quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
  }
  return out + "\"";
}

/// The colour of series i (the ten of matplotlib's "tab10", repeated).
[[nodiscard]] inline const char* series_colour(std::size_t i) {
  static constexpr const char* colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                            "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return colours[i % 10];
}

namespace plot_detail {

[[nodiscard]] inline std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

/// A datablock `$name` of the rows of `xy` (two columns).
[[nodiscard]] inline std::string datablock(const std::string& name, const Eigen::MatrixXd& xy) {
  std::string out = "$" + name + " << EOD\n";
  for (index i = 0; i < xy.rows(); ++i) out += number(xy(i, 0)) + " " + number(xy(i, 1)) + "\n";
  return out + "EOD\n";
}

/// A datablock of the points (x_i, y_i) whose y is finite (and positive when `positive`).
[[nodiscard]] inline std::string series_block(const std::string& name, const std::vector<double>& x,
                                              const std::vector<double>& y, bool positive, bool& empty) {
  std::string out = "$" + name + " << EOD\n";
  empty = true;
  for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i]) || (positive && !(y[i] > 0))) continue;
    out += number(x[i]) + " " + number(y[i]) + "\n";
    empty = false;
  }
  return out + "EOD\n";
}

/// The common settings: UTF-8 labels taken literally (no enhanced-text markup), a grid.
[[nodiscard]] inline std::string preamble(const std::string& title) {
  return "set encoding utf8\nset termoption noenhanced\nset grid lc rgb \"#dddddd\"\nset title " +
         gnuplot_quote(title) + "\n";
}

/// Joins the pieces of a plot command.
[[nodiscard]] inline std::string plot_command(const std::vector<std::string>& pieces) {
  std::string out = "plot ";
  for (std::size_t i = 0; i < pieces.size(); ++i) out += (i > 0 ? ", \\\n     " : "") + pieces[i];
  return out + "\n";
}

}  // namespace plot_detail

/// What `emkit plot clusters` draws, in plot coordinates.
struct cluster_plot {
  std::string title, xlabel, ylabel;
  Eigen::MatrixXd points;                    ///< N×2: the data
  std::vector<index> labels;                 ///< the predicted component of each point, 0..K−1
  Eigen::VectorXd weights;                   ///< π_k (K)
  std::vector<Eigen::Vector2d> means;        ///< K component means, or empty
  std::vector<Eigen::Matrix2d> covariances;  ///< K Gaussian covariances (1σ and 2σ ellipses), or empty
};

/// The script of a scatter plot of the data coloured by predicted component, with each
/// component's mean (×) and, for Gaussian components, its 1σ (solid) and 2σ (dashed)
/// ellipses: the datablocks $ellipse<k>_<r> hold points of (x − μ)ᵀ Σ⁻¹ (x − μ) = r².
[[nodiscard]] inline std::string clusters_script(const cluster_plot& p) {
  using namespace plot_detail;
  const index K = p.weights.size();
  std::string out =
      preamble(p.title) + "set xlabel " + gnuplot_quote(p.xlabel) + "\nset ylabel " + gnuplot_quote(p.ylabel) +
      "\nset key outside top center horizontal box\nset offsets graph 0.04, graph 0.04, graph 0.04, graph 0.04\n";
  std::vector<std::string> pieces;
  for (index k = 0; k < K; ++k) {
    std::vector<index> rows;
    for (std::size_t n = 0; n < p.labels.size(); ++n)
      if (p.labels[n] == k) rows.push_back(static_cast<index>(n));
    Eigen::MatrixXd xy(static_cast<index>(rows.size()), 2);
    for (std::size_t i = 0; i < rows.size(); ++i) xy.row(static_cast<index>(i)) = p.points.row(rows[i]);
    const std::string name = "points" + std::to_string(k + 1);
    out += datablock(name, xy);
    char title[128];
    std::snprintf(title, sizeof title, "component %lld (weight %.3f, %zu points)", static_cast<long long>(k + 1),
                  p.weights[k], rows.size());
    pieces.push_back("$" + name + " with points pt 7 ps 0.6 lc rgb \"" + series_colour(static_cast<std::size_t>(k)) +
                     "\" title " + gnuplot_quote(title));
  }
  for (std::size_t k = 0; k < p.covariances.size(); ++k) {
    for (int radius : {1, 2}) {
      const std::string name = "ellipse" + std::to_string(k + 1) + "_" + std::to_string(radius);
      out += datablock(name, ellipse_points(p.means[k], p.covariances[k], radius));
      pieces.push_back("$" + name + " with lines lw 2 dt " + (radius == 1 ? "1" : "2") + " lc rgb \"" +
                       series_colour(k) + "\" notitle");
    }
  }
  if (!p.means.empty()) {
    Eigen::MatrixXd centres(static_cast<index>(p.means.size()), 2);
    for (std::size_t k = 0; k < p.means.size(); ++k) centres.row(static_cast<index>(k)) = p.means[k].transpose();
    out += datablock("means", centres);
    pieces.push_back("$means with points pt 2 ps 2.5 lw 3 lc rgb \"black\" title \"component means\"");
  }
  if (!p.covariances.empty()) {
    pieces.push_back("NaN with lines lw 2 dt 1 lc rgb \"black\" title \"1σ ellipse (39%)\"");
    pieces.push_back("NaN with lines lw 2 dt 2 lc rgb \"black\" title \"2σ ellipse (86%)\"");
  }
  return out + plot_command(pieces);
}

/// What `emkit plot trace` draws: per iteration t, ℓ(θ_t), ELBO(q_{t−1}, θ_t) and their gap
/// KL(q_{t−1} ‖ p(Z | X, θ_t)).
struct trace_plot {
  std::string title;
  std::vector<double> iteration, log_likelihood, elbo, kl;
};

/// The script of the trace: ℓ and the ELBO against the iteration; below, when some KL is
/// positive, the KL on a log scale (zero and rounding-negative values cannot be drawn there).
[[nodiscard]] inline std::string trace_script(const trace_plot& p) {
  using namespace plot_detail;
  bool no_ll = true, no_elbo = true, no_kl = true;
  std::string out = series_block("loglik", p.iteration, p.log_likelihood, false, no_ll) +
                    series_block("elbo", p.iteration, p.elbo, false, no_elbo) +
                    series_block("kl", p.iteration, p.kl, true, no_kl);
  out += preamble(p.title) + "set key bottom right box opaque\nset ylabel \"nats\"\n";
  double first = INFINITY, last = -INFINITY;
  for (double t : p.iteration) {
    if (std::isfinite(t)) first = std::min(first, t), last = std::max(last, t);
  }
  if (last > first) out += "set xrange [" + number(first) + ":" + number(last) + "]\n";  // both panels alike
  if (!no_kl) out += "set multiplot layout 2,1\nset format x \"\"\nset lmargin 12\n";
  if (no_kl) out += "set xlabel \"iteration\"\n";
  std::vector<std::string> top;
  if (!no_ll)
    top.push_back("$loglik with linespoints pt 7 ps 0.5 lw 2 lc rgb \"#1f77b4\" title \"log-likelihood ℓ(θₜ)\"");
  if (!no_elbo) {
    top.push_back("$elbo with points pt 6 ps 1.2 lc rgb \"#d62728\" title \"ELBO L(qₜ₋₁, θₜ) = ℓ − KL\"");
  }
  out += plot_command(top);
  if (!no_kl) {
    out +=
        "unset title\nset format x \"% h\"\nset xlabel \"iteration\"\nset logscale y\nset format y \"%.0e\"\n"
        "set ylabel \"nats (log scale)\"\nset key top right box opaque\n";
    out +=
        plot_command({"$kl with linespoints pt 7 ps 0.5 lw 2 lc rgb \"#2ca02c\" title "
                      "\"KL(qₜ₋₁ ‖ p(Z | X, θₜ)) = ℓ − ELBO\""});
    out += "unset multiplot\n";
  }
  return out;
}

/// One covariance type's row of the selection table, by K.
struct selection_series {
  std::string covariance;
  std::vector<double> k, bic, cv;
};

/// What `emkit plot selection` draws.
struct selection_plot {
  std::string title;
  std::vector<selection_series> series;
  double best_k = std::nan(""), best_bic = std::nan(""), best_cv = std::nan("");  ///< the chosen row
};

/// The script of BIC (left) and the cross-validated held-out log-likelihood per observation
/// (right) against K, one line per covariance type, the chosen candidate circled.
[[nodiscard]] inline std::string selection_script(const selection_plot& p) {
  using namespace plot_detail;
  std::string out;
  std::vector<std::string> bic_pieces, cv_pieces;
  double k_min = INFINITY, k_max = -INFINITY;
  for (std::size_t i = 0; i < p.series.size(); ++i) {
    const selection_series& s = p.series[i];
    for (double k : s.k) k_min = std::min(k_min, k), k_max = std::max(k_max, k);
    bool empty = true;
    const std::string style = " with linespoints pt 7 ps 0.8 lw 2 lc rgb \"" + std::string(series_colour(i)) +
                              "\" title " + gnuplot_quote(s.covariance);
    out += series_block("bic" + std::to_string(i), s.k, s.bic, false, empty);
    if (!empty) bic_pieces.push_back("$bic" + std::to_string(i) + style);
    out += series_block("cv" + std::to_string(i), s.k, s.cv, false, empty);
    if (!empty) cv_pieces.push_back("$cv" + std::to_string(i) + style);
  }
  // The chosen candidate, circled in both panels.
  bool no_best_bic = true, no_best_cv = true;
  out += series_block("chosenbic", {p.best_k}, {p.best_bic}, false, no_best_bic);
  out += series_block("chosencv", {p.best_k}, {p.best_cv}, false, no_best_cv);
  const std::string circle = " with points pt 6 ps 3 lw 2 lc rgb \"black\" title \"chosen\"";
  if (!no_best_bic) bic_pieces.push_back("$chosenbic" + circle);
  if (!no_best_cv) cv_pieces.push_back("$chosencv" + circle);
  const auto placeholder = [](std::vector<std::string>& pieces) {
    if (pieces.empty()) pieces.push_back("NaN notitle");  // a panel with nothing finite stays empty
  };
  placeholder(bic_pieces);
  placeholder(cv_pieces);

  out += preamble(p.title) + "set multiplot layout 1,2 title " + gnuplot_quote(p.title) + "\nunset title\n";
  out += "set xlabel \"number of components K\"\nset key box opaque\n";
  if (std::isfinite(k_min) && k_max - k_min <= 20) {
    out += "set xtics 1\nset xrange [" + number(k_min - 0.5) + ":" + number(k_max + 0.5) + "]\n";
  }
  out += "set title \"BIC (lower is better)\"\nset ylabel \"BIC\"\nset key top right\n" + plot_command(bic_pieces);
  out +=
      "set title \"cross-validated held-out log-likelihood (higher is better)\"\n"
      "set ylabel \"log-likelihood per observation\"\nset key bottom right\n" +
      plot_command(cv_pieces) + "unset multiplot\n";
  return out;
}

}  // namespace emkit::cli
