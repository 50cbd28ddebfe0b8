/// \file
/// End-to-end tests of the emkit command-line program: `emkit fit` on Old Faithful and
/// synthetic data, the model and trace files it writes, determinism, the initialisation
/// and weight options, and every kind of bad input (one-line message, non-zero status, no
/// output written or overwritten).
///
/// The model-file module (tools/model_file.hpp) is tested in process: models fitted here with
/// the library, saved and loaded back, predict bit for bit as before; broken files name the
/// file and the key.
///
/// EMKIT_BINARY is the path of the program, EMKIT_DATA_DIR the directory of faithful.csv.

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <emkit/emkit.hpp>
#include <emkit/framework/io/csv.hpp>

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
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

/// The known maximum of the Old Faithful log-likelihood for two full-covariance components.
constexpr double faithful_max_log_likelihood = -1130.26396;
constexpr int faithful_rows = 272;

std::string faithful() { return std::string(EMKIT_DATA_DIR) + "/faithful.csv"; }

std::vector<std::string> split(const std::string& s, char separator) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(s);
  while (std::getline(in, field, separator)) out.push_back(field);
  return out;
}

/// The lines of `text` (without their newlines).
std::vector<std::string> lines_of(const std::string& text) { return split(text, '\n'); }

/// Whether a and b agree to `relative` (relative to the larger magnitude, at least 1).
bool near_rel(double a, double b, double relative) {
  return std::abs(a - b) <= relative * std::max({1.0, std::abs(a), std::abs(b)});
}

/// Each test owns a fresh temporary directory, removed afterwards.
class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path base = fs::temp_directory_path();
    std::string pattern = (base / "emkit-cli-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << "cannot create a temporary directory under " << base;
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  [[nodiscard]] std::string path(const std::string& name) const { return (dir_ / name).string(); }

  /// Runs the program with `args` (standard input from `stdin_file`, or /dev/null) and
  /// captures its status, standard output and standard error.
  run_result run(const std::vector<std::string>& args, const std::string& stdin_file = "/dev/null") {
    const std::string out_file = path(".stdout"), err_file = path(".stderr");
    std::string command = shell_quote(EMKIT_BINARY);
    // Appended piece by piece: `" <" + std::string` trips a false -Wrestrict in GCC 12 at -O2.
    const auto append = [&command](std::string_view prefix, const std::string& word) {
      command.append(prefix);
      command.append(shell_quote(word));
    };
    for (const std::string& a : args) append(" ", a);
    append(" <", stdin_file);
    append(" >", out_file);
    append(" 2>", err_file);
    const int raw = std::system(command.c_str());
    run_result r;
    // The shell reports a signal as status 128 + n; a crash must not pass for an error exit.
    if (raw != -1 && WIFEXITED(raw) && WEXITSTATUS(raw) < 128) r.status = WEXITSTATUS(raw);
    r.out = read_text(out_file);
    r.err = read_text(err_file);
    fs::remove(out_file);
    fs::remove(err_file);
    return r;
  }

  /// Runs `emkit fit` and expects success; returns the parsed model file.
  json fit_ok(std::vector<std::string> args, const std::string& model = "m.json") {
    args.insert(args.begin(), "fit");
    args.push_back("-o");
    args.push_back(path(model));
    const run_result r = run(args);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    if (r.status != 0 || !fs::exists(path(model))) return json::object();
    return json::parse(read_text(path(model)));
  }

  fs::path dir_;
};

std::vector<double> vector_of(const json& j) { return j.get<std::vector<double>>(); }
std::vector<std::vector<double>> matrix_of(const json& j) { return j.get<std::vector<std::vector<double>>>(); }

/// Checks the required keys, their types and the shapes of the parameters of a model file,
/// and the identities every fitted Gaussian mixture satisfies.
void expect_valid_model(const json& m, const std::string& covariance, int K, int D) {
  for (const char* key :
       {"format",       "format_version", "family",     "covariance", "k",    "dim",     "weights", "means",
        "covariances",  "log_likelihood", "iterations", "converged",  "bic",  "aic",     "seconds", "n_observations",
        "total_weight", "reg_covar",      "restarts",   "seed",       "init", "monitor", "warnings"}) {
    ASSERT_TRUE(m.contains(key)) << "model file has no \"" << key << "\"";
  }
  EXPECT_EQ(m["format"], "emkit-model");
  EXPECT_EQ(m["format_version"], 1);
  EXPECT_EQ(m["family"], "gaussian");
  EXPECT_EQ(m["covariance"], covariance);
  EXPECT_EQ(m["k"], K);
  EXPECT_EQ(m["dim"], D);
  EXPECT_TRUE(m["log_likelihood"].is_number_float());
  EXPECT_TRUE(std::isfinite(m["log_likelihood"].get<double>()));
  EXPECT_TRUE(m["iterations"].is_number_integer());
  EXPECT_TRUE(m["converged"].is_boolean());
  EXPECT_GE(m["seconds"].get<double>(), 0.0);
  EXPECT_TRUE(m["warnings"].is_array());
  ASSERT_TRUE(m["monitor"].is_object());
  EXPECT_TRUE(m["monitor"]["checks_passed"].is_boolean());
  EXPECT_TRUE(m["monitor"]["violations"].is_array());
  EXPECT_EQ(m["monitor"]["checks_passed"].get<bool>(), m["monitor"]["violations"].empty());

  const std::vector<double> weights = vector_of(m["weights"]);
  ASSERT_EQ(weights.size(), static_cast<std::size_t>(K));
  double total = 0.0;
  for (double w : weights) {
    EXPECT_GT(w, 0.0);
    total += w;
  }
  EXPECT_NEAR(total, 1.0, 1e-12);

  const auto means = matrix_of(m["means"]);
  ASSERT_EQ(means.size(), static_cast<std::size_t>(K));
  for (const auto& mean : means) EXPECT_EQ(mean.size(), static_cast<std::size_t>(D));

  const json& covariances = m["covariances"];
  ASSERT_EQ(covariances.size(), static_cast<std::size_t>(K));
  for (const json& c : covariances) {
    const auto sigma = matrix_of(c);
    ASSERT_EQ(sigma.size(), static_cast<std::size_t>(D));
    for (int i = 0; i < D; ++i) {
      ASSERT_EQ(sigma[i].size(), static_cast<std::size_t>(D));
      EXPECT_GT(sigma[i][i], 0.0);
      for (int j = 0; j < D; ++j) EXPECT_EQ(sigma[i][j], sigma[j][i]) << "covariance not symmetric at " << i << j;
    }
  }
}

/// The number of free parameters of a K-component, D-dimensional Gaussian mixture.
int free_parameters(const std::string& covariance, int K, int D) {
  const int tri = D * (D + 1) / 2;
  const int component = covariance == "full"        ? K * D + K * tri
                        : covariance == "diag"      ? 2 * K * D
                        : covariance == "spherical" ? K * D + K
                                                    : K * D + tri;
  return component + K - 1;
}

/// BIC = −2ℓ + p log Σw and AIC = −2ℓ + 2p, to 1e-9 relative.
void expect_criteria(const json& m, int p, double total_weight) {
  const double ll = m["log_likelihood"].get<double>();
  EXPECT_EQ(m["total_weight"].get<double>(), total_weight);
  EXPECT_TRUE(near_rel(m["bic"].get<double>(), -2.0 * ll + p * std::log(total_weight), 1e-9)) << m["bic"];
  EXPECT_TRUE(near_rel(m["aic"].get<double>(), -2.0 * ll + 2.0 * p, 1e-9)) << m["aic"];
}

/// The model file's text without its "seconds" line, the one field that may differ
/// between two runs of the same fit.
std::string without_seconds(const std::string& text) {
  std::string out;
  for (const std::string& line : lines_of(text))
    if (line.find("\"seconds\"") == std::string::npos) out += line + "\n";
  return out;
}

/// Three well-separated 3-D clusters, `n` rows, from a fixed linear congruential generator
/// (so every platform writes the same file).
std::string synthetic_csv(int n) {
  std::uint64_t state = 12345;
  auto uniform = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) * 0x1.0p-53;
  };
  const double centres[3][3] = {{0, 0, 0}, {6, 1, -2}, {-3, 7, 4}};
  std::string out = "x,y,z\n";
  char line[128];
  for (int i = 0; i < n; ++i) {
    const auto& c = centres[i % 3];
    double v[3];
    for (int d = 0; d < 3; ++d) {  // Box–Muller
      const double r = std::sqrt(-2.0 * std::log(1.0 - uniform()));
      v[d] = c[d] + (1.0 + d * 0.5) * r * std::cos(2.0 * 3.141592653589793 * uniform());
    }
    std::snprintf(line, sizeof line, "%.17g,%.17g,%.17g\n", v[0], v[1], v[2]);
    out += line;
  }
  return out;
}

// ---- 1. Round trip on Old Faithful ----------------------------------------------------------

