/// \file
/// `emkit plot` and the progress line: the ellipse geometry against the closed-form eigen
/// decomposition of a 2×2 covariance, the ellipse points in the gnuplot script against the
/// Mahalanobis contour they must lie on, the principal-axes projection against data of known
/// axes; then each picture is produced (PNG signature or SVG root element, a non-trivial size),
/// and every error path (a missing file, a bad kind, a missing or failing gnuplot, a bad
/// extension) is one line, a non-zero status and no file. `fit`/`select --progress`.
///
/// EMKIT_BINARY is the path of the program, EMKIT_DATA_DIR the directory of faithful.csv.

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <Eigen/Core>
#include <Eigen/LU>

#include <emkit/cli/plot_geometry.hpp>
#include <emkit/cli/plot_scripts.hpp>
#include <emkit/cli/progress.hpp>
#include "../support/cli_harness.hpp"

#ifndef EMKIT_BINARY
#error "EMKIT_BINARY must name the emkit program"
#endif
#ifndef EMKIT_DATA_DIR
#error "EMKIT_DATA_DIR must name the directory of faithful.csv"
#endif

namespace {

namespace fs = std::filesystem;
using namespace cli_harness;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// ---- geometry ---------------------------------------------------------------------------------

/// Σ = [[a, b], [b, c]] has eigenvalues (a+c)/2 ± √(((a−c)/2)² + b²), and its major axis makes
/// the angle ½·atan2(2b, a − c) with the x axis.
struct closed_form {
  double major, minor, angle;
};
closed_form closed_form_of(double a, double b, double c) {
  const double mid = (a + c) / 2, radius = std::hypot((a - c) / 2, b);
  return {std::sqrt(mid + radius), std::sqrt(mid - radius), 0.5 * std::atan2(2 * b, a - c)};
}

TEST(PlotGeometry, EllipseAxesAreTheClosedFormEigenDecomposition) {
  for (const auto& [a, b, c] : std::vector<std::array<double, 3>>{
           {4.0, 1.5, 1.0}, {1.0, -0.8, 2.0}, {0.5, 0.0, 3.0}, {2.0, 1.9, 2.0}, {1e-4, 2e-5, 3e-4}, {9.0, 0.0, 1.0}}) {
    const emkit::cli::ellipse_axes e = emkit::cli::ellipse_of((Eigen::Matrix2d() << a, b, b, c).finished());
    const closed_form truth = closed_form_of(a, b, c);
    EXPECT_NEAR(e.major, truth.major, 1e-12 * truth.major) << a << " " << b << " " << c;
    EXPECT_NEAR(e.minor, truth.minor, 1e-12 * truth.major) << a << " " << b << " " << c;
    // An axis has no direction: the angles agree modulo π.
    const double difference = std::remainder(e.angle - truth.angle, std::numbers::pi);
    EXPECT_NEAR(difference, 0.0, 1e-12) << a << " " << b << " " << c;
    EXPECT_GT(e.angle, -std::numbers::pi / 2);
    EXPECT_LE(e.angle, std::numbers::pi / 2);
  }
  // [[4, 1.5], [1.5, 1]] by hand: λ = 2.5 ± √(2.25 + 2.25) = 2.5 ± 2.1213203435596424.
  const emkit::cli::ellipse_axes e = emkit::cli::ellipse_of((Eigen::Matrix2d() << 4, 1.5, 1.5, 1).finished());
  EXPECT_NEAR(e.major * e.major, 4.6213203435596424, 1e-14);
  EXPECT_NEAR(e.minor * e.minor, 0.37867965644035742, 1e-14);
  EXPECT_NEAR(e.angle, std::numbers::pi / 8, 1e-14);  // ½·atan2(3, 3)
  // Not positive definite: a named error.
  EXPECT_THROW((void)emkit::cli::ellipse_of((Eigen::Matrix2d() << 1, 2, 2, 1).finished()), emkit::numerical_error);
}

/// The numbers of the datablock `$name` in a gnuplot script, one row per line.
std::vector<Eigen::Vector2d> datablock_rows(const std::string& script, const std::string& name) {
  const std::string start = "$" + name + " << EOD\n";
  const std::size_t begin = script.find(start);
  EXPECT_NE(begin, std::string::npos) << name;
  std::vector<Eigen::Vector2d> rows;
  if (begin == std::string::npos) return rows;
  std::istringstream in(
      script.substr(begin + start.size(), script.find("EOD\n", begin + start.size()) - begin - start.size()));
  double x = 0, y = 0;
  while (in >> x >> y) rows.emplace_back(x, y);
  return rows;
}

TEST(PlotGeometry, ScriptEllipsesLieOnTheOneAndTwoSigmaContours) {
  emkit::cli::cluster_plot p;
  p.points = (Eigen::MatrixXd(3, 2) << 0, 0, 1, 2, 3, 1).finished();
  p.labels = {0, 1, 1};
  p.weights = Eigen::Vector2d(0.25, 0.75);
  p.means = {Eigen::Vector2d(1.0, 2.0), Eigen::Vector2d(-3.0, 0.5)};
  p.covariances = {(Eigen::Matrix2d() << 4, 1.5, 1.5, 1).finished(),
                   (Eigen::Matrix2d() << 0.3, -0.1, -0.1, 2).finished()};
  const std::string script = emkit::cli::clusters_script(p);
  for (std::size_t k = 0; k < 2; ++k) {
    const Eigen::Matrix2d inverse = p.covariances[k].inverse();
    for (int r : {1, 2}) {
      const std::vector<Eigen::Vector2d> rows =
          datablock_rows(script, "ellipse" + std::to_string(k + 1) + "_" + std::to_string(r));
      ASSERT_GE(rows.size(), 50u);
      EXPECT_EQ(rows.front(), rows.back());  // a closed curve
      double farthest = 0.0;
      for (const Eigen::Vector2d& x : rows) {
        const Eigen::Vector2d d = x - p.means[k];
        EXPECT_NEAR(d.dot(inverse * d), r * r, 1e-9 * r * r);
        farthest = std::max(farthest, d.norm());
      }
      // The curve reaches the end of the major axis, r·√λ₁.
      const closed_form truth = closed_form_of(p.covariances[k](0, 0), p.covariances[k](0, 1), p.covariances[k](1, 1));
      EXPECT_NEAR(farthest, r * truth.major, 1e-9 * truth.major);
    }
  }
  // Each point is drawn in its component's datablock; the legend names the weights.
  EXPECT_EQ(datablock_rows(script, "points1").size(), 1u);
  EXPECT_EQ(datablock_rows(script, "points2").size(), 2u);
  EXPECT_THAT(script, HasSubstr("component 2 (weight 0.750, 2 points)"));
  EXPECT_EQ(datablock_rows(script, "means").size(), 2u);
}

TEST(PlotGeometry, PrincipalPlaneFindsTheAxesOfKnownData) {
  // Columns of standard deviations 3, 2, 0.5 (uncorrelated by construction), rotated by an
  // orthogonal Q: the principal axes are Q's first two columns, with shares 9, 4 of 13.25.
  Eigen::MatrixXd Z(4, 3);
  Z << 3, 2, 0.5, -3, 2, -0.5, 3, -2, -0.5, -3, -2, 0.5;  // orthogonal columns, mean 0
  const double c = std::cos(0.7), s = std::sin(0.7);
  Eigen::Matrix3d Q;
  Q << c, -s, 0, s, c, 0, 0, 0, 1;
  const Eigen::Vector3d shift(10, -5, 2);
  const Eigen::MatrixXd X = (Z * Q.transpose()).rowwise() + shift.transpose();
  const emkit::cli::plot_plane plane = emkit::cli::principal_plane(X);
  EXPECT_TRUE(plane.center.isApprox(shift, 1e-12));
  for (int j = 0; j < 2; ++j) EXPECT_NEAR(std::abs(plane.axes.col(j).dot(Q.col(j))), 1.0, 1e-12) << j;
  EXPECT_NEAR(plane.variance_fraction[0], 9.0 / 13.25, 1e-12);
  EXPECT_NEAR(plane.variance_fraction[1], 4.0 / 13.25, 1e-12);
  // Projecting recovers the first two coordinates of Z (up to each axis' sign).
  const Eigen::MatrixXd Y = plane.project(X);
  for (int j = 0; j < 2; ++j) EXPECT_NEAR((Y.col(j).cwiseAbs() - Z.col(j).cwiseAbs()).norm(), 0.0, 1e-12);
  // The projected covariance is the covariance of the projected points.
  const Eigen::Matrix3d sigma = (X.rowwise() - shift.transpose()).transpose() * (X.rowwise() - shift.transpose()) / 4.0;
  const Eigen::Matrix2d projected = Y.transpose() * Y / 4.0;
  EXPECT_TRUE(plane.project_covariance(sigma).isApprox(projected, 1e-12));
  EXPECT_THROW((void)emkit::cli::principal_plane(Eigen::MatrixXd::Ones(5, 1)), emkit::shape_error);
}

// ---- the progress line ------------------------------------------------------------------------

emkit::iteration_record record(int t, double ll, double change) {
  emkit::iteration_record r;
  r.iteration = t;
  r.log_likelihood = ll;
  r.change = change;
  return r;
}

TEST(ProgressLine, RedrawsInPlaceAtMostOncePerIntervalAndEndsWithANewline) {
  // An interval of zero: every record is drawn, each over the last with '\r', blanks clearing a
  // longer earlier line; the end is one newline.
  std::ostringstream every;
  {
    emkit::cli::progress_line line(every, true, std::chrono::nanoseconds(0));
    line.update(0, 2, record(0, -1234.5, std::nan("")));
    line.update(0, 2, record(1, -1200.25, 0.5));
    line.update(1, 2, record(0, -1.5, std::nan("")));
  }  // the destructor finishes the line
  const std::string long_line = "\rrestart 1/2  iteration 1  log-likelihood -1200.25  change 0.5";
  const std::string short_line = "\rrestart 2/2  iteration 0  log-likelihood -1.5";
  EXPECT_EQ(every.str(), "\rrestart 1/2  iteration 0  log-likelihood -1234.5" + long_line + short_line +
                             std::string(long_line.size() - short_line.size(), ' ') + "\n");

  // An interval longer than the test: nothing until the end, then the last state once.
  std::ostringstream rare;
  emkit::cli::progress_line line(rare, true, std::chrono::hours(1));
  const auto callback = line.callback(3);
  for (int t = 0; t < 100; ++t) callback(2, record(t, -t, 1e-3));
  EXPECT_EQ(rare.str(), "");
  line.finish();
  EXPECT_EQ(rare.str(), "\rrestart 3/3  iteration 99  log-likelihood -99  change 0.001\n");
  line.finish();  // finishing twice adds nothing
  const std::string twice = rare.str();
  EXPECT_EQ(std::count(twice.begin(), twice.end(), '\n'), 1);

  // Disabled: no callback, no output; and a line that saw no record prints nothing.
  std::ostringstream off;
  {
    emkit::cli::progress_line disabled(off, false, std::chrono::nanoseconds(0));
    EXPECT_FALSE(disabled.callback(1));
    disabled.update(0, 1, record(0, -1, 0.1));
    emkit::cli::progress_line unused(off, true);
  }
  EXPECT_EQ(off.str(), "");
  EXPECT_FALSE(emkit::cli::progress_wanted("always", /*quiet=*/true));
  EXPECT_TRUE(emkit::cli::progress_wanted("always", false));
  EXPECT_FALSE(emkit::cli::progress_wanted("never", false));
  EXPECT_THROW((void)emkit::cli::progress_wanted("sometimes", false), emkit::cli::usage_error);
}

// ---- the program ------------------------------------------------------------------------------

std::string faithful() { return std::string(EMKIT_DATA_DIR) + "/faithful.csv"; }
std::string iris() { return std::string(EMKIT_DATA_DIR) + "/iris.csv"; }

class CliPlotTest : public scratch_dir_test {
 protected:
  /// Runs the program with `environment` ("NAME=value ...", prepended to the command).
  run_result run(const std::vector<std::string>& args, const std::string& environment = "") {
    return run_program(EMKIT_BINARY, args, dir_, "/dev/null", environment);
  }

