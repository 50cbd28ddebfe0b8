#pragma once
/// \file
/// Reading NumPy .npy files (1-D or 2-D numeric arrays) as tables, and
/// `read_table`, which reads a .npy or a CSV file as its content says.

#include <emkit/framework/error.hpp>
#include <emkit/framework/io/csv.hpp>

#include <Eigen/Core>

#include <bit>
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <sys/stat.h>

namespace emkit::io {

namespace detail {

/// The six bytes every .npy file starts with.
inline constexpr std::string_view npy_magic{"\x93NUMPY", 6};

/// The three entries of a .npy header dict.
struct npy_header_fields {
  std::string descr;
  bool fortran_order = false;
  std::vector<std::uint64_t> shape;
};

/// "(272,)", "(272, 2)" or "()": a shape as Python writes it.
inline std::string npy_shape_text(const std::vector<std::uint64_t>& shape) {
  std::string out = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  if (shape.size() == 1) out += ',';
  return out + ")";
}

/// The message tail for a dtype emkit cannot read.
inline constexpr std::string_view npy_supported_dtypes =
    "expected float64, float32, int8/16/32/64, uint8/16/32/64 or bool";

/// A strict parser of the Python dict literal in a .npy header, such as
/// `{'descr': '<f8', 'fortran_order': False, 'shape': (272, 2), }`: exactly the
/// keys 'descr', 'fortran_order' and 'shape' in any order, each once, quoted with
/// ' or "; whitespace between tokens and a trailing comma are allowed; shape
/// entries are non-negative decimal integers (an 'L' suffix, as Python 2 wrote,
/// is accepted). Throws `data_error` starting with `source` + ": ".
class npy_header_parser {
 public:
  npy_header_parser(std::string_view header, std::string source) : rest_(header), source_(std::move(source)) {}

  npy_header_fields parse() {
    constexpr std::string_view keys[] = {"descr", "fortran_order", "shape"};
    npy_header_fields fields;
    bool seen[3] = {false, false, false};
    skip_space();
    if (!consume('{')) malformed("expected '{' at the start of the header dict, found " + found());
    skip_space();
    while (!consume('}')) {
      std::string key;
      if (!parse_string(key)) malformed("expected a quoted key or '}', found " + found());
      std::size_t index = 0;
      while (index < 3 && keys[index] != key) ++index;
      if (index == 3) {
        malformed("unexpected key '" + printable_token(key) + "' (expected 'descr', 'fortran_order' and 'shape')");
      }
      if (seen[index]) malformed("key '" + key + "' appears twice");
      seen[index] = true;
      skip_space();
      if (!consume(':')) malformed("expected ':' after key '" + key + "', found " + found());
      skip_space();
      if (index == 0) {
        parse_descr(fields.descr);
      } else if (index == 1) {
        parse_fortran_order(fields.fortran_order);
      } else {
        parse_shape(fields.shape);
      }
      skip_space();
      if (consume(',')) {
        skip_space();
        continue;
      }
      if (!consume('}')) malformed("expected ',' or '}' after the value of key '" + key + "', found " + found());
      break;
    }
    skip_space();
    if (!rest_.empty()) malformed("unexpected text after the header dict: " + found());
    for (std::size_t i = 0; i < 3; ++i) {
      if (!seen[i]) malformed("missing key '" + std::string(keys[i]) + "'");
    }
    return fields;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw data_error(source_ + ": " + what); }
  [[noreturn]] void malformed(const std::string& what) const { fail("malformed header: " + what); }

  /// The text at the current place, quoted, for a message (or "the end of the header").
  std::string found() const { return found(rest_); }
  static std::string found(std::string_view text) {
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    if (text.empty()) return "the end of the header";
    return "'" + printable_token(text) + "'";
  }

  static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
  static bool is_word_char(char c) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }

  void skip_space() {
    while (!rest_.empty() && is_space(rest_.front())) rest_.remove_prefix(1);
  }

  bool consume(char c) {
    if (rest_.empty() || rest_.front() != c) return false;
    rest_.remove_prefix(1);
    return true;
  }

  /// Consumes `word` if it is next and not followed by more of a name.
  bool consume_word(std::string_view word) {
    if (rest_.substr(0, word.size()) != word) return false;
    if (rest_.size() > word.size() && is_word_char(rest_[word.size()])) return false;
    rest_.remove_prefix(word.size());
    return true;
  }

