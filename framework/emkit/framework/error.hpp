#pragma once
/// \file
/// The one error hierarchy of emkit and the `check_*` helpers that throw it.
///
/// Misuse and bad input are exceptions at the boundary (STYLE.md, principle 4);
/// numerical outcomes inside a fit are data in the `summary`. Every message
/// names the function or place, the argument, its value and what was expected.

#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace emkit {

/// Base of every exception emkit throws on purpose.
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Arguments whose sizes do not fit together (rows of X and weights, dimensions).
class shape_error : public error {
 public:
  using error::error;
};

/// An option or argument value outside its documented range.
class invalid_option : public error {
 public:
  using error::error;
};

/// A numerical failure that no documented recovery covers (a covariance that is
/// not positive definite after regularisation, say).
class numerical_error : public error {
 public:
  using error::error;
};

/// The monitor found a violated EM identity and was asked to throw.
class monitor_violation : public error {
 public:
  using error::error;
};

namespace detail {
/// Writes one part of a message: a floating-point value in the shortest form that reads back
/// as the same value (`std::to_chars`: 0.4, not 0.40000000000000002), anything else as `<<`
/// writes it.
template <class T>
void write_part(std::ostringstream& out, const T& part) {
  if constexpr (std::is_floating_point_v<T>) {
    char text[64];  // the longest shortest form of a long double is under 50 characters
    const std::to_chars_result written = std::to_chars(text, text + sizeof text, part);
    out.write(text, written.ptr - text);
  } else {
    out << part;
  }
}

/// The parts of a message, written one after the other (`write_part`).
template <class... Parts>
std::string concat(const Parts&... parts) {
  std::ostringstream out;
  out.precision(17);
  (write_part(out, parts), ...);
  return out.str();
}
}  // namespace detail

/// Where a bad value of the data is: its row and column of X (0-based) and the value.
struct data_entry {
  std::int64_t row = 0;
  std::int64_t column = 0;
  double value = 0.0;
};

/// Input data is malformed or outside a family's support (a file, row, column, value). An
/// error about one value of X carries it as fields (`entry()`, `expected()`), so that a caller
/// can name the value in its own terms (a file's line and column) without parsing the message.
class data_error : public error {
 public:
  using error::error;

  /// "<where>: X(row, column) = value, expected <expected> (row and column are 0-based)".
  data_error(std::string_view where, data_entry entry, std::string_view expected)
      : error(detail::concat(where, ": X(", entry.row, ", ", entry.column, ") = ", entry.value, ", expected ", expected,
                             " (row and column are 0-based)")),
        where_(where),
        entry_(entry),
        expected_(expected) {}

  /// The value the error is about, if it is about one value of X.
  [[nodiscard]] const std::optional<data_entry>& entry() const noexcept { return entry_; }
  /// What the value should have been: "a non-negative integer count" ("" without an entry).
  [[nodiscard]] const std::string& expected() const noexcept { return expected_; }
  /// Who found it: "poisson", "fit".
  [[nodiscard]] const std::string& where() const noexcept { return where_; }

  /// The same error `rows` rows and `columns` columns further into X (a chunk's or a block's
  /// error placed in the whole data); an error without an entry is returned unchanged.
  [[nodiscard]] data_error moved(std::int64_t rows, std::int64_t columns) const {
    if (!entry_) return *this;
    return data_error(where_, {entry_->row + rows, entry_->column + columns, entry_->value}, expected_);
  }

 private:
  std::string where_;
  std::optional<data_entry> entry_;
  std::string expected_;
};

/// Throws `invalid_option` unless `condition`; the message reads
/// "<where>: <argument> = <value>, expected <expected>".
template <class T>
void check_option(bool condition, std::string_view where, std::string_view argument, const T& value,
                  std::string_view expected) {
  if (!condition) {
    throw invalid_option(detail::concat(where, ": ", argument, " = ", value, ", expected ", expected));
  }
}

/// Throws `shape_error` unless `condition`, with the same message shape as `check_option`.
template <class T>
void check_shape(bool condition, std::string_view where, std::string_view argument, const T& value,
                 std::string_view expected) {
  if (!condition) {
    throw shape_error(detail::concat(where, ": ", argument, " = ", value, ", expected ", expected));
  }
}

}  // namespace emkit