TEST_F(CliTest, FaithfulFullCovarianceModelAndTrace) {
  const run_result r = run({"fit", faithful(), "-k", "2", "--covariance", "full", "--restarts", "3", "--seed", "1",
                            "--tol", "1e-12", "-o", path("m.json"), "--trace", path("t.csv")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_THAT(r.out, AllOf(HasSubstr("K = 2"), HasSubstr("D = 2"), HasSubstr("covariance full"),
                           HasSubstr("component 0"), HasSubstr("component 1"), HasSubstr("log-likelihood"),
                           HasSubstr("BIC"), HasSubstr("AIC"), HasSubstr("iterations"), HasSubstr("converged"),
                           HasSubstr("restart 2"), HasSubstr(path("m.json")), HasSubstr(path("t.csv"))));

  const json m = json::parse(read_text(path("m.json")));
  expect_valid_model(m, "full", 2, 2);
  const double ll = m["log_likelihood"].get<double>();
  EXPECT_NEAR(ll, faithful_max_log_likelihood, 1e-5);
  EXPECT_EQ(m["n_observations"], faithful_rows);
  EXPECT_EQ(m["restarts"], 3);
  EXPECT_EQ(m["seed"], 1);
  EXPECT_EQ(m["init"], "kmeans++");
  EXPECT_EQ(m["reg_covar"].get<double>(), 1e-6);
  EXPECT_EQ(m["n_parameters"], 11);
  EXPECT_THAT(m["columns"].get<std::vector<std::string>>(), ElementsAre("eruptions", "waiting"));
  expect_criteria(m, 11, faithful_rows);
  EXPECT_TRUE(m["converged"].get<bool>());
  EXPECT_TRUE(m["monitor"]["checks_passed"].get<bool>()) << m["monitor"];

  // The trace: the named columns, iteration 0 (the initial parameters) then one row per
  // iteration, ending at the returned log-likelihood (17 digits read back exactly).
  const std::vector<std::string> trace = lines_of(read_text(path("t.csv")));
  ASSERT_FALSE(trace.empty());
  EXPECT_EQ(trace[0], "iteration,log_likelihood,objective,q,entropy,elbo,kl,estep_gap,change,seconds,reseeded");
  const int iterations = m["iterations"].get<int>();
  ASSERT_EQ(trace.size(), static_cast<std::size_t>(iterations) + 2);
  double previous = -INFINITY;
  for (int t = 0; t <= iterations; ++t) {
    const std::vector<std::string> fields = split(trace[t + 1], ',');
    ASSERT_EQ(fields.size(), 11u) << trace[t + 1];
    EXPECT_EQ(std::stoi(fields[0]), t);
    const double row_ll = std::strtod(fields[1].c_str(), nullptr);
    EXPECT_GE(row_ll, previous - 1e-9 * std::abs(row_ll)) << "log-likelihood decreased at iteration " << t;
    previous = row_ll;
    EXPECT_THAT(fields[10], ::testing::AnyOf("0", "1"));
  }
  EXPECT_EQ(std::strtod(split(trace.back(), ',')[1].c_str(), nullptr), ll);
  EXPECT_EQ(split(trace[1], ',')[3], "nan");  // Q is not defined before the first M-step
}

class CliCovarianceTest : public CliTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(CliCovarianceTest, FaithfulOtherCovarianceTypes) {
  const std::string type = GetParam();
  const json m = fit_ok({faithful(), "-k", "2", "--covariance", type, "--restarts", "2", "--seed", "4"});
  ASSERT_FALSE(m.empty());
  expect_valid_model(m, type, 2, 2);
  const int p = free_parameters(type, 2, 2);
  EXPECT_EQ(m["n_parameters"], p);
  expect_criteria(m, p, faithful_rows);
  // The full-covariance maximum bounds every constrained fit.
  EXPECT_LT(m["log_likelihood"].get<double>(), faithful_max_log_likelihood + 1e-5);

  const auto first = matrix_of(m["covariances"][0]);
  for (const json& c : m["covariances"]) {
    const auto sigma = matrix_of(c);
    if (type == "diag" || type == "spherical") {
      EXPECT_EQ(sigma[0][1], 0.0);
      EXPECT_EQ(sigma[1][0], 0.0);
    }
    if (type == "spherical") {
      EXPECT_EQ(sigma[0][0], sigma[1][1]);
    }
    if (type == "tied") {
      EXPECT_EQ(sigma, first);
    }
  }
  if (type != "tied") {
    EXPECT_NE(matrix_of(m["covariances"][1]), first);
  }
}

INSTANTIATE_TEST_SUITE_P(Types, CliCovarianceTest, ::testing::Values("diag", "spherical", "tied"));

TEST_F(CliTest, DataFromStandardInput) {
  const run_result r = run({"fit", "-", "-k", "2", "--seed", "1", "-o", path("m.json")}, faithful());
  ASSERT_EQ(r.status, 0) << r.err;
  const json from_stdin = json::parse(read_text(path("m.json")));
  const json from_file = fit_ok({faithful(), "-k", "2", "--seed", "1"}, "f.json");
  EXPECT_EQ(from_stdin["log_likelihood"], from_file["log_likelihood"]);
  EXPECT_EQ(from_stdin["means"], from_file["means"]);
}

// ---- 2. Determinism ----------------------------------------------------------------------

TEST_F(CliTest, SameSeedGivesTheSameModelFile) {
  for (const char* init : {"kmeans++", "random", "random-resp"}) {
    const std::vector<std::string> args = {faithful(), "-k", "3", "--restarts", "3", "--seed", "11", "--init", init};
    fit_ok(args, "a.json");
    fit_ok(args, "b.json");
    const std::string a = read_text(path("a.json")), b = read_text(path("b.json"));
    ASSERT_THAT(a, HasSubstr("\"seconds\""));
    EXPECT_EQ(without_seconds(a), without_seconds(b)) << "--init " << init;
  }
}

TEST_F(CliTest, DifferentSeedsGiveDifferentStarts) {
  const json a = fit_ok({faithful(), "-k", "3", "--init", "random", "--seed", "1", "--max-iter", "0"}, "a.json");
  const json b = fit_ok({faithful(), "-k", "3", "--init", "random", "--seed", "2", "--max-iter", "0"}, "b.json");
  EXPECT_EQ(a["iterations"], 0);
  EXPECT_NE(a["means"], b["means"]);
}

TEST_F(CliTest, ThreadCountDoesNotChangeTheResult) {
  write_text(path("synthetic.csv"), synthetic_csv(3000));
  for (const std::string& data : {faithful(), path("synthetic.csv")}) {
    const std::vector<std::string> common = {data, "-k", "3", "--restarts", "2", "--seed", "5"};
    std::vector<std::string> one = common, two = common, all = common;
    one.insert(one.end(), {"--threads", "1"});
    two.insert(two.end(), {"--threads", "2"});
    all.insert(all.end(), {"--threads", "0"});
    const json m1 = fit_ok(one, "t1.json");
    const json m2 = fit_ok(two, "t2.json");
    const json m0 = fit_ok(all, "t0.json");
    EXPECT_EQ(m1["log_likelihood"].get<double>(), m2["log_likelihood"].get<double>()) << data;
    EXPECT_EQ(m1["means"], m2["means"]) << data;
    EXPECT_EQ(without_seconds(read_text(path("t1.json"))), without_seconds(read_text(path("t2.json")))) << data;
    EXPECT_EQ(without_seconds(read_text(path("t1.json"))), without_seconds(read_text(path("t0.json")))) << data;
  }
}

// ---- 3. Initialisation ------------------------------------------------------------------

TEST_F(CliTest, GivenMeansReachTheKnownMaximumInExactlyMaxIter) {
  write_text(path("means.csv"), "eruptions,waiting\n2,55\n4.3,80\n");
  const json m = fit_ok({faithful(), "-k", "2", "--init-means", path("means.csv"), "--tol", "0", "--max-iter", "500"});
  ASSERT_FALSE(m.empty());
  expect_valid_model(m, "full", 2, 2);
  EXPECT_NEAR(m["log_likelihood"].get<double>(), faithful_max_log_likelihood, 1e-5);
  EXPECT_EQ(m["iterations"], 500);
  EXPECT_FALSE(m["converged"].get<bool>());  // --tol 0 never stops early, and says so
  EXPECT_THAT(m["warnings"].dump(), HasSubstr("did not converge"));
  EXPECT_EQ(m["init"], "given-means");
  EXPECT_EQ(m["init_means_file"], path("means.csv"));
  // Given means are deterministic: the seed does not matter.
  const json other = fit_ok(
      {faithful(), "-k", "2", "--init-means", path("means.csv"), "--tol", "0", "--max-iter", "500", "--seed", "99"},
      "other.json");
  EXPECT_EQ(other["log_likelihood"], m["log_likelihood"]);
}

TEST_F(CliTest, RandomInitialisationsGiveValidModels) {
  for (const char* init : {"random", "random-resp"}) {
    const json m = fit_ok({faithful(), "-k", "2", "--init", init, "--seed", "3", "--restarts", "2"});
    ASSERT_FALSE(m.empty()) << init;
    expect_valid_model(m, "full", 2, 2);
    EXPECT_EQ(m["init"], init);
    EXPECT_TRUE(m["monitor"]["checks_passed"].get<bool>()) << init << m["monitor"];
    EXPECT_LT(m["log_likelihood"].get<double>(), faithful_max_log_likelihood + 1e-5);
    EXPECT_EQ(m["restart_objectives"].size(), 2u);
  }
}

TEST_F(CliTest, IrisFourDimensionsThreeComponents) {
  const json m = fit_ok({std::string(EMKIT_DATA_DIR) + "/iris.csv", "-k", "3", "--restarts", "4", "--seed", "2"});
  ASSERT_FALSE(m.empty());
  expect_valid_model(m, "full", 3, 4);
  EXPECT_EQ(m["n_observations"], 150);
  expect_criteria(m, free_parameters("full", 3, 4), 150);
}

// ---- 4. Observation weights -------------------------------------------------------------

TEST_F(CliTest, WeightsOfTwoDoubleTheLogLikelihoodOnly) {
  std::string weights = "w\n";
  for (int n = 0; n < faithful_rows; ++n) weights += "2\n";
  write_text(path("w.csv"), weights);
  const std::vector<std::string> common = {faithful(), "-k", "2", "--seed", "1", "--tol", "1e-12"};
  const json plain = fit_ok(common, "plain.json");
  std::vector<std::string> weighted_args = common;
  weighted_args.insert(weighted_args.end(), {"--weights", path("w.csv")});
  const json weighted = fit_ok(weighted_args, "weighted.json");
  ASSERT_FALSE(plain.empty());
  ASSERT_FALSE(weighted.empty());
  expect_valid_model(weighted, "full", 2, 2);

  const auto expect_near_all = [](const json& a, const json& b) {
    const auto flat_a = a.flatten(), flat_b = b.flatten();
    ASSERT_EQ(flat_a.size(), flat_b.size());
    for (auto it = flat_a.begin(); it != flat_a.end(); ++it) {
      const double x = it.value().get<double>(), y = flat_b.at(it.key()).get<double>();
      EXPECT_LE(std::abs(x - y), 1e-10 * std::max(1.0, std::abs(x))) << it.key();
    }
  };
  expect_near_all(plain["means"], weighted["means"]);
  expect_near_all(plain["covariances"], weighted["covariances"]);
  expect_near_all(plain["weights"], weighted["weights"]);
  EXPECT_TRUE(near_rel(weighted["log_likelihood"].get<double>(), 2.0 * plain["log_likelihood"].get<double>(), 1e-12));
  EXPECT_EQ(weighted["weights_file"], path("w.csv"));
  expect_criteria(weighted, 11, 2.0 * faithful_rows);
}

TEST_F(CliTest, IntegerWeightsEqualRepeatedRows) {
  // Rows 1..100 of faithful twice, as data and as weight 2: the same fit from the same means.
  const std::vector<std::string> rows = lines_of(read_text(faithful()));
  std::string repeated = rows[0] + "\n", weights = "w\n";
  for (int n = 1; n <= faithful_rows; ++n) {
    repeated += rows[n] + "\n";
    if (n <= 100) repeated += rows[n] + "\n";
    weights += n <= 100 ? "2\n" : "1\n";
  }
  write_text(path("repeated.csv"), repeated);
  write_text(path("w.csv"), weights);
  write_text(path("means.csv"), "2,55\n4.3,80\n");
  const json a = fit_ok({path("repeated.csv"), "-k", "2", "--init-means", path("means.csv")}, "a.json");
  const json b =
      fit_ok({faithful(), "-k", "2", "--init-means", path("means.csv"), "--weights", path("w.csv")}, "b.json");
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  EXPECT_TRUE(near_rel(a["log_likelihood"].get<double>(), b["log_likelihood"].get<double>(), 1e-10));
  EXPECT_EQ(a["n_observations"], faithful_rows + 100);
  EXPECT_EQ(b["n_observations"], faithful_rows);
  EXPECT_EQ(a["total_weight"], b["total_weight"]);
  for (int k = 0; k < 2; ++k)
    for (int d = 0; d < 2; ++d)
      EXPECT_TRUE(near_rel(a["means"][k][d].get<double>(), b["means"][k][d].get<double>(), 1e-10));
}

// ---- 5. Bad input -----------------------------------------------------------------------

/// One bad command line: the files it needs, its arguments ({data} is faithful.csv, {dir}/
/// the test's directory), what the message must name, and the exit status.
struct bad_case {
  std::string name;
  std::map<std::string, std::string> files;
  std::vector<std::string> args;  ///< after "fit"; "-o {out}" is appended unless `no_output`
  std::vector<std::string> message_has;
  int status = 1;
  bool no_output = false;
};

std::ostream& operator<<(std::ostream& os, const bad_case& c) { return os << c.name; }

std::string weights_rows(int n) {
  std::string s = "w\n";
  for (int i = 0; i < n; ++i) s += "1\n";
  return s;
}

const std::vector<bad_case>& bad_cases() {
  static const std::vector<bad_case> cases = {
      {"missing_data_file", {}, {"{dir}/missing.csv", "-k", "2"}, {"missing.csv"}},
      {"empty_data_file", {{"empty.csv", ""}}, {"{dir}/empty.csv", "-k", "1"}, {"empty.csv", "no data rows"}},
      {"header_only", {{"header.csv", "a,b\n"}}, {"{dir}/header.csv", "-k", "1"}, {"header.csv", "no data rows"}},
      {"ragged_rows",
       {{"ragged.csv", "a,b\n1,2\n3,4,5\n6,7\n"}},
       {"{dir}/ragged.csv", "-k", "1"},
       {"ragged.csv", "line 3"}},
      {"non_numeric_token",
       {{"word.csv", "1,2\n3,4\n5,abc\n"}},
       {"{dir}/word.csv", "-k", "1"},
       {"word.csv", "line 3", "column 2", "abc"}},
      {"nan_value",
       {{"nan.csv", "1,2\nnan,4\n5,6\n"}},
       {"{dir}/nan.csv", "-k", "1"},
       {"nan.csv", "line 2", "column 1"}},
      {"inf_value",
       {{"inf.csv", "1,2\n3,inf\n5,6\n"}},
       {"{dir}/inf.csv", "-k", "1"},
       {"inf.csv", "line 2", "column 2"}},
      {"k_zero", {}, {"{data}", "-k", "0"}, {"-k 0"}, 2},
      {"k_negative", {}, {"{data}", "-k", "-3"}, {"-k -3"}, 2},
      {"k_not_a_number", {}, {"{data}", "-k", "two"}, {"two"}, 2},
      {"k_exceeds_rows", {}, {"{data}", "-k", "300"}, {"faithful.csv", "-k 300", "272"}},
      {"unknown_option", {}, {"{data}", "-k", "2", "--frobnicate"}, {"--frobnicate"}, 2},
      {"unknown_covariance", {}, {"{data}", "-k", "2", "--covariance", "foo"}, {"--covariance", "foo"}, 2},
      {"unknown_init", {}, {"{data}", "-k", "2", "--init", "magic"}, {"--init", "magic"}, 2},
      {"poisson_on_real_data",
       {},
       {"{data}", "-k", "2", "--family", "poisson"},
       {"faithful.csv: line 2, column 1: 3.6 is not a non-negative integer count (poisson)"}},
      {"poisson_not_an_integer",
       {{"counts.csv", "a,b,c\n1,2,3\n\n4,5,6\n7,1.5,2\n"}},  // header, a blank line: row 2 is line 5
       {"{dir}/counts.csv", "-k", "1", "--family", "poisson"},
       {"counts.csv: line 5, column 2: 1.5 is not a non-negative integer count (poisson)"}},
      {"poisson_negative",
       {{"counts.csv", "1,2\n3,-1\n"}},
       {"{dir}/counts.csv", "-k", "1", "--family", "poisson"},
       {"counts.csv: line 2, column 2: -1 is not a non-negative integer count (poisson)"}},
      {"bernoulli_not_binary",
       {{"bits.csv", "x,y,z\n0,1,1\n1,0,2\n"}},
       {"{dir}/bits.csv", "-k", "1", "--family", "bernoulli"},
       {"bits.csv: line 3, column 3: 2 is not 0 or 1 (bernoulli)"}},
      {"bernoulli_fraction",
       {{"bits.csv", "0,1\r\n\r\n0.5,1\r\n"}},  // CRLF lines, a blank line
       {"{dir}/bits.csv", "-k", "1", "--family", "bernoulli"},
       {"bits.csv: line 3, column 1: 0.5 is not 0 or 1 (bernoulli)"}},
      {"product_count_names_the_data_column",
       {{"mixed.csv", "g,p,b\n0.5,1,0\n1.5,2,1\n-0.3,2.5,1\n"}},
       {"{dir}/mixed.csv", "-k", "1", "--family", "product", "--columns", "gaussian-diag:0,poisson:1,bernoulli:2"},
       {"mixed.csv: line 4, column 2: 2.5 is not a non-negative integer count (block 'poisson:1' of --columns"}},
      {"product_binary_names_the_data_column",
       {{"mixed.csv", "0.5,1,0,1\n1.5,2,1,3\n"}},
       {"{dir}/mixed.csv", "-k", "1", "--family", "product", "--columns", "gaussian-diag:0,poisson:1,bernoulli:2-3"},
       {"mixed.csv: line 2, column 4: 3 is not 0 or 1 (block 'bernoulli:2-3' of --columns"}},
      {"product_without_columns",
       {},
       {"{data}", "-k", "2", "--family", "product"},
       {"--family product needs --columns"},
       2},
      {"columns_without_product",
       {},
       {"{data}", "-k", "2", "--columns", "gaussian-full:0-1"},
       {"--columns applies to --family product only"},
       2},
      {"columns_malformed_range",
       {},
       {"{data}", "-k", "2", "--family", "product", "--columns", "gaussian-diag:0-x"},
       {"--columns", "piece 1 'gaussian-diag:0-x'", "malformed column range"},
       2},
      {"columns_unknown_family",
       {},
       {"{data}", "-k", "2", "--family", "product", "--columns", "gaussian-diag:0,cauchy:1"},
       {"--columns", "piece 2 'cauchy:1'", "unknown family 'cauchy'"},
       2},
      {"columns_gap",
       {},
       {"{data}", "-k", "2", "--family", "product", "--columns", "gaussian-diag:0,poisson:2"},
       {"--columns", "column 1 in no block"},
       2},
      {"columns_overlap",
       {},
       {"{data}", "-k", "2", "--family", "product", "--columns", "gaussian-diag:0-1,poisson:1"},
       {"--columns", "overlaps"},
       2},
      {"columns_empty", {}, {"{data}", "-k", "2", "--family", "product", "--columns", " "}, {"--columns", "empty"}, 2},
      {"columns_beyond_the_data",
       {},
       {"{data}", "-k", "2", "--family", "product", "--columns", "gaussian-diag:0-1,poisson:2"},
       {"faithful.csv: has 2 columns", "'poisson:2' reaches column 2"}},
      {"columns_short_of_the_data",
       {},
       {"{data}", "-k", "2", "--family", "product", "--columns", "gaussian-diag:0"},
       {"faithful.csv: has 2 columns", "covers only columns 0-0", "column 1"}},
      {"covariance_with_poisson",
       {},
       {"{data}", "-k", "2", "--family", "poisson", "--covariance", "diag"},
       {"--covariance applies to --family gaussian only"},
       2},
      {"covariance_with_product",
       {},
       {"{data}", "-k", "2", "--family", "product", "--columns", "gaussian-diag:0-1", "--covariance", "full"},
       {"--covariance", "--columns"},
       2},
      {"reg_covar_with_kmeans",
       {},
       {"{data}", "-k", "2", "--family", "kmeans", "--reg-covar", "0.1"},
       {"--reg-covar applies to --family gaussian or product only, not kmeans"},
       2},
      {"reg_covar_with_a_product_of_counts",
       {},
       {"{data}", "-k", "2", "--family", "product", "--columns", "poisson:0-1", "--reg-covar", "0.1"},
       {"--reg-covar", "no Gaussian block"},
       2},
      {"unknown_family",
       {},
       {"{data}", "-k", "2", "--family", "cauchy"},
       {"cauchy", "expected gaussian, poisson, bernoulli, kmeans or product"},
       2},
      {"negative_seed", {}, {"{data}", "-k", "2", "--seed", "-1"}, {"--seed", "-1"}, 2},
      {"bad_tolerance", {}, {"{data}", "-k", "2", "--tol", "nan"}, {"--tol"}, 2},
      {"zero_restarts", {}, {"{data}", "-k", "2", "--restarts", "0"}, {"--restarts"}, 2},
      {"negative_threads", {}, {"{data}", "-k", "2", "--threads", "-1"}, {"--threads"}, 2},
      {"init_and_init_means",
       {{"means.csv", "2,55\n4,80\n"}},
       {"{data}", "-k", "2", "--init", "random", "--init-means", "{dir}/means.csv"},
       {"--init"},
       2},
      {"weights_wrong_count",
       {{"w.csv", weights_rows(271)}},
       {"{data}", "-k", "2", "--weights", "{dir}/w.csv"},
       {"w.csv", "271", "faithful.csv", "272"}},
      {"weights_two_columns",
       {{"w2.csv", "1,1\n2,2\n"}},
       {"{data}", "-k", "2", "--weights", "{dir}/w2.csv"},
       {"w2.csv", "2 columns"}},
      {"weights_negative",
       {{"wneg.csv", weights_rows(100) + "-1\n" + weights_rows(171).substr(2)}},
       {"{data}", "-k", "2", "--weights", "{dir}/wneg.csv"},
       {"wneg.csv", "101", "-1"}},
      {"weights_non_numeric",
       {{"wbad.csv", "w\n1\nheavy\n"}},
       {"{data}", "-k", "2", "--weights", "{dir}/wbad.csv"},
       {"wbad.csv", "line 3", "heavy"}},
      {"init_means_too_many_rows",
       {{"means.csv", "2,55\n4,80\n3,70\n"}},
       {"{data}", "-k", "2", "--init-means", "{dir}/means.csv"},
       {"means.csv", "3 rows", "K = 2"}},
      {"init_means_wrong_dimension",
       {{"means.csv", "2,55,1\n4,80,1\n"}},
       {"{data}", "-k", "2", "--init-means", "{dir}/means.csv"},
       {"means.csv", "3 columns", "D = 2"}},
      {"output_directory_missing", {}, {"{data}", "-k", "2", "-o", "{dir}/nodir/m.json"}, {"nodir"}, 1, true},
      {"trace_directory_missing", {}, {"{data}", "-k", "2", "--trace", "{dir}/nodir/t.csv"}, {"nodir"}},
      {"output_is_a_directory", {}, {"{data}", "-k", "2", "-o", "{dir}"}, {"directory"}, 1, true},
      {"trace_same_as_output", {}, {"{data}", "-k", "2", "--trace", "{dir}/out.json"}, {"--trace", "same file"}, 2},
      {"stdin_read_twice", {}, {"-", "-k", "2", "--weights", "-"}, {"standard input"}, 2},
      {"output_missing", {}, {"{data}", "-k", "2"}, {"--output", "required"}, 2, true},
      {"components_missing", {}, {"{data}"}, {"required"}, 2},
      {"data_missing", {}, {"-k", "2"}, {"DATA", "required"}, 2},
      {"numerical_failure",
       {{"same.csv", "1,1\n1,1\n1,1\n"}},
       {"{dir}/same.csv", "-k", "1", "--reg-covar", "0", "--trace", "{dir}/t.csv"},
       {"same.csv", "component 0", "reg_covar"}},
  };
  return cases;
}

class CliBadInputTest : public CliTest, public ::testing::WithParamInterface<bad_case> {
 protected:
  [[nodiscard]] std::vector<std::string> arguments(const bad_case& c) const {
    std::vector<std::string> args = {"fit"};
    for (std::string a : c.args) {
      if (a == "{data}") a = faithful();
      if (a.rfind("{dir}", 0) == 0) a = dir_.string() + a.substr(5);
      args.push_back(a);
    }
    if (!c.no_output) args.insert(args.end(), {"-o", path("out.json")});
    return args;
  }

  /// Runs the case and checks the status and the message.
  void expect_failure(const bad_case& c) {
    const run_result r = run(arguments(c));
    ASSERT_NE(r.status, -1) << "the program crashed";
    EXPECT_EQ(r.status, c.status) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_THAT(r.err, StartsWith("emkit: error: "));
    EXPECT_THAT(r.err, EndsWith("\n"));
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "not one line: " << r.err;
    for (const std::string& part : c.message_has) EXPECT_THAT(r.err, HasSubstr(part));
  }
};

TEST_P(CliBadInputTest, FailsWithOneLineAndWritesNothing) {
  const bad_case& c = GetParam();
  for (const auto& [name, text] : c.files) write_text(path(name), text);

  // No output file yet: none is created, nor any trace or temporary file.
  std::vector<fs::path> before;
  for (const auto& e : fs::directory_iterator(dir_)) before.push_back(e.path());
  expect_failure(c);
  std::vector<fs::path> after;
  for (const auto& e : fs::directory_iterator(dir_)) after.push_back(e.path());
  std::sort(before.begin(), before.end());
  std::sort(after.begin(), after.end());
  EXPECT_EQ(after, before) << "a failed run created a file";

  // An existing output (and trace) keeps its contents.
  if (c.no_output) return;
  const std::string previous = "{\"previous\": true}\n";
  write_text(path("out.json"), previous);
  write_text(path("t.csv"), "previous trace\n");
  expect_failure(c);
  EXPECT_EQ(read_text(path("out.json")), previous);
  EXPECT_EQ(read_text(path("t.csv")), "previous trace\n");
}

INSTANTIATE_TEST_SUITE_P(Cases, CliBadInputTest, ::testing::ValuesIn(bad_cases()),
                         [](const ::testing::TestParamInfo<bad_case>& info) { return info.param.name; });

TEST_F(CliTest, OutputIntoMissingDirectoryDoesNotCreateIt) {
  const run_result r = run({"fit", faithful(), "-k", "2", "-o", path("nodir/m.json")});
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, AllOf(StartsWith("emkit: error: "), HasSubstr("nodir"), HasSubstr("does not exist")));
  EXPECT_FALSE(fs::exists(path("nodir")));
}

TEST_F(CliTest, OutputMayNotOverwriteTheData) {
  fs::copy_file(faithful(), path("data.csv"));
  const std::string data = read_text(path("data.csv"));
  const run_result r = run({"fit", path("data.csv"), "-k", "2", "-o", path("data.csv")});
  EXPECT_NE(r.status, 0);
  EXPECT_THAT(r.err, StartsWith("emkit: error: "));
  EXPECT_EQ(read_text(path("data.csv")), data);
}

// ---- The program as a whole -------------------------------------------------------------

TEST_F(CliTest, NoSubcommandPrintsUsageAndFails) {
  const run_result r = run({});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.status, -1);
  EXPECT_THAT(r.out, AllOf(HasSubstr("Usage"), HasSubstr("fit")));
  EXPECT_THAT(r.err, StartsWith("emkit: error: "));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
}

