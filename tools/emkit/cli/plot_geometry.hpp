#pragma once
/// \file
/// The geometry of `emkit plot clusters`: the axes of a 2-D Gaussian's contour ellipses,
/// points on those ellipses, and the plane of the data's first two principal axes onto which
/// data of more than two columns is projected.

#include <cmath>
#include <numbers>

#include <Eigen/Core>
#include <Eigen/Eigenvalues>

#include <emkit/framework/error.hpp>
#include <emkit/framework/types.hpp>

namespace emkit::cli {

/// The contour {x : (x − μ)ᵀ Σ⁻¹ (x − μ) = 1} of a 2-D Gaussian is an ellipse whose semi-axes
/// are √λ₁ ≥ √λ₂ (the eigenvalues of Σ) along Σ's eigenvectors.
struct ellipse_axes {
  double major = 0.0;  ///< √λ₁, the larger semi-axis
  double minor = 0.0;  ///< √λ₂
  double angle = 0.0;  ///< of the major axis from the x axis, radians in (−π/2, π/2]
};

/// The axes of Σ's unit ellipse (by Eigen's symmetric eigensolver). Throws `numerical_error`
/// when Σ is not symmetric positive definite (or not finite).
[[nodiscard]] inline ellipse_axes ellipse_of(const Eigen::Matrix2d& covariance) {
  if (!covariance.allFinite() || covariance(0, 1) != covariance(1, 0)) {
    throw numerical_error("ellipse_of: the covariance is not a finite symmetric matrix");
  }
  const Eigen::SelfAdjointEigenSolver<Eigen::Matrix2d> eigen(covariance);
  const Eigen::Vector2d lambda = eigen.eigenvalues();  // ascending
  if (eigen.info() != Eigen::Success || !(lambda[0] > 0)) {
    throw numerical_error(detail::concat("ellipse_of: the covariance is not positive definite (eigenvalues ", lambda[0],
                                         ", ", lambda[1], ")"));
  }
  const Eigen::Vector2d v = eigen.eigenvectors().col(1);
  double angle = std::atan2(v[1], v[0]);
  if (angle > std::numbers::pi / 2) angle -= std::numbers::pi;  // an axis has no direction
  if (angle <= -std::numbers::pi / 2) angle += std::numbers::pi;
  return {std::sqrt(lambda[1]), std::sqrt(lambda[0]), angle};
}

/// `count` points, the first repeated at the end to close the curve, on the ellipse
/// {x : (x − μ)ᵀ Σ⁻¹ (x − μ) = radius²}: the radius-σ contour of N(μ, Σ), which holds a
/// fraction 1 − exp(−radius²/2) of its mass (39% at 1, 86% at 2).
[[nodiscard]] inline Eigen::MatrixX2d ellipse_points(const Eigen::Vector2d& mean, const Eigen::Matrix2d& covariance,
                                                     double radius, int count = 100) {
  const ellipse_axes axes = ellipse_of(covariance);
  const Eigen::Vector2d u(std::cos(axes.angle), std::sin(axes.angle));
  const Eigen::Vector2d v(-u[1], u[0]);
  Eigen::MatrixX2d out(count + 1, 2);
  for (int i = 0; i <= count; ++i) {
    const double t = 2.0 * std::numbers::pi * (i % count) / count;
    out.row(i) = (mean + radius * (axes.major * std::cos(t) * u + axes.minor * std::sin(t) * v)).transpose();
  }
  return out;
}

/// An affine map of D-dimensional data onto a plane: y = axesᵀ (x − center).
struct plot_plane {
  Eigen::VectorXd center;             ///< D
  Eigen::MatrixXd axes;               ///< D×2, orthonormal columns
  Eigen::Vector2d variance_fraction;  ///< the share of the data's total variance along each axis

  /// The rows of X in plane coordinates (N×2).
  [[nodiscard]] Eigen::MatrixXd project(matrix_ref X) const { return (X.rowwise() - center.transpose()) * axes; }
  /// A point (such as a component mean) in plane coordinates.
  [[nodiscard]] Eigen::Vector2d project_point(const Eigen::VectorXd& x) const {
    return axes.transpose() * (x - center);
  }
  /// A covariance in plane coordinates, axesᵀ Σ axes: the covariance of the projected Gaussian.
  [[nodiscard]] Eigen::Matrix2d project_covariance(const Eigen::MatrixXd& sigma) const {
    const Eigen::Matrix2d c = axes.transpose() * sigma * axes;
    return (c + c.transpose()) / 2;  // exactly symmetric
  }
};

/// The plane of the first two principal axes of X's rows: centred at the column means,
/// spanned by the eigenvectors of the sample covariance with the two largest eigenvalues
/// (each signed so that its largest entry in absolute value is positive, so that the picture
/// does not flip between platforms). Throws `shape_error` for fewer than 2 columns.
[[nodiscard]] inline plot_plane principal_plane(matrix_ref X) {
  if (X.cols() < 2 || X.rows() < 1) {
    throw shape_error(
        detail::concat("principal_plane: X is ", X.rows(), "x", X.cols(), ", expected at least 1 row and 2 columns"));
  }
  plot_plane plane;
  plane.center = X.colwise().mean().transpose();
  const Eigen::MatrixXd centred = X.rowwise() - plane.center.transpose();
  const Eigen::MatrixXd covariance = centred.transpose() * centred / static_cast<double>(X.rows());
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(covariance);
  const index D = X.cols();
  plane.axes.resize(D, 2);
  const double total = eigen.eigenvalues().sum();
  for (index j = 0; j < 2; ++j) {
    Eigen::VectorXd axis = eigen.eigenvectors().col(D - 1 - j);
    index largest = 0;
    axis.cwiseAbs().maxCoeff(&largest);
    if (axis[largest] < 0) axis = -axis;
    plane.axes.col(j) = axis;
    plane.variance_fraction[j] = total > 0 ? eigen.eigenvalues()[D - 1 - j] / total : 0.0;
  }
  return plane;
}

/// The identity map of 2-D data (the picture keeps the data's own axes).
[[nodiscard]] inline plot_plane identity_plane() {
  return {Eigen::VectorXd::Zero(2), Eigen::MatrixXd::Identity(2, 2), Eigen::Vector2d::Constant(std::nan(""))};
}

}  // namespace emkit::cli
