/// \file
/// End-to-end tests of `emkit predict`, `score`, `sample`, `info`, `select` and `verify`: round
/// trips against the library on the same data, .npy (C and Fortran order) and standard input,
/// a data file of the wrong width, values outside a family's support, and every error path
/// (one line `emkit: error: ...`, a non-zero status, nothing on standard output, no file written).
///
/// EMKIT_BINARY is the path of the program, EMKIT_DATA_DIR the directory of faithful.csv.

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <emkit/emkit.hpp>
#include <emkit/framework/io/csv.hpp>
#include <emkit/models/verify/verify.hpp>

#include <emkit/cli/model_file.hpp>
#include "../support/cli_harness.hpp"
#include "../support/cli_models.hpp"

#ifndef EMKIT_BINARY
#error "EMKIT_BINARY must name the emkit program"
#endif
#ifndef EMKIT_DATA_DIR
#error "EMKIT_DATA_DIR must name the directory of faithful.csv"
#endif

namespace {

namespace fs = std::filesystem;
using namespace cli_harness;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int faithful_rows = 272;

std::string faithful() { return std::string(EMKIT_DATA_DIR) + "/faithful.csv"; }

std::vector<std::string> split(const std::string& s, char separator) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(s);
  while (std::getline(in, field, separator)) out.push_back(field);
  return out;
}

std::vector<std::string> lines_of(const std::string& text) { return split(text, '\n'); }

/// A .npy file (version 1.0) of `values`, float64 little-endian, in C or Fortran order.
std::string npy_bytes(const Eigen::MatrixXd& values, bool fortran_order) {
  std::string header = "{'descr': '<f8', 'fortran_order': " + std::string(fortran_order ? "True" : "False") +
                       ", 'shape': (" + std::to_string(values.rows()) + ", " + std::to_string(values.cols()) + "), }";
  const std::size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  const auto put = [&](double v) {
    char b[8];
    std::memcpy(b, &v, 8);  // the test machines are little-endian, as '<f8' says
    out.append(b, 8);
  };
  if (fortran_order) {
    for (Eigen::Index c = 0; c < values.cols(); ++c)
      for (Eigen::Index r = 0; r < values.rows(); ++r) put(values(r, c));
  } else {
    for (Eigen::Index r = 0; r < values.rows(); ++r)
      for (Eigen::Index c = 0; c < values.cols(); ++c) put(values(r, c));
  }
  return out;
}

class CliResearchTest : public scratch_dir_test {
 protected:
  run_result run(const std::vector<std::string>& args, const std::string& stdin_file = "/dev/null") {
    return run_program(EMKIT_BINARY, args, dir_, stdin_file);
  }

  /// Runs the program and expects success with nothing on standard error.
  std::string ok(const std::vector<std::string>& args, const std::string& stdin_file = "/dev/null") {
    const run_result r = run(args, stdin_file);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    return r.out;
  }

  /// Runs the program and expects one error line containing `fragment`, status `status`, no output.
  void fails(const std::vector<std::string>& args, const std::string& fragment, int status = 1,
             const std::string& stdin_file = "/dev/null") {
    const run_result r = run(args, stdin_file);
    EXPECT_EQ(r.status, status) << r.err;
    EXPECT_THAT(r.err, StartsWith("emkit: error: "));
    EXPECT_THAT(r.err, HasSubstr(fragment));
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.out, "");
  }

  /// Fits `args` (DATA first) to `model` in the test directory and returns its path.
  std::string fit(std::vector<std::string> args, const std::string& model = "m.json") {
    args.insert(args.begin(), "fit");
    args.push_back("-o");
    args.push_back(path(model));
    const run_result r = run(args);
    EXPECT_EQ(r.status, 0) << r.err;
    return path(model);
  }

  std::string faithful_model() { return fit({faithful(), "-k", "2", "--seed", "3"}); }
};

Eigen::MatrixXd faithful_values() { return emkit::io::read_csv(faithful()).values; }

/// `text` as a matrix of numbers, one row per line, comma-separated.
std::vector<std::vector<double>> numbers_of(const std::string& text) {
  std::vector<std::vector<double>> out;
  for (const std::string& line : lines_of(text)) {
    std::vector<double> row;
    for (const std::string& field : split(line, ',')) row.push_back(std::stod(field));
    out.push_back(row);
  }
  return out;
}