TEST_F(CliTest, UnknownSubcommandFails) {
  const run_result r = run({"frobnicate"});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, AllOf(StartsWith("emkit: error: "), HasSubstr("frobnicate")));
}

TEST_F(CliTest, VersionAndHelp) {
  const run_result version = run({"--version"});
  EXPECT_EQ(version.status, 0);
  EXPECT_THAT(version.out, StartsWith("emkit "));
  EXPECT_EQ(version.err, "");

  const run_result help = run({"fit", "--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_EQ(help.err, "");
  for (const char* option :
       {"--family", "--columns", "--covariance", "-k", "--init", "--init-means", "--weights", "--restarts", "--seed",
        "--tol", "--max-iter", "--reg-covar", "--empty-component", "--threads", "--trace", "-o"}) {
    EXPECT_THAT(help.out, HasSubstr(option));
  }
  const run_result top = run({"--help"});
  EXPECT_EQ(top.status, 0);
  EXPECT_THAT(top.out, HasSubstr("fit"));
}

// ---- 6. The other families ---------------------------------------------------------------

/// A linear congruential generator and the draws the tests need: the same numbers on every
/// platform, so every data file the tests write is the same everywhere.
struct lcg {
  std::uint64_t state;

  double uniform() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) * 0x1.0p-53;
  }
  double normal() {  // Box–Muller
    const double r = std::sqrt(-2.0 * std::log(1.0 - uniform()));
    return r * std::cos(2.0 * 3.141592653589793 * uniform());
  }
  int poisson(double rate) {  // Knuth's product of uniforms; rates here are small
    const double limit = std::exp(-rate);
    int k = 0;
    for (double p = uniform(); p > limit; p *= uniform()) ++k;
    return k;
  }
  int bernoulli(double p) { return uniform() < p ? 1 : 0; }
};

