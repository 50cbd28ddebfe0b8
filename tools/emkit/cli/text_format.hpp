#pragma once
/// \file
/// Numbers laid out for the command line's reports: a cell of 8 significant digits, a row of
/// cells, a matrix, the line naming the data's columns.

#include <cstdio>
#include <string>
#include <vector>

#include <Eigen/Core>

#include <emkit/framework/types.hpp>

namespace emkit::cli {

/// `v` in a field of `width` characters with 8 significant digits.
[[nodiscard]] inline std::string format_cell(double v, int width = 15) {
  char text[64];
  std::snprintf(text, sizeof text, "%*.8g", width, v);
  return text;
}

/// "  <label>" then the values of `v`, 8 to a line, continuation lines indented to match.
[[nodiscard]] inline std::string format_row(const std::string& label, const Eigen::VectorXd& v) {
  constexpr index per_line = 8;
  std::string out = "  " + label;
  for (index d = 0; d < v.size(); ++d) {
    if (d > 0 && d % per_line == 0) out += "\n  " + std::string(label.size(), ' ');
    out += format_cell(v[d]);
  }
  return out + "\n";
}

/// A matrix, one row per line, the first labelled.
[[nodiscard]] inline std::string format_matrix(const std::string& label, const std::string& indent,
                                               const Eigen::MatrixXd& m) {
  std::string out;
  for (index i = 0; i < m.rows(); ++i) {
    out += indent + (i == 0 ? label : std::string(label.size(), ' '));
    for (index j = 0; j < m.cols(); ++j) out += format_cell(m(i, j));
    out += "\n";
  }
  return out;
}

/// "  columns: a b c\n", or nothing when the data had no header.
[[nodiscard]] inline std::string columns_line(const std::vector<std::string>& columns) {
  if (columns.empty()) return {};
  std::string out = "  columns:";
  for (const std::string& c : columns) out += " " + c;
  return out + "\n";
}

/// "K = 3 components, D = 2 dimensions".
[[nodiscard]] inline std::string sizes_text(index K, index D) {
  return "K = " + std::to_string(K) + " components, D = " + std::to_string(D) + " dimensions";
}

/// `heading`, the column names, then per component "component k: weight w" and the lines
/// `lines(params)` gives.
template <class Model, class Params, class Lines>
[[nodiscard]] std::string describe_components(const std::string& heading, const Model&, const Params& theta,
                                              const std::vector<std::string>& columns, Lines&& lines) {
  std::string out = heading + "\n" + columns_line(columns);
  for (index k = 0; k < theta.size(); ++k) {
    out += "component " + std::to_string(k) + ": weight " + format_cell(theta.weights[k], 0) + "\n";
    out += lines(theta.components[static_cast<std::size_t>(k)]);
  }
  return out;
}

}  // namespace emkit::cli
