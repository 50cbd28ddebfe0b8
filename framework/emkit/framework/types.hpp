#pragma once
/// \file
/// The array types of emkit's interfaces. Rows are observations (N×D), matching the
/// N×K responsibilities; APIs take `Eigen::Ref` so that blocks and maps pass without copies.

#include <Eigen/Core>

namespace emkit {

/// Read-only view of a matrix whose rows are observations.
using matrix_ref = Eigen::Ref<const Eigen::MatrixXd>;
/// Read-only view of a column vector (per-observation weights, a parameter vector).
using vector_ref = Eigen::Ref<const Eigen::VectorXd>;
/// Writable view of a matrix (an n×K block of log densities or responsibilities).
using matrix_out = Eigen::Ref<Eigen::MatrixXd>;
/// Eigen's signed index type, used for every row, column and component count.
using index = Eigen::Index;

/// Rows [begin, begin + n) of `m`, like `m.middleRows(begin, n)` but also defined for a matrix
/// without columns: an N×0 cache (`prepare(X)` of a family that caches nothing) has a null data
/// pointer, and offsetting a null pointer is undefined behaviour (UBSan's pointer-overflow check).
inline matrix_ref middle_rows(matrix_ref m, index begin, index n) {
  if (m.cols() == 0) return Eigen::Map<const Eigen::MatrixXd>(nullptr, n, 0);
  return m.middleRows(begin, n);
}

}  // namespace emkit