/// The rates of the three components of `counts_csv`.
constexpr double count_rates[3][3] = {{1.0, 4.0, 0.5}, {8.0, 1.0, 3.0}, {3.0, 12.0, 7.0}};

/// `n` rows of three Poisson counts, row i from component i mod 3, with a header.
std::string counts_csv(int n) {
  lcg g{2024};
  std::string out = "a,b,c\n";
  for (int i = 0; i < n; ++i) {
    const auto& rate = count_rates[i % 3];
    out += std::to_string(g.poisson(rate[0])) + "," + std::to_string(g.poisson(rate[1])) + "," +
           std::to_string(g.poisson(rate[2])) + "\n";
  }
  return out;
}

/// The layout of `mixed_csv`.
constexpr const char* mixed_layout = "gaussian-diag:0-1,poisson:2-4,bernoulli:5-9";

/// `n` rows of 2 Gaussian, 3 Poisson and 5 binary columns from two components (row i from
/// component i mod 2), with a header.
std::string mixed_csv(int n) {
  lcg g{77};
  std::string out = "g0,g1,p0,p1,p2,b0,b1,b2,b3,b4\n";
  char cell[64];
  for (int i = 0; i < n; ++i) {
    const bool second = i % 2 == 1;
    std::snprintf(cell, sizeof cell, "%.17g,%.17g", (second ? 5.0 : 0.0) + g.normal(),
                  (second ? -3.0 : 0.0) + 0.5 * g.normal());
    out += cell;
    for (double rate : second ? std::vector<double>{9, 1, 4} : std::vector<double>{2, 5, 0.5}) {
      out += ',';
      out += std::to_string(g.poisson(rate));
    }
    for (int d = 0; d < 5; ++d) {
      out += ',';
      out += std::to_string(g.bernoulli(second ? 0.15 : 0.85));
    }
    out += "\n";
  }
  return out;
}

