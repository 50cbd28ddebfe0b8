/// \file
/// Tests of emkit::io::parse_csv and emkit::io::read_csv.

#include <emkit/framework/io/csv.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include <unistd.h>

namespace {

using emkit::io::csv_options;
using emkit::io::parse_csv;
using emkit::io::read_csv;
using emkit::io::table;
using ::testing::HasSubstr;

/// The message of the `data_error` that parsing `text` throws (fails the test if none).
std::string parse_error(std::string_view text, const csv_options& options = {}) {
  try {
    parse_csv(text, "data.csv", options);
  } catch (const emkit::data_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no data_error for:\n" << text;
  return {};
}

TEST(parse_csv, reads_rows_as_observations_without_header) {
  const table t = parse_csv("1,2,3\n4,5,6\n", "data.csv");
  EXPECT_TRUE(t.header.empty());
  ASSERT_EQ(t.values.rows(), 2);
  ASSERT_EQ(t.values.cols(), 3);
  EXPECT_EQ(t.values(0, 0), 1.0);
  EXPECT_EQ(t.values(0, 2), 3.0);
  EXPECT_EQ(t.values(1, 0), 4.0);
  EXPECT_EQ(t.values(1, 2), 6.0);
}

TEST(parse_csv, detects_and_trims_header) {
  const table t = parse_csv(" x , y\t,z\n1,2,3\n", "data.csv");
  EXPECT_EQ(t.header, (std::vector<std::string>{"x", "y", "z"}));
  ASSERT_EQ(t.values.rows(), 1);
  ASSERT_EQ(t.values.cols(), 3);
  EXPECT_EQ(t.values(0, 1), 2.0);
}

TEST(parse_csv, one_non_numeric_token_makes_a_header) {
  const table t = parse_csv("1,b\n3,4\n", "data.csv");
  EXPECT_EQ(t.header, (std::vector<std::string>{"1", "b"}));
  ASSERT_EQ(t.values.rows(), 1);
  EXPECT_EQ(t.values(0, 0), 3.0);
}

TEST(parse_csv, values_are_exact) {
  const table t = parse_csv("0.1,-2.5e-3,+7,1e308\n.5,5.,-0,4.9406564584124654e-324\n", "data.csv");
  EXPECT_EQ(t.values(0, 0), 0.1);
  EXPECT_EQ(t.values(0, 1), -2.5e-3);
  EXPECT_EQ(t.values(0, 2), 7.0);
  EXPECT_EQ(t.values(0, 3), 1e308);
  EXPECT_EQ(t.values(1, 0), 0.5);
  EXPECT_EQ(t.values(1, 1), 5.0);
  EXPECT_EQ(t.values(1, 2), 0.0);
  EXPECT_TRUE(std::signbit(t.values(1, 2)));
  EXPECT_EQ(t.values(1, 3), 4.9406564584124654e-324);
}

TEST(parse_csv, underflow_gives_signed_zero) {
  const table t =
      parse_csv("1e-400,-1e-400,1000e-5000000000000000000000000,0." + std::string(330, '0') + "1\n", "data.csv");
  EXPECT_EQ(t.values(0, 2), 0.0);
  EXPECT_EQ(t.values(0, 3), 0.0);
  EXPECT_EQ(t.values(0, 0), 0.0);
  EXPECT_FALSE(std::signbit(t.values(0, 0)));
  EXPECT_EQ(t.values(0, 1), 0.0);
  EXPECT_TRUE(std::signbit(t.values(0, 1)));
}

TEST(parse_csv, single_column_and_missing_final_newline) {
  const table t = parse_csv("value\n1\n2\n3", "data.csv");
  EXPECT_EQ(t.header, (std::vector<std::string>{"value"}));
  ASSERT_EQ(t.values.rows(), 3);
  ASSERT_EQ(t.values.cols(), 1);
  EXPECT_EQ(t.values(2, 0), 3.0);
}

TEST(parse_csv, delimiter_option) {
  const table t = parse_csv("a;b\n1.5;2\n3;4\n", "data.csv", {.delimiter = ';'});
  EXPECT_EQ(t.header, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(t.values.rows(), 2);
  EXPECT_EQ(t.values(0, 0), 1.5);
  EXPECT_EQ(t.values(1, 1), 4.0);
  EXPECT_THAT(parse_error("1;2\n1,5;2\n", {.delimiter = ';'}), HasSubstr("line 2, column 1: '1,5' is not a number"));
  const table s = parse_csv("3;4\n", "data.csv", {.delimiter = ';'});
  EXPECT_EQ(s.values(0, 1), 4.0);
}

TEST(parse_csv, tab_delimiter_still_trims_spaces) {
  const table t = parse_csv("x\ty\n 1 \t 2\n", "data.csv", {.delimiter = '\t'});
  EXPECT_EQ(t.header, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(t.values(0, 0), 1.0);
  EXPECT_EQ(t.values(0, 1), 2.0);
}

TEST(parse_csv, rejects_unusable_delimiters) {
  for (const char d : {'\n', '\r', '\0', '.', '-', '+', 'e', '5'}) {
    EXPECT_THROW(parse_csv("1\n", "data.csv", {.delimiter = d}), emkit::invalid_option) << static_cast<int>(d);
  }
}

TEST(parse_csv, crlf_line_endings) {
  const table t = parse_csv("x,y\r\n1,2\r\n3,4\r\n", "data.csv");
  EXPECT_EQ(t.header, (std::vector<std::string>{"x", "y"}));
  ASSERT_EQ(t.values.rows(), 2);
  EXPECT_EQ(t.values(1, 1), 4.0);
}

TEST(parse_csv, spaces_and_tabs_around_values) {
  const table t = parse_csv("  1 ,\t2\t\n 3,4   \n", "data.csv");
  EXPECT_EQ(t.values(0, 0), 1.0);
  EXPECT_EQ(t.values(0, 1), 2.0);
  EXPECT_EQ(t.values(1, 1), 4.0);
}

TEST(parse_csv, skips_blank_lines_and_keeps_file_line_numbers) {
  const table t = parse_csv("\n  \nx,y\n1,2\n\n \t\r\n3,4\n\n", "data.csv");
  EXPECT_EQ(t.header.size(), 2U);
  ASSERT_EQ(t.values.rows(), 2);
  EXPECT_EQ(t.values(1, 0), 3.0);
  EXPECT_THAT(parse_error("\nx,y\n1,2\n\n3,z\n"), HasSubstr("data.csv: line 5, column 2: 'z' is not a number"));
}

TEST(parse_csv, ignores_byte_order_mark) {
  const table t = parse_csv(
      "\xEF\xBB\xBF"
      "1,2\n3,4\n",
      "data.csv");
  EXPECT_TRUE(t.header.empty());
  EXPECT_EQ(t.values.rows(), 2);
}

TEST(parse_csv, error_not_a_number) {
  EXPECT_EQ(parse_error("x,y\n1,2\n1,2\n1,2\n1,2\n1,2\n3,abc\n"), "data.csv: line 7, column 2: 'abc' is not a number");
  EXPECT_THAT(parse_error("1,2\n3, 4 5\n"), HasSubstr("line 2, column 2: '4 5' is not a number"));
  EXPECT_THAT(parse_error("1,2\n3,+-4\n"), HasSubstr("line 2, column 2: '+-4' is not a number"));
  EXPECT_THAT(parse_error("1,2\n3,++4\n"), HasSubstr("line 2, column 2: '++4' is not a number"));
  EXPECT_THAT(parse_error("1,2\n+,4\n"), HasSubstr("line 2, column 1: '+' is not a number"));
  EXPECT_THAT(parse_error("1,2\n0x10,4\n"), HasSubstr("line 2, column 1: '0x10' is not a number"));
  EXPECT_THAT(parse_error("1,2\n3,1e\n"), HasSubstr("line 2, column 2: '1e' is not a number"));
}

TEST(parse_csv, error_not_finite) {
  EXPECT_EQ(parse_error("x,y\n1,2\n1,2\n1,2\n1,2\n1,2\n3,nan\n"),
            "data.csv: line 7, column 2: 'nan' is not a finite number");
  EXPECT_THAT(parse_error("1,2\n3,inf\n"), HasSubstr("line 2, column 2: 'inf' is not a finite number"));
  EXPECT_THAT(parse_error("1,2\n-Infinity,4\n"), HasSubstr("line 2, column 1: '-Infinity' is not a finite number"));
  EXPECT_THAT(parse_error("1,2\n3,+NaN\n"), HasSubstr("line 2, column 2: '+NaN' is not a finite number"));
  EXPECT_THAT(parse_error("1,2\n3,1e999\n"), HasSubstr("line 2, column 2: '1e999' is not a finite number"));
  EXPECT_THAT(parse_error("1,2\n3,-1e999\n"), HasSubstr("line 2, column 2: '-1e999' is not a finite number"));
  EXPECT_THAT(parse_error("1,2\n3," + std::string(400, '9') + "\n"), HasSubstr("line 2, column 2: '9999"));
  EXPECT_THAT(parse_error("1,2\n3,1000e5000000000000000000000000\n"),
              HasSubstr("line 2, column 2: '1000e5000000000000000000000000' is not a finite number"));
  EXPECT_THAT(parse_error("1,2\n3,0.001e312\n"), HasSubstr("line 2, column 2: '0.001e312' is not a finite number"));
  EXPECT_THAT(parse_error("1,2\n3,1" + std::string(320, '0') + "e-5\n"), HasSubstr("is not a finite number"));
  // A NaN or infinity on the first line makes it data, not a header.
  EXPECT_THAT(parse_error("nan,1\n"), HasSubstr("line 1, column 1: 'nan' is not a finite number"));
}

TEST(parse_csv, error_column_count) {
  EXPECT_EQ(parse_error("x,y\n1,2\n1,2\n1,2\n1,2\n1,2\n1,2,3\n"),
            "data.csv: line 7 has 3 columns, expected 2 (as on line 1)");
  EXPECT_EQ(parse_error("\n1,2\n3\n"), "data.csv: line 3 has 1 column, expected 2 (as on line 2)");
  EXPECT_THAT(parse_error("1,2\n3,4,\n"), HasSubstr("line 2 has 3 columns, expected 2 (as on line 1)"));
}

TEST(parse_csv, error_header_column_count_differs_from_data) {
  EXPECT_EQ(parse_error("x,y,z\n1,2\n"), "data.csv: line 2 has 2 columns, expected 3 (as on line 1)");
  EXPECT_EQ(parse_error("x\n1,2\n"), "data.csv: line 2 has 2 columns, expected 1 (as on line 1)");
}

TEST(parse_csv, error_empty_value) {
  EXPECT_EQ(parse_error("x,y,z\n1,2,3\n4,5,6\n7,8, \n"), "data.csv: line 4, column 3: empty value");
  EXPECT_THAT(parse_error("1,,3\n"), HasSubstr("line 1, column 2: empty value"));
  EXPECT_THAT(parse_error("1,2\n,3\n"), HasSubstr("line 2, column 1: empty value"));
}

TEST(parse_csv, error_no_data_rows) {
  EXPECT_EQ(parse_error(""), "data.csv: no data rows");
  EXPECT_EQ(parse_error("\n \r\n\n"), "data.csv: no data rows");
  EXPECT_EQ(parse_error("x,y\n"), "data.csv: no data rows");
  EXPECT_EQ(parse_error("x,y\r\n\r\n"), "data.csv: no data rows");
}

TEST(parse_csv, messages_are_one_printable_line) {
  const std::string message = parse_error("1,2\n3," + std::string(100, 'a') + "\n");
  EXPECT_THAT(message, HasSubstr("line 2, column 2: '" + std::string(40, 'a') + "...' is not a number"));
  EXPECT_EQ(message.find(std::string(41, 'a')), std::string::npos);

  constexpr char raw[] = "1,2\n3,a\x1b[2J\0b\xc3\xa9\n";
  const std::string control = parse_error(std::string(raw, sizeof raw - 1));
  EXPECT_THAT(control, HasSubstr("line 2, column 2: 'a?[2J?b?"
                                 "?' is not a number"));
  for (const char c : control) {
    EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "character code " << static_cast<int>(static_cast<unsigned char>(c));
  }

  // A lone carriage return inside a line is not a line break.
  EXPECT_THAT(parse_error("1,2\n3,4\r5\n"), HasSubstr("line 2, column 2: '4?5' is not a number"));
}

TEST(parse_csv, error_type_is_data_error) {
  EXPECT_THROW(parse_csv("a\n", "data.csv"), emkit::data_error);
  EXPECT_THROW(parse_csv("1,x\n2\n", "data.csv"), emkit::data_error);
}

/// A directory of its own for each test, removed afterwards.
class read_csv_test : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    directory_ = std::filesystem::temp_directory_path() / ("emkit_csv_test_" + std::to_string(::getpid()) + "_" +
                                                           info->name() + "_" + std::to_string(counter++));
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }
  std::filesystem::path write(const std::string& name, const std::string& contents) const {
    const std::filesystem::path file = directory_ / name;
    std::ofstream(file, std::ios::binary) << contents;
    return file;
  }
  std::filesystem::path directory_;
};

TEST_F(read_csv_test, reads_a_file) {
  const auto file = write("data.csv", "a,b\r\n0.1,2\r\n3,4\r\n");
  const table t = read_csv(file);
  EXPECT_EQ(t.header, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(t.values.rows(), 2);
  EXPECT_EQ(t.values(0, 0), 0.1);
  EXPECT_EQ(t.values(1, 1), 4.0);
}

TEST_F(read_csv_test, reads_with_delimiter) {
  const auto file = write("data.tsv", "1\t2\n");
  const table t = read_csv(file, {.delimiter = '\t'});
  EXPECT_EQ(t.values(0, 1), 2.0);
}

TEST_F(read_csv_test, reads_a_large_file) {
  std::string text = "a,b,c\n";
  for (int i = 0; i < 100000; ++i) text += std::to_string(i) + ".25,-" + std::to_string(i) + ",1e-3\n";
  const table t = read_csv(write("big.csv", text));
  ASSERT_EQ(t.values.rows(), 100000);
  EXPECT_EQ(t.values(99999, 0), 99999.25);
  EXPECT_EQ(t.values(99999, 1), -99999.0);
  EXPECT_EQ(t.values(500, 2), 1e-3);
}

TEST_F(read_csv_test, errors_name_the_file) {
  const auto file = write("bad.csv", "x,y\n1,2\n3,abc\n");
  try {
    read_csv(file);
    FAIL() << "no data_error";
  } catch (const emkit::data_error& e) {
    EXPECT_EQ(std::string(e.what()), file.string() + ": line 3, column 2: 'abc' is not a number");
  }
}

TEST_F(read_csv_test, missing_file) {
  const auto file = directory_ / "missing.csv";
  try {
    read_csv(file);
    FAIL() << "no data_error";
  } catch (const emkit::data_error& e) {
    EXPECT_EQ(std::string(e.what()), file.string() + ": cannot open file (No such file or directory)");
  }
}

TEST_F(read_csv_test, unreadable_file) {
  if (::geteuid() == 0) GTEST_SKIP() << "root bypasses file permissions";
  const auto file = write("secret.csv", "1,2\n");
  std::filesystem::permissions(file, std::filesystem::perms::none);
  try {
    read_csv(file);
    FAIL() << "no data_error";
  } catch (const emkit::data_error& e) {
    EXPECT_EQ(std::string(e.what()), file.string() + ": cannot open file (Permission denied)");
  }
}

TEST_F(read_csv_test, directory_is_not_a_file) {
  try {
    read_csv(directory_);
    FAIL() << "no data_error";
  } catch (const emkit::data_error& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr(": cannot open file (Is a directory)"));
  }
}

TEST_F(read_csv_test, empty_file) {
  const auto file = write("empty.csv", "");
  try {
    read_csv(file);
    FAIL() << "no data_error";
  } catch (const emkit::data_error& e) {
    EXPECT_EQ(std::string(e.what()), file.string() + ": no data rows");
  }
}

}  // namespace
