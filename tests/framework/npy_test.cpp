/// \file
/// Tests of emkit::io::parse_npy, emkit::io::read_npy and emkit::io::read_table.
///
/// Test files are built here byte by byte following the .npy format description
/// (magic, version, header length, space-padded header dict, data), and a few
/// files written by NumPy itself are embedded below as string literals.

#include <emkit/framework/io/npy.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

#include <fcntl.h>
#include <unistd.h>

namespace {

using namespace std::string_view_literals;
using emkit::io::parse_npy;
using emkit::io::read_npy;
using emkit::io::read_table;
using emkit::io::table;
using ::testing::HasSubstr;

// ---------------------------------------------------------------------------
// Files written by NumPy: each literal is the whole file that np.save (or
// np.lib.format.write_array for versions 2.0 and 3.0) wrote for the array in
// the comment above it.

// Generated with numpy 1.24.2.
/// np.array([[1.5, -2.0], [0.1, 1e300], [3.0, -0.0]])
constexpr std::string_view numpy_float64_3x2_c =
    "\223NUMPY\001\000v\000{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }               "
    "                                           \n\000\000\000\000\000\000\370\?\000\000\000\000\000"
    "\000\000\300\232\231\231\231\231\231\271\?\234u\000\210<\3447~\000\000\000\000\000\000\010@\000"
    "\000\000\000\000\000\000\200"sv;

/// np.asfortranarray(np.array([[0.1, 2, 3], [4, 5, -6.5]], dtype=np.float32))
constexpr std::string_view numpy_float32_2x3_fortran =
    "\223NUMPY\001\000v\000{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }                "
    "                                           \n\315\314\314=\000\000\200@\000\000\000@\000\000\240"
    "@\000\000@@\000\000\320\300"sv;

/// np.array([-5, 0, 2147483647, -2147483648], dtype=np.int32)
constexpr std::string_view numpy_int32_1d =
    "\223NUMPY\001\000v\000{'descr': '<i4', 'fortran_order': False, 'shape': (4,), }                 "
    "                                           \n\373\377\377\377\000\000\000\000\377\377\377\177"
    "\000\000\000\200"sv;

/// np.array([[0, 255], [7, 128]], dtype=np.uint8)
constexpr std::string_view numpy_uint8_2x2 =
    "\223NUMPY\001\000v\000{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }               "
    "                                           \n\000\377\007\200"sv;

/// np.array([1.0, -2.5, 3.25], dtype='>f8')
constexpr std::string_view numpy_big_endian_float64_1d =
    "\223NUMPY\001\000v\000{'descr': '>f8', 'fortran_order': False, 'shape': (3,), }                 "
    "                                           \n\?\360\000\000\000\000\000\000\300\004\000\000\000"
    "\000\000\000@\n\000\000\000\000\000\000"sv;

/// np.array([[True, False], [False, True], [True, True]])
constexpr std::string_view numpy_bool_3x2 =
    "\223NUMPY\001\000v\000{'descr': '|b1', 'fortran_order': False, 'shape': (3, 2), }               "
    "                                           \n\001\000\000\001\001\001"sv;

/// np.array([2**53 + 1, -2**63, 2**63 - 1], dtype=np.int64)
constexpr std::string_view numpy_int64_1d =
    "\223NUMPY\001\000v\000{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }                 "
    "                                           \n\001\000\000\000\000\000 \000\000\000\000\000\000"
    "\000\000\200\377\377\377\377\377\377\377\177"sv;

/// np.asfortranarray(np.array([[1, -2], [300, -32768]], dtype='>i2'))
constexpr std::string_view numpy_big_endian_int16_2x2_fortran =
    "\223NUMPY\001\000v\000{'descr': '>i2', 'fortran_order': True, 'shape': (2, 2), }                "
    "                                           \n\000\001\001,\377\376\200\000"sv;

/// np.array([0, 2**64 - 1], dtype=np.uint64)
constexpr std::string_view numpy_uint64_1d =
    "\223NUMPY\001\000v\000{'descr': '<u8', 'fortran_order': False, 'shape': (2,), }                 "
    "                                           \n\000\000\000\000\000\000\000\000\377\377\377\377"
    "\377\377\377\377"sv;

/// np.array([[-128, 127]], dtype=np.int8)
constexpr std::string_view numpy_int8_1x2 =
    "\223NUMPY\001\000v\000{'descr': '|i1', 'fortran_order': False, 'shape': (1, 2), }               "
    "                                           \n\200\177"sv;

/// format.write_array(f, np.array([[1.0, 2.0], [3.0, 4.0]]), version=(2, 0))
constexpr std::string_view numpy_version_2_float64_2x2 =
    "\223NUMPY\002\000t\000\000\000{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }       "
    "                                                 \n\000\000\000\000\000\000\360\?\000\000\000"
    "\000\000\000\000@\000\000\000\000\000\000\010@\000\000\000\000\000\000\020@"sv;

/// format.write_array(f, np.array([0.5, 1.5], dtype=np.float32), version=(3, 0))
constexpr std::string_view numpy_version_3_float32_1d =
    "\223NUMPY\003\000t\000\000\000{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }         "
    "                                                 \n\000\000\000\?\000\000\300\?"sv;

/// a = np.arange(12.0).reshape(4, 3); a[2, 1] = np.nan
constexpr std::string_view numpy_nan_4x3 =
    "\223NUMPY\001\000v\000{'descr': '<f8', 'fortran_order': False, 'shape': (4, 3), }               "
    "                                           \n\000\000\000\000\000\000\000\000\000\000\000\000"
    "\000\000\360\?\000\000\000\000\000\000\000@\000\000\000\000\000\000\010@\000\000\000\000\000\000"
    "\020@\000\000\000\000\000\000\024@\000\000\000\000\000\000\030@\000\000\000\000\000\000\370\177"
    "\000\000\000\000\000\000 @\000\000\000\000\000\000\"@\000\000\000\000\000\000$@\000\000\000\000"
    "\000\000&@"sv;

/// np.asfortranarray(np.array([[1.0, 2.0], [3.0, -np.inf]]))
constexpr std::string_view numpy_inf_fortran =
    "\223NUMPY\001\000v\000{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }                "
    "                                           \n\000\000\000\000\000\000\360\?\000\000\000\000\000"
    "\000\010@\000\000\000\000\000\000\000@\000\000\000\000\000\000\360\377"sv;

/// np.float64(3.0)
constexpr std::string_view numpy_scalar =
    "\223NUMPY\001\000v\000{'descr': '<f8', 'fortran_order': False, 'shape': (), }                   "
    "                                           \n\000\000\000\000\000\000\010@"sv;

/// np.zeros((2, 1, 2))
constexpr std::string_view numpy_three_d =
    "\223NUMPY\001\000v\000{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1, 2), }            "
    "                                           \n\000\000\000\000\000\000\000\000\000\000\000\000"
    "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"sv;

/// np.array([1 + 2j])
constexpr std::string_view numpy_complex128 =
    "\223NUMPY\001\000v\000{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }                "
    "                                           \n\000\000\000\000\000\000\360\?\000\000\000\000\000"
    "\000\000@"sv;

/// np.array([1.0], dtype=np.float16)
constexpr std::string_view numpy_float16 =
    "\223NUMPY\001\000v\000{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }                 "
    "                                           \n\000<"sv;

/// np.array(['ab', 'c'])
constexpr std::string_view numpy_unicode =
    "\223NUMPY\001\000v\000{'descr': '<U2', 'fortran_order': False, 'shape': (2,), }                 "
    "                                           \na\000\000\000b\000\000\000c\000\000\000\000\000\000"
    "\000"sv;

/// np.array([1, 'a'], dtype=object)  # allow_pickle=True
constexpr std::string_view numpy_object =
    "\223NUMPY\001\000v\000{'descr': '|O', 'fortran_order': False, 'shape': (2,), }                  "
    "                                           \n\200\003cnumpy.core.multiarray\n_reconstruct\nq\000"
    "cnumpy\nndarray\nq\001K\000\205q\002C\001bq\003\207q\004Rq\005(K\001K\002\205q\006cnumpy\ndtype"
    "\nq\007X\002\000\000\000O8q\010\211\210\207q\011Rq\n(K\003X\001\000\000\000|q\013NNNJ\377\377"
    "\377\377J\377\377\377\377K\?tq\014b\211]q\015(K\001X\001\000\000\000aq\016etq\017b."sv;

/// np.array([(1.0, 2)], dtype=[('x', '<f8'), ('y', '<i4')])
constexpr std::string_view numpy_structured =
    "\223NUMPY\001\000v\000{'descr': [('x', '<f8'), ('y', '<i4')], 'fortran_order': False, 'shape': ("
    "1,), }                                     \n\000\000\000\000\000\000\360\?\002\000\000\000"sv;

/// np.zeros((0, 2))
constexpr std::string_view numpy_empty_0x2 =
    "\223NUMPY\001\000v\000{'descr': '<f8', 'fortran_order': False, 'shape': (0, 2), }               "
    "                                           \n"sv;

// ---------------------------------------------------------------------------
// Files built by hand.

/// The bytes of a .npy file of format version `major`.`minor` whose header dict
/// is `dict`, followed by `data`. As NumPy does, the dict is padded with spaces
/// and ended by '\n' so that the data starts at a multiple of 64 bytes; with
/// `pad` false the header is `dict` alone.
std::string npy_file(std::string_view dict, std::string_view data, int major = 1, int minor = 0, bool pad = true) {
  std::string header(dict);
  const std::size_t prefix = major == 1 ? 10 : 12;
  if (pad) {
    while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
  }
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += static_cast<char>(minor);
  for (std::size_t i = 0; i < prefix - 8; ++i) out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + std::string(data);
}

/// The header dict NumPy writes for `descr`, `fortran_order` and `shape`.
std::string dict(std::string_view descr, bool fortran_order, std::string_view shape) {
  return "{'descr': '" + std::string(descr) + "', 'fortran_order': " + (fortran_order ? "True" : "False") +
         ", 'shape': " + std::string(shape) + ", }";
}

/// The bytes of `values` stored as `T`, least significant byte first unless `big`.
template <class T>
std::string stored(std::initializer_list<T> values, bool big = false) {
  using bits = std::conditional_t<sizeof(T) == 1, std::uint8_t,
                                  std::conditional_t<sizeof(T) == 2, std::uint16_t,
                                                     std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>>;
  std::string out;
  for (const T value : values) {
    const auto u = std::bit_cast<bits>(value);
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      const std::size_t shift = 8 * (big ? sizeof(T) - 1 - i : i);
      out += static_cast<char>((u >> shift) & 0xff);
    }
  }
  return out;
}

