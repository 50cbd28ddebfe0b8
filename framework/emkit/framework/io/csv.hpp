#pragma once
/// \file
/// Reading numeric CSV tables (rows are observations) with messages that name
/// the source, the 1-based line and column, and the offending token.

#include <emkit/framework/error.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <sys/stat.h>

namespace emkit::io {

/// How `parse_csv` and `read_csv` split a line into values.
struct csv_options {
  /// The character between values; it must not be a line ending, a letter, a
  /// digit or one of `.+-` (those can appear in a number). With `' '` or `'\t'`
  /// as delimiter only the other of the two is trimmed around values.
  char delimiter = ',';

  /// Throws `invalid_option` if `delimiter` cannot separate numbers.
  void validate() const {
    const auto c = static_cast<unsigned char>(delimiter);
    const bool alphanumeric = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool ok = c == '\t' || (c >= 0x20 && c < 0x7f && !alphanumeric && c != '.' && c != '+' && c != '-');
    if (!ok) {
      throw invalid_option("csv_options: delimiter = character code " + std::to_string(c) +
                           ", expected a printable character or tab that is not a letter, a digit or one of .+-");
    }
  }
};

/// A numeric table: rows are observations.
struct table {
  /// The values, one row per data line of the source, one column per field.
  Eigen::MatrixXd values;
  /// The trimmed column names from the header line; empty when the source had none.
  std::vector<std::string> header;
};

namespace detail {

/// Whether `c` is padding around a value (a space or tab that is not the delimiter).
inline bool is_padding(char c, char delimiter) { return (c == ' ' || c == '\t') && c != delimiter; }

/// `s` without leading and trailing padding.
inline std::string_view trim(std::string_view s, char delimiter) {
  while (!s.empty() && is_padding(s.front(), delimiter)) s.remove_prefix(1);
  while (!s.empty() && is_padding(s.back(), delimiter)) s.remove_suffix(1);
  return s;
}

/// A token made safe for a one-line message: non-printable and non-ASCII bytes
/// become '?', and anything past 40 characters becomes "...".
inline std::string printable_token(std::string_view token) {
  constexpr std::size_t max_length = 40;
  std::string out;
  const std::size_t n = std::min(token.size(), max_length);
  out.reserve(n + 3);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(token[i]);
    out.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
  }
  if (token.size() > max_length) out += "...";
  return out;
}

/// A source name made safe for a one-line message: control characters become '?'
/// (UTF-8 file names are kept).
inline std::string printable_name(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return out;
}

/// The outcome of reading one token as a number.
enum class number_status { ok, not_a_number, not_finite };

/// Whether a decimal number that `from_chars` reported out of range is too large
/// (overflow) rather than too small (underflow): the sign of its decimal order
/// of magnitude. `first..last` is a syntactically valid unsigned decimal number.
inline bool decimal_is_huge(const char* first, const char* last) {
  long order = 0;  // the number is about 10^order
  bool found = false;
  long integer_digits = 0;
  const char* p = first;
  for (; p != last && *p >= '0' && *p <= '9'; ++p) {
    if (!found && *p != '0') {
      found = true;
      integer_digits = 0;
    }
    if (found) ++integer_digits;
  }
  if (found) order = integer_digits - 1;
  if (p != last && *p == '.') {
    ++p;
    for (long position = 1; p != last && *p >= '0' && *p <= '9'; ++p, ++position) {
      if (!found && *p != '0') {
        found = true;
        order = -position;
      }
    }
  }
  long exponent = 0;
  if (p != last && (*p == 'e' || *p == 'E')) {
    ++p;
    bool negative = false;
    if (p != last && (*p == '+' || *p == '-')) negative = *p++ == '-';
    // Saturate: only the sign of order + exponent matters, and |order| is bounded by the token length.
    for (; p != last && *p >= '0' && *p <= '9'; ++p) exponent = std::min(exponent * 10 + (*p - '0'), 1L << 40);
    if (negative) exponent = -exponent;
  }
  return order + exponent >= 0;
}

/// Reads a whole trimmed token as a number: an optional '+' or '-', then what
/// `std::from_chars` accepts in general format (locale-independent). Underflow
/// gives a signed zero, as `strtod` does; overflow, NaN and infinities are not finite.
inline number_status parse_number(std::string_view token, double& value) {
  const char* first = token.data();
  const char* const last = first + token.size();
  if (first != last && *first == '+') {
    ++first;
    if (first != last && (*first == '+' || *first == '-')) return number_status::not_a_number;
  }
  if (first == last) return number_status::not_a_number;
  double parsed = 0.0;
  const auto [ptr, ec] = std::from_chars(first, last, parsed, std::chars_format::general);
  if (ptr != last || ec == std::errc::invalid_argument) return number_status::not_a_number;
  if (ec == std::errc::result_out_of_range) {
    const bool negative = *first == '-';
    if (negative) ++first;
    if (decimal_is_huge(first, last)) return number_status::not_finite;
    value = negative ? -0.0 : 0.0;
    return number_status::ok;
  }
  if (!std::isfinite(parsed)) return number_status::not_finite;
  value = parsed;
  return number_status::ok;
}

/// Whether a (non-blank) first line is a header: some non-empty token is not a number.
inline bool is_header_line(std::string_view line, char delimiter) {
  std::size_t start = 0;
  while (true) {
    const std::size_t end = std::min(line.find(delimiter, start), line.size());
    const std::string_view token = trim(line.substr(start, end - start), delimiter);
    double ignored = 0.0;
    if (!token.empty() && parse_number(token, ignored) == number_status::not_a_number) return true;
    if (end == line.size()) return false;
    start = end + 1;
  }
}

/// The trimmed names of a header line.
inline std::vector<std::string> csv_header_names(std::string_view line, char delimiter) {
  std::vector<std::string> names;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = std::min(line.find(delimiter, start), line.size());
    names.emplace_back(trim(line.substr(start, end - start), delimiter));
    if (end == line.size()) break;
    start = end + 1;
  }
  return names;
}