  std::string ok(const std::vector<std::string>& args) {
    const run_result r = run(args);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    return r.out;
  }

  void fails(const std::vector<std::string>& args, const std::string& fragment, int status,
             const std::string& environment = "") {
    const run_result r = run(args, environment);
    EXPECT_EQ(r.status, status) << r.err;
    EXPECT_THAT(r.err, StartsWith("emkit: error: "));
    EXPECT_THAT(r.err, HasSubstr(fragment));
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.out, "");
  }

  /// Expects `file` to be a PNG (its 8-byte signature) or an SVG (an <svg> root element) of at least `bytes`.
  static void expect_picture(const std::string& file, std::size_t bytes) {
    ASSERT_TRUE(fs::exists(file)) << file;
    const std::string content = read_text(file);
    EXPECT_GE(content.size(), bytes) << file;
    if (file.ends_with(".png")) {
      EXPECT_EQ(content.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << file;
    } else {
      EXPECT_THAT(content, HasSubstr("<svg")) << file;
      EXPECT_THAT(content, HasSubstr("</svg>")) << file;
    }
  }
};

TEST_F(CliPlotTest, ClustersOfAGaussianFitAsPngAndSvg) {
  ok({"fit", faithful(), "-k", "2", "--seed", "1", "--trace", path("trace.csv"), "-o", path("m.json")});
  EXPECT_EQ(ok({"plot", "clusters", path("m.json"), faithful(), "-o", path("c.png")}),
            "plot written to " + path("c.png") + "\n");
  expect_picture(path("c.png"), 10000);
  ok({"plot", "clusters", path("m.json"), faithful(), "-o", path("c.SVG")});
  const std::string svg = read_text(path("c.SVG"));
  expect_picture(path("c.SVG"), 10000);
  // The axes are the data's column names; the legend has each component and the ellipses.
  EXPECT_THAT(svg, HasSubstr("eruptions"));
  EXPECT_THAT(svg, HasSubstr("waiting"));
  EXPECT_THAT(svg, HasSubstr("component 2 (weight"));
  EXPECT_THAT(svg, HasSubstr("2σ ellipse"));
}

TEST_F(CliPlotTest, ClustersProjectWideDataAndColourOtherFamilies) {
  ok({"fit", iris(), "-k", "3", "--covariance", "diag", "--seed", "1", "-o", path("iris.json")});
  ok({"plot", "clusters", path("iris.json"), iris(), "-o", path("iris.svg")});
  expect_picture(path("iris.svg"), 10000);
  EXPECT_THAT(read_text(path("iris.svg")), HasSubstr("principal axis 1 ("));
  ok({"fit", faithful(), "--family", "kmeans", "-k", "3", "-o", path("km.json")});
  ok({"plot", "clusters", path("km.json"), faithful(), "-o", path("km.png")});
  expect_picture(path("km.png"), 5000);
  write_text(path("counts.csv"), "a,b\n1,2\n0,5\n7,1\n3,3\n9,0\n2,8\n");
  ok({"fit", path("counts.csv"), "--family", "poisson", "-k", "2", "-o", path("p.json")});
  ok({"plot", "clusters", path("p.json"), path("counts.csv"), "-o", path("p.svg")});
  expect_picture(path("p.svg"), 3000);
  EXPECT_THAT(read_text(path("p.svg")), Not(HasSubstr("1σ ellipse")));
}

TEST_F(CliPlotTest, TraceAndSelectionFromTheFilesFitAndSelectWrite) {
  ok({"fit", faithful(), "-k", "2", "--trace", path("trace.csv"), "-o", path("m.json")});
  ok({"plot", "trace", path("trace.csv"), "-o", path("trace.png")});
  expect_picture(path("trace.png"), 10000);
  ok({"plot", "trace", path("trace.csv"), "-o", path("trace.svg")});
  EXPECT_THAT(read_text(path("trace.svg")), HasSubstr("ELBO"));

  const run_result r = run({"select", faithful(), "--k", "1..3", "--covariance", "full,spherical", "--folds", "3",
                            "--table", path("table.csv"), "-o", path("best.json")});
  ASSERT_EQ(r.status, 0) << r.err;
  // The table file holds the printed table's candidates, one row each, the best marked once.
  const std::string table = read_text(path("table.csv"));
  EXPECT_THAT(table, StartsWith("k,covariance,log_likelihood,bic,aic,icl,cv_loglik_per_obs,best\n"));
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 7);
  std::size_t chosen = 0;
  for (std::size_t at = table.find(",1\n"); at != std::string::npos; at = table.find(",1\n", at + 1)) ++chosen;
  EXPECT_EQ(chosen, 1u);
  EXPECT_THAT(table, HasSubstr("\n2,full,"));
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n') - 1,
            std::count(r.out.begin(), r.out.end(), '\n') - 2);  // the printed table has a header and a verdict
  ok({"plot", "selection", path("table.csv"), "-o", path("selection.svg")});
  expect_picture(path("selection.svg"), 10000);
  EXPECT_THAT(read_text(path("selection.svg")), HasSubstr("spherical"));
  ok({"plot", "selection", path("table.csv"), "-o", path("selection.png")});
  expect_picture(path("selection.png"), 10000);
}