/// The message of the `data_error` that parsing `bytes` throws (fails the test if none).
std::string parse_error(std::string_view bytes) {
  try {
    parse_npy(bytes, "data.npy");
  } catch (const emkit::data_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no data_error";
  return {};
}

/// The message for a file with header dict `dict_text` and no data.
std::string header_error(std::string_view dict_text) { return parse_error(npy_file(dict_text, "")); }

/// `values` as a row-major `rows` × `cols` matrix.
Eigen::MatrixXd matrix(Eigen::Index rows, Eigen::Index cols, std::initializer_list<double> values) {
  Eigen::MatrixXd m(rows, cols);
  auto it = values.begin();
  for (Eigen::Index r = 0; r < rows; ++r) {
    for (Eigen::Index c = 0; c < cols; ++c) m(r, c) = *it++;
  }
  return m;
}

// ---------------------------------------------------------------------------
// Files written by NumPy.

TEST(parse_npy_numpy, float64_c_order) {
  const table t = parse_npy(numpy_float64_3x2_c, "data.npy");
  EXPECT_TRUE(t.header.empty());
  EXPECT_EQ(t.values, matrix(3, 2, {1.5, -2.0, 0.1, 1e300, 3.0, -0.0}));
  EXPECT_TRUE(std::signbit(t.values(2, 1)));
}

TEST(parse_npy_numpy, float32_fortran_order) {
  const table t = parse_npy(numpy_float32_2x3_fortran, "data.npy");
  EXPECT_EQ(t.values, matrix(2, 3, {static_cast<double>(0.1F), 2, 3, 4, 5, -6.5}));
}

TEST(parse_npy_numpy, int32_1d_is_one_column) {
  const table t = parse_npy(numpy_int32_1d, "data.npy");
  EXPECT_EQ(t.values, matrix(4, 1, {-5, 0, 2147483647, -2147483648.0}));
}

TEST(parse_npy_numpy, uint8_and_int8) {
  EXPECT_EQ(parse_npy(numpy_uint8_2x2, "data.npy").values, matrix(2, 2, {0, 255, 7, 128}));
  EXPECT_EQ(parse_npy(numpy_int8_1x2, "data.npy").values, matrix(1, 2, {-128, 127}));
}

TEST(parse_npy_numpy, big_endian) {
  EXPECT_EQ(parse_npy(numpy_big_endian_float64_1d, "data.npy").values, matrix(3, 1, {1.0, -2.5, 3.25}));
  EXPECT_EQ(parse_npy(numpy_big_endian_int16_2x2_fortran, "data.npy").values, matrix(2, 2, {1, -2, 300, -32768}));
}

TEST(parse_npy_numpy, bool_is_zero_or_one) {
  EXPECT_EQ(parse_npy(numpy_bool_3x2, "data.npy").values, matrix(3, 2, {1, 0, 0, 1, 1, 1}));
}

TEST(parse_npy_numpy, int64_and_uint64_round_beyond_2_to_the_53) {
  const table t = parse_npy(numpy_int64_1d, "data.npy");
  EXPECT_EQ(t.values, matrix(3, 1, {9007199254740992.0, -9223372036854775808.0, 9223372036854775808.0}));
  EXPECT_EQ(parse_npy(numpy_uint64_1d, "data.npy").values, matrix(2, 1, {0, 18446744073709551616.0}));
}

TEST(parse_npy_numpy, versions_2_and_3) {
  EXPECT_EQ(parse_npy(numpy_version_2_float64_2x2, "data.npy").values, matrix(2, 2, {1, 2, 3, 4}));
  EXPECT_EQ(parse_npy(numpy_version_3_float32_1d, "data.npy").values, matrix(2, 1, {0.5, 1.5}));
}

TEST(parse_npy_numpy, errors) {
  const auto error = [](std::string_view bytes) { return parse_error(bytes); };
  EXPECT_EQ(error(numpy_nan_4x3), "data.npy: row 3, column 2 (element 8): value nan is not finite");
  EXPECT_EQ(error(numpy_inf_fortran), "data.npy: row 2, column 2 (element 4): value -inf is not finite");
  EXPECT_EQ(error(numpy_scalar), "data.npy: 0-d arrays are not supported (shape ()); expected a 1-D or 2-D array");
  EXPECT_EQ(error(numpy_three_d),
            "data.npy: 3-D arrays are not supported (shape (2, 1, 2)); expected a 1-D or 2-D array");
  EXPECT_EQ(error(numpy_complex128),
            "data.npy: unsupported dtype '<c16' (complex numbers); "
            "expected float64, float32, int8/16/32/64, uint8/16/32/64 or bool");
  EXPECT_THAT(error(numpy_float16), HasSubstr("data.npy: unsupported dtype '<f2' (float16); expected float64"));
  EXPECT_THAT(error(numpy_unicode), HasSubstr("data.npy: unsupported dtype '<U2' (strings); expected"));
  EXPECT_THAT(error(numpy_object), HasSubstr("data.npy: unsupported dtype '|O' (Python objects); expected"));
  EXPECT_THAT(error(numpy_structured),
              HasSubstr("data.npy: unsupported dtype (a structured array with named fields); expected"));
  EXPECT_EQ(error(numpy_empty_0x2), "data.npy: no data rows (shape (0, 2))");
}

// ---------------------------------------------------------------------------
// Layouts and dtypes.

TEST(parse_npy, c_and_fortran_order) {
  const std::string c_order = stored<double>({1, 2, 3, 4, 5, 6});
  EXPECT_EQ(parse_npy(npy_file(dict("<f8", false, "(2, 3)"), c_order), "data.npy").values,
            matrix(2, 3, {1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(parse_npy(npy_file(dict("<f8", true, "(2, 3)"), c_order), "data.npy").values,
            matrix(2, 3, {1, 3, 5, 2, 4, 6}));
  EXPECT_EQ(parse_npy(npy_file(dict("<f8", false, "(3, 2)"), c_order), "data.npy").values,
            matrix(3, 2, {1, 2, 3, 4, 5, 6}));
}

TEST(parse_npy, one_d_and_single_column_shapes) {
  const std::string data = stored<double>({1, 2, 3});
  for (const bool fortran : {false, true}) {
    EXPECT_EQ(parse_npy(npy_file(dict("<f8", fortran, "(3,)"), data), "data.npy").values, matrix(3, 1, {1, 2, 3}));
    EXPECT_EQ(parse_npy(npy_file(dict("<f8", fortran, "(3, 1)"), data), "data.npy").values, matrix(3, 1, {1, 2, 3}));
    EXPECT_EQ(parse_npy(npy_file(dict("<f8", fortran, "(1, 3)"), data), "data.npy").values, matrix(1, 3, {1, 2, 3}));
  }
}

TEST(parse_npy, every_integer_type_in_both_byte_orders) {
  const auto read = [](std::string_view descr, const std::string& data, std::string_view shape = "(2,)") {
    return parse_npy(npy_file(dict(descr, false, shape), data), "data.npy").values;
  };
  for (const bool big : {false, true}) {
    const std::string o = big ? ">" : "<";
    EXPECT_EQ(read(o + "i1", stored<std::int8_t>({-128, 127}, big)), matrix(2, 1, {-128, 127}));
    EXPECT_EQ(read(o + "i2", stored<std::int16_t>({-32768, 32767}, big)), matrix(2, 1, {-32768, 32767}));
    EXPECT_EQ(read(o + "i4", stored<std::int32_t>({-2147483647 - 1, 2147483647}, big)),
              matrix(2, 1, {-2147483648.0, 2147483647}));
    EXPECT_EQ(read(o + "i8", stored<std::int64_t>({-(std::int64_t{1} << 53), (std::int64_t{1} << 53) - 1}, big)),
              matrix(2, 1, {-9007199254740992.0, 9007199254740991.0}));
    EXPECT_EQ(read(o + "u1", stored<std::uint8_t>({0, 255}, big)), matrix(2, 1, {0, 255}));
    EXPECT_EQ(read(o + "u2", stored<std::uint16_t>({1, 65535}, big)), matrix(2, 1, {1, 65535}));
    EXPECT_EQ(read(o + "u4", stored<std::uint32_t>({2, 4294967295U}, big)), matrix(2, 1, {2, 4294967295.0}));
    EXPECT_EQ(read(o + "u8", stored<std::uint64_t>({3, std::uint64_t{1} << 60}, big)),
              matrix(2, 1, {3, 1152921504606846976.0}));
    EXPECT_EQ(read(o + "f4", stored<float>({0.1F, -3.5F}, big)), matrix(2, 1, {static_cast<double>(0.1F), -3.5}));
    EXPECT_EQ(read(o + "f8", stored<double>({0.1, -4.9406564584124654e-324}, big)),
              matrix(2, 1, {0.1, -4.9406564584124654e-324}));
    EXPECT_EQ(read(o + "i2", stored<std::int16_t>({1, 2, 3, 4}, big), "(2, 2)"), matrix(2, 2, {1, 2, 3, 4}));
  }
  EXPECT_EQ(read("|i1", stored<std::int8_t>({-1, 1})), matrix(2, 1, {-1, 1}));
  EXPECT_EQ(read("|u1", stored<std::uint8_t>({200, 1})), matrix(2, 1, {200, 1}));
  // '=' is this machine's byte order; no prefix means the same to NumPy.
  EXPECT_EQ(
      read("=f8", std::string(reinterpret_cast<const char*>(std::initializer_list<double>{1.5, 2.5}.begin()), 16)),
      matrix(2, 1, {1.5, 2.5}));
  EXPECT_EQ(
      read("i2", std::string(reinterpret_cast<const char*>(std::initializer_list<std::int16_t>{-7, 9}.begin()), 4)),
      matrix(2, 1, {-7, 9}));
}

TEST(parse_npy, bool_bytes_other_than_zero_are_one) {
  EXPECT_EQ(parse_npy(npy_file(dict("|b1", false, "(4,)"), "\x00\x01\x02\xff"sv), "data.npy").values,
            matrix(4, 1, {0, 1, 1, 1}));
}

TEST(parse_npy, hand_built_versions_2_and_3) {
  for (const int major : {2, 3}) {
    const table t = parse_npy(npy_file(dict("<f8", false, "(1, 2)"), stored<double>({7, 8}), major), "data.npy");
    EXPECT_EQ(t.values, matrix(1, 2, {7, 8}));
  }
  // A header longer than a uint16 can count needs version 2.0.
  const std::string long_dict =
      "{'descr': '<f8', 'fortran_order': False, 'shape': (1,)," + std::string(70000, ' ') + "}";
  EXPECT_EQ(parse_npy(npy_file(long_dict, stored<double>({5}), 2), "data.npy").values, matrix(1, 1, {5}));
}

TEST(parse_npy, header_dict_variations) {
  const std::string data = stored<double>({1, 2});
  const auto read = [&](std::string_view dict_text, bool pad = true) {
    return parse_npy(npy_file(dict_text, data, 1, 0, pad), "data.npy").values;
  };
  const Eigen::MatrixXd column = matrix(2, 1, {1, 2});
  const Eigen::MatrixXd row = matrix(1, 2, {1, 2});
  EXPECT_EQ(read("{'shape': (2,), 'fortran_order': False, 'descr': '<f8'}"), column);
  EXPECT_EQ(read("{\"descr\":\"<f8\",\"fortran_order\":True,\"shape\":(1,2)}"), row);
  EXPECT_EQ(read(" \t{ 'descr' : '<f8' ,\n'fortran_order' : False , 'shape' : ( 1 , 2 , ) , } \n"), row);
  EXPECT_EQ(read("{'descr': '<f8', 'fortran_order': False, 'shape': (2L,), }"), column);  // Python 2
  EXPECT_EQ(read("{'descr': '<f8', 'fortran_order': False, 'shape': (1L, 2L)}"), row);
  // Neither the 64-byte padding nor the final newline is required.
  EXPECT_EQ(read("{'descr': '<f8', 'fortran_order': False, 'shape': (2,)}", false), column);
  EXPECT_EQ(read("{'descr': '<f8', 'fortran_order': False, 'shape': (2,)}        \n", false), column);
}

// ---------------------------------------------------------------------------
// Errors.

TEST(parse_npy, error_bad_magic) {
  EXPECT_EQ(parse_error("x,y\n1,2\n"), "data.npy: bad magic: not a .npy file (it does not start with \"\\x93NUMPY\")");
  EXPECT_EQ(parse_error("\x93NUMPx\x01\x00"),
            "data.npy: bad magic: not a .npy file (it does not start with \"\\x93NUMPY\")");
  EXPECT_EQ(parse_error("\x93NUMPY!"sv.substr(0, 3)), "data.npy: truncated header: the file has only 3 bytes");
  EXPECT_EQ(parse_error(""), "data.npy: empty file, expected a .npy file");
}

TEST(parse_npy, error_unsupported_version) {
  const auto version_error = [](int major, int minor) {
    return parse_error(npy_file(dict("<f8", false, "(1,)"), stored<double>({1}), major, minor));
  };
  EXPECT_EQ(version_error(4, 0), "data.npy: unsupported .npy format version 4.0 (expected 1.0, 2.0 or 3.0)");
  EXPECT_EQ(version_error(1, 1), "data.npy: unsupported .npy format version 1.1 (expected 1.0, 2.0 or 3.0)");
  EXPECT_EQ(version_error(0, 0), "data.npy: unsupported .npy format version 0.0 (expected 1.0, 2.0 or 3.0)");
}

TEST(parse_npy, error_truncated_header) {
  const std::string file = npy_file(dict("<f8", false, "(2,)"), stored<double>({1, 2}));
  EXPECT_EQ(parse_error(file.substr(0, 7)), "data.npy: truncated header: the file has only 7 bytes");
  EXPECT_EQ(parse_error(file.substr(0, 9)), "data.npy: truncated header: the file has only 9 bytes");
  EXPECT_EQ(parse_error(file.substr(0, 60)), "data.npy: truncated header: expected 118 header bytes, found 50");
  const std::string v2 = npy_file(dict("<f8", false, "(2,)"), stored<double>({1, 2}), 2);
  EXPECT_EQ(parse_error(v2.substr(0, 11)), "data.npy: truncated header: the file has only 11 bytes");
  EXPECT_EQ(parse_error(v2.substr(0, 12)), "data.npy: truncated header: expected 116 header bytes, found 0");
}

TEST(parse_npy, error_malformed_header_dict) {
  const std::string prefix = "data.npy: malformed header: ";
  EXPECT_EQ(header_error(""), prefix + "expected '{' at the start of the header dict, found the end of the header");
  EXPECT_EQ(header_error("descr: '<f8'"),
            prefix + "expected '{' at the start of the header dict, found 'descr: '<f8''");
  EXPECT_EQ(header_error("{descr: '<f8'}"), prefix + "expected a quoted key or '}', found 'descr: '<f8'}'");
  EXPECT_EQ(header_error("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'extra': 1}"),
            prefix + "unexpected key 'extra' (expected 'descr', 'fortran_order' and 'shape')");
  EXPECT_EQ(header_error("{'descr': '<f8', 'descr': '<f8'}"), prefix + "key 'descr' appears twice");
  EXPECT_EQ(header_error("{'descr' '<f8'}"), prefix + "expected ':' after key 'descr', found ''<f8'}'");
  EXPECT_EQ(header_error("{'descr': '<f8' 'shape': (1,)}"),
            prefix + "expected ',' or '}' after the value of key 'descr', found ''shape': (1,)}'");
  EXPECT_EQ(header_error("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)} x"),
            prefix + "unexpected text after the header dict: 'x'");
  EXPECT_EQ(header_error("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)"),
            prefix + "expected ',' or '}' after the value of key 'shape', found the end of the header");
  EXPECT_EQ(header_error("{'descr': '<f8', 'fortran_order': False,"),
            prefix + "expected a quoted key or '}', found the end of the header");
  EXPECT_EQ(header_error("{'descr: '<f8'}"),
            prefix + "unexpected key 'descr: ' (expected 'descr', 'fortran_order' and 'shape')");
  EXPECT_EQ(header_error("{'descr\\': '<f8'}"), prefix + "expected a quoted key or '}', found ''descr\\': '<f8'}'");
  EXPECT_EQ(header_error("{'descr"), prefix + "expected a quoted key or '}', found ''descr'");

  // Missing keys, each named.
  EXPECT_EQ(header_error("{'fortran_order': False, 'shape': (1,)}"), prefix + "missing key 'descr'");
  EXPECT_EQ(header_error("{'descr': '<f8', 'shape': (1,)}"), prefix + "missing key 'fortran_order'");
  EXPECT_EQ(header_error("{'descr': '<f8', 'fortran_order': False}"), prefix + "missing key 'shape'");
  EXPECT_EQ(header_error("{}"), prefix + "missing key 'descr'");

  // Bad values, each naming its key.
  EXPECT_EQ(header_error("{'descr': f8, 'fortran_order': False, 'shape': (1,)}"),
            prefix +
                "key 'descr': expected a quoted dtype string such as '<f8', found 'f8, 'fortran_order': False, "
                "'shape': (1,...'");
  for (const std::string_view value : {"false", "0", "Trueish", "'True'"}) {
    EXPECT_THAT(header_error("{'descr': '<f8', 'fortran_order': " + std::string(value) + ", 'shape': (1,)}"),
                HasSubstr(prefix + "key 'fortran_order': expected True or False, found '" + std::string(value)));
  }
  const std::string shape_message =
      prefix + "key 'shape': expected a tuple of non-negative integers such as (272,) or (272, 2), found '";
  for (const std::string_view value :
       {"[2, 1]", "(2)", "(-2,)", "(2, 1.5)", "(2 1)", "(2,,)", "(,)", "(2, x)", "2", "(0x10,)", "(2, 1"}) {
    EXPECT_EQ(header_error("{'descr': '<f8', 'fortran_order': False, 'shape': " + std::string(value) + "}"),
              shape_message + std::string(value) + "}'")
        << value;
  }
  EXPECT_EQ(header_error("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999, 1)}"),
            prefix + "key 'shape': dimension 99999999999999999999999 is too large");
}

TEST(parse_npy, error_unsupported_dtype) {
  const auto dtype_error = [](std::string_view descr) { return header_error(dict(descr, false, "(1,)")); };
  const std::string tail = "; expected float64, float32, int8/16/32/64, uint8/16/32/64 or bool";
  EXPECT_EQ(dtype_error("<c16"), "data.npy: unsupported dtype '<c16' (complex numbers)" + tail);
  EXPECT_EQ(dtype_error("<c8"), "data.npy: unsupported dtype '<c8' (complex numbers)" + tail);
  EXPECT_EQ(dtype_error("|O"), "data.npy: unsupported dtype '|O' (Python objects)" + tail);
  EXPECT_EQ(dtype_error("|S5"), "data.npy: unsupported dtype '|S5' (strings)" + tail);
  EXPECT_EQ(dtype_error("<U3"), "data.npy: unsupported dtype '<U3' (strings)" + tail);
  EXPECT_EQ(dtype_error("|V8"), "data.npy: unsupported dtype '|V8' (raw bytes)" + tail);
  EXPECT_EQ(dtype_error("<M8[ns]"), "data.npy: unsupported dtype '<M8[ns]' (dates or time spans)" + tail);
  EXPECT_EQ(dtype_error("<m8[s]"), "data.npy: unsupported dtype '<m8[s]' (dates or time spans)" + tail);
  EXPECT_EQ(dtype_error("<f2"), "data.npy: unsupported dtype '<f2' (float16)" + tail);
  EXPECT_EQ(dtype_error("<f16"), "data.npy: unsupported dtype '<f16' (float128)" + tail);
  EXPECT_EQ(dtype_error("|f8"), "data.npy: unsupported dtype '|f8' (byte order '|' is only for 1-byte types)" + tail);
  EXPECT_EQ(dtype_error("|b2"), "data.npy: unsupported dtype '|b2'" + tail);
  for (const std::string_view descr : {"<i3", "<i16", "<f8x", "float64", "<", "", "x", "<u99999"}) {
    EXPECT_EQ(dtype_error(descr), "data.npy: unsupported dtype '" + std::string(descr) + "'" + tail);
  }
  EXPECT_EQ(header_error("{'descr': [('x', '<f8')], 'fortran_order': False, 'shape': (1,)}"),
            "data.npy: unsupported dtype (a structured array with named fields)" + tail);
}

TEST(parse_npy, error_dimensions) {
  EXPECT_EQ(header_error(dict("<f8", false, "()")),
            "data.npy: 0-d arrays are not supported (shape ()); expected a 1-D or 2-D array");
  EXPECT_EQ(header_error(dict("<f8", false, "( )")),
            "data.npy: 0-d arrays are not supported (shape ()); expected a 1-D or 2-D array");
  EXPECT_EQ(header_error(dict("<f8", false, "(1, 1, 1)")),
            "data.npy: 3-D arrays are not supported (shape (1, 1, 1)); expected a 1-D or 2-D array");
  EXPECT_EQ(header_error(dict("<f8", true, "(2,3,4,5,)")),
            "data.npy: 4-D arrays are not supported (shape (2, 3, 4, 5)); expected a 1-D or 2-D array");
}

TEST(parse_npy, error_data_size) {
  const std::string header = dict("<f8", false, "(272, 2)");
  EXPECT_EQ(parse_error(npy_file(header, std::string(4000, '\0'))),
            "data.npy: expected 544 values of 8 bytes (4352 bytes) after the header, found 4000 bytes");
  EXPECT_EQ(parse_error(npy_file(header, std::string(4353, '\0'))),
            "data.npy: expected 544 values of 8 bytes (4352 bytes) after the header, found 4353 bytes");
  EXPECT_EQ(parse_error(npy_file(header, "")),
            "data.npy: expected 544 values of 8 bytes (4352 bytes) after the header, found 0 bytes");
  EXPECT_EQ(parse_error(npy_file(dict("|u1", false, "(3,)"), "ab")),
            "data.npy: expected 3 values of 1 byte (3 bytes) after the header, found 2 bytes");
  EXPECT_EQ(parse_error(npy_file(dict("<f4", true, "(2, 1)"), stored<float>({1, 2, 3}))),
            "data.npy: expected 2 values of 4 bytes (8 bytes) after the header, found 12 bytes");
  EXPECT_EQ(parse_error(npy_file(dict("<f8", false, "(4294967296, 4294967296)"), "")),
            "data.npy: expected 4294967296 * 4294967296 values of 8 bytes after the header, found 0 bytes");
  EXPECT_EQ(parse_error(npy_file(dict("<f8", false, "(4294967296, 536870912)"), "")),
            "data.npy: expected 2305843009213693952 values of 8 bytes after the header, found 0 bytes");
}

TEST(parse_npy, error_empty_array) {
  EXPECT_EQ(header_error(dict("<f8", false, "(0,)")), "data.npy: no data rows (shape (0,))");
  EXPECT_EQ(header_error(dict("<f8", false, "(0, 3)")), "data.npy: no data rows (shape (0, 3))");
  EXPECT_EQ(header_error(dict("<f8", true, "(5, 0)")), "data.npy: no columns (shape (5, 0))");
}

TEST(parse_npy, error_not_finite) {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  constexpr double inf = std::numeric_limits<double>::infinity();
  // Row 5, column 2 of a 272×2 array is the 10th value stored in C order.
  std::string c_order(272 * 2 * 8, '\0');
  const std::string bad = stored<double>({nan});
  c_order.replace(9 * 8, 8, bad);
  EXPECT_EQ(parse_error(npy_file(dict("<f8", false, "(272, 2)"), c_order)),
            "data.npy: row 5, column 2 (element 10): value nan is not finite");
  // In Fortran order the same bytes are row 10, column 1.
  EXPECT_EQ(parse_error(npy_file(dict("<f8", true, "(272, 2)"), c_order)),
            "data.npy: row 10, column 1 (element 10): value nan is not finite");
  // Row 5, column 2 in Fortran order is the (272 + 5)th value.
  std::string fortran(272 * 2 * 8, '\0');
  fortran.replace((272 + 4) * 8, 8, stored<double>({-nan}));
  EXPECT_EQ(parse_error(npy_file(dict("<f8", true, "(272, 2)"), fortran)),
            "data.npy: row 5, column 2 (element 277): value nan is not finite");
  EXPECT_EQ(parse_error(npy_file(dict(">f8", false, "(3,)"), stored<double>({1, 2, inf}, true))),
            "data.npy: row 3, column 1 (element 3): value inf is not finite");
  EXPECT_EQ(
      parse_error(npy_file(dict("<f4", false, "(1, 2)"), stored<float>({-std::numeric_limits<float>::infinity(), 1}))),
      "data.npy: row 1, column 1 (element 1): value -inf is not finite");
  EXPECT_EQ(parse_error(npy_file(dict(">f4", true, "(2, 2)"),
                                 stored<float>({1, 2, 3, std::numeric_limits<float>::quiet_NaN()}, true))),
            "data.npy: row 2, column 2 (element 4): value nan is not finite");
}

TEST(parse_npy, messages_are_one_printable_line) {
  try {
    parse_npy(npy_file("{'descr': \x1b\n}     ", "", 1, 0, false), "bad\nname\x1b.npy");
    FAIL() << "no data_error";
  } catch (const emkit::data_error& e) {
    const std::string message = e.what();
    EXPECT_EQ(
        message,
        "bad?name?.npy: malformed header: key 'descr': expected a quoted dtype string such as '<f8', found '??}'");
  }
  const std::string long_key = header_error("{'" + std::string(100, 'k') + "': 1}");
  EXPECT_THAT(long_key, HasSubstr("unexpected key '" + std::string(40, 'k') + "...'"));
  EXPECT_EQ(long_key.find(std::string(41, 'k')), std::string::npos);
  for (const std::string& message :
       {long_key, header_error("{'descr': '\xc3\xa9\x01', 'fortran_order': False, 'shape': (1,)}")}) {
    for (const char c : message) {
      EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "character code " << static_cast<int>(static_cast<unsigned char>(c));
    }
  }
}

TEST(parse_npy, error_type_is_data_error) {
  EXPECT_THROW(parse_npy("abc", "data.npy"), emkit::data_error);
  EXPECT_THROW(parse_npy(numpy_complex128, "data.npy"), emkit::data_error);
}

// ---------------------------------------------------------------------------
// Files.

/// A directory of its own for each test, removed afterwards.
class read_npy_test : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    directory_ = std::filesystem::temp_directory_path() / ("emkit_npy_test_" + std::to_string(::getpid()) + "_" +
                                                           info->name() + "_" + std::to_string(counter++));
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }
  std::filesystem::path write(const std::string& name, std::string_view contents) const {
    const std::filesystem::path file = directory_ / name;
    std::ofstream(file, std::ios::binary).write(contents.data(), static_cast<std::streamsize>(contents.size()));
    return file;
  }
  /// Runs `f` with standard input reading `file`, then restores standard input.
  template <class F>
  static void with_stdin(const std::filesystem::path& file, const F& f) {
    const int saved = ::dup(0);
    ASSERT_GE(saved, 0);
    const int fd = ::open(file.c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::dup2(fd, 0), 0);
    ::close(fd);
    std::clearerr(stdin);
    f();
    ::dup2(saved, 0);
    ::close(saved);
    std::clearerr(stdin);
  }
  std::filesystem::path directory_;
};

TEST_F(read_npy_test, reads_a_file) {
  const table t = read_npy(write("data.npy", numpy_float64_3x2_c));
  EXPECT_EQ(t.values, matrix(3, 2, {1.5, -2.0, 0.1, 1e300, 3.0, -0.0}));
  EXPECT_TRUE(t.header.empty());
}

TEST_F(read_npy_test, reads_a_large_file) {
  std::string data;
  for (int i = 0; i < 100000; ++i) data += stored<double>({i + 0.25, -i * 1.0, 1e-3});
  const table t = read_npy(write("big.npy", npy_file(dict("<f8", false, "(100000, 3)"), data)));
  ASSERT_EQ(t.values.rows(), 100000);
  ASSERT_EQ(t.values.cols(), 3);
  EXPECT_EQ(t.values(99999, 0), 99999.25);
  EXPECT_EQ(t.values(99999, 1), -99999.0);
  EXPECT_EQ(t.values(500, 2), 1e-3);
}

TEST_F(read_npy_test, reads_standard_input) {
  const auto file = write("data.npy", numpy_int32_1d);
  with_stdin(file, [] { EXPECT_EQ(read_npy("-").values, matrix(4, 1, {-5, 0, 2147483647, -2147483648.0})); });
  const auto bad = write("bad.npy", numpy_nan_4x3);
  with_stdin(bad, [] {
    try {
      read_npy("-");
      FAIL() << "no data_error";
    } catch (const emkit::data_error& e) {
      EXPECT_EQ(std::string(e.what()), "<stdin>: row 3, column 2 (element 8): value nan is not finite");
    }
  });
}

TEST_F(read_npy_test, errors_name_the_file) {
  const auto file = write("bad.npy", numpy_complex128);
  try {
    read_npy(file);
    FAIL() << "no data_error";
  } catch (const emkit::data_error& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr(file.string() + ": unsupported dtype '<c16'"));
  }
}

TEST_F(read_npy_test, missing_file) {
  const auto file = directory_ / "missing.npy";
  try {
    read_npy(file);
    FAIL() << "no data_error";
  } catch (const emkit::data_error& e) {
    EXPECT_EQ(std::string(e.what()), file.string() + ": cannot open file (No such file or directory)");
  }
}

TEST_F(read_npy_test, directory_is_not_a_file) {
  try {
    read_npy(directory_);
    FAIL() << "no data_error";
  } catch (const emkit::data_error& e) {
    EXPECT_EQ(std::string(e.what()), directory_.string() + ": cannot open file (Is a directory)");
  }
}

TEST_F(read_npy_test, empty_file) {
  const auto file = write("empty.npy", "");
  try {
    read_npy(file);
    FAIL() << "no data_error";
  } catch (const emkit::data_error& e) {
    EXPECT_EQ(std::string(e.what()), file.string() + ": empty file, expected a .npy file");
  }
}

TEST_F(read_npy_test, read_table_chooses_by_content_and_extension) {
  // .npy content under any name is read as .npy.
  EXPECT_EQ(read_table(write("data.npy", numpy_uint8_2x2)).values, matrix(2, 2, {0, 255, 7, 128}));
  EXPECT_EQ(read_table(write("data.bin", numpy_uint8_2x2)).values, matrix(2, 2, {0, 255, 7, 128}));
  // Anything else is CSV, with the options.
  const table csv = read_table(write("data.csv", "a,b\n1,2\n"));
  EXPECT_EQ(csv.header, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(csv.values, matrix(1, 2, {1, 2}));
  EXPECT_EQ(read_table(write("data.txt", "1;2\n3;4\n"), {.delimiter = ';'}).values, matrix(2, 2, {1, 2, 3, 4}));
  // A file named .npy that is not one is reported as such, not parsed as CSV.
  const auto fake = write("fake.NPY", "1,2\n");
  try {
    read_table(fake);
    FAIL() << "no data_error";
  } catch (const emkit::data_error& e) {
    EXPECT_EQ(std::string(e.what()),
              fake.string() + ": bad magic: not a .npy file (it does not start with \"\\x93NUMPY\")");
  }
  // Errors of either kind name the file.
  const auto bad_csv = write("bad.csv", "1,2\n3,x\n");
  try {
    read_table(bad_csv);
    FAIL() << "no data_error";
  } catch (const emkit::data_error& e) {
    EXPECT_EQ(std::string(e.what()), bad_csv.string() + ": line 2, column 2: 'x' is not a number");
  }
  const auto missing = directory_ / "missing.npy";
  try {
    read_table(missing);
    FAIL() << "no data_error";
  } catch (const emkit::data_error& e) {
    EXPECT_EQ(std::string(e.what()), missing.string() + ": cannot open file (No such file or directory)");
  }
}

TEST_F(read_npy_test, read_table_reads_standard_input) {
  with_stdin(write("data.npy", numpy_bool_3x2), [] {
    EXPECT_EQ(read_table("-").values, matrix(3, 2, {1, 0, 0, 1, 1, 1}));
  });
  with_stdin(write("data.csv", "5\t6\n"), [] {
    EXPECT_EQ(read_table("-", {.delimiter = '\t'}).values, matrix(1, 2, {5, 6}));
  });
}

TEST_F(read_npy_test, read_table_checks_options_for_any_file) {
  EXPECT_THROW(read_table(write("data.npy", numpy_uint8_2x2), {.delimiter = 'x'}), emkit::invalid_option);
}

}  // namespace
