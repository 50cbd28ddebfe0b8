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

}  // namespace emkit
