/// \file
/// End-to-end tests of `emkit fit --init-labels` and `--init-model` (a warm start): a fit
/// starts from the means of the labelled groups, computed here from the data file, or from
/// the parameters of a model file, where its first log-likelihood is that model's; bad labels
/// and mismatched models are one line naming the file and what is wrong, and write nothing.
///
/// EMKIT_BINARY is the path of the program, EMKIT_DATA_DIR the directory of faithful.csv.

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <emkit/framework/io/csv.hpp>

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
using ::testing::HasSubstr;
using json = nlohmann::json;

std::string faithful() { return std::string(EMKIT_DATA_DIR) + "/faithful.csv"; }

class CliInitTest : public scratch_dir_test {
 protected:
  run_result run(const std::vector<std::string>& args) { return run_program(EMKIT_BINARY, args, dir_); }

  json model(const std::string& name) { return json::parse(read_text(path(name))); }

  /// The first log-likelihood of the trace CSV `name` (iteration 0).
  double first_log_likelihood(const std::string& name) {
    std::stringstream text(read_text(path(name)));
    std::string header, first;
    std::getline(text, header);
    std::getline(text, first);
    std::vector<std::string> names, values;
    std::stringstream h(header), v(first);
    for (std::string s; std::getline(h, s, ',');) names.push_back(s);
    for (std::string s; std::getline(v, s, ',');) values.push_back(s);
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == "log_likelihood") return std::stod(values.at(i));
    ADD_FAILURE() << "no log_likelihood column in " << header;
    return NAN;
  }

  /// Fits faithful.csv with K = 2 to `name`, then writes `emkit predict`'s labels to labels.csv.
  void fit_and_label(const std::string& name, const std::vector<std::string>& options = {}) {
    std::vector<std::string> args{"fit", faithful(), "-k", "2", "--seed", "3", "-o", path(name), "--quiet"};
    args.insert(args.end(), options.begin(), options.end());
    const run_result fit = run(args);
    ASSERT_EQ(fit.status, 0) << fit.err;
    const run_result labels = run({"predict", path(name), faithful()});
    ASSERT_EQ(labels.status, 0) << labels.err;
    write_text(path("labels.csv"), labels.out);
  }
};

TEST_F(CliInitTest, LabelsStartFromTheMeansAndSharesOfTheirGroups) {
  ASSERT_NO_FATAL_FAILURE(fit_and_label("first.json"));
  // Labels of our own, not the fit's: rows alternate between the components.
  const Eigen::MatrixXd X = emkit::io::read_csv(faithful()).values;
  std::string text = "label\n";
  Eigen::Vector2d share = Eigen::Vector2d::Zero();
  Eigen::Matrix2d sums = Eigen::Matrix2d::Zero();  // row k: the sum of the rows labelled k
  for (Eigen::Index n = 0; n < X.rows(); ++n) {
    const int k = n % 3 == 0 ? 1 : 0;
    text += std::to_string(k) + "\n";
    share[k] += 1;
    sums.row(k) += X.row(n);
  }
  write_text(path("own.csv"), text);
  const run_result r =
      run({"fit", faithful(), "-k", "2", "--init-labels", path("own.csv"), "--max-iter", "0", "-o", path("m.json")});
  ASSERT_EQ(r.status, 0) << r.err;
  const json m = model("m.json");
  EXPECT_EQ(m["init"], "given-labels");
  EXPECT_EQ(m["init_labels_file"], path("own.csv"));
  for (int k = 0; k < 2; ++k) {
    EXPECT_NEAR(m["weights"][k].get<double>(), share[k] / static_cast<double>(X.rows()), 1e-15);
    for (int d = 0; d < 2; ++d) EXPECT_NEAR(m["means"][k][d].get<double>(), sums(k, d) / share[k], 1e-12);
  }

  // `emkit predict`'s own labels are read back, streamed or not, to the same model.
  for (const char* stream : {"", "--stream"}) {
    std::vector<std::string> args{"fit",           faithful(),         "-k", "2",
                                  "--init-labels", path("labels.csv"), "-o", path(std::string("p") + stream + ".json")};
    if (*stream) args.emplace_back(stream);
    const run_result again = run(args);
    ASSERT_EQ(again.status, 0) << again.err;
  }
  json a = model("p.json"), b = model("p--stream.json");
  a.erase("seconds"), b.erase("seconds");
  EXPECT_EQ(a, b);
}