/// "1 column" or "3 columns".
inline std::string columns_text(std::size_t n) { return std::to_string(n) + (n == 1 ? " column" : " columns"); }

/// The message for a line of `count` values where `columns` were expected.
inline std::string csv_count_text(std::size_t line_number, std::size_t count, std::size_t columns,
                                  std::size_t reference_line) {
  return "line " + std::to_string(line_number) + " has " + columns_text(count) + ", expected " +
         std::to_string(columns) + " (as on line " + std::to_string(reference_line) + ")";
}

/// Parses the values of one data line (without its line ending; its number of delimiters
/// already checked) into out[0], out[stride], out[2·stride], ...: the one number parser of
/// every CSV reader, so that a value reads to the same double wherever it is read. Calls
/// `fail(what)`, which throws, naming the 1-based line and column and the token of an empty
/// value, a token that is not a number or one that is not finite.
template <class Fail>
void parse_csv_fields(std::string_view line, char delimiter, std::size_t line_number, double* out, std::size_t stride,
                      const Fail& fail) {
  const char* token_begin = line.data();
  const char* const line_end = line.data() + line.size();
  for (std::size_t column = 1;; ++column) {
    const auto* found =
        static_cast<const char*>(std::memchr(token_begin, delimiter, static_cast<std::size_t>(line_end - token_begin)));
    const char* const token_end = found != nullptr ? found : line_end;
    const std::string_view token =
        trim(std::string_view(token_begin, static_cast<std::size_t>(token_end - token_begin)), delimiter);
    const auto where = [&] {
      return "line " + std::to_string(line_number) + ", column " + std::to_string(column) + ": ";
    };
    if (token.empty()) fail(where() + "empty value");
    double value = 0.0;
    switch (parse_number(token, value)) {
      case number_status::ok:
        break;
      case number_status::not_a_number:
        fail(where() + "'" + printable_token(token) + "' is not a number");
        break;
      case number_status::not_finite:
        fail(where() + "'" + printable_token(token) + "' is not a finite number");
        break;
    }
    out[(column - 1) * stride] = value;
    if (found == nullptr) break;
    token_begin = found + 1;
  }
}

/// The message of `std::error_code(err, generic_category())`, which is `strerror(err)`
/// without its thread-safety problem.
inline std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

/// Reads all of `stream`; throws `data_error` naming `source` if reading fails.
inline std::string read_all(std::FILE* stream, const std::string& source) {
  std::string text;
  std::size_t capacity = 1 << 16;
  struct stat info {};
  if (::fstat(::fileno(stream), &info) == 0 && S_ISREG(info.st_mode) && info.st_size >= 0) {
    capacity = std::max(capacity, static_cast<std::size_t>(info.st_size) + 1);  // +1 sees EOF in one pass
  }
  text.resize(capacity);
  std::size_t used = 0;
  while (true) {
    if (used == text.size()) text.resize(text.size() * 2);
    const std::size_t got = std::fread(text.data() + used, 1, text.size() - used, stream);
    used += got;
    if (got == 0) {
      if (std::ferror(stream) != 0) {
        throw data_error(source + ": cannot read file (" + errno_text(errno) + ")");
      }
      if (std::feof(stream) != 0) break;
    }
  }
  text.resize(used);
  return text;
}

}  // namespace detail