TEST_F(CliPlotTest, ErrorsAreOneLineAndWriteNothing) {
  ok({"fit", faithful(), "-k", "2", "--trace", path("trace.csv"), "-o", path("m.json")});
  const std::string png = path("out.png");
  fails({"plot", "clusters", path("missing.json"), faithful(), "-o", png}, "missing.json", 1);
  fails({"plot", "clusters", path("m.json"), path("missing.csv"), "-o", png}, "missing.csv", 1);
  fails({"plot", "trace", path("missing.csv"), "-o", png}, "missing.csv", 1);
  fails({"plot", "histogram", path("trace.csv"), "-o", png},
        "unknown kind of plot, expected clusters, trace or selection", 2);
  fails({"plot", "clusters", path("m.json"), "-o", png}, "MODEL.json DATA", 2);
  fails({"plot", "trace", path("trace.csv"), "-o", path("out.jpg")},
        "'.jpg' is not, expected an image file name ending in .png or .svg", 2);
  fails({"plot", "trace", path("trace.csv"), "-o", path("out")}, "has no extension", 2);
  fails({"plot", "trace", path("trace.csv"), "-o", path("nodir/out.png")}, "does not exist", 1);
  // A table that is not a trace: the missing column is named.
  fails({"plot", "trace", faithful(), "-o", png}, "no column 'iteration'", 1);
  write_text(path("bad.csv"), "iteration,log_likelihood,elbo,kl\n0,-1,nan,nan\n1,abc,-1,0\n");
  fails({"plot", "trace", path("bad.csv"), "-o", png}, "line 3, column 2: 'abc' is not a number", 1);
  fails({"plot", "selection", path("trace.csv"), "-o", png}, "no column 'k'", 1);
  // gnuplot missing, or failing.
  fails({"plot", "trace", path("trace.csv"), "-o", png}, "cannot run gnuplot '/nonexistent/gnuplot': not found", 1,
        "EMKIT_GNUPLOT=/nonexistent/gnuplot");
  fails({"plot", "trace", path("trace.csv"), "-o", png}, "gnuplot 'false' failed (exit status 1)", 1,
        "EMKIT_GNUPLOT=false");
  fails({"plot", "trace", path("trace.csv"), "-o", png}, "gnuplot 'true' wrote no picture", 1, "EMKIT_GNUPLOT=true");
  // 1-column data cannot be drawn in two coordinates.
  write_text(path("one.csv"), "1\n2\n3\n10\n11\n12\n");
  ok({"fit", path("one.csv"), "-k", "2", "-o", path("one.json")});
  fails({"plot", "clusters", path("one.json"), path("one.csv"), "-o", png}, "has 1 column", 1);
  EXPECT_FALSE(fs::exists(png));
  // Nothing left behind: only the files this test wrote.
  for (const auto& entry : fs::directory_iterator(dir_)) {
    EXPECT_THAT(entry.path().filename().string(), Not(HasSubstr(".tmp."))) << entry.path();
  }
}

