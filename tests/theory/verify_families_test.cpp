// `emkit::verify` for every covariance type, Poisson, Bernoulli and the fixed-variance Gaussian of
// K-means: closed-form standard errors where they exist (K = 1), and otherwise the three
// independent routes to the same numbers agreeing (Louis' identity against a finite-difference
// Hessian; the EM map's Jacobian against I_c⁻¹ I_m; the empirical rate against both).
#include <cmath>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <boost/random/bernoulli_distribution.hpp>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/poisson_distribution.hpp>
#include <boost/random/uniform_01.hpp>

#include <Eigen/Eigenvalues>

#include <emkit/emkit.hpp>
#include <emkit/models/verify/verify.hpp>

#include "support/data.hpp"

namespace {

using emkit::covariance_type;
using gmm = emkit::mixture<emkit::gaussian>;

// Two overlapping, differently shaped 2-D components.
emkit::testing::known_mixture overlapping() {
  emkit::testing::known_mixture m;
  m.weights = Eigen::Vector2d(0.45, 0.55);
  m.means.resize(2, 2);
  m.means << 0.0, 0.0, 2.5, 1.0;
  m.covariances.push_back((Eigen::Matrix2d() << 1.0, 0.3, 0.3, 0.5).finished());
  m.covariances.push_back((Eigen::Matrix2d() << 0.8, -0.2, -0.2, 1.2).finished());
  return m;
}

template <class Model>
auto fit(const Model& model, const Eigen::MatrixXd& X, emkit::index K, const Eigen::MatrixXd& start) {
  emkit::fitter<emkit::soft_estep, emkit::given_means> fitter;
  fitter.init.means = start;
  fitter.options.relative_tolerance = 1e-14;
  fitter.options.max_iterations = 5000;
  fitter.options.monitor.action = emkit::monitor_action::raise;
  return fitter.fit(model, X, K).params;
}

// The three routes agree, and θ is a maximum.
void expect_consistent(const emkit::verify_report& rep, double hessian_tolerance = 1e-5) {
  EXPECT_TRUE(rep.information_positive_definite);
  EXPECT_LT(rep.hessian_agreement, hessian_tolerance);
  EXPECT_LT(rep.newton_gain, 1e-8);
  EXPECT_NEAR(rep.missing_information_rate, rep.missing_information_rate_louis, 1e-6);
  EXPECT_NEAR(rep.em_rate, rep.missing_information_rate, 1e-3 * rep.missing_information_rate + 1e-6);
  EXPECT_LT(rep.missing_information_rate, 1.0);
  for (const auto& s : rep.standard_errors) EXPECT_TRUE(std::isfinite(s.value) && s.value > 0) << s.name;
  // Fisher's identity (analytic scores) against central differences of ℓ.
  EXPECT_LT((rep.score - rep.gradient).cwiseQuotient(rep.scales.cwiseInverse()).norm(), 1e-5);
}

TEST(VerifyGaussian, EveryCovarianceTypeAgreesWithItself) {
  const Eigen::MatrixXd X = emkit::testing::draw(overlapping(), 500, 4);
  const Eigen::MatrixXd start = overlapping().means;
  for (covariance_type type :
       {covariance_type::full, covariance_type::diagonal, covariance_type::spherical, covariance_type::tied}) {
    SCOPED_TRACE(emkit::to_string(type));
    const gmm model{emkit::gaussian{.covariance = type, .reg_covar = 0.0}};
    const auto theta = fit(model, X, 2, start);
    const auto rep = emkit::verify(model, theta, X);
    ASSERT_EQ(static_cast<std::size_t>(rep.parameters.size()), model.num_free_parameters(theta));
    expect_consistent(rep);
    EXPECT_GT(rep.missing_information_rate, 0.05);  // overlapping: a visible rate

    emkit::verify_options differences;
    differences.analytic_scores = false;
    const auto fd = emkit::verify(model, theta, X, differences);
    for (std::size_t j = 0; j < rep.standard_errors.size(); ++j)
      EXPECT_NEAR(fd.standard_errors[j].value, rep.standard_errors[j].value, 1e-4 * rep.standard_errors[j].value)
          << rep.standard_errors[j].name;
  }
}

TEST(VerifyGaussian, TiedNamesTheSharedCovarianceOnce) {
  const Eigen::MatrixXd X = emkit::testing::draw(overlapping(), 300, 5);
  const gmm model{emkit::gaussian{.covariance = covariance_type::tied, .reg_covar = 0.0}};
  const auto rep = emkit::verify(model, fit(model, X, 2, overlapping().means), X);
  EXPECT_EQ(rep.names, (std::vector<std::string>{"weight[0]", "component[0].mean[0]", "component[0].mean[1]",
                                                 "component[1].mean[0]", "component[1].mean[1]", "covariance[0,0]",
                                                 "covariance[1,0]", "covariance[1,1]"}));
}

TEST(VerifyGaussian, OneComponentHasTheTextbookStandardErrorsAndNoMissingInformation) {
  // At the MLE of N(μ, Σ): Var(μ̂_i) = Σ_ii / N and Cov(Σ̂_ij, Σ̂_kl) = (Σ_ik Σ_jl + Σ_il Σ_jk) / N.
  emkit::testing::known_mixture one;
  one.weights = Eigen::VectorXd::Ones(1);
  one.means = Eigen::RowVector3d(1.0, -2.0, 0.5);
  one.covariances.push_back((Eigen::Matrix3d() << 2.0, 0.4, -0.3, 0.4, 1.0, 0.2, -0.3, 0.2, 0.7).finished());
  const Eigen::MatrixXd X = emkit::testing::draw(one, 250, 8);
  const double N = static_cast<double>(X.rows());
  const gmm model{emkit::gaussian{.covariance = covariance_type::full, .reg_covar = 0.0}};
  const auto theta = fit(model, X, 1, X.colwise().mean());
  const Eigen::MatrixXd& S = theta.components[0].covariance;
  const auto rep = emkit::verify(model, theta, X);
  ASSERT_EQ(rep.standard_errors.size(), 9u);  // no weight: K − 1 = 0
  int j = 0;
  for (int d = 0; d < 3; ++d, ++j) EXPECT_NEAR(rep.standard_errors[j].value, std::sqrt(S(d, d) / N), 1e-7);
  for (int a = 0; a < 3; ++a) {
    for (int b = 0; b <= a; ++b, ++j) {
      EXPECT_EQ(rep.standard_errors[j].name, emkit::detail::concat("component[0].covariance[", a, ",", b, "]"));
      EXPECT_NEAR(rep.standard_errors[j].value, std::sqrt((S(a, a) * S(b, b) + S(a, b) * S(a, b)) / N), 1e-7);
    }
  }
  EXPECT_LT(rep.missing_information.norm(), 1e-9 * rep.complete_information.norm());
  EXPECT_LT(rep.missing_information_rate, 1e-6);
  EXPECT_LT(rep.em_rate, 1e-6);
  EXPECT_LT(rep.hessian_agreement, 1e-6);
}

TEST(VerifyGaussian, ObservationWeightsCountAsRepeatedRows) {
  const Eigen::MatrixXd X = emkit::testing::draw(overlapping(), 120, 6);
  Eigen::VectorXd w = Eigen::VectorXd::Ones(X.rows());
  std::vector<Eigen::Index> rows;
  for (Eigen::Index n = 0; n < X.rows(); ++n) {
    rows.push_back(n);
    if (n % 3 == 0) w[n] = 2.0, rows.push_back(n);
  }
  Eigen::MatrixXd repeated(static_cast<Eigen::Index>(rows.size()), 2);
  for (std::size_t i = 0; i < rows.size(); ++i) repeated.row(static_cast<Eigen::Index>(i)) = X.row(rows[i]);
  const gmm model{emkit::gaussian{.covariance = covariance_type::full, .reg_covar = 0.0}};
  const auto theta = fit(model, repeated, 2, overlapping().means);
  const auto a = emkit::verify(model, theta, X, w);
  const auto b = emkit::verify(model, theta, repeated);
  EXPECT_NEAR(a.log_likelihood, b.log_likelihood, 1e-10 * std::abs(b.log_likelihood));
  EXPECT_LT((a.observed_information - b.observed_information).norm(), 1e-8 * b.observed_information.norm());
  EXPECT_NEAR(a.missing_information_rate, b.missing_information_rate, 1e-8);
  EXPECT_DOUBLE_EQ(a.total_weight, static_cast<double>(repeated.rows()));
}

TEST(VerifyGaussian, TwoCopiesOfOneComponentAreASaddleNotAMaximum) {
  // The one-component MLE, duplicated with weights ½, is a fixed point of EM and a stationary
  // point of ℓ, but ℓ is flat along the weight: I_obs is singular and the EM map has eigenvalue 1.
  const Eigen::MatrixXd X = emkit::testing::draw(overlapping(), 200, 7);
  const gmm model{emkit::gaussian{.covariance = covariance_type::full, .reg_covar = 0.0}};
  const auto one = fit(model, X, 1, X.colwise().mean());
  gmm::params_type theta;
  theta.dimension = 2;
  theta.weights = Eigen::Vector2d(0.5, 0.5);
  theta.components = {one.components[0], one.components[0]};
  emkit::verify_options options;
  options.em_rate_max_steps = 50;
  const auto rep = emkit::verify(model, theta, X, options);
  EXPECT_LT(rep.gradient_norm, 1e-4);
  EXPECT_LT(rep.fixed_point_residual, 1e-10);
  const Eigen::VectorXd eig = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(rep.observed_information).eigenvalues();
  EXPECT_LT(eig.minCoeff(), 1e-6 * eig.maxCoeff());
  EXPECT_GT(rep.missing_information_rate, 1.0 - 1e-6);
}

TEST(VerifyGaussian, BadArgumentsAreErrorsAtTheBoundary) {
  const Eigen::MatrixXd X = emkit::testing::draw(overlapping(), 100, 9);
  const gmm model{emkit::gaussian{.covariance = covariance_type::full, .reg_covar = 0.0}};
  const auto theta = fit(model, X, 2, overlapping().means);
  EXPECT_THROW((void)emkit::verify(model, theta, Eigen::MatrixXd(X.leftCols(1))), emkit::shape_error);
  emkit::verify_options bad;
  bad.gradient_step = 0;
  EXPECT_THROW((void)emkit::verify(model, theta, X, bad), emkit::invalid_option);
  // A component far from every row has no mass: EM re-seeds it, so θ is not a fit of X.
  auto far = theta;
  far.components[1].mean = Eigen::Vector2d(1e4, 1e4);
  EXPECT_THROW((void)emkit::verify(model, far, X), emkit::numerical_error);
}

// ---- counts and binary data ---------------------------------------------------------------

Eigen::MatrixXd poisson_draws(const std::vector<Eigen::VectorXd>& rates, const std::vector<double>& weights, int n,
                              unsigned seed) {
  boost::random::mt19937 rng(seed);
  boost::random::uniform_01<double> u;
  Eigen::MatrixXd X(n, rates.front().size());
  for (int i = 0; i < n; ++i) {
    const std::size_t k = u(rng) < weights[0] ? 0 : 1;
    for (Eigen::Index d = 0; d < X.cols(); ++d)
      X(i, d) = static_cast<double>(boost::random::poisson_distribution<int, double>(rates[k][d])(rng));
  }
  return X;
}

Eigen::MatrixXd bernoulli_draws(const std::vector<Eigen::VectorXd>& ps, const std::vector<double>& weights, int n,
                                unsigned seed) {
  boost::random::mt19937 rng(seed);
  boost::random::uniform_01<double> u;
  Eigen::MatrixXd X(n, ps.front().size());
  for (int i = 0; i < n; ++i) {
    const std::size_t k = u(rng) < weights[0] ? 0 : 1;
    for (Eigen::Index d = 0; d < X.cols(); ++d)
      X(i, d) = boost::random::bernoulli_distribution<double>(ps[k][d])(rng) ? 1 : 0;
  }
  return X;
}

TEST(VerifyPoisson, OneComponentHasStandardErrorsSqrtLambdaOverN) {
  const Eigen::MatrixXd X = poisson_draws({Eigen::Vector3d(2.0, 7.5, 0.8)}, {1.0}, 300, 1);
  const emkit::mixture<emkit::poisson> model{};
  const auto theta = fit(model, X, 1, X.colwise().mean());
  const auto rep = emkit::verify(model, theta, X);
  for (int d = 0; d < 3; ++d) {
    const double lambda = theta.components[0].rates[d];
    EXPECT_EQ(rep.standard_errors[d].name, emkit::detail::concat("component[0].rate[", d, "]"));
    EXPECT_NEAR(rep.standard_errors[d].value, std::sqrt(lambda / 300.0), 1e-7 * std::sqrt(lambda / 300.0));
  }
  EXPECT_LT(rep.missing_information_rate, 1e-6);
}

TEST(VerifyPoisson, ATwoComponentMixtureAgreesWithItself) {
  const Eigen::MatrixXd X = poisson_draws({Eigen::Vector2d(2.0, 6.0), Eigen::Vector2d(6.0, 3.0)}, {0.4, 0.6}, 600, 2);
  const emkit::mixture<emkit::poisson> model{};
  Eigen::MatrixXd start(2, 2);
  start << 1.0, 7.0, 7.0, 2.0;
  const auto rep = emkit::verify(model, fit(model, X, 2, start), X);
  expect_consistent(rep);
  EXPECT_GT(rep.missing_information_rate, 0.05);
}

TEST(VerifyBernoulli, OneComponentHasStandardErrorsSqrtPQOverN) {
  const Eigen::MatrixXd X = bernoulli_draws({Eigen::Vector4d(0.2, 0.5, 0.7, 0.9)}, {1.0}, 400, 3);
  const emkit::mixture<emkit::bernoulli> model{};
  const auto theta = fit(model, X, 1, X.colwise().mean());
  const auto rep = emkit::verify(model, theta, X);
  for (int d = 0; d < 4; ++d) {
    const double p = theta.components[0].probabilities[d];
    EXPECT_NEAR(rep.standard_errors[d].value, std::sqrt(p * (1 - p) / 400.0), 1e-7 * std::sqrt(p * (1 - p) / 400.0));
  }
}

TEST(VerifyBernoulli, ATwoComponentMixtureAgreesWithItself) {
  Eigen::VectorXd a(6), b(6);
  a << 0.8, 0.7, 0.75, 0.3, 0.2, 0.25;
  b << 0.25, 0.3, 0.2, 0.7, 0.8, 0.75;
  const Eigen::MatrixXd X = bernoulli_draws({a, b}, {0.5, 0.5}, 800, 4);
  const emkit::mixture<emkit::bernoulli> model{};
  Eigen::MatrixXd start(2, 6);
  start.row(0) = a.transpose();
  start.row(1) = b.transpose();
  const auto rep = emkit::verify(model, fit(model, X, 2, start), X);
  expect_consistent(rep);
  EXPECT_GT(rep.missing_information_rate, 0.05);
}

// ---- a user's family: verify from five functions, no analytic scores ----------------------

// The exponential family of docs/writing-a-model.md, reduced to the three required hooks.
struct exponential {
  struct params_type {
    Eigen::VectorXd rate;
  };
  struct stats_type {
    double weight = 0.0;
    Eigen::VectorXd sum;
    stats_type& operator+=(const stats_type& o) {
      if (o.sum.size() == 0) return *this;
      if (sum.size() == 0) sum = Eigen::VectorXd::Zero(o.sum.size());
      weight += o.weight;
      sum += o.sum;
      return *this;
    }
  };
  Eigen::VectorXd log_density(const params_type& p, emkit::matrix_ref X) const {
    return (-(X * p.rate)).array() + p.rate.array().log().sum();
  }
  stats_type accumulate(emkit::matrix_ref X, emkit::vector_ref w) const { return {w.sum(), X.transpose() * w}; }
  params_type maximize(const stats_type& s) const { return {(s.weight / s.sum.array()).matrix()}; }
};

}  // namespace