  /// A string quoted with ' or " and without escapes or line breaks.
  bool parse_string(std::string& out) {
    if (rest_.empty() || (rest_.front() != '\'' && rest_.front() != '"')) return false;
    const char quote = rest_.front();
    for (std::size_t i = 1; i < rest_.size(); ++i) {
      const char c = rest_[i];
      if (c == quote) {
        out.assign(rest_.substr(1, i - 1));
        rest_.remove_prefix(i + 1);
        return true;
      }
      if (c == '\\' || c == '\n' || c == '\r') return false;
    }
    return false;
  }

  void parse_descr(std::string& descr) {
    if (!rest_.empty() && rest_.front() == '[') {
      fail("unsupported dtype (a structured array with named fields); " + std::string(npy_supported_dtypes));
    }
    if (!parse_string(descr)) {
      malformed("key 'descr': expected a quoted dtype string such as '<f8', found " + found());
    }
  }

  void parse_fortran_order(bool& fortran_order) {
    if (consume_word("True")) {
      fortran_order = true;
    } else if (consume_word("False")) {
      fortran_order = false;
    } else {
      malformed("key 'fortran_order': expected True or False, found " + found());
    }
  }

  void parse_shape(std::vector<std::uint64_t>& shape) {
    const std::string_view start = rest_;
    const auto bad = [&] {
      malformed("key 'shape': expected a tuple of non-negative integers such as (272,) or (272, 2), found " +
                found(start));
    };
    if (!consume('(')) bad();
    skip_space();
    bool comma_after_last = false;
    while (!consume(')')) {
      if (rest_.empty() || rest_.front() < '0' || rest_.front() > '9') bad();
      std::uint64_t dimension = 0;
      std::size_t digits = 0;
      while (digits < rest_.size() && rest_[digits] >= '0' && rest_[digits] <= '9') {
        const auto digit = static_cast<std::uint64_t>(rest_[digits] - '0');
        if (dimension > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
          std::size_t end = digits;
          while (end < rest_.size() && rest_[end] >= '0' && rest_[end] <= '9') ++end;
          malformed("key 'shape': dimension " + printable_token(rest_.substr(0, end)) + " is too large");
        }
        dimension = dimension * 10 + digit;
        ++digits;
      }
      rest_.remove_prefix(digits);
      if (!rest_.empty() && (rest_.front() == 'L' || rest_.front() == 'l')) rest_.remove_prefix(1);
      if (!rest_.empty() && is_word_char(rest_.front())) bad();
      shape.push_back(dimension);
      skip_space();
      comma_after_last = consume(',');
      skip_space();
      if (!comma_after_last && !(!rest_.empty() && rest_.front() == ')')) bad();
    }
    // (272) is a parenthesised integer in Python, not a tuple.
    if (shape.size() == 1 && !comma_after_last) bad();
  }

