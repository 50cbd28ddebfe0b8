#pragma once
/// \file
/// The weights of a file source: unit weights, or a vector held in memory.

#include <string>

#include <Eigen/Core>

#include <emkit/framework/data/data_source.hpp>
#include <emkit/framework/error.hpp>

namespace emkit::detail {

/// The weights of the rows of a file source: 1 each when `values` is empty (no memory), else
/// `values` (one per row, held in memory: 8 bytes a row). Values are checked by the fit.
struct file_weights {
  Eigen::VectorXd values;

  /// Throws `shape_error` naming the file when there are weights but not one per row.
  void check(index rows, const std::string& name) const {
    if (values.size() == 0) return;
    check_shape(values.size() == rows, name, "weights.size()", values.size(),
                "the number of rows " + std::to_string(rows));
  }

  void read(row_range r, vector_out w) const {
    if (values.size() == 0) {
      w.setOnes();
    } else {
      w = values.segment(r.begin, r.rows);
    }
  }
};

}  // namespace emkit::detail
