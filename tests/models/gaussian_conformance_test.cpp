// The Gaussian family, each covariance type, through the shared conformance suite.
#include <cmath>

#include <Eigen/LU>

#include <emkit/testing/conformance.hpp>
#include "support/data.hpp"

namespace {

template <emkit::covariance_type Type>
struct gaussian_traits {
  using family_type = emkit::gaussian;
  static constexpr int K = 3;
  static family_type family() { return {.covariance = Type, .reg_covar = 0.0}; }
  // Random starts can collapse a component onto a point, where the unregularised likelihood
  // is unbounded; fits from them use the default regularisation.
  static family_type fit_family() { return {.covariance = Type}; }
  static Eigen::MatrixXd data(Eigen::Index n, unsigned seed) {
    return emkit::testing::draw(emkit::testing::three_blobs(), n, seed);
  }
  static Eigen::MatrixXd start_means(const Eigen::MatrixXd&) { return emkit::testing::three_blobs().means; }
  // The textbook density with an explicit inverse and determinant.
  static double reference_log_density(const emkit::gaussian_params& p, const Eigen::VectorXd& x) {
    const Eigen::VectorXd d = x - p.mean;
    const double D = static_cast<double>(x.size());
    return -0.5 * (D * std::log(2 * M_PI) + std::log(p.covariance.determinant()) + d.dot(p.covariance.inverse() * d));
  }
  static emkit::gaussian_params reference_mle(const Eigen::MatrixXd& X) {
    const Eigen::VectorXd mean = X.colwise().mean();
    const Eigen::MatrixXd C = X.rowwise() - mean.transpose();
    Eigen::MatrixXd cov = C.transpose() * C / static_cast<double>(X.rows());
    if (Type == emkit::covariance_type::diagonal) cov = Eigen::MatrixXd(cov.diagonal().asDiagonal());
    if (Type == emkit::covariance_type::spherical)
      cov = Eigen::MatrixXd::Identity(X.cols(), X.cols()) * (cov.trace() / static_cast<double>(X.cols()));
    return emkit::gaussian_params::from(mean, cov);
  }
};

using gaussian_types =
    ::testing::Types<gaussian_traits<emkit::covariance_type::full>, gaussian_traits<emkit::covariance_type::diagonal>,
                     gaussian_traits<emkit::covariance_type::spherical>, gaussian_traits<emkit::covariance_type::tied>>;

}  // namespace

namespace emkit::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Gaussian, Conformance, gaussian_types);
}