// ---- predict ----------------------------------------------------------------------------------

TEST_F(CliResearchTest, PredictAgreesWithTheLibrary) {
  const std::string model = faithful_model();
  const std::vector<std::string> labels = lines_of(ok({"predict", model, faithful()}));
  ASSERT_EQ(labels.size(), static_cast<std::size_t>(faithful_rows));
  const emkit::cli::loaded_model m = emkit::cli::load(model);
  const Eigen::MatrixXd X = faithful_values();
  const auto& f = emkit::cli::get<emkit::cli::gaussian_mixture>(*m.model);
  const Eigen::VectorX<emkit::index> expected = emkit::predict(f.model, f.params, X);
  for (int n = 0; n < faithful_rows; ++n) EXPECT_EQ(labels[n], std::to_string(expected[n])) << "row " << n;
}

TEST_F(CliResearchTest, PredictProbaPrintsThePosterior) {
  const std::string model = faithful_model();
  const auto rows = numbers_of(ok({"predict", model, faithful(), "--proba"}));
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(faithful_rows));
  const emkit::cli::loaded_model m = emkit::cli::load(model);
  const auto& f = emkit::cli::get<emkit::cli::gaussian_mixture>(*m.model);
  const Eigen::MatrixXd R = emkit::predict_proba(f.model, f.params, faithful_values());
  for (int n = 0; n < faithful_rows; ++n) {
    ASSERT_EQ(rows[n].size(), 2u);
    EXPECT_NEAR(rows[n][0], R(n, 0), 1e-12);
    EXPECT_NEAR(rows[n][1], R(n, 1), 1e-12);
  }
}

TEST_F(CliResearchTest, PredictReadsNpyInBothOrdersAndStandardInput) {
  const std::string model = faithful_model();
  const std::string expected = ok({"predict", model, faithful()});
  write_text(path("c.npy"), npy_bytes(faithful_values(), false));
  write_text(path("f.npy"), npy_bytes(faithful_values(), true));
  EXPECT_EQ(ok({"predict", model, path("c.npy")}), expected);
  EXPECT_EQ(ok({"predict", model, path("f.npy")}), expected);
  EXPECT_EQ(ok({"predict", model, "-"}, faithful()), expected);
  EXPECT_EQ(ok({"predict", model, "-"}, path("f.npy")), expected);
  // A model from standard input, data from a file.
  EXPECT_EQ(ok({"predict", "-", faithful()}, model), expected);
}

TEST_F(CliResearchTest, PredictTakesADelimiter) {
  const std::string model = faithful_model();
  const std::string expected = ok({"predict", model, faithful()});
  std::string text = read_text(faithful());
  std::replace(text.begin(), text.end(), ',', ';');
  write_text(path("semi.csv"), text);
  EXPECT_EQ(ok({"predict", model, path("semi.csv"), "--delimiter", ";"}), expected);
  std::replace(text.begin(), text.end(), ';', '\t');
  write_text(path("tab.tsv"), text);
  EXPECT_EQ(ok({"predict", model, path("tab.tsv"), "--delimiter", "tab"}), expected);
}

// ---- score ------------------------------------------------------------------------------------

TEST_F(CliResearchTest, ScoreSumsToTheModelLogLikelihood) {
  const std::string model = faithful_model();
  const auto rows = numbers_of(ok({"score", model, faithful()}));
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(faithful_rows));
  emkit::compensated_sum sum;
  for (const auto& r : rows) {
    ASSERT_EQ(r.size(), 1u);
    sum += r[0];
  }
  const double ll = json::parse(read_text(model))["log_likelihood"].get<double>();
  EXPECT_LE(std::abs(sum.value() - ll), 1e-9 * std::abs(ll)) << sum.value() << " vs " << ll;

  const emkit::cli::loaded_model m = emkit::cli::load(model);
  const auto& f = emkit::cli::get<emkit::cli::gaussian_mixture>(*m.model);
  const Eigen::VectorXd s = emkit::score_samples(f.model, f.params, faithful_values());
  // To the last bits: the program and this test are compiled apart (the test keeps assertions).
  for (int n = 0; n < faithful_rows; ++n) EXPECT_NEAR(rows[n][0], s[n], 1e-12 * std::abs(s[n]));
}

