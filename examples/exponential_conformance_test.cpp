// emkit's conformance suite run on a user's family: the exponential family of exponential.hpp.
// A traits struct says how to make the family, its data and an independent reference; the
// suite's laws do the rest (docs/writing-a-model.md, "Testing a new family").
#include <cmath>

#include <boost/math/distributions/exponential.hpp>

#include <emkit/testing/conformance.hpp>

#include "exponential.hpp"

namespace {

struct exponential_traits {
  using family_type = exponential;
  static constexpr int K = 3;
  static family_type family() { return {}; }
  static family_type fit_family() { return {}; }  // the family as fitted from random starts
  // n draws from a known three-component mixture over two columns.
  static Eigen::MatrixXd data(Eigen::Index n, unsigned seed) {
    emkit::mixture_params<exponential::params_type> truth;
    truth.weights = Eigen::Vector3d(0.5, 0.3, 0.2);
    truth.components = {{Eigen::Vector2d(1.0, 10.0)}, {Eigen::Vector2d(10.0, 1.0)}, {Eigen::Vector2d(0.25, 0.25)}};
    truth.dimension = 2;
    return emkit::sample(emkit::mixture<exponential>{}, truth, n, seed).X;
  }
  // K×D rows to start EM from: each true component's mean 1/λ.
  static Eigen::MatrixXd start_means(const Eigen::MatrixXd&) {
    return (Eigen::MatrixXd(3, 2) << 1.0, 0.1, 0.1, 1.0, 4.0, 4.0).finished();
  }
  // Independent of the family: Boost.Math's density.
  static double reference_log_density(const exponential::params_type& p, const Eigen::VectorXd& x) {
    double sum = 0.0;
    for (Eigen::Index d = 0; d < x.size(); ++d)
      sum += std::log(boost::math::pdf(boost::math::exponential_distribution<>(p.rate[d]), x[d]));
    return sum;
  }
  // The textbook MLE of one component with unit weights: λ_d = 1 / the mean of column d.
  static exponential::params_type reference_mle(const Eigen::MatrixXd& X) {
    return {X.colwise().mean().transpose().cwiseInverse()};
  }
};

}  // namespace

namespace emkit::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Exponential, Conformance, ::testing::Types<exponential_traits>);
}
