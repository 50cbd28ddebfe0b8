/// \file
/// End-to-end tests of `emkit fit --stream`: the model file of a streamed fit equals the
/// in-memory fit's byte for byte (but for the measured "seconds"), for .npy and CSV, several
/// families, weights and thread counts; bad input is one line naming the file, line and column.
///
/// EMKIT_BINARY is the path of the program, EMKIT_DATA_DIR the directory of faithful.csv.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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

std::string faithful() { return std::string(EMKIT_DATA_DIR) + "/faithful.csv"; }

/// The model file without its wall-clock "seconds", the one field two identical fits differ in.
std::string without_seconds(const std::string& text) {
  return std::regex_replace(text, std::regex("\"seconds\": [-+0-9.eE]+"), "\"seconds\": 0");
}

/// `rows` rows of three columns: two Gaussian-ish columns and a count column, as CSV text.
std::string synthetic_csv(int rows) {
  std::string text = "a,b,count\n";
  std::uint64_t state = 12345;
  const auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) * 0x1p-53;
  };
  for (int i = 0; i < rows; ++i) {
    const double centre = 5.0 * (i % 3);
    text += std::to_string(centre + next() - 0.5) + "," + std::to_string(centre * 0.5 + next()) + "," +
            std::to_string(static_cast<int>(next() * 4 + (i % 3))) + "\n";
  }
  return text;
}

/// A float64 .npy file (C order) of the rows of a rows×cols table given row by row.
void write_npy(const fs::path& p, const std::vector<double>& values, int rows, int cols) {
  std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                       std::to_string(cols) + "), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::ofstream out(p, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const char len[2] = {static_cast<char>(header.size() & 0xff), static_cast<char>(header.size() >> 8)};
  out.write(len, 2);
  out << header;
  out.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size() * sizeof(double)));
}

class CliStreamTest : public scratch_dir_test {
 protected:
  run_result run(const std::vector<std::string>& args) { return run_program(EMKIT_BINARY, args, dir_); }

  /// Fits `data` with and without --stream and expects the same model file and report.
  void expect_stream_equals_memory(const std::string& data, std::vector<std::string> options) {
    std::vector<std::string> memory = {"fit", data, "-o", path("memory.json"), "--trace", path("memory.csv")};
    std::vector<std::string> streamed = {
        "fit", data, "--stream", "-o", path("stream.json"), "--trace", path("stream.csv")};
    memory.insert(memory.end(), options.begin(), options.end());
    streamed.insert(streamed.end(), options.begin(), options.end());
    const run_result a = run(memory), b = run(streamed);
    ASSERT_EQ(a.status, 0) << a.err;
    ASSERT_EQ(b.status, 0) << b.err;
    const std::string model = read_text(path("memory.json"));
    EXPECT_FALSE(model.empty());
    EXPECT_EQ(without_seconds(model), without_seconds(read_text(path("stream.json"))));
    // The printed model and report, but for the timing and the names of the output files.
    const std::regex varies("seconds: [-+0-9.eE]+|(memory|stream)\\.(json|csv)");
    EXPECT_EQ(std::regex_replace(a.out, varies, ""), std::regex_replace(b.out, varies, ""));
  }
};

TEST_F(CliStreamTest, FaithfulCsvGaussianEqualsMemory) {
  expect_stream_equals_memory(faithful(), {"-k", "2", "--restarts", "3", "--seed", "4", "--threads", "2"});
}

TEST_F(CliStreamTest, SyntheticFamiliesAndChunkSizes) {
  const std::string csv = path("synthetic.csv");
  write_text(csv, synthetic_csv(1300));
  expect_stream_equals_memory(csv, {"-k", "3", "--covariance", "diag", "--chunk-rows", "100", "--threads", "2"});
  expect_stream_equals_memory(csv, {"-k", "3", "--family", "kmeans", "--init", "random", "--chunk-rows", "64"});
  expect_stream_equals_memory(csv, {"-k", "2", "--family", "product", "--columns", "gaussian-diag:0-1,poisson:2-2",
                                    "--init", "random-resp", "--max-iter", "20"});
}

TEST_F(CliStreamTest, NpyAndWeightsEqualMemory) {
  std::vector<double> values;
  std::string weights = "w\n";
  const int rows = 1111;
  for (int i = 0; i < rows; ++i) {
    values.push_back(3.0 * (i % 2) + 0.001 * (i % 97));
    values.push_back(-1.0 * (i % 2) + 0.002 * (i % 89));
    weights += std::to_string(i % 3) + "\n";
  }
  const std::string npy = path("data.npy");
  write_npy(npy, values, rows, 2);
  write_text(path("w.csv"), weights);
  expect_stream_equals_memory(npy, {"-k", "2", "--chunk-rows", "50", "--threads", "2"});
  expect_stream_equals_memory(npy, {"-k", "2", "--weights", path("w.csv"), "--family", "kmeans"});
}

TEST_F(CliStreamTest, BadInput) {
  // Standard input cannot be streamed.
  const run_result in = run({"fit", "-", "--stream", "-k", "2", "-o", path("m.json")});
  EXPECT_EQ(in.status, 2);
  EXPECT_THAT(in.err, HasSubstr("cannot be streamed"));
  // A bad cell: the same message as the in-memory read, and nothing written.
  write_text(path("bad.csv"), "x,y\n1,2\n3,4\n5,oops\n");
  const run_result bad = run({"fit", path("bad.csv"), "--stream", "-k", "1", "-o", path("m.json")});
  const run_result bad_memory = run({"fit", path("bad.csv"), "-k", "1", "-o", path("m.json")});
  EXPECT_NE(bad.status, 0);
  EXPECT_THAT(bad.err, HasSubstr("line 4, column 2: 'oops' is not a number"));
  EXPECT_EQ(bad.err, bad_memory.err);
  EXPECT_FALSE(fs::exists(path("m.json")));
  // A value outside the family's support: the line and column of the file, as in memory.
  std::string counts = "c1,c2\n";
  for (int i = 0; i < 700; ++i) counts += std::to_string(i % 5) + "," + (i == 600 ? "2.5" : "1") + "\n";
  write_text(path("counts.csv"), counts);
  const run_result support = run({"fit", path("counts.csv"), "--stream", "--family", "poisson", "-k", "2",
                                  "--chunk-rows", "64", "-o", path("m.json")});
  const run_result support_memory =
      run({"fit", path("counts.csv"), "--family", "poisson", "-k", "2", "-o", path("m.json")});
  EXPECT_THAT(support.err, HasSubstr("line 602, column 2: 2.5 is not a non-negative integer count (poisson)"));
  EXPECT_EQ(support.err, support_memory.err);
  // A truncated .npy file.
  write_text(path("short.npy"), std::string("\x93NUMPY\x01\x00", 8));
  const run_result truncated = run({"fit", path("short.npy"), "--stream", "-k", "1", "-o", path("m.json")});
  EXPECT_NE(truncated.status, 0);
  EXPECT_THAT(truncated.err, HasSubstr("truncated header"));
}

}  // namespace