/// The values of a CSV text, as the program reads them.
Eigen::MatrixXd values_of(const std::string& text) { return emkit::io::parse_csv(text, "test").values; }

std::string data_path(const char* name) { return std::string(EMKIT_DATA_DIR) + "/" + name; }

/// The keys every model file has, whatever its family.
void expect_common_keys(const json& m, const std::string& family, int K, int D) {
  for (const char* key : {"format",
                          "format_version",
                          "emkit_version",
                          "family",
                          "k",
                          "dim",
                          "weights",
                          "log_likelihood",
                          "iterations",
                          "converged",
                          "n_parameters",
                          "bic",
                          "aic",
                          "seconds",
                          "n_observations",
                          "total_weight",
                          "restarts",
                          "seed",
                          "tol",
                          "max_iter",
                          "init",
                          "init_means_file",
                          "data_file",
                          "weights_file",
                          "columns",
                          "best_restart",
                          "restart_objectives",
                          "monitor",
                          "warnings"}) {
    ASSERT_TRUE(m.contains(key)) << family << " model file has no \"" << key << "\"";
  }
  EXPECT_EQ(m["format"], "emkit-model");
  EXPECT_EQ(m["format_version"], 1);
  EXPECT_EQ(m["family"], family);
  EXPECT_EQ(m["k"], K);
  EXPECT_EQ(m["dim"], D);
  EXPECT_TRUE(m["log_likelihood"].is_number_float());
  EXPECT_TRUE(m["iterations"].is_number_integer());
  EXPECT_TRUE(m["converged"].is_boolean());
  EXPECT_GE(m["seconds"].get<double>(), 0.0);
  EXPECT_TRUE(m["monitor"]["checks_passed"].get<bool>()) << m["monitor"];
  const std::vector<double> weights = vector_of(m["weights"]);
  ASSERT_EQ(weights.size(), static_cast<std::size_t>(K));
  double total = 0.0;
  for (double w : weights) total += w;
  EXPECT_NEAR(total, 1.0, 1e-12);
}

/// K rows of D numbers.
void expect_shape(const json& j, int K, int D, const char* key) {
  ASSERT_TRUE(j.is_array()) << key;
  ASSERT_EQ(j.size(), static_cast<std::size_t>(K)) << key;
  for (const json& row : j) {
    ASSERT_EQ(row.size(), static_cast<std::size_t>(D)) << key;
    for (const json& v : row) EXPECT_TRUE(v.is_number()) << key;
  }
}

/// The log-likelihood and BIC of the file, recomputed by the library from the loaded model
/// and the data (the fit's running sums and these agree to rounding).
void expect_library_agrees(const std::string& model_file, const Eigen::MatrixXd& X, const json& m) {
  const emkit::cli::loaded_model loaded = emkit::cli::load(model_file);
  emkit::cli::visit_fitted(*loaded.model, [&](const auto& f) {
    const double ll = emkit::log_likelihood(f.model, f.params, X);
    EXPECT_TRUE(near_rel(ll, m["log_likelihood"].get<double>(), 1e-9)) << ll << " vs " << m["log_likelihood"];
    const double bic = emkit::bic(f.model, f.params, X);
    EXPECT_TRUE(near_rel(bic, m["bic"].get<double>(), 1e-9)) << bic << " vs " << m["bic"];
    EXPECT_EQ(f.model.num_free_parameters(f.params), m["n_parameters"].get<std::size_t>());
  });
}

TEST_F(CliTest, PoissonCountsRecoverTheRates) {
  write_text(path("counts.csv"), counts_csv(600));
  const json m = fit_ok({path("counts.csv"), "--family", "poisson", "-k", "3", "--restarts", "3", "--seed", "1"});
  ASSERT_FALSE(m.empty());
  expect_common_keys(m, "poisson", 3, 3);
  ASSERT_TRUE(m.contains("rates"));
  EXPECT_FALSE(m.contains("means"));
  expect_shape(m["rates"], 3, 3, "rates");
  EXPECT_EQ(m["rate_floor"].get<double>(), 1e-10);
  EXPECT_EQ(m["n_parameters"], 3 * 3 + 2);
  expect_criteria(m, 11, 600);
  EXPECT_TRUE(m["converged"].get<bool>());
  EXPECT_THAT(m["columns"].get<std::vector<std::string>>(), ElementsAre("a", "b", "c"));
  // Each true component is found: some fitted rate vector is near it.
  const auto rates = matrix_of(m["rates"]);
  for (const auto& truth : count_rates) {
    double best = INFINITY;
    for (const auto& r : rates) {
      double d = 0.0;
      for (int j = 0; j < 3; ++j) d = std::max(d, std::abs(r[j] - truth[j]) / std::sqrt(truth[j]));
      best = std::min(best, d);
    }
    EXPECT_LT(best, 0.6) << "no component near rates " << truth[0] << "," << truth[1] << "," << truth[2];
  }
  for (double w : vector_of(m["weights"])) EXPECT_NEAR(w, 1.0 / 3.0, 0.06);
  expect_library_agrees(path("m.json"), values_of(counts_csv(600)), m);
}

TEST_F(CliTest, PoissonFromStandardInputNamesItsLine) {
  write_text(path("counts.csv"), "a,b\n1,2\n3,4\n\n5,6.5\n");
  const run_result r = run({"fit", "-", "--family", "poisson", "-k", "1", "-o", path("m.json")}, path("counts.csv"));
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "emkit: error: <stdin>: line 5, column 2: 6.5 is not a non-negative integer count (poisson)\n");
  EXPECT_FALSE(fs::exists(path("m.json")));
}

TEST_F(CliTest, BernoulliOnBinaryDigits) {
  const std::string digits = data_path("digits_binary.csv");
  const json m = fit_ok({digits, "--family", "bernoulli", "-k", "10", "--seed", "3", "--max-iter", "300"});
  ASSERT_FALSE(m.empty());
  expect_common_keys(m, "bernoulli", 10, 64);
  ASSERT_TRUE(m.contains("probabilities"));
  expect_shape(m["probabilities"], 10, 64, "probabilities");
  EXPECT_EQ(m["probability_floor"].get<double>(), 1e-10);
  EXPECT_EQ(m["n_parameters"], 10 * 64 + 9);
  expect_criteria(m, 10 * 64 + 9, 1797);
  for (const auto& row : matrix_of(m["probabilities"])) {
    for (double p : row) {
      EXPECT_GE(p, 1e-10);
      EXPECT_LE(p, 1.0 - 1e-10);
    }
  }
  // Floors held at every iteration are reported once per restart and component.
  std::map<std::string, int> floor_warnings;
  for (const json& w : m["warnings"]) {
    const std::string text = w.get<std::string>();
    if (text.find("floor") == std::string::npos) continue;
    const std::size_t component = text.find("component ");
    ++floor_warnings[text.substr(component, text.find(':', component) - component)];
  }
  for (const auto& [component, count] : floor_warnings) EXPECT_EQ(count, 1) << component;
  expect_library_agrees(path("m.json"), emkit::io::read_csv(digits).values, m);
}

