/// \file
/// End-to-end tests of the emkit command-line program: `emkit fit` on Old Faithful and
/// synthetic data, the model and trace files it writes, determinism, the initialisation
/// and weight options, and every kind of bad input (one-line message, non-zero status, no
/// output written or overwritten).
///
/// EMKIT_BINARY is the path of the program, EMKIT_DATA_DIR the directory of faithful.csv.

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#ifndef EMKIT_BINARY
#error "EMKIT_BINARY must name the emkit program"
#endif
#ifndef EMKIT_DATA_DIR
#error "EMKIT_DATA_DIR must name the directory of faithful.csv"
#endif

namespace {

namespace fs = std::filesystem;
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

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const fs::path& p, std::string_view text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

/// `s` quoted for /bin/sh.
std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::vector<std::string> split(const std::string& s, char separator) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(s);
  while (std::getline(in, field, separator)) out.push_back(field);
  return out;
}

/// The lines of `text` (without their newlines).
std::vector<std::string> lines_of(const std::string& text) { return split(text, '\n'); }

/// What one run of the program did.
struct run_result {
  int status = -1;  ///< the exit status; -1 if the program did not exit normally (a crash)
  std::string out;
  std::string err;
};

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
  write_text(path("synthetic.csv"), synthetic_csv(3000));  // 12 chunks of the fused pass
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
      {"unsupported_family", {}, {"{data}", "-k", "2", "--family", "poisson"}, {"poisson", "not yet supported"}, 2},
      {"unknown_family", {}, {"{data}", "-k", "2", "--family", "cauchy"}, {"cauchy"}, 2},
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
  for (const char* option : {"--family", "--covariance", "-k", "--init", "--init-means", "--weights", "--restarts",
                             "--seed", "--tol", "--max-iter", "--reg-covar", "--threads", "--trace", "-o"}) {
    EXPECT_THAT(help.out, HasSubstr(option));
  }
  const run_result top = run({"--help"});
  EXPECT_EQ(top.status, 0);
  EXPECT_THAT(top.out, HasSubstr("fit"));
}

}  // namespace