TEST_F(CliResearchTest, ScoreFlagsAnomaliesByThresholdAndQuantile) {
  const std::string model = faithful_model();
  const auto scores = numbers_of(ok({"score", model, faithful()}));
  const double threshold = -5.0;
  int below = 0;
  for (const auto& r : scores) below += r[0] < threshold;
  run_result r = run({"score", model, faithful(), "--threshold", "-5"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto flagged = numbers_of(r.out);
  ASSERT_EQ(flagged.size(), scores.size());
  int count = 0;
  for (std::size_t n = 0; n < flagged.size(); ++n) {
    ASSERT_EQ(flagged[n].size(), 2u);
    EXPECT_EQ(flagged[n][0], scores[n][0]);
    EXPECT_EQ(flagged[n][1], scores[n][0] < threshold ? 1.0 : 0.0);
    count += flagged[n][1] == 1.0;
  }
  EXPECT_EQ(count, below);
  EXPECT_THAT(r.err, StartsWith("emkit: " + std::to_string(below) + " of 272 observations flagged"));

  r = run({"score", model, faithful(), "--quantile", "0.1"});
  ASSERT_EQ(r.status, 0) << r.err;
  count = 0;
  for (const auto& row : numbers_of(r.out)) count += row[1] == 1.0;
  EXPECT_GE(count, 26);
  EXPECT_LE(count, 28);
  EXPECT_THAT(r.err, StartsWith("emkit: " + std::to_string(count) + " of 272 observations flagged"));
  // Quantile 0 flags nothing (nothing is below the minimum).
  r = run({"score", model, faithful(), "--quantile", "0"});
  EXPECT_THAT(r.err, StartsWith("emkit: 0 of 272"));
}

TEST_F(CliResearchTest, ScoreOfPoissonDataOutsideTheSupportNamesLineAndColumn) {
  write_text(path("counts.csv"), "a,b\n1,2\n3,4\n0,5\n2,2\n");
  const std::string model = fit({path("counts.csv"), "-k", "1", "--family", "poisson"});
  write_text(path("bad.csv"), "a,b\n1,2\n\n3,1.5\n");
  fails({"score", model, path("bad.csv")},
        "bad.csv: line 4, column 2: 1.5 is not a non-negative integer count (poisson)");
  fails({"predict", model, path("bad.csv")}, "line 4, column 2");
  // Good counts score.
  EXPECT_EQ(lines_of(ok({"score", model, path("counts.csv")})).size(), 4u);
}

// ---- sample -----------------------------------------------------------------------------------

TEST_F(CliResearchTest, SampleIsDeterministicInTheSeed) {
  const std::string model = faithful_model();
  const std::string a = ok({"sample", model, "-n", "50", "--seed", "7"});
  const std::string b = ok({"sample", model, "-n", "50", "--seed", "7"});
  const std::string c = ok({"sample", model, "-n", "50", "--seed", "8"});
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  const std::vector<std::string> lines = lines_of(a);
  ASSERT_EQ(lines.size(), 51u);
  EXPECT_EQ(lines[0], "eruptions,waiting");

  // The same draws as the library's, with their labels.
  const emkit::cli::loaded_model m = emkit::cli::load(model);
  const auto& f = emkit::cli::get<emkit::cli::gaussian_mixture>(*m.model);
  const emkit::mixture_draws draws = emkit::sample(f.model, f.params, 50, 7);
  const std::vector<std::string> labelled = lines_of(ok({"sample", model, "-n", "50", "--seed", "7", "--labels"}));
  EXPECT_EQ(labelled[0], "eruptions,waiting,label");
  for (int n = 0; n < 50; ++n) {
    const std::vector<std::string> fields = split(labelled[n + 1], ',');
    ASSERT_EQ(fields.size(), 3u);
    EXPECT_EQ(std::stod(fields[0]), draws.X(n, 0));
    EXPECT_EQ(std::stod(fields[1]), draws.X(n, 1));
    EXPECT_EQ(fields[2], std::to_string(draws.labels[n]));
  }
}

TEST_F(CliResearchTest, SampleWritesAFileThatScores) {
  const std::string model = faithful_model();
  const std::string out = path("draws.csv");
  EXPECT_EQ(ok({"sample", model, "-n", "20", "--seed", "1", "-o", out}), "");
  EXPECT_EQ(read_text(out), ok({"sample", model, "-n", "20", "--seed", "1"}));
  EXPECT_EQ(lines_of(ok({"score", model, out})).size(), 20u);
  // K-means and Poisson models sample too.
  const std::string km = fit({faithful(), "-k", "2", "--family", "kmeans"}, "km.json");
  EXPECT_EQ(lines_of(ok({"sample", km, "-n", "5"})).size(), 6u);
  write_text(path("counts.csv"), "1,2\n3,4\n0,5\n2,2\n");
  const std::string po = fit({path("counts.csv"), "-k", "2", "--family", "poisson"}, "po.json");
  const std::vector<std::string> lines = lines_of(ok({"sample", po, "-n", "5"}));
  ASSERT_EQ(lines.size(), 5u);
  for (const std::string& line : lines) EXPECT_EQ(line.find('.'), std::string::npos) << line;
  EXPECT_EQ(ok({"sample", po, "-n", "0"}), "");
}

TEST_F(CliResearchTest, SampleErrorsWriteNothing) {
  const std::string model = faithful_model();
  fails({"sample", model, "-n", "-1"}, "-n -1", 2);
  fails({"sample", model, "--seed", "1"}, "-n", 2);
  fails({"sample", model, "-n", "5", "--seed", "-1"}, "--seed", 2);
  fails({"sample", model, "-n", "5", "-o", path("nodir/draws.csv")}, "does not exist");
  fails({"sample", model, "-n", "5", "-o", model}, "would overwrite", 2);
  fails({"sample", path("missing.json"), "-n", "5", "-o", path("d.csv")}, "missing.json");
  EXPECT_FALSE(fs::exists(path("d.csv")));
  EXPECT_FALSE(fs::exists(path("nodir")));
}

// ---- info -------------------------------------------------------------------------------------

TEST_F(CliResearchTest, InfoDescribesTheModelFile) {
  const std::string model = fit({faithful(), "-k", "2", "--covariance", "diag"});
  const json file = json::parse(read_text(model));
  const json j = json::parse(ok({"info", model, "--json"}));
  EXPECT_EQ(j["family"], "gaussian");
  EXPECT_EQ(j["k"], 2);
  EXPECT_EQ(j["dim"], 2);
  EXPECT_EQ(j["layout"], "diag");
  EXPECT_EQ(j["log_likelihood"].get<double>(), file["log_likelihood"].get<double>());
  EXPECT_EQ(j["bic"].get<double>(), file["bic"].get<double>());
  EXPECT_EQ(j["aic"].get<double>(), file["aic"].get<double>());
  EXPECT_EQ(j["converged"], file["converged"]);
  EXPECT_EQ(j["iterations"], file["iterations"]);
  EXPECT_EQ(j["weights"], file["weights"]);
  EXPECT_EQ(j["columns"], file["columns"]);

  const std::string text = ok({"info", model});
  EXPECT_THAT(text, HasSubstr("family: gaussian\n"));
  EXPECT_THAT(text, HasSubstr("K: 2\nD: 2\nlayout: diag\n"));
  EXPECT_THAT(text, HasSubstr("BIC: "));
  EXPECT_THAT(text, HasSubstr("converged: "));
  EXPECT_THAT(text, HasSubstr("weights: "));

  write_text(path("mixed.csv"), "0.5,1,0\n1.5,2,1\n-0.3,0,1\n2.2,3,0\n0.1,1,1\n");
  const std::string product =
      fit({path("mixed.csv"), "-k", "1", "--family", "product", "--columns", "gaussian-diag:0,poisson:1,bernoulli:2"},
          "p.json");
  const json p = json::parse(ok({"info", product, "--json"}));
  EXPECT_EQ(p["family"], "product");
  EXPECT_EQ(p["layout"], "gaussian-diag:0,poisson:1,bernoulli:2");
  EXPECT_EQ(p["dim"], 3);
}

// ---- errors -----------------------------------------------------------------------------------

TEST_F(CliResearchTest, WrongColumnCountNamesBoth) {
  const std::string model = faithful_model();
  write_text(path("three.csv"), "1,2,3\n4,5,6\n");
  fails({"predict", model, path("three.csv")}, "three.csv: has 3 columns, but the model " + model + " has D = 2");
  fails({"score", model, path("three.csv")}, "has D = 2");
  Eigen::MatrixXd one(3, 1);
  one << 1, 2, 3;
  write_text(path("one.npy"), npy_bytes(one, false));
  fails({"predict", model, path("one.npy")}, "one.npy: has 1 column, but the model");
}

TEST_F(CliResearchTest, EveryErrorIsOneLine) {
  const std::string model = faithful_model();
  fails({"predict", path("missing.json"), faithful()}, "missing.json: cannot open file");
  fails({"predict", model, path("missing.csv")}, "missing.csv");
  fails({"score", model, path("missing.csv")}, "missing.csv");
  fails({"info", path("missing.json")}, "missing.json");
  write_text(path("broken.json"), "{\"format\": \"emkit-model\",");
  fails({"info", path("broken.json")}, "broken.json");
  fails({"predict", path("broken.json"), faithful()}, "broken.json");
  write_text(path("bad.csv"), "1,2\n3,abc\n");
  fails({"predict", model, path("bad.csv")}, "bad.csv: line 2, column 2");
  write_text(path("bad.npy"), "\x93NUMPY garbage");
  fails({"score", model, path("bad.npy")}, "bad.npy");
  fails({"predict", model, faithful(), "--delimiter", "ab"}, "--delimiter", 2);
  fails({"predict", model, faithful(), "--delimiter", "x"}, "--delimiter", 2);
  fails({"score", model, faithful(), "--quantile", "1.5"}, "--quantile", 2);
  fails({"score", model, faithful(), "--threshold", "nan"}, "--threshold", 2);
  fails({"score", model, faithful(), "--threshold", "1", "--quantile", "0.5"}, "excludes", 2);
  fails({"predict", "-", "-"}, "standard input", 2);
  fails({"predict", model}, "DATA", 2);
  fails({"predict", model, faithful(), "--bogus"}, "--bogus", 2);
  fails({"info"}, "MODEL", 2);
  write_text(path("empty.csv"), "");
  fails({"predict", model, path("empty.csv")}, "empty.csv");
}

// ---- select -----------------------------------------------------------------------------------

TEST_F(CliResearchTest, SelectWritesTheBestModelByEachCriterion) {
  const std::string best = path("best.json");
  const run_result r = run(
      {"select", faithful(), "--k", "1..3", "--covariance", "full,diag", "--folds", "3", "--seed", "2", "-o", best});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const std::vector<std::string> lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 8u);  // header, 6 candidates, the verdict
  EXPECT_THAT(lines[0], HasSubstr("ICL"));
  EXPECT_THAT(lines[7], StartsWith("best by bic: k = "));
  // The table's BIC of the starred row is the model file's; it is the lowest in the table.
  const json m = json::parse(read_text(best));
  EXPECT_EQ(m["family"], "gaussian");
  double lowest = 1e300;
  double starred = 0.0;
  for (std::size_t i = 1; i <= 6; ++i) {
    std::istringstream in(lines[i]);
    int k = 0;
    std::string cov;
    double ll = 0, bic = 0, aic = 0, icl = 0, cv = 0;
    in >> k >> cov >> ll >> bic >> aic >> icl >> cv;
    EXPECT_GE(icl, bic - 1e-9 * std::abs(bic)) << lines[i];
    EXPECT_TRUE(std::isfinite(cv)) << lines[i];
    EXPECT_LT(cv, 0.0);
    lowest = std::min(lowest, bic);
    if (lines[i].find('*') != std::string::npos) {
      starred = bic;
      EXPECT_EQ(m["k"], k);
      EXPECT_EQ(m["covariance"], cov);
    }
  }
  EXPECT_EQ(starred, lowest);
  EXPECT_NEAR(m["bic"].get<double>(), lowest, 1e-6 * std::abs(lowest));

  // The same seed, the same table; cv chooses too.
  EXPECT_EQ(
      run({"select", faithful(), "--k", "1..3", "--covariance", "full,diag", "--folds", "3", "--seed", "2", "-o", best})
          .out,
      r.out);
  const run_result cv = run(
      {"select", faithful(), "--k", "1,2", "--covariance", "spherical", "--criterion", "cv", "-o", path("cv.json")});
  ASSERT_EQ(cv.status, 0) << cv.err;
  EXPECT_THAT(cv.out, HasSubstr("best by cv: k = "));
}

TEST_F(CliResearchTest, SelectErrorsWriteNothing) {
  const std::string out = path("best.json");
  fails({"select", faithful(), "--k", "0..3", "-o", out}, "--k", 2);
  fails({"select", faithful(), "--k", "3..1", "-o", out}, "empty", 2);
  fails({"select", faithful(), "--k", "a", "-o", out}, "not an integer", 2);
  fails({"select", faithful(), "--covariance", "full,bogus", "-o", out}, "bogus", 2);
  fails({"select", faithful(), "--folds", "1", "-o", out}, "--folds", 2);
  fails({"select", faithful(), "--criterion", "xyz", "-o", out}, "--criterion", 2);
  fails({"select", faithful(), "-o", path("nodir/best.json")}, "does not exist");
  write_text(path("small.csv"), "1,2\n3,4\n5,6\n");
  fails({"select", path("small.csv"), "--k", "1..4", "-o", out}, "--k 4 exceeds the number of rows (3)");
  fails({"select", path("missing.csv"), "-o", out}, "missing.csv");
  EXPECT_FALSE(fs::exists(out));
}

// ---- fit --quiet / --json ---------------------------------------------------------------------

TEST_F(CliResearchTest, FitQuietAndJson) {
  const run_result quiet = run({"fit", faithful(), "-k", "2", "--quiet", "-o", path("q.json")});
  EXPECT_EQ(quiet.status, 0);
  EXPECT_EQ(quiet.out, "");
  EXPECT_EQ(quiet.err, "");
  EXPECT_TRUE(fs::exists(path("q.json")));
  const json j = json::parse(ok({"fit", faithful(), "-k", "2", "--json", "-o", path("j.json")}));
  const json m = json::parse(read_text(path("j.json")));
  EXPECT_EQ(j["family"], "gaussian");
  EXPECT_EQ(j["k"], 2);
  EXPECT_EQ(j["log_likelihood"].get<double>(), m["log_likelihood"].get<double>());
  EXPECT_EQ(j["bic"].get<double>(), m["bic"].get<double>());
  EXPECT_EQ(j["model_file"], path("j.json"));
}

// ---- verify -----------------------------------------------------------------------------------

/// `verify --json` gives what the library's `emkit::verify` gives on the loaded model, and at a
/// converged fit of Old Faithful the theory holds: a stationary point (gradient and fixed-point
/// step near 0), Louis' information equal to the finite-difference Hessian, and the observed EM
/// rate equal to the largest eigenvalue of the EM map's Jacobian.
TEST_F(CliResearchTest, VerifyJsonAgreesWithTheLibraryAndTheTheory) {
  const std::string model = fit({faithful(), "-k", "2", "--seed", "3", "--tol", "1e-14"});
  const json j = json::parse(ok({"verify", model, faithful(), "--json"}));
  const emkit::cli::loaded_model m = emkit::cli::load(model);
  const auto& f = emkit::cli::get<emkit::cli::gaussian_mixture>(*m.model);
  const emkit::verify_report lib = emkit::verify(f.model, f.params, faithful_values());
  EXPECT_EQ(j["family"], "gaussian");
  EXPECT_EQ(j["gradient_norm"].get<double>(), lib.gradient_norm);
  EXPECT_EQ(j["fixed_point_residual"].get<double>(), lib.fixed_point_residual);
  EXPECT_EQ(j["hessian_agreement"].get<double>(), lib.hessian_agreement);
  EXPECT_EQ(j["em_rate"].get<double>(), lib.em_rate);
  EXPECT_EQ(j["missing_information_rate"].get<double>(), lib.missing_information_rate);
  // K = 2, D = 2, full: 1 weight + 2 × (2 means + 3 covariance entries) = 11 free coordinates,
  // and the derived weight π_1.
  EXPECT_EQ(j["free_parameters"], 11);
  ASSERT_EQ(j["standard_errors"].size(), 12u);
  EXPECT_EQ(j["standard_errors"][11]["derived"], true);
  for (const json& s : j["standard_errors"]) EXPECT_GT(s["value"].get<double>(), 0.0) << s["name"];
  // The two weights' standard errors are equal (π_1 = 1 − π_0).
  EXPECT_NEAR(j["standard_errors"][0]["value"].get<double>(), j["standard_errors"][11]["value"].get<double>(), 1e-9);
  const double ll = j["log_likelihood"].get<double>();
  EXPECT_LT(j["gradient_norm"].get<double>(), 1e-4 * std::abs(ll));
  EXPECT_LT(j["fixed_point_residual"].get<double>(), 1e-6);
  EXPECT_LT(j["hessian_agreement"].get<double>(), 1e-4);
  EXPECT_TRUE(j["information_positive_definite"].get<bool>());
  const double rate = j["em_rate"].get<double>();
  EXPECT_GT(rate, 0.0);
  EXPECT_LT(rate, 1.0);
  EXPECT_NEAR(rate, j["missing_information_rate"].get<double>(), 1e-3);
  EXPECT_NEAR(rate, j["missing_information_rate_louis"].get<double>(), 1e-3);

  const std::string text = ok({"verify", model, faithful()});
  EXPECT_THAT(text, HasSubstr("gradient norm"));
  EXPECT_THAT(text, HasSubstr("component[1].mean[0]"));
}

TEST_F(CliResearchTest, VerifyWorksForCountsBinaryAndKMeansModels) {
  write_text(path("counts.csv"), "a,b\n1,2\n3,4\n0,5\n2,2\n9,8\n7,9\n8,7\n10,11\n");
  const json po = json::parse(ok({"verify", fit({path("counts.csv"), "-k", "2", "--family", "poisson"}, "po.json"),
                                  path("counts.csv"), "--json"}));
  EXPECT_EQ(po["family"], "poisson");
  EXPECT_EQ(po["free_parameters"], 5);  // 1 weight + 2 × 2 rates
  EXPECT_LT(po["fixed_point_residual"].get<double>(), 1e-3);
  write_text(path("binary.csv"), "1,1,0\n1,1,1\n1,0,0\n0,0,1\n0,1,1\n0,0,1\n1,1,0\n0,0,0\n");
  const json be = json::parse(ok({"verify", fit({path("binary.csv"), "-k", "1", "--family", "bernoulli"}, "be.json"),
                                  path("binary.csv"), "--json"}));
  EXPECT_EQ(be["free_parameters"], 3);
  // K = 1: the maximum likelihood is the column means, so the gradient is 0 up to differences.
  EXPECT_LT(be["gradient_norm"].get<double>(), 1e-6);
  const json km =
      json::parse(ok({"verify", fit({faithful(), "-k", "2", "--family", "kmeans"}, "km.json"), faithful(), "--json"}));
  EXPECT_EQ(km["family"], "kmeans");
  EXPECT_TRUE(km.contains("em_rate"));
}

TEST_F(CliResearchTest, VerifyErrors) {
  write_text(path("mixed.csv"), "0.5,1,0\n1.5,2,1\n-0.3,0,1\n2.2,3,0\n0.1,1,1\n");
  const std::string product =
      fit({path("mixed.csv"), "-k", "1", "--family", "product", "--columns", "gaussian-diag:0,poisson:1,bernoulli:2"},
          "p.json");
  fails({"verify", product, path("mixed.csv")}, "product family has no parameterisation", 2);
  const std::string model = faithful_model();
  write_text(path("wide.csv"), "1,2,3\n4,5,6\n");
  fails({"verify", model, path("wide.csv")}, "has 3 columns, but the model");
  fails({"verify", model, path("missing.csv")}, "missing.csv");
  fails({"verify", path("missing.json"), faithful()}, "missing.json");
  fails({"verify", model, faithful(), "--hessian-max-coordinates", "-1"}, "--hessian-max-coordinates", 2);
  fails({"verify", model}, "DATA", 2);
}

}  // namespace