TEST_F(CliPlotTest, ProgressLineOnlyWhenAskedAndEndedWithANewline) {
  // Standard error is a file here, so auto draws nothing.
  EXPECT_EQ(run({"fit", faithful(), "-k", "2", "-o", path("a.json")}).err, "");
  const run_result always =
      run({"fit", faithful(), "-k", "2", "--restarts", "2", "--progress", "always", "-o", path("b.json")});
  ASSERT_EQ(always.status, 0) << always.err;
  EXPECT_THAT(always.err, StartsWith("\rrestart "));
  EXPECT_THAT(always.err, HasSubstr("restart 2/2  iteration "));
  EXPECT_THAT(always.err, HasSubstr("  log-likelihood -"));
  EXPECT_THAT(always.err, EndsWith("\n"));
  EXPECT_EQ(std::count(always.err.begin(), always.err.end(), '\n'), 1);
  // The report on standard output is unchanged by the progress line.
  EXPECT_EQ(always.out.substr(0, 20),
            run({"fit", faithful(), "-k", "2", "--restarts", "2", "-o", path("c.json")}).out.substr(0, 20));
  EXPECT_EQ(run({"fit", faithful(), "-k", "2", "--progress", "always", "--quiet", "-o", path("d.json")}).err, "");
  EXPECT_EQ(run({"fit", faithful(), "-k", "2", "--progress", "never", "-o", path("e.json")}).err, "");
  fails({"fit", faithful(), "-k", "2", "--progress", "sometimes", "-o", path("f.json")}, "--progress", 2);

  const run_result select = run({"select", faithful(), "--k", "1..2", "--covariance", "full", "--folds", "2",
                                 "--progress", "always", "-o", path("s.json")});
  ASSERT_EQ(select.status, 0) << select.err;
  EXPECT_THAT(select.err, HasSubstr("\rk 2 full, fold 2/2: restart 1/1  iteration "));
  EXPECT_THAT(select.err, EndsWith("\n"));
  EXPECT_EQ(std::count(select.err.begin(), select.err.end(), '\n'), 1);
}

}  // namespace