  std::string_view rest_;
  std::string source_;
};

/// How the values of a supported dtype are stored.
struct npy_dtype {
  char kind = 'f';       ///< 'f' float, 'i' signed integer, 'u' unsigned integer, 'b' bool
  std::size_t size = 8;  ///< bytes per value
  bool swap = false;     ///< whether the bytes are in the other order than this machine's
};

/// Reads a dtype string such as '<f8'; throws `data_error` (via `fail`) for one emkit cannot read.
template <class Fail>
npy_dtype parse_npy_dtype(std::string_view descr, const Fail& fail) {
  const auto unsupported = [&](std::string_view why) {
    std::string message = "unsupported dtype '" + printable_token(descr) + "'";
    if (!why.empty()) message += " (" + std::string(why) + ")";
    fail(message + "; " + std::string(npy_supported_dtypes));
  };
  std::string_view rest = descr;
  char order = '=';
  if (!rest.empty() && (rest.front() == '<' || rest.front() == '>' || rest.front() == '|' || rest.front() == '=')) {
    order = rest.front();
    rest.remove_prefix(1);
  }
  if (rest.empty()) unsupported("");
  const char kind = rest.front();
  rest.remove_prefix(1);
  std::size_t size = 0;
  bool digits_only = !rest.empty() && rest.size() <= 4;
  for (const char c : rest) {
    if (c < '0' || c > '9') {
      digits_only = false;
      break;
    }
    size = size * 10 + static_cast<std::size_t>(c - '0');
  }
  switch (kind) {
    case 'c':
      unsupported("complex numbers");
      break;
    case 'O':
      unsupported("Python objects");
      break;
    case 'S':
    case 'a':
    case 'U':
      unsupported("strings");
      break;
    case 'V':
      unsupported("raw bytes");
      break;
    case 'M':
    case 'm':
      unsupported("dates or time spans");
      break;
    default:
      break;
  }
  if (!digits_only) unsupported("");
  const bool ok = (kind == 'f' && (size == 4 || size == 8)) ||
                  ((kind == 'i' || kind == 'u') && (size == 1 || size == 2 || size == 4 || size == 8)) ||
                  (kind == 'b' && size == 1);
  if (!ok) unsupported(kind == 'f' ? "float" + std::to_string(8 * size) : "");
  if (order == '|' && size != 1) unsupported("byte order '|' is only for 1-byte types");
  const bool little = std::endian::native == std::endian::little;
  const bool swap = size > 1 && ((order == '<' && !little) || (order == '>' && little));
  return {kind, size, swap};
}

/// One stored value of type `T` at `p`, bytes reversed if `Swap`, as a double.
template <class T, bool Swap>
double npy_load(const unsigned char* p) {
  if constexpr (std::is_same_v<T, bool>) {
    return *p != 0 ? 1.0 : 0.0;
  } else {
    unsigned char buffer[sizeof(T)];
    if constexpr (Swap) {
      for (std::size_t i = 0; i < sizeof(T); ++i) buffer[i] = p[sizeof(T) - 1 - i];
    } else {
      std::memcpy(buffer, p, sizeof(T));
    }
    T value;
    std::memcpy(&value, buffer, sizeof(T));
    return static_cast<double>(value);
  }
}

/// Converts `rows * cols` stored values of type `T` into the column-major `out`;
/// the values are stored row after row unless `column_major`. Calls
/// `not_finite(k, value)` (which throws) for a non-finite k-th (0-based, in
/// storage order) value.
/// `out_stride` (at least `rows`) is the distance between the starts of two columns of `out`.
template <class T, bool Swap, class NotFinite>
void npy_convert(const unsigned char* data, std::size_t rows, std::size_t cols, bool column_major, double* out,
                 const NotFinite& not_finite, std::size_t out_stride) {
  constexpr bool floating = std::is_floating_point_v<T>;
  if (column_major) {
    for (std::size_t c = 0; c < cols; ++c) {
      for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t k = c * rows + r;
        const double value = npy_load<T, Swap>(data + k * sizeof(T));
        if constexpr (floating) {
          if (!std::isfinite(value)) not_finite(k, value);
        }
        out[c * out_stride + r] = value;
      }
    }
  } else {
    for (std::size_t r = 0; r < rows; ++r) {
      const unsigned char* row = data + r * cols * sizeof(T);
      for (std::size_t c = 0; c < cols; ++c) {
        const double value = npy_load<T, Swap>(row + c * sizeof(T));
        if constexpr (floating) {
          if (!std::isfinite(value)) not_finite(r * cols + c, value);
        }
        out[c * out_stride + r] = value;
      }
    }
  }
}

/// The same into a dense column-major `out` (`out_stride` = `rows`).
template <class T, bool Swap, class NotFinite>
void npy_convert(const unsigned char* data, std::size_t rows, std::size_t cols, bool column_major, double* out,
                 const NotFinite& not_finite) {
  npy_convert<T, Swap>(data, rows, cols, column_major, out, not_finite, rows);
}

/// Calls `f.template operator()<T, Swap>()` with the C++ type of `dtype`.
template <class F>
void npy_dispatch(const npy_dtype& dtype, const F& f) {
  const auto with_swap = [&]<class T>() {
    if (dtype.swap) {
      f.template operator()<T, true>();
    } else {
      f.template operator()<T, false>();
    }
  };
  switch (dtype.kind) {
    case 'f':
      if (dtype.size == 4) {
        with_swap.template operator()<float>();
      } else {
        with_swap.template operator()<double>();
      }
      break;
    case 'i':
      if (dtype.size == 1) with_swap.template operator()<std::int8_t>();
      if (dtype.size == 2) with_swap.template operator()<std::int16_t>();
      if (dtype.size == 4) with_swap.template operator()<std::int32_t>();
      if (dtype.size == 8) with_swap.template operator()<std::int64_t>();
      break;
    case 'u':
      if (dtype.size == 1) with_swap.template operator()<std::uint8_t>();
      if (dtype.size == 2) with_swap.template operator()<std::uint16_t>();
      if (dtype.size == 4) with_swap.template operator()<std::uint32_t>();
      if (dtype.size == 8) with_swap.template operator()<std::uint64_t>();
      break;
    default:
      with_swap.template operator()<bool>();
      break;
  }
}

/// Reads all of the file `file`; throws `data_error` naming it and the system's
/// reason if it cannot be opened (or is a directory) or read.
inline std::string read_file_bytes(const std::filesystem::path& file) {
  const std::string source = printable_name(file.string());
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> stream(std::fopen(file.c_str(), "rb"), &std::fclose);
  if (!stream) throw data_error(source + ": cannot open file (" + errno_text(errno) + ")");
  struct stat info {};
  if (::fstat(::fileno(stream.get()), &info) == 0 && S_ISDIR(info.st_mode)) {
    throw data_error(source + ": cannot open file (" + errno_text(EISDIR) + ")");
  }
  return read_all(stream.get(), source);
}