TEST_F(CliTest, KmeansOnIrisReachesTheKnownInertia) {
  const std::string iris = data_path("iris.csv");
  const run_result r = run({"fit", iris, "--family", "kmeans", "-k", "3", "--restarts", "10", "--seed", "0", "-o",
                            path("m.json"), "--trace", path("t.csv")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, AllOf(HasSubstr("K-means"), HasSubstr("inertia: 78.851"), HasSubstr("cluster 2")));
  const json m = json::parse(read_text(path("m.json")));
  expect_common_keys(m, "kmeans", 3, 4);
  expect_shape(m["centers"], 3, 4, "centers");
  EXPECT_FALSE(m.contains("means"));
  const double J = m["inertia"].get<double>();
  EXPECT_NEAR(J, 78.8514, 1e-4);
  for (double w : vector_of(m["weights"])) EXPECT_EQ(w, 1.0 / 3.0);
  EXPECT_EQ(m["variance"].get<double>(), 1.0);
  EXPECT_EQ(m["n_parameters"], 12);  // the centres; weights and variance are fixed
  expect_criteria(m, 12, 150);

  // The classification log-likelihood is −J/(2σ²) − N log K − N (D/2) log 2πσ², and is what
  // the restarts compared.
  const double N = 150, pi = 3.141592653589793;
  const double classification = m["classification_log_likelihood"].get<double>();
  EXPECT_TRUE(near_rel(classification, -J / 2.0 - N * std::log(3.0) - N * 2.0 * std::log(2.0 * pi), 1e-10));
  EXPECT_EQ(classification, m["restart_objectives"][m["best_restart"].get<int>()].get<double>());
  EXPECT_GE(m["log_likelihood"].get<double>(), classification);  // log Σ_k ≥ log of one term

  // The file's inertia is the library's, exactly, for the loaded centres.
  const Eigen::MatrixXd X = emkit::io::read_csv(iris).values;
  const auto loaded = emkit::cli::load(path("m.json"));
  const auto& km = emkit::cli::get<emkit::cli::kmeans_mixture>(*loaded.model);
  EXPECT_EQ(emkit::inertia(km.params, X), J);
  expect_library_agrees(path("m.json"), X, m);
  EXPECT_EQ(lines_of(read_text(path("t.csv"))).size(), static_cast<std::size_t>(m["iterations"].get<int>()) + 2);
}

TEST_F(CliTest, ProductOfGaussianPoissonAndBernoulliBlocks) {
  write_text(path("mixed.csv"), mixed_csv(400));
  const json m = fit_ok({path("mixed.csv"), "--family", "product", "--columns", mixed_layout, "-k", "2", "--seed", "2",
                         "--reg-covar", "1e-5"});
  ASSERT_FALSE(m.empty());
  expect_common_keys(m, "product", 2, 10);
  EXPECT_EQ(m["layout"], mixed_layout);
  ASSERT_TRUE(m["blocks"].is_array());
  ASSERT_EQ(m["blocks"].size(), 3u);
  const json& g = m["blocks"][0];
  EXPECT_EQ(g["family"], "gaussian");
  EXPECT_EQ(g["covariance"], "diag");
  EXPECT_EQ(g["first_column"], 0);
  EXPECT_EQ(g["last_column"], 1);
  EXPECT_EQ(g["reg_covar"].get<double>(), 1e-5);
  expect_shape(g["means"], 2, 2, "means");
  ASSERT_EQ(g["covariances"].size(), 2u);
  for (const json& c : g["covariances"]) {
    expect_shape(c, 2, 2, "covariances");
    EXPECT_EQ(c[0][1], 0.0);
  }
  const json& p = m["blocks"][1];
  EXPECT_EQ(p["family"], "poisson");
  EXPECT_EQ(p["first_column"], 2);
  EXPECT_EQ(p["last_column"], 4);
  expect_shape(p["rates"], 2, 3, "rates");
  EXPECT_EQ(p["rate_floor"].get<double>(), 1e-10);
  const json& b = m["blocks"][2];
  EXPECT_EQ(b["family"], "bernoulli");
  EXPECT_EQ(b["first_column"], 5);
  EXPECT_EQ(b["last_column"], 9);
  expect_shape(b["probabilities"], 2, 5, "probabilities");
  EXPECT_EQ(b["probability_floor"].get<double>(), 1e-10);
  // Gaussian-diag 2·2·2 + Poisson 2·3 + Bernoulli 2·5 + one free weight.
  EXPECT_EQ(m["n_parameters"], 8 + 6 + 10 + 1);
  expect_criteria(m, 25, 400);
  // The two components are found: one mean near (0, 0), the other near (5, −3).
  const auto means = matrix_of(g["means"]);
  const bool first_is_origin = std::abs(means[0][0]) < 0.5;
  EXPECT_NEAR(means[first_is_origin ? 0 : 1][0], 0.0, 0.3);
  EXPECT_NEAR(means[first_is_origin ? 1 : 0][0], 5.0, 0.3);
  EXPECT_NEAR(means[first_is_origin ? 1 : 0][1], -3.0, 0.2);
  expect_library_agrees(path("m.json"), values_of(mixed_csv(400)), m);
}

TEST_F(CliTest, EveryFamilyIsDeterministicAcrossThreadCounts) {
  write_text(path("counts.csv"), counts_csv(600));
  write_text(path("mixed.csv"), mixed_csv(600));
  const std::vector<std::vector<std::string>> runs = {
      {path("counts.csv"), "--family", "poisson", "-k", "3"},
      {data_path("iris.csv"), "--family", "kmeans", "-k", "3"},
      {path("mixed.csv"), "--family", "product", "--columns", mixed_layout, "-k", "2"},
  };
  for (const auto& common : runs) {
    std::vector<std::string> one = common, two = common;
    one.insert(one.end(), {"--threads", "1", "--restarts", "2", "--seed", "9"});
    two.insert(two.end(), {"--threads", "2", "--restarts", "2", "--seed", "9"});
    fit_ok(one, "t1.json");
    fit_ok(two, "t2.json");
    EXPECT_EQ(without_seconds(read_text(path("t1.json"))), without_seconds(read_text(path("t2.json")))) << common[2];
  }
}

// ---- 7. Loading model files ------------------------------------------------------------------

namespace cli = emkit::cli;

/// A model fitted here with the library, and the data it was fitted to.
struct library_fit {
  std::shared_ptr<const cli::fitted_model> model;
  emkit::summary report;
  Eigen::MatrixXd X;
  std::string label;
};

/// Fits `model` to X by the E-step E (serial, k-means++, two restarts).
template <class E = emkit::soft_estep, class M>
library_fit fit_with_library(const M& model, const Eigen::MatrixXd& X, emkit::index K, std::string label) {
  emkit::fitter<E, emkit::kmeans_plus_plus, emkit::serial> f;
  f.options.restarts = 2;
  f.options.seed = 5;
  auto [theta, report] = f.fit(model, X, K);
  return {cli::wrap(cli::fitted<M>{model, std::move(theta)}), std::move(report), X, std::move(label)};
}

/// A fit of every family and every kind of block (a product's pieces also out of column order).
std::vector<library_fit> library_fits() {
  std::vector<library_fit> out;
  const Eigen::MatrixXd faithful_X = emkit::io::read_csv(faithful()).values;
  for (const char* type : {"full", "diag", "spherical", "tied"}) {
    cli::gaussian_mixture model;
    model.family.covariance = emkit::parse_covariance_type(type);
    out.push_back(fit_with_library(model, faithful_X, 3, std::string("gaussian ") + type));
  }
  out.push_back(fit_with_library(cli::poisson_mixture{}, values_of(counts_csv(300)), 3, "poisson"));
  const Eigen::MatrixXd digits = emkit::io::read_csv(data_path("digits_binary.csv")).values.topRows(400);
  out.push_back(fit_with_library(cli::bernoulli_mixture{}, digits, 4, "bernoulli"));
  out.push_back(fit_with_library<emkit::hard_estep>(emkit::kmeans_model(),
                                                    emkit::io::read_csv(data_path("iris.csv")).values, 3, "kmeans"));
  const Eigen::MatrixXd mixed = values_of(mixed_csv(300));
  for (const char* layout :
       {"gaussian-diag:0-1,poisson:2-4,bernoulli:5-9", "gaussian-full:0-1,poisson:2-4,bernoulli:5-9",
        "bernoulli:5-9,gaussian-tied:0-1,poisson:2-4", "poisson:2-4,gaussian-spherical:0-1,bernoulli:5-9"}) {
    out.push_back(fit_with_library(cli::product_mixture{emkit::parse_product_layout(layout)}, mixed, 2,
                                   std::string("product ") + layout));
  }
  return out;
}

/// Whether two arrays hold the same doubles bit for bit (so −0 ≠ +0, and NaN = the same NaN).
template <class A, class B>
::testing::AssertionResult same_bits(const A& a, const B& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return ::testing::AssertionFailure() << "shapes differ";
  for (Eigen::Index i = 0; i < a.rows(); ++i) {
    for (Eigen::Index j = 0; j < a.cols(); ++j) {
      const double x = a(i, j), y = b(i, j);
      if (std::memcmp(&x, &y, sizeof x) != 0) {
        return ::testing::AssertionFailure() << "(" << i << ", " << j << "): " << std::hexfloat << x << " vs " << y;
      }
    }
  }
  return ::testing::AssertionSuccess();
}

cli::fit_provenance provenance_of(const library_fit& f) {
  cli::fit_provenance how;
  how.data_file = f.label;
  how.init = "kmeans++";
  how.restarts = 2;
  how.seed = 5;
  how.tolerance = 1e-8;
  how.max_iterations = 1000;
  return how;
}

/// The model file text of a library fit.
std::string model_text_of(const library_fit& f) {
  const cli::fit_measures measures = cli::measure_fit(*f.model, f.X, Eigen::VectorXd::Ones(f.X.rows()));
  return cli::model_file_text(cli::model_json(*f.model, f.report, measures, provenance_of(f)));
}

TEST_F(CliTest, LoadedModelsPredictBitForBit) {
  for (const library_fit& fit : library_fits()) {
    SCOPED_TRACE(fit.label);
    const cli::fit_measures measures = cli::measure_fit(*fit.model, fit.X, Eigen::VectorXd::Ones(fit.X.rows()));
    cli::save(path("model.json"), *fit.model, fit.report, measures, provenance_of(fit));
    const cli::loaded_model loaded = cli::load(path("model.json"));
    ASSERT_EQ(typeid(*loaded.model), typeid(*fit.model));
    EXPECT_EQ(cli::family_name(*loaded.model), cli::family_name(*fit.model));
    EXPECT_EQ(cli::num_components(*loaded.model), cli::num_components(*fit.model));
    EXPECT_EQ(cli::dimension(*loaded.model), fit.X.cols());
    cli::visit_fitted(*fit.model, [&](const auto& original) {
      using F = std::decay_t<decltype(original)>;
      const F& back = cli::get<decltype(original.model)>(*loaded.model);
      EXPECT_TRUE(same_bits(emkit::score_samples(original.model, original.params, fit.X),
                            emkit::score_samples(back.model, back.params, fit.X)));
      EXPECT_TRUE(same_bits(emkit::predict_proba(original.model, original.params, fit.X),
                            emkit::predict_proba(back.model, back.params, fit.X)));
      EXPECT_EQ(emkit::predict(original.model, original.params, fit.X), emkit::predict(back.model, back.params, fit.X));
      EXPECT_TRUE(same_bits(original.params.weights, back.params.weights));
      EXPECT_EQ(original.model.weights, back.model.weights);
      // The derived quantities are rebuilt exactly.
      for (std::size_t k = 0; k < original.params.components.size(); ++k) {
        const auto& a = original.params.components[k];
        const auto& b = back.params.components[k];
        if constexpr (std::is_same_v<F, cli::fitted<cli::gaussian_mixture>>) {
          EXPECT_TRUE(same_bits(a.precision_cholesky, b.precision_cholesky));
          EXPECT_TRUE(same_bits(a.covariance, b.covariance));
          EXPECT_EQ(a.log_det_covariance, b.log_det_covariance);
          EXPECT_EQ(a.is_diagonal, b.is_diagonal);
        } else if constexpr (std::is_same_v<F, cli::fitted<cli::poisson_mixture>>) {
          EXPECT_TRUE(same_bits(a.log_rates, b.log_rates));
          EXPECT_EQ(a.rate_sum, b.rate_sum);
        } else if constexpr (std::is_same_v<F, cli::fitted<cli::bernoulli_mixture>>) {
          EXPECT_TRUE(same_bits(a.log_probabilities, b.log_probabilities));
          EXPECT_TRUE(same_bits(a.log_complements, b.log_complements));
        }
      }
    });
    // Writing the loaded model again gives the same file.
    EXPECT_EQ(cli::model_file_text(cli::model_json(*loaded.model, fit.report, measures, provenance_of(fit))),
              read_text(path("model.json")));
  }
}

TEST_F(CliTest, ModelFilesOfTheProgramLoad) {
  write_text(path("counts.csv"), counts_csv(300));
  write_text(path("mixed.csv"), mixed_csv(300));
  const std::vector<std::pair<std::vector<std::string>, std::string>> runs = {
      {{faithful(), "-k", "2", "--covariance", "diag"}, "gaussian"},
      {{path("counts.csv"), "--family", "poisson", "-k", "2"}, "poisson"},
      {{data_path("digits_binary.csv"), "--family", "bernoulli", "-k", "3", "--max-iter", "20"}, "bernoulli"},
      {{data_path("iris.csv"), "--family", "kmeans", "-k", "3"}, "kmeans"},
      {{path("mixed.csv"), "--family", "product", "--columns", "bernoulli:5-9,gaussian-full:0-1,poisson:2-4", "-k",
        "2"},
       "product"},
  };
  for (const auto& [args, family] : runs) {
    const json m = fit_ok(args);
    ASSERT_FALSE(m.empty()) << family;
    const cli::loaded_model loaded = cli::load(path("m.json"));
    EXPECT_EQ(cli::family_name(*loaded.model), family);
    EXPECT_EQ(loaded.document["seed"], 0);
    EXPECT_EQ(loaded.columns, m["columns"].get<std::vector<std::string>>());
  }
}

/// The message of the `emkit::error` that loading `text` (as the file `name`) throws, or a
/// description of what happened instead.
std::string load_error(const std::string& text, const std::string& name = "model.json") {
  try {
    (void)cli::load_text(text, name);
  } catch (const emkit::error& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("not an emkit::error: ") + e.what();
  }
  return "loaded without an error";
}

/// The model file of a library fit as JSON, to be broken by a test.
json model_document(const char* which) {
  static const std::vector<library_fit> fits = library_fits();
  for (const library_fit& f : fits)
    if (f.label.rfind(which, 0) == 0) return json::parse(model_text_of(f));
  ADD_FAILURE() << "no fit " << which;
  return json::object();
}

/// `doc` with `change` applied, as text.
template <class Change>
std::string changed(json doc, Change&& change) {
  change(doc);
  return doc.dump(2);
}

TEST_F(CliTest, BrokenModelFilesNameTheFileAndTheKey) {
  const json gaussian = model_document("gaussian full");  // K = 3, D = 2
  ASSERT_EQ(gaussian["k"], 3);
  const std::string text = gaussian.dump(2);
  EXPECT_EQ(load_error(text), "loaded without an error");

  // Not JSON, truncated, empty.
  EXPECT_THAT(load_error("{ not json"), AllOf(StartsWith("model.json: not valid JSON"), HasSubstr("line 1")));
  EXPECT_THAT(load_error(text.substr(0, text.size() / 2)),
              AllOf(StartsWith("model.json: not valid JSON ("), HasSubstr("key \""), HasSubstr("line ")));
  const std::size_t means_at = text.find("\"means\"");
  ASSERT_NE(means_at, std::string::npos);
  EXPECT_THAT(
      load_error(text.substr(0, text.find(',', means_at) + 1)),
      AllOf(StartsWith("model.json: not valid JSON (in key \"means[0][1]\")"), HasSubstr("unexpected end of input")));
  EXPECT_THAT(load_error(text.substr(0, text.find("\"means\"") - 1)),
              StartsWith("model.json: not valid JSON (after key \""));
  EXPECT_THAT(load_error(text.substr(0, text.size() - 2)), StartsWith("model.json: not valid JSON"));
  EXPECT_THAT(load_error(""), StartsWith("model.json: not valid JSON"));
  EXPECT_THAT(load_error("[1, 2]"), AllOf(StartsWith("model.json: not an emkit model file"), HasSubstr("an array")));
  EXPECT_THAT(load_error(text + "x"), StartsWith("model.json: not valid JSON"));

  // Numbers JSON cannot hold: an overflow, NaN, and NaN as nlohmann writes it (null).
  std::string overflow = text;
  const std::size_t at = overflow.find("\"means\"");
  ASSERT_NE(at, std::string::npos);
  const std::size_t number = overflow.find_first_of("-0123456789", at + 8);
  overflow.insert(number, "1e999, ");
  EXPECT_THAT(load_error(overflow),
              AllOf(StartsWith("model.json: not valid JSON (in key \"means[0][0]\")"), HasSubstr("1e999")));
  std::string nan_token = text;
  nan_token.insert(number, "NaN, ");
  EXPECT_THAT(load_error(nan_token), StartsWith("model.json: not valid JSON (in key \"means[0][0]\")"));
  EXPECT_EQ(load_error(changed(gaussian, [](json& d) { d["means"][1][0] = nullptr; })),
            "model.json: key \"means[1][0]\": expected a number, found null");
  EXPECT_EQ(load_error(changed(gaussian, [](json& d) { d["means"][1][1] = "abc"; })),
            "model.json: key \"means[1][1]\": expected a number, found the string \"abc\"");

  // Format and version.
  EXPECT_EQ(load_error(changed(gaussian, [](json& d) { d["format"] = "other"; })),
            "model.json: key \"format\": \"other\" is not an emkit model file, expected \"emkit-model\"");
  EXPECT_THAT(load_error(changed(gaussian, [](json& d) { d["format_version"] = 2; })),
              StartsWith("model.json: key \"format_version\": 2 is not supported, expected 1"));
  EXPECT_THAT(load_error(changed(gaussian, [](json& d) { d["format_version"] = "1"; })),
              StartsWith("model.json: key \"format_version\""));
  EXPECT_EQ(load_error(changed(gaussian, [](json& d) { d.erase("format"); })), "model.json: key \"format\": missing");

  // Missing keys, shapes, ranges.
  EXPECT_EQ(load_error(changed(gaussian, [](json& d) { d.erase("means"); })), "model.json: key \"means\": missing");
  EXPECT_EQ(load_error(changed(gaussian,
                               [](json& d) {
                                 d["means"].push_back({1.0, 2.0});
                               })),
            "model.json: key \"means\": expected 3 rows of 2 numbers, found an array of 4");
  EXPECT_EQ(load_error(changed(gaussian, [](json& d) { d["means"][2].push_back(1.0); })),
            "model.json: key \"means\": expected 3 rows of 2 numbers, found row 2 an array of 3");
  EXPECT_EQ(load_error(changed(gaussian, [](json& d) { d["covariances"].erase(2); })),
            "model.json: key \"covariances\": expected 3 matrices of 2 rows of 2 numbers, found an array of 2");
  EXPECT_THAT(load_error(changed(gaussian, [](json& d) { d["covariances"][1][0] = {1.0}; })),
              StartsWith("model.json: key \"covariances[1]\": expected 2 rows of 2 numbers"));
  EXPECT_EQ(load_error(changed(gaussian,
                               [](json& d) {
                                 d["weights"] = {0.5, 0.5};
                               })),
            "model.json: key \"weights\": expected 3 numbers, found an array of 2");
  EXPECT_THAT(load_error(changed(gaussian, [](json& d) { d["weights"][0] = 0.9; })),
              StartsWith("model.json: key \"weights\": sum to"));
  EXPECT_THAT(load_error(changed(gaussian,
                                 [](json& d) {
                                   d["weights"] = {1.5, -0.25, -0.25};
                                 })),
              StartsWith("model.json: key \"weights[1]\": -0.25 is negative"));
  EXPECT_THAT(load_error(changed(gaussian, [](json& d) { d["k"] = 0; })),
              StartsWith("model.json: key \"k\": 0 is out of range"));
  EXPECT_THAT(load_error(changed(gaussian, [](json& d) { d["dim"] = 2.5; })),
              StartsWith("model.json: key \"dim\": expected an integer"));
  EXPECT_THAT(load_error(changed(gaussian, [](json& d) { d["family"] = "cauchy"; })),
              StartsWith("model.json: key \"family\": \"cauchy\" is unknown"));
  EXPECT_THAT(load_error(changed(gaussian, [](json& d) { d["covariance"] = "banded"; })),
              StartsWith("model.json: key \"covariance\": \"banded\" is unknown"));
  EXPECT_THAT(load_error(changed(gaussian, [](json& d) { d["reg_covar"] = -1; })),
              StartsWith("model.json: key \"reg_covar\""));
  EXPECT_THAT(load_error(changed(gaussian, [](json& d) { d["columns"] = {"a"}; })),
              StartsWith("model.json: key \"columns\": expected no names or 2 names"));

  // Covariances that are not symmetric positive definite, or not of their type's form.
  EXPECT_THAT(load_error(changed(gaussian,
                                 [](json& d) {
                                   d["covariances"][1] = {{1.0, 2.0}, {2.0, 1.0}};
                                 })),
              AllOf(StartsWith("model.json: key \"covariances[1]\": "), HasSubstr("not positive definite")));
  EXPECT_THAT(load_error(changed(gaussian, [](json& d) { d["covariances"][0][0][1] = 0.125; })),
              StartsWith("model.json: key \"covariances[0]\": is not symmetric"));
  const json diag = model_document("gaussian diag");
  EXPECT_EQ(load_error(diag.dump()), "loaded without an error");
  EXPECT_THAT(load_error(changed(diag, [](json& d) { d["covariances"][2][0][1] = d["covariances"][2][1][0] = 0.1; })),
              StartsWith("model.json: key \"covariances[2]\": entry [1][0] = 0.1, expected 0 for covariance diag"));
  const json spherical = model_document("gaussian spherical");
  EXPECT_THAT(load_error(changed(spherical, [](json& d) { d["covariances"][0][1][1] = 7.0; })),
              AllOf(StartsWith("model.json: key \"covariances[0]\": "), HasSubstr("equal variances")));
  const json tied = model_document("gaussian tied");
  EXPECT_THAT(load_error(changed(tied, [](json& d) { d["covariances"][2][0][0] = 9.0; })),
              StartsWith("model.json: key \"covariances[2]\": differs from component 0"));

  // The other families' parameters.
  const json poisson = model_document("poisson");
  EXPECT_THAT(load_error(changed(poisson, [](json& d) { d["rates"][1][2] = -1.0; })),
              AllOf(StartsWith("model.json: key \"rates[1]\": "), HasSubstr("expected a finite rate > 0")));
  EXPECT_EQ(load_error(changed(poisson, [](json& d) { d.erase("rate_floor"); })),
            "model.json: key \"rate_floor\": missing");
  const json bernoulli = model_document("bernoulli");
  EXPECT_THAT(load_error(changed(bernoulli, [](json& d) { d["probabilities"][3][0] = 1.0; })),
              AllOf(StartsWith("model.json: key \"probabilities[3]\": "), HasSubstr("(0, 1)")));
  EXPECT_EQ(load_error(changed(bernoulli, [](json& d) { d.erase("probabilities"); })),
            "model.json: key \"probabilities\": missing");
  const json kmeans = model_document("kmeans");
  EXPECT_EQ(load_error(changed(kmeans, [](json& d) { d["centers"].erase(0); })),
            "model.json: key \"centers\": expected 3 rows of 4 numbers, found an array of 2");
  EXPECT_THAT(load_error(changed(kmeans,
                                 [](json& d) {
                                   d["weights"] = {0.5, 0.25, 0.25};
                                 })),
              StartsWith("model.json: key \"weights[0]\": 0.5, expected 1/K"));
  EXPECT_THAT(load_error(changed(kmeans, [](json& d) { d["variance"] = 0; })),
              StartsWith("model.json: key \"variance\""));
  const json product = model_document("product gaussian-diag");
  EXPECT_EQ(load_error(product.dump()), "loaded without an error");
  EXPECT_THAT(load_error(changed(product, [](json& d) { d["blocks"][1]["rates"][0].erase(2); })),
              StartsWith("model.json: key \"blocks[1].rates\": expected 2 rows of 3 numbers"));
  // The layout is read and checked before any block's parameters: the overlap is named first.
  EXPECT_THAT(load_error(changed(product, [](json& d) { d["blocks"][2]["first_column"] = 4; })),
              AllOf(StartsWith("model.json: key \"blocks\": "), HasSubstr("overlaps block 1")));
  EXPECT_THAT(load_error(changed(product, [](json& d) { d["blocks"][2]["last_column"] = 10; })),
              StartsWith("model.json: key \"blocks[2].last_column\": 10 is out of range"));
  EXPECT_THAT(load_error(changed(product, [](json& d) { d["blocks"].erase(2); })),
              AllOf(StartsWith("model.json: key \"blocks\": "), HasSubstr("in no block")));
  EXPECT_THAT(load_error(changed(product, [](json& d) { d["blocks"][1]["family"] = "gamma"; })),
              StartsWith("model.json: key \"blocks[1].family\": \"gamma\" is unknown"));
  EXPECT_THAT(load_error(changed(product, [](json& d) { d["blocks"][0].erase("covariances"); })),
              StartsWith("model.json: key \"blocks[0].covariances\": missing"));
}

TEST_F(CliTest, EmptyComponentOptionKeepsDropsOrReseeds) {
  // The third starting mean is nearest to no row: that component is empty from the start.
  write_text(path("means3.csv"), "eruptions,waiting\n2,55\n4.3,80\n1000,1000\n");
  write_text(path("means2.csv"), "eruptions,waiting\n2,55\n4.3,80\n");
  const json two = fit_ok({faithful(), "-k", "2", "--init-means", path("means2.csv")}, "two.json");
  ASSERT_FALSE(two.empty());
  const double two_ll = two["log_likelihood"].get<double>();
  const Eigen::MatrixXd X = emkit::io::read_csv(faithful()).values;

  const json kept =
      fit_ok({faithful(), "-k", "3", "--init-means", path("means3.csv"), "--empty-component", "keep"}, "kept.json");
  ASSERT_FALSE(kept.empty());
  EXPECT_EQ(kept["k"], 3);
  EXPECT_EQ(kept["weights"][2].get<double>(), 0.0);
  EXPECT_THAT(kept["warnings"].dump(), HasSubstr("component 2 lost all its mass (N_k = 0); kept with weight 0"));
  EXPECT_TRUE(near_rel(kept["log_likelihood"].get<double>(), two_ll, 1e-9));  // the live two are the K = 2 fit
  expect_library_agrees(path("kept.json"), X, kept);                          // a weight-0 component loads and predicts

  const json dropped =
      fit_ok({faithful(), "-k", "3", "--init-means", path("means3.csv"), "--empty-component", "drop"}, "drop.json");
  ASSERT_FALSE(dropped.empty());
  expect_valid_model(dropped, "full", 2, 2);
  EXPECT_THAT(dropped["warnings"].dump(), HasSubstr("component 2 lost all its mass (N_k = 0); dropped"));
  EXPECT_TRUE(near_rel(dropped["log_likelihood"].get<double>(), two_ll, 1e-9));
  expect_library_agrees(path("drop.json"), X, dropped);

  const json reseeded = fit_ok({faithful(), "-k", "3", "--init-means", path("means3.csv")}, "reseed.json");
  ASSERT_FALSE(reseeded.empty());
  EXPECT_EQ(reseeded["k"], 3);
  EXPECT_THAT(reseeded["warnings"].dump(), HasSubstr("component 2 lost all its mass (N_k = 0); re-seeded"));

  const run_result bad = run({"fit", faithful(), "-k", "3", "--empty-component", "forget", "-o", path("bad.json")});
  EXPECT_NE(bad.status, 0);
  EXPECT_THAT(bad.err, AllOf(StartsWith("emkit: error: "), HasSubstr("--empty-component")));
  EXPECT_EQ(lines_of(bad.err).size(), 1u) << bad.err;
  EXPECT_FALSE(fs::exists(path("bad.json")));
}

TEST_F(CliTest, AnOutOfRangeNumberIsQuotedAsTyped) {
  // Numbers in messages are written in the shortest form that reads back as the same value:
  // 0.4, not 0.40000000000000002.
  const run_result bad = run({"fit", faithful(), "-k", "2", "--online", "--alpha", "0.4", "-o", path("bad.json")});
  EXPECT_NE(bad.status, 0);
  EXPECT_THAT(bad.err, HasSubstr("--alpha 0.4: expected (0.5, 1]"));
  EXPECT_FALSE(fs::exists(path("bad.json")));
  const run_result tol = run({"fit", faithful(), "-k", "2", "--tol", "1.1", "-o", path("bad.json")});
  EXPECT_NE(tol.status, 0);
  EXPECT_THAT(tol.err, HasSubstr("1.1")) << tol.err;
  EXPECT_THAT(tol.err, Not(HasSubstr("1.1000000000000001"))) << tol.err;
}

TEST_F(CliTest, LoadingAFileThatIsNotThereNamesIt) {
  try {
    (void)cli::load(path("absent.json"));
    ADD_FAILURE() << "no error";
  } catch (const emkit::error& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("absent.json"), HasSubstr("cannot open file")));
  }
}

}  // namespace