// [user-parameterisation]
// The free coordinates of `exponential`: the rates, component by component.
template <>
struct emkit::parameterisation<exponential> {
  using params = exponential::params_type;
  static emkit::index size(const exponential&, std::span<const params> ps) {
    return static_cast<emkit::index>(ps.size()) * ps.front().rate.size();
  }
  static std::vector<std::string> names(const exponential&, std::span<const params> ps) {
    std::vector<std::string> out;
    for (std::size_t k = 0; k < ps.size(); ++k)
      for (emkit::index d = 0; d < ps[k].rate.size(); ++d)
        out.push_back("component[" + std::to_string(k) + "].rate[" + std::to_string(d) + "]");
    return out;
  }
  static Eigen::VectorXd flatten(const exponential& f, std::span<const params> ps) {
    Eigen::VectorXd phi(size(f, ps));
    for (std::size_t k = 0; k < ps.size(); ++k) phi.segment(k * ps[k].rate.size(), ps[k].rate.size()) = ps[k].rate;
    return phi;
  }
  static std::vector<params> unflatten(const exponential&, std::span<const params> ps, emkit::vector_ref phi) {
    if (!(phi.array() > 0).all()) throw emkit::numerical_error("a rate left (0, inf)");
    std::vector<params> out;
    for (std::size_t k = 0; k < ps.size(); ++k) out.push_back({phi.segment(k * ps[k].rate.size(), ps[k].rate.size())});
    return out;
  }
  static Eigen::VectorXd scales(const exponential& f, std::span<const params> ps) { return flatten(f, ps); }
};
// [user-parameterisation]