/// Where the values of a .npy file are and how to read them.
struct npy_layout {
  npy_dtype dtype;
  std::uint64_t rows = 0;       ///< observations (the first dimension)
  std::uint64_t cols = 0;       ///< 1 for a 1-D array
  bool column_major = false;    ///< Fortran order, or a single column
  std::size_t data_offset = 0;  ///< bytes before the first value
};

/// Parses the header of a .npy file of `total_size` bytes whose first bytes are `bytes` (the
/// whole header when the file has one; anything after it is ignored), and checks that the data
/// after the header has exactly the size the shape and dtype say. Calls `fail(what)`, which
/// throws, with the messages documented at `parse_npy`; `source` names the file.
template <class Fail>
npy_layout parse_npy_layout(std::string_view bytes, std::uint64_t total_size, const std::string& source,
                            const Fail& fail) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
  if (bytes.substr(0, npy_magic.size()) != npy_magic) {
    if (bytes.empty()) fail("empty file, expected a .npy file");
    if (npy_magic.substr(0, bytes.size()) == bytes) {
      fail("truncated header: the file has only " + std::to_string(std::min<std::uint64_t>(bytes.size(), total_size)) +
           " bytes");
    }
    fail("bad magic: not a .npy file (it does not start with \"\\x93NUMPY\")");
  }
  if (bytes.size() < 8)
    fail("truncated header: the file has only " + std::to_string(std::min<std::uint64_t>(bytes.size(), total_size)) +
         " bytes");
  const unsigned major = byte(6);
  const unsigned minor = byte(7);
  if (minor != 0 || major < 1 || major > 3) {
    fail("unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
         " (expected 1.0, 2.0 or 3.0)");
  }
  const std::size_t length_bytes = major == 1 ? 2 : 4;
  const std::size_t prefix = 8 + length_bytes;
  if (bytes.size() < prefix) {
    fail("truncated header: the file has only " + std::to_string(std::min<std::uint64_t>(bytes.size(), total_size)) +
         " bytes");
  }
  std::size_t header_length = 0;
  for (std::size_t i = 0; i < length_bytes; ++i) header_length |= static_cast<std::size_t>(byte(8 + i)) << (8 * i);
  if (bytes.size() - prefix < header_length) {
    fail("truncated header: expected " + std::to_string(header_length) + " header bytes, found " +
         std::to_string(bytes.size() - prefix));
  }

  const npy_header_fields fields = npy_header_parser(bytes.substr(prefix, header_length), source).parse();
  const npy_dtype dtype = parse_npy_dtype(fields.descr, fail);
  const std::string shape_text = npy_shape_text(fields.shape);
  if (fields.shape.empty()) fail("0-d arrays are not supported (shape ()); expected a 1-D or 2-D array");
  if (fields.shape.size() > 2) {
    fail(std::to_string(fields.shape.size()) + "-D arrays are not supported (shape " + shape_text +
         "); expected a 1-D or 2-D array");
  }
  const std::uint64_t rows = fields.shape[0];
  const std::uint64_t cols = fields.shape.size() == 2 ? fields.shape[1] : 1;

  const std::uint64_t data_size = total_size - (prefix + header_length);
  constexpr auto max = std::numeric_limits<std::uint64_t>::max();
  const bool count_overflows = cols != 0 && rows > max / cols;
  const std::uint64_t count = count_overflows ? 0 : rows * cols;
  const bool size_overflows = count_overflows || count > max / dtype.size;
  const std::string bytes_text = " byte" + std::string(dtype.size == 1 ? "" : "s");
  if (size_overflows || count * dtype.size != data_size) {
    const std::string count_text =
        count_overflows ? std::to_string(rows) + " * " + std::to_string(cols) : std::to_string(count);
    const std::string total_text = size_overflows ? "" : " (" + std::to_string(count * dtype.size) + " bytes)";
    fail("expected " + count_text + " values of " + std::to_string(dtype.size) + bytes_text + total_text +
         " after the header, found " + std::to_string(data_size) + " bytes");
  }
  if (rows == 0) fail("no data rows (shape " + shape_text + ")");
  if (cols == 0) fail("no columns (shape " + shape_text + ")");

  return {dtype, rows, cols, fields.fortran_order || cols == 1, prefix + header_length};
}

