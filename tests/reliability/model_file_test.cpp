// Reliability, part 5: malformed model files (the command line's loader, tools/model_file.hpp).
// Every malformed file is an emkit::error — never a JSON library exception, a crash or a model
// that predicts NaN — whose message starts with the file's name and names the key. The fuzz
// target fuzz/model_file_fuzzer.cpp checks the same contract on random input.
#include <string>
#include <string_view>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <emkit/emkit.hpp>

#include <emkit/cli/model_file.hpp>
#include "reliability/message_of.hpp"

namespace {

using emkit::reliability::message_of;
using ::testing::HasSubstr;
using ::testing::StartsWith;

/// A valid two-component, two-column full-covariance Gaussian model file with `patch` applied:
/// each (from, to) pair replaces the first occurrence of `from`.
std::string gaussian_file(std::initializer_list<std::pair<std::string_view, std::string_view>> patch = {}) {
  std::string text = R"({"format": "emkit-model", "format_version": 1, "family": "gaussian", "covariance": "full",
 "k": 2, "dim": 2, "reg_covar": 1e-06, "weights": [0.25, 0.75], "means": [[0.0, 0.0], [5.0, 5.0]],
 "covariances": [[[1.0, 0.0], [0.0, 1.0]], [[2.0, 0.5], [0.5, 1.0]]]})";
  for (const auto& [from, to] : patch) {
    const std::size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
  }
  return text;
}

std::string load_error(const std::string& text) {
  std::string m = message_of<emkit::error>([&] { (void)emkit::cli::load_text(text, "m.json"); });
  EXPECT_THAT(m, StartsWith("m.json: "));
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  return m;
}

TEST(BadModelFile, TheValidFileLoadsAndPredictsFiniteValues) {
  const auto loaded = emkit::cli::load_text(gaussian_file(), "m.json");
  EXPECT_EQ(emkit::cli::num_components(*loaded.model), 2);
  const Eigen::MatrixXd X = Eigen::MatrixXd::Random(5, 2);
  EXPECT_TRUE(loaded.model->predict_proba(X).allFinite());
}

TEST(BadModelFile, TextThatIsNotJsonNamesTheLineAndColumn) {
  EXPECT_THAT(load_error(""), HasSubstr("not valid JSON"));
  EXPECT_THAT(load_error("{\"format\": \"emkit-model\",\n \"k\": [1, 2,"), HasSubstr("line 2"));
  std::string truncated = gaussian_file();
  truncated.resize(truncated.size() / 2);
  EXPECT_THAT(load_error(truncated), HasSubstr("not valid JSON"));
  EXPECT_THAT(load_error(std::string("\xff\xfe{}", 4)), HasSubstr("not valid JSON"));
}

TEST(BadModelFile, AnotherFormatOrVersionIsNamed) {
  EXPECT_THAT(load_error("[1, 2, 3]"), HasSubstr("not an emkit model file"));
  EXPECT_THAT(load_error(gaussian_file({{"\"emkit-model\"", "\"other\""}})), HasSubstr("key \"format\""));
  EXPECT_THAT(load_error(gaussian_file({{"\"format_version\": 1", "\"format_version\": 2"}})),
              HasSubstr("key \"format_version\": 2 is not supported"));
  EXPECT_THAT(load_error(gaussian_file({{"\"gaussian\"", "\"weibull\""}})), HasSubstr("key \"family\""));
}

TEST(BadModelFile, MissingKeysWrongTypesAndWrongShapesAreNamed) {
  EXPECT_THAT(load_error(gaussian_file({{"\"means\"", "\"meens\""}})), HasSubstr("key \"means\": missing"));
  EXPECT_THAT(load_error(gaussian_file({{"\"k\": 2", "\"k\": \"two\""}})), HasSubstr("key \"k\": expected an integer"));
  EXPECT_THAT(load_error(gaussian_file({{"\"k\": 2", "\"k\": 3"}})),
              HasSubstr("key \"weights\": expected 3 numbers, found an array of 2"));
  EXPECT_THAT(load_error(gaussian_file({{"\"k\": 2", "\"k\": 0"}})), HasSubstr("key \"k\": 0 is out of range"));
  EXPECT_THAT(load_error(gaussian_file({{"[5.0, 5.0]", "[5.0]"}})), HasSubstr("key \"means\""));
  EXPECT_THAT(load_error(gaussian_file({{"[5.0, 5.0]", "[5.0, null]"}})),
              HasSubstr("key \"means[1][1]\": expected a number"));
}

TEST(BadModelFile, ParametersOutsideTheirRangeAreNamed) {
  EXPECT_THAT(load_error(gaussian_file({{"[0.25, 0.75]", "[-0.25, 1.25]"}})),
              HasSubstr("key \"weights[0]\": -0.25 is negative"));
  EXPECT_THAT(load_error(gaussian_file({{"[0.25, 0.75]", "[0.25, 0.25]"}})), HasSubstr("key \"weights\": sum to 0.5"));
  EXPECT_THAT(load_error(gaussian_file({{"[[2.0, 0.5], [0.5, 1.0]]", "[[1.0, 2.0], [2.0, 1.0]]"}})),
              HasSubstr("key \"covariances[1]\": covariance is not positive definite"));
  EXPECT_THAT(load_error(gaussian_file({{"[[2.0, 0.5], [0.5, 1.0]]", "[[2.0, 0.5], [0.4, 1.0]]"}})),
              HasSubstr("is not symmetric"));
  EXPECT_THAT(load_error(gaussian_file({{"1e-06", "-1"}})), HasSubstr("key \"reg_covar\""));
  EXPECT_THAT(load_error(gaussian_file({{"[0.0, 0.0]", "[1e999, 0.0]"}})), HasSubstr("key \"means"));
}

TEST(BadModelFile, AKeyWithAControlCharacterStillGivesAOneLineMessage) {
  // Found by fuzz/model_file_fuzzer: the JSON escape \n in a key, then a syntax error.
  const std::string text = R"({"a\nb", 1})";
  const std::string m = message_of<emkit::error>([&] { (void)emkit::cli::load_text(text, "m.json"); });
  EXPECT_THAT(m, StartsWith("m.json: not valid JSON"));
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  EXPECT_THAT(m, HasSubstr("a?b"));
}

TEST(BadModelFile, AHugeComponentCountWithoutDataIsRejectedWithoutAllocating) {
  // A product model with k = 2^31 and one block: the loader must reject it from the sizes of
  // its arrays before allocating 2^31 components.
  const std::string text = R"({"format": "emkit-model", "format_version": 1, "family": "product", "k": 2147483648,
 "dim": 1, "weights": [1.0], "blocks": [{"family": "poisson", "first_column": 0, "last_column": 0,
 "rate_floor": 1e-10, "rates": [[1.0]]}]})";
  EXPECT_THAT(load_error(text), HasSubstr("key \"weights\": expected 2147483648 numbers, found an array of 1"));
  // The same for a huge dimension: every row's length is checked before a K×D matrix is
  // allocated (here 1×2^31 doubles, 16 GiB).
  EXPECT_THAT(load_error(gaussian_file({{"\"k\": 2, \"dim\": 2", "\"k\": 1, \"dim\": 2147483648"},
                                        {"[0.25, 0.75]", "[1.0]"},
                                        {"[[0.0, 0.0], [5.0, 5.0]]", "[[0.0, 0.0]]"}})),
              HasSubstr("key \"means\": expected 1 row of 2147483648 numbers, found row 0 an array of 2"));
}

}  // namespace