namespace {

TEST(VerifyUserFamily, FiveFunctionsAreEnoughAndDifferencesStandInForScores) {
  static_assert(emkit::HasParameterisation<exponential> && !emkit::HasAnalyticScores<exponential>);
  // One component: λ̂ = N / Σ x and the observed information N / λ², so the standard error is λ̂ / √N.
  boost::random::mt19937 rng(12);
  boost::random::uniform_01<double> u;
  Eigen::MatrixXd X(400, 2);
  for (Eigen::Index n = 0; n < X.rows(); ++n) {
    const bool first = n % 5 < 2;
    X(n, 0) = -std::log(1 - u(rng)) / (first ? 0.5 : 3.0);
    X(n, 1) = -std::log(1 - u(rng)) / (first ? 2.0 : 0.7);
  }
  const emkit::mixture<exponential> model{};
  const auto one = fit(model, X, 1, X.colwise().mean());
  const auto rep1 = emkit::verify(model, one, X);
  EXPECT_FALSE(rep1.analytic_scores);
  for (int d = 0; d < 2; ++d) {
    const double lambda = one.components[0].rate[d];
    EXPECT_NEAR(rep1.standard_errors[d].value, lambda / std::sqrt(400.0), 1e-5 * lambda / std::sqrt(400.0));
  }
  // Two components: Louis by differences against the Hessian by differences, and the rates.
  Eigen::MatrixXd start(2, 2);
  start << 2.0, 0.5, 0.3, 1.4;
  const auto rep = emkit::verify(model, fit(model, X, 2, start), X);
  EXPECT_TRUE(rep.information_positive_definite);
  EXPECT_LT(rep.hessian_agreement, 1e-4);
  EXPECT_NEAR(rep.missing_information_rate, rep.missing_information_rate_louis, 1e-4);
  EXPECT_NEAR(rep.em_rate, rep.missing_information_rate, 1e-3 * rep.missing_information_rate);
}

TEST(VerifyKMeansFamily, SoftEmWithAFixedVarianceHasOnlyMeansAsCoordinates) {
  const Eigen::MatrixXd X = emkit::testing::draw(overlapping(), 400, 10);
  auto model = emkit::kmeans_model(1.0);
  const auto theta = fit(model, X, 2, overlapping().means);  // soft EM: the σ² = 1 isotropic mixture
  const auto rep = emkit::verify(model, theta, X);
  EXPECT_EQ(rep.names, (std::vector<std::string>{"component[0].mean[0]", "component[0].mean[1]", "component[1].mean[0]",
                                                 "component[1].mean[1]"}));
  expect_consistent(rep);
}

}  // namespace