/// The message for the non-finite `value` at 0-based row `r`, column `c`, storage position `k`.
inline std::string npy_not_finite_text(std::uint64_t r, std::uint64_t c, std::uint64_t k, double value) {
  const char* text = std::isnan(value) ? "nan" : value > 0 ? "inf" : "-inf";
  return "row " + std::to_string(r + 1) + ", column " + std::to_string(c + 1) + " (element " + std::to_string(k + 1) +
         "): value " + text + " is not finite";
}

}  // namespace detail

/// Parses `bytes`, the contents of a NumPy .npy file, as a table; `source_name`
/// names it in messages. The table has no header (column names).
///
/// Reads format versions 1.0, 2.0 and 3.0 holding a 1-D or 2-D array of float64,
/// float32, int8/16/32/64, uint8/16/32/64 or bool ('|b1', read as 0 and 1)
/// values, little- or big-endian ('<', '>', '|' for 1-byte types, '=' for this
/// machine's order), in C or Fortran order. Rows are observations: an N×D array
/// gives N×D values and a 1-D array of length N gives N×1. float32 and integers up
/// to 2^53 in magnitude convert exactly; larger int64 and uint64 values are
/// rounded to the nearest double. The header dict is parsed strictly (see
/// `detail::npy_header_parser`); its padding to a multiple of 64 bytes is not checked.
///
/// Throws `data_error`, one line starting with the source name, when the bytes do
/// not start with the .npy magic string, the version is not one of the three, the
/// header is truncated or its dict is malformed (naming the key), the dtype is
/// unsupported (complex, float16, strings, Python objects, structured, ...), the
/// array is 0-d or has more than 2 dimensions, the shape has no rows or no columns,
/// the data after the header is shorter or longer than the shape says, or a value
/// is NaN or infinite; that message names the 1-based row and column of the value
/// in the table and its 1-based position among the values stored in the file, as
/// in "data.npy: row 5, column 2 (element 10): value nan is not finite".
inline table parse_npy(std::string_view bytes, std::string_view source_name) {
  const std::string source = detail::printable_name(source_name);
  const auto fail = [&](const std::string& what) -> void { throw data_error(source + ": " + what); };

  const detail::npy_layout layout = detail::parse_npy_layout(bytes, bytes.size(), source, fail);
  const std::uint64_t rows = layout.rows;
  const std::uint64_t cols = layout.cols;
  const std::string_view data = bytes.substr(layout.data_offset);
  table result;
  result.values.resize(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
  const bool column_major = layout.column_major;
  const auto not_finite = [&](std::size_t k, double value) {
    const std::size_t r = column_major ? k % rows : k / cols;
    const std::size_t c = column_major ? k / rows : k % cols;
    fail(detail::npy_not_finite_text(r, c, k, value));
  };
  const auto* raw = reinterpret_cast<const unsigned char*>(data.data());
  detail::npy_dispatch(layout.dtype, [&]<class T, bool Swap>() {
    detail::npy_convert<T, Swap>(raw, rows, cols, column_major, result.values.data(), not_finite);
  });
  return result;
}

/// Reads and parses the .npy file `file` (see `parse_npy`); "-" reads standard
/// input (as binary), named "<stdin>" in messages. Throws `data_error` naming the
/// file and the system's reason if it cannot be opened or read, and as `parse_npy` does.
inline table read_npy(const std::filesystem::path& file) {
  if (file == "-") {
    const std::string source = "<stdin>";
    return parse_npy(detail::read_all(stdin, source), source);
  }
  return parse_npy(detail::read_file_bytes(file), file.string());
}

/// Reads the data file `file` ("-": standard input) as a table: as .npy (see
/// `parse_npy`) if it starts with the .npy magic string "\x93NUMPY" or its name
/// ends in ".npy" (any case; a .npy-named file without the magic is reported as a
/// bad .npy file), otherwise as CSV with `options` (see `parse_csv`). The file is
/// read once. Throws `invalid_option` for unusable `options` (whatever the file),
/// and `data_error` as `read_npy` and `read_csv` do.
inline table read_table(const std::filesystem::path& file, const csv_options& options = {}) {
  options.validate();
  std::string source;
  std::string bytes;
  if (file == "-") {
    source = "<stdin>";
    bytes = detail::read_all(stdin, source);
  } else {
    bytes = detail::read_file_bytes(file);
    source = file.string();
  }
  std::string extension = file.extension().string();
  for (char& c : extension) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (std::string_view(bytes).substr(0, detail::npy_magic.size()) == detail::npy_magic || extension == ".npy") {
    return parse_npy(bytes, source);
  }
  return parse_csv(bytes, source, options);
}

}  // namespace emkit::io
