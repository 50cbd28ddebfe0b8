// Reliability, part 4: malformed data files. Every malformed CSV or .npy input is a
// data_error whose message is one printable line starting with the file's name and, where
// it applies, naming the line and column (CSV) or the row, column and element (.npy). The
// fuzz targets (fuzz/) check the same contract on random input; these are the named cases of
// docs/reliability.md.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <emkit/framework/io/csv.hpp>
#include <emkit/framework/io/npy.hpp>

#include "reliability/message_of.hpp"

namespace {

using emkit::reliability::message_of;
using ::testing::HasSubstr;
using ::testing::StartsWith;

/// The message of the data_error that parsing `text` as CSV throws; it must be one line.
std::string csv_error(std::string_view text) {
  std::string m = message_of<emkit::data_error>([&] { (void)emkit::io::parse_csv(text, "data.csv"); });
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  return m;
}

TEST(BadFiles, CsvRaggedRowsNameTheLine) {
  EXPECT_EQ(csv_error("1,2\n3,4\n5\n"), "data.csv: line 3 has 1 column, expected 2 (as on line 1)");
  EXPECT_EQ(csv_error("a,b\n1,2,3\n"), "data.csv: line 2 has 3 columns, expected 2 (as on line 1)");
}

TEST(BadFiles, CsvTokensThatAreNotFiniteNumbersNameLineColumnAndToken) {
  EXPECT_EQ(csv_error("1,2\n3,abc\n"), "data.csv: line 2, column 2: 'abc' is not a number");
  EXPECT_EQ(csv_error("1,2\n3,4x\n"), "data.csv: line 2, column 2: '4x' is not a number");
  for (const char* bad : {"nan", "NaN", "inf", "-inf", "1e999", "-1e400000"}) {
    EXPECT_EQ(csv_error(std::string("1,2\n") + bad + ",4\n"),
              std::string("data.csv: line 2, column 1: '") + bad + "' is not a finite number");
  }
  EXPECT_EQ(csv_error("1,2\n3,\n"), "data.csv: line 2, column 2: empty value");
  // Binary garbage is shown as '?', never copied into the message.
  EXPECT_THAT(csv_error(std::string("1,2\n3,\x01\xff\x80z\n")), HasSubstr("'???z' is not a number"));
}

TEST(BadFiles, CsvWithoutDataRowsIsNamed) {
  EXPECT_EQ(csv_error(""), "data.csv: no data rows");
  EXPECT_EQ(csv_error("\n \n\t\n"), "data.csv: no data rows");
  EXPECT_EQ(csv_error("x,y\n"), "data.csv: no data rows");
}

TEST(BadFiles, CsvUnderflowIsZeroNotAnError) {
  const auto t = emkit::io::parse_csv("1e-400,-1e-400\n2,3\n", "data.csv");
  EXPECT_EQ(t.values(0, 0), 0.0);
  EXPECT_TRUE(std::signbit(t.values(0, 1)));
}

TEST(BadFiles, MissingFileOrDirectoryIsNamed) {
  EXPECT_THAT(message_of<emkit::data_error>([] { (void)emkit::io::read_csv("/nonexistent/emkit.csv"); }),
              StartsWith("/nonexistent/emkit.csv: cannot open file"));
  EXPECT_THAT(message_of<emkit::data_error>([] { (void)emkit::io::read_table("/"); }), HasSubstr("cannot open file"));
}

// ---- .npy ----------------------------------------------------------------------------------

/// A .npy file (version 1.0) with the given header dict and raw data bytes.
std::string npy(std::string_view dict, std::string_view data) {
  std::string header(dict);
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header + std::string(data);
}

std::string doubles(std::initializer_list<double> values) {
  std::string out;
  for (const double v : values) out.append(reinterpret_cast<const char*>(&v), sizeof v);
  return out;
}

std::string npy_error(std::string_view bytes) {
  std::string m = message_of<emkit::data_error>([&] { (void)emkit::io::parse_npy(bytes, "data.npy"); });
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  EXPECT_THAT(m, StartsWith("data.npy: "));
  return m;
}

TEST(BadFiles, NpyWithABadMagicVersionOrHeaderIsNamed) {
  EXPECT_THAT(npy_error(""), HasSubstr("empty file"));
  EXPECT_THAT(npy_error("PK\x03\x04 zip"), HasSubstr("bad magic"));
  EXPECT_THAT(npy_error(std::string("\x93NUM", 4)), HasSubstr("truncated header"));
  EXPECT_THAT(npy_error(std::string("\x93NUMPY\x07\x00", 8)), HasSubstr("unsupported .npy format version 7.0"));
  std::string truncated = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", doubles({1.0}));
  truncated.resize(30);
  EXPECT_THAT(npy_error(truncated), HasSubstr("truncated header"));
  EXPECT_THAT(npy_error(npy("{'descr': '<f8', 'shape': (1,), }", doubles({1.0}))), HasSubstr("fortran_order"));
}

TEST(BadFiles, NpyWithAnUnsupportedDtypeOrShapeIsNamed) {
  EXPECT_THAT(npy_error(npy("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", std::string(16, '\0'))),
              HasSubstr("unsupported dtype '<c16' (complex numbers)"));
  EXPECT_THAT(npy_error(npy("{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }", std::string(2, '\0'))),
              HasSubstr("float16"));
  EXPECT_THAT(npy_error(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1), }", doubles({1.0}))),
              HasSubstr("3-D arrays are not supported"));
  EXPECT_THAT(npy_error(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 2), }", "")),
              HasSubstr("no data rows"));
}

TEST(BadFiles, NpyDataOfTheWrongLengthOrAHugeShapeIsNamedWithoutAllocating) {
  EXPECT_THAT(npy_error(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", doubles({1.0, 2.0}))),
              HasSubstr("expected 3 values of 8 bytes (24 bytes) after the header, found 16 bytes"));
  // A shape whose byte count overflows 64 bits must be rejected before anything is allocated.
  EXPECT_THAT(npy_error(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", "")),
              HasSubstr("4294967296 * 4294967296"));
  EXPECT_THAT(npy_error(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,), }", "")),
              HasSubstr("too large"));
}

TEST(BadFiles, NpyNonFiniteValuesAreNamedByRowColumnAndElement) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THAT(
      npy_error(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", doubles({1.0, 2.0, nan, 4.0}))),
      HasSubstr("row 2, column 1 (element 3): value nan is not finite"));
  EXPECT_THAT(npy_error(npy("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }",
                            doubles({1.0, 2.0, -std::numeric_limits<double>::infinity(), 4.0}))),
              HasSubstr("row 1, column 2 (element 3): value -inf is not finite"));
}

}  // namespace
