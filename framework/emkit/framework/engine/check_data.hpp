#pragma once
/// \file
/// Argument checks at the boundary of every public entry point that takes data.

#include <cmath>
#include <string>
#include <string_view>

#include <emkit/framework/error.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

namespace detail {

/// The error for a non-finite value x at row `row` (of the whole data) and column j.
inline data_error non_finite(std::string_view where, index row, index j, double x) {
  return data_error(where, {row, j, x}, "a finite number");
}

/// The message for a weight w at row `row` that is not a finite number >= 0.
inline std::string bad_weight_text(std::string_view where, index row, double w) {
  return concat(where, ": weights(", row, ") = ", w, ", expected a finite number >= 0");
}

}  // namespace detail

/// Throws `data_error` naming the first non-finite value of X (0-based row and column).
inline void check_finite(matrix_ref X, std::string_view where) {
  // Row by row, so that the first bad value reported is on the earliest row of the file.
  for (index n = 0; n < X.rows(); ++n)
    for (index j = 0; j < X.cols(); ++j)
      if (!std::isfinite(X(n, j))) throw detail::non_finite(where, n, j, X(n, j));
}

/// Checks that X is a non-empty N×D matrix of finite values.
inline void check_data(matrix_ref X, std::string_view where) {
  check_shape(X.rows() >= 1, where, "X.rows()", X.rows(), ">= 1 observation");
  check_shape(X.cols() >= 1, where, "X.cols()", X.cols(), ">= 1 column");
  check_finite(X, where);
}

/// Checks per-observation weights: N of them, finite, non-negative, not all zero.
inline void check_weights(vector_ref w, index N, std::string_view where) {
  check_shape(w.size() == N, where, "weights.size()", w.size(), "the number of rows " + std::to_string(N));
  double total = 0.0;
  for (index n = 0; n < N; ++n) {
    if (!std::isfinite(w[n]) || w[n] < 0) throw data_error(detail::bad_weight_text(where, n, w[n]));
    total += w[n];
  }
  check_option(total > 0, where, "sum of weights", total, "> 0");
}

/// Checks 1 ≤ K ≤ N.
inline void check_components(index K, index N, std::string_view where) {
  check_option(K >= 1, where, "K", K, ">= 1");
  check_option(K <= N, where, "K", K, "<= the number of observations " + std::to_string(N));
}

}  // namespace emkit