/// Parses `text` as a numeric CSV table; `source_name` names it in messages.
///
/// Values are separated by `options.delimiter`, one row per line (LF or CRLF);
/// spaces and tabs around values are ignored, a leading '+' is allowed, numbers
/// are read locale-independently with `std::from_chars`, blank lines are skipped
/// and a leading UTF-8 byte-order mark is ignored. The first non-blank line is a
/// header if any of its non-empty tokens is not a number. Throws `invalid_option`
/// for an unusable delimiter, and `data_error` naming the source, the 1-based line
/// and column and the offending token for a value that is empty, not a number or
/// not finite (NaN, infinity, overflow), for a line whose number of columns differs
/// from the first line's (header included), and when there are no data rows.
inline table parse_csv(std::string_view text, std::string_view source_name, const csv_options& options = {}) {
  options.validate();
  const char delimiter = options.delimiter;
  const auto fail = [&](const std::string& what) -> void {
    throw data_error(detail::printable_name(source_name) + ": " + what);
  };

  // A byte-order mark would otherwise turn a numeric first line into a "header".
  constexpr std::string_view bom = "\xEF\xBB\xBF";
  if (text.substr(0, bom.size()) == bom) text.remove_prefix(bom.size());

  table result;
  Eigen::MatrixXd values;
  std::size_t columns = 0;
  std::size_t reference_line = 0;
  std::size_t rows = 0;
  std::size_t line_number = 0;
  std::size_t position = 0;

  while (position < text.size()) {
    ++line_number;
    const char* const line_begin = text.data() + position;
    const std::size_t remaining = text.size() - position;
    const auto* newline = static_cast<const char*>(std::memchr(line_begin, '\n', remaining));
    const std::size_t length = newline != nullptr ? static_cast<std::size_t>(newline - line_begin) : remaining;
    position += length + 1;

    std::string_view line(line_begin, length);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (detail::trim(line, delimiter).empty()) continue;

    const auto count = static_cast<std::size_t>(std::count(line.begin(), line.end(), delimiter)) + 1;
    if (columns == 0) {
      columns = count;
      reference_line = line_number;
      if (detail::is_header_line(line, delimiter)) {
        result.header = detail::csv_header_names(line, delimiter);
        continue;
      }
    }
    if (rows == 0) {
      // The lines left (a quick memchr scan, not a parse) bound the rows, and equal
      // them unless blank lines follow: values go straight into their column-major
      // place, with no growing buffer and no transposing copy, whose page faults
      // would cost as much as the parse.
      std::size_t lines_left = text.back() == '\n' ? 0 : 1;
      const char* const text_end = text.data() + text.size();
      for (const char* p = line_begin;
           (p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(text_end - p)))) != nullptr;
           ++p) {
        ++lines_left;
      }
      values.resize(static_cast<Eigen::Index>(lines_left), static_cast<Eigen::Index>(columns));
    }
    if (count != columns) fail(detail::csv_count_text(line_number, count, columns, reference_line));

    detail::parse_csv_fields(line, delimiter, line_number, &values(static_cast<Eigen::Index>(rows), 0),
                             static_cast<std::size_t>(values.rows()), fail);
    ++rows;
  }

  if (rows == 0) fail("no data rows");
  if (static_cast<Eigen::Index>(rows) == values.rows()) {
    result.values = std::move(values);
  } else {
    result.values = values.topRows(static_cast<Eigen::Index>(rows));
  }
  return result;
}

/// Reads and parses the CSV file `file` (see `parse_csv`); "-" reads standard
/// input, named "<stdin>" in messages. Throws `data_error` naming the file and
/// the system's reason if it cannot be opened or read, and as `parse_csv` does.
inline table read_csv(const std::filesystem::path& file, const csv_options& options = {}) {
  options.validate();
  if (file == "-") {
    const std::string source = "<stdin>";
    return parse_csv(detail::read_all(stdin, source), source, options);
  }
  const std::string source = detail::printable_name(file.string());
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> stream(std::fopen(file.c_str(), "rb"), &std::fclose);
  if (!stream) throw data_error(source + ": cannot open file (" + detail::errno_text(errno) + ")");
  struct stat info {};
  if (::fstat(::fileno(stream.get()), &info) == 0 && S_ISDIR(info.st_mode)) {
    throw data_error(source + ": cannot open file (" + detail::errno_text(EISDIR) + ")");
  }
  return parse_csv(detail::read_all(stream.get(), source), file.string(), options);
}

}  // namespace emkit::io