TEST_F(CliInitTest, AWarmStartBeginsAtTheModelsLogLikelihoodWithItsFamilyOptionsAndK) {
  ASSERT_NO_FATAL_FAILURE(fit_and_label("first.json", {"--covariance", "diag", "--tol", "1e-10"}));
  const json first = model("first.json");
  const run_result r =
      run({"fit", faithful(), "--init-model", path("first.json"), "--trace", path("t.csv"), "-o", path("m.json")});
  ASSERT_EQ(r.status, 0) << r.err;
  const json m = model("m.json");
  EXPECT_EQ(m["covariance"], "diag");
  EXPECT_EQ(m["k"], 2);
  EXPECT_EQ(m["init"], "given-model");
  EXPECT_EQ(m["init_model_file"], path("first.json"));
  const double l0 = first["log_likelihood"].get<double>();
  EXPECT_NEAR(first_log_likelihood("t.csv"), l0, 1e-9 * std::abs(l0));
  EXPECT_LE(m["iterations"].get<int>(), 2);
  EXPECT_NEAR(m["log_likelihood"].get<double>(), l0, 1e-9 * std::abs(l0));

  // K-means and online EM start from a model file the same way.
  const run_result km = run({"fit", faithful(), "--family", "kmeans", "-k", "2", "-o", path("km.json"), "--quiet"});
  ASSERT_EQ(km.status, 0) << km.err;
  const run_result warm_km = run({"fit", faithful(), "--init-model", path("km.json"), "-o", path("km2.json")});
  ASSERT_EQ(warm_km.status, 0) << warm_km.err;
  EXPECT_EQ(model("km2.json")["family"], "kmeans");
  const double inertia = model("km.json")["inertia"].get<double>();
  EXPECT_NEAR(model("km2.json")["inertia"].get<double>(), inertia, 1e-9 * inertia);
  const run_result online =
      run({"fit", faithful(), "--init-model", path("first.json"), "--online", "-o", path("online.json")});
  ASSERT_EQ(online.status, 0) << online.err;
  EXPECT_NEAR(model("online.json")["log_likelihood"].get<double>(), l0, 1e-3 * std::abs(l0));
}

TEST_F(CliInitTest, BadLabelsAndMismatchedModelsAreNamedAndWriteNothing) {
  ASSERT_NO_FATAL_FAILURE(fit_and_label("first.json"));
  const auto expect_error = [&](const std::vector<std::string>& extra, const std::string& message) {
    std::vector<std::string> args{"fit", faithful(), "-o", path("out.json")};
    args.insert(args.end(), extra.begin(), extra.end());
    const run_result r = run(args);
    EXPECT_NE(r.status, 0);
    EXPECT_THAT(r.err, HasSubstr(message));
    EXPECT_FALSE(fs::exists(path("out.json"))) << r.err;
  };
  std::string labels = read_text(path("labels.csv"));
  write_text(path("short.csv"), labels.substr(0, labels.rfind('\n', labels.size() - 2) + 1));
  expect_error({"-k", "2", "--init-labels", path("short.csv")},
               "short.csv: has 271 labels, but " + faithful() + " has 272 rows");
  write_text(path("bad.csv"), "label\n0\n1\n2\n" + labels.substr(6));
  expect_error({"-k", "2", "--init-labels", path("bad.csv")}, "bad.csv: line 4: 2 is not a component in 0..1 (K = 2)");
  write_text(path("half.csv"), "0.5\n" + labels.substr(2));
  expect_error({"-k", "2", "--init-labels", path("half.csv")}, "half.csv: line 1: 0.5 is not a component in 0..1");

  expect_error({"--init-model", path("first.json"), "--covariance", "diag"},
               "--covariance: with --init-model, the family's options are those of the model file");
  expect_error({"--init-model", path("first.json"), "-k", "3"}, "-k 3: --init-model");
  expect_error({"--init-model", path("first.json"), "--init", "random"}, "excludes");
  expect_error({"--init-model", path("first.json"), "--family", "gaussian"}, "excludes");
  expect_error({}, "-k,--components is required (or --init-model, which gives K)");
  write_text(path("wide.csv"), "1,2,3\n4,5,6\n7,8,10\n");
  const run_result wide = run({"fit", path("wide.csv"), "--init-model", path("first.json"), "-o", path("out.json")});
  EXPECT_NE(wide.status, 0);
  EXPECT_THAT(wide.err, HasSubstr("the model has D = 2 columns, but " + path("wide.csv") + " has 3"));
  EXPECT_FALSE(fs::exists(path("out.json")));
}

}  // namespace
