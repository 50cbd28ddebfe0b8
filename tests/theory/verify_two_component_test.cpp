// `emkit::verify` on a two-component one-dimensional Gaussian mixture, where every quantity has
// a closed form: the reference below is written from the formulas, shares no code with emkit,
// and differentiates nothing numerically.
//
// Coordinates, in emkit's order: φ = (π_0, μ_0, σ_0², μ_1, σ_1²), π_1 = 1 − π_0. With
// a_k(x) = log π_k + log N(x | μ_k, σ_k²), ℓ = Σ_n log Σ_k exp a_k(x_n), and r_nk the posterior:
//
//   ∇ℓ   = Σ_n Σ_k r_nk ∇a_k                                   (Fisher's identity)
//   ∇²ℓ  = Σ_n [Σ_k r_nk (∇²a_k + ∇a_k ∇a_kᵀ) − ḡ_n ḡ_nᵀ],     ḡ_n = Σ_k r_nk ∇a_k
//   I_c  = −Σ_n Σ_k r_nk ∇²a_k,   I_m = Σ_n [Σ_k r_nk ∇a_k ∇a_kᵀ − ḡ_n ḡ_nᵀ],   −∇²ℓ = I_c − I_m
//
// (the second line is the Hessian of a log-sum-exp, elementary calculus), and the EM map is
// the textbook one: π_0 = mean r_0, μ_k and σ_k² the r_k-weighted mean and variance.
#include <cmath>
#include <numbers>
#include <vector>

#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>

#include <emkit/emkit.hpp>
#include <emkit/models/verify/verify.hpp>

#include "support/data.hpp"

namespace {

using vec5 = Eigen::Matrix<double, 5, 1>;
using mat5 = Eigen::Matrix<double, 5, 5>;

// ---- the closed-form reference ---------------------------------------------------------------

struct reference {
  double log_likelihood = 0;
  vec5 gradient = vec5::Zero();
  mat5 hessian = mat5::Zero();
  mat5 complete = mat5::Zero();
  mat5 missing = mat5::Zero();
};

reference closed_form(const vec5& f, const Eigen::VectorXd& x) {
  const double p0 = f[0], m0 = f[1], v0 = f[2], m1 = f[3], v1 = f[4], p1 = 1 - p0;
  reference out;
  for (double xn : x) {
    const double y0 = xn - m0, y1 = xn - m1;
    const double a0 = std::log(p0) - 0.5 * (std::log(2 * std::numbers::pi * v0) + y0 * y0 / v0);
    const double a1 = std::log(p1) - 0.5 * (std::log(2 * std::numbers::pi * v1) + y1 * y1 / v1);
    const double top = std::max(a0, a1);
    const double lse = top + std::log(std::exp(a0 - top) + std::exp(a1 - top));
    const double r0 = std::exp(a0 - lse), r1 = std::exp(a1 - lse);
    vec5 g0, g1;
    g0 << 1 / p0, y0 / v0, -1 / (2 * v0) + y0 * y0 / (2 * v0 * v0), 0, 0;
    g1 << -1 / p1, 0, 0, y1 / v1, -1 / (2 * v1) + y1 * y1 / (2 * v1 * v1);
    mat5 H0 = mat5::Zero(), H1 = mat5::Zero();
    H0(0, 0) = -1 / (p0 * p0);
    H0(1, 1) = -1 / v0;
    H0(1, 2) = H0(2, 1) = -y0 / (v0 * v0);
    H0(2, 2) = 1 / (2 * v0 * v0) - y0 * y0 / (v0 * v0 * v0);
    H1(0, 0) = -1 / (p1 * p1);
    H1(3, 3) = -1 / v1;
    H1(3, 4) = H1(4, 3) = -y1 / (v1 * v1);
    H1(4, 4) = 1 / (2 * v1 * v1) - y1 * y1 / (v1 * v1 * v1);
    const vec5 gbar = r0 * g0 + r1 * g1;
    const mat5 outer = r0 * g0 * g0.transpose() + r1 * g1 * g1.transpose() - gbar * gbar.transpose();
    out.log_likelihood += lse;
    out.gradient += gbar;
    out.hessian += r0 * H0 + r1 * H1 + outer;
    out.complete -= r0 * H0 + r1 * H1;
    out.missing += outer;
  }
  return out;
}

// The textbook EM map.
vec5 em_map(const vec5& f, const Eigen::VectorXd& x) {
  double n0 = 0, s0 = 0, n1 = 0, s1 = 0;
  Eigen::VectorXd r0(x.size());
  for (Eigen::Index n = 0; n < x.size(); ++n) {
    const double y0 = x[n] - f[1], y1 = x[n] - f[3];
    const double a0 = std::log(f[0]) - 0.5 * (std::log(f[2]) + y0 * y0 / f[2]);
    const double a1 = std::log(1 - f[0]) - 0.5 * (std::log(f[4]) + y1 * y1 / f[4]);
    r0[n] = 1 / (1 + std::exp(a1 - a0));
    n0 += r0[n], s0 += r0[n] * x[n], n1 += 1 - r0[n], s1 += (1 - r0[n]) * x[n];
  }
  const double m0 = s0 / n0, m1 = s1 / n1;
  double q0 = 0, q1 = 0;
  for (Eigen::Index n = 0; n < x.size(); ++n) {
    q0 += r0[n] * (x[n] - m0) * (x[n] - m0);
    q1 += (1 - r0[n]) * (x[n] - m1) * (x[n] - m1);
  }
  vec5 out;
  out << n0 / static_cast<double>(x.size()), m0, q0 / n0, m1, q1 / n1;
  return out;
}

// θ* by running the textbook EM until its step is at rounding level.
vec5 fixed_point(vec5 f, const Eigen::VectorXd& x) {
  for (int t = 0; t < 20000; ++t) {
    const vec5 next = em_map(f, x);
    const double step = (next - f).cwiseAbs().maxCoeff();
    f = next;
    if (step < 1e-15) break;
  }
  return f;
}

double relative(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) { return (a - b).norm() / b.norm(); }

// ---- the same model in emkit -----------------------------------------------------------------

using gmm = emkit::mixture<emkit::gaussian>;

gmm model_of(emkit::covariance_type type, double reg = 0.0) {
  return gmm{emkit::gaussian{.covariance = type, .reg_covar = reg}};
}

gmm::params_type params_of(const vec5& f) {
  gmm::params_type theta;
  theta.dimension = 1;
  theta.weights = Eigen::Vector2d(f[0], 1 - f[0]);
  theta.components.push_back(
      emkit::gaussian_params::from(Eigen::VectorXd::Constant(1, f[1]), Eigen::MatrixXd::Constant(1, 1, f[2])));
  theta.components.push_back(
      emkit::gaussian_params::from(Eigen::VectorXd::Constant(1, f[3]), Eigen::MatrixXd::Constant(1, 1, f[4])));
  return theta;
}

class TwoComponents : public ::testing::Test {
 protected:
  void SetUp() override {
    emkit::testing::known_mixture truth;
    truth.weights = Eigen::Vector2d(0.4, 0.6);
    truth.means = Eigen::Vector2d(0.0, 3.0);
    truth.covariances = {Eigen::MatrixXd::Constant(1, 1, 1.0), Eigen::MatrixXd::Constant(1, 1, 0.64)};
    X = emkit::testing::draw(truth, 400, 11);
    x = X.col(0);
    vec5 start;
    start << 0.5, -0.5, 1.0, 3.0, 1.0;
    star = fixed_point(start, x);
    ref = closed_form(star, x);
  }
  Eigen::MatrixXd X;
  Eigen::VectorXd x;
  vec5 star;
  reference ref;
};

TEST_F(TwoComponents, TheReferenceIsAtAStationaryPointThatIsAMaximum) {
  EXPECT_LT(ref.gradient.norm(), 1e-9);
  EXPECT_GT(Eigen::SelfAdjointEigenSolver<mat5>(-ref.hessian).eigenvalues().minCoeff(), 0.0);
}

TEST_F(TwoComponents, EveryQuantityMatchesItsClosedFormAtTheMaximum) {
  const auto rep = emkit::verify(model_of(emkit::covariance_type::full), params_of(star), X);
  ASSERT_EQ(rep.names, (std::vector<std::string>{"weight[0]", "component[0].mean[0]", "component[0].covariance[0,0]",
                                                 "component[1].mean[0]", "component[1].covariance[0,0]"}));
  EXPECT_NEAR(rep.log_likelihood, ref.log_likelihood, 1e-10 * std::abs(ref.log_likelihood));
  // ∇ℓ = 0 at θ*: central differences leave rounding of order ε|ℓ|/h, far below 1e-5.
  EXPECT_LT(rep.gradient_norm, 1e-5);
  EXPECT_LT(rep.score.norm(), 1e-8);
  EXPECT_LT(rep.newton_gain, 1e-12);
  EXPECT_LT(rep.fixed_point_residual, 1e-12);

  // Louis' identity, piece by piece, against the closed forms.
  EXPECT_LT(relative(rep.complete_information, ref.complete), 1e-8);
  EXPECT_LT(relative(rep.missing_information, ref.missing), 1e-8);
  EXPECT_LT(relative(rep.observed_information, -ref.hessian), 1e-8);
  // The finite-difference Hessian of ℓ agrees with both.
  EXPECT_LT(relative(rep.hessian, ref.hessian), 1e-6);
  EXPECT_LT(rep.hessian_agreement, 1e-6);

  // Standard errors √diag((−∇²ℓ)⁻¹), and the derived one of π_1 equals that of π_0.
  const mat5 cov = (-ref.hessian).inverse();
  ASSERT_EQ(rep.standard_errors.size(), 6u);
  for (int j = 0; j < 5; ++j) {
    EXPECT_EQ(rep.standard_errors[j].name, rep.names[j]);
    EXPECT_EQ(rep.standard_errors[j].estimate, rep.parameters[j]);
    EXPECT_NEAR(rep.standard_errors[j].value, std::sqrt(cov(j, j)), 1e-7 * std::sqrt(cov(j, j))) << rep.names[j];
  }
  EXPECT_EQ(rep.standard_errors[5].name, "weight[1]");
  EXPECT_TRUE(rep.standard_errors[5].derived);
  EXPECT_NEAR(rep.standard_errors[5].value, rep.standard_errors[0].value, 1e-12);
}

TEST_F(TwoComponents, TheRatesMatchTheFractionOfMissingInformationAndBruteForceEm) {
  const auto rep = emkit::verify(model_of(emkit::covariance_type::full), params_of(star), X);
  // The fraction of missing information: the largest eigenvalue of I_c⁻¹ I_m.
  const double closed =
      Eigen::GeneralizedSelfAdjointEigenSolver<mat5>(ref.missing, ref.complete).eigenvalues().maxCoeff();
  ASSERT_GT(closed, 0.05);  // the clusters overlap: EM is visibly linear
  ASSERT_LT(closed, 0.95);
  EXPECT_NEAR(rep.missing_information_rate_louis, closed, 1e-8);
  EXPECT_NEAR(rep.missing_information_rate, closed, 1e-7);

  // The Jacobian of the textbook EM map by central differences: same spectrum.
  mat5 J;
  for (int j = 0; j < 5; ++j) {
    vec5 up = star, down = star;
    const double h = 1e-6 * std::max(std::abs(star[j]), 0.1);
    up[j] += h, down[j] -= h;
    J.col(j) = (em_map(up, x) - em_map(down, x)) / (2 * h);
  }
  const Eigen::VectorXcd eig = Eigen::EigenSolver<mat5>(J).eigenvalues();
  EXPECT_NEAR(eig.cwiseAbs().maxCoeff(), closed, 1e-6);
  EXPECT_LT(relative(rep.em_jacobian, J), 1e-6);

  // Brute force: the textbook EM from θ* + δ, the error ratio ‖θ_{t+1} − θ*‖ / ‖θ_t − θ*‖ late in the run.
  vec5 f = star;
  f += 1e-4 * vec5(0.1, 0.3, -0.2, 0.25, 0.15);
  double ratio = 0;
  for (int t = 0; t < 60; ++t) {
    const vec5 next = em_map(f, x);
    ratio = (next - star).norm() / (f - star).norm();
    f = next;
    if ((f - star).norm() < 1e-11) break;
  }
  EXPECT_NEAR(ratio, closed, 2e-3);
  EXPECT_NEAR(rep.em_rate, closed, 1e-4 * closed);
}

TEST_F(TwoComponents, AwayFromTheMaximumTheGradientAndTheEmStepAreTheClosedForms) {
  vec5 f = star;
  f += vec5(0.05, 0.2, -0.1, -0.15, 0.1);
  const reference off = closed_form(f, x);
  const auto rep = emkit::verify(model_of(emkit::covariance_type::full), params_of(f), X);
  EXPECT_LT((rep.gradient - off.gradient).norm(), 1e-7 * off.gradient.norm());
  EXPECT_LT((rep.score - off.gradient).norm(), 1e-10 * off.gradient.norm());
  EXPECT_NEAR(rep.gradient_norm, off.gradient.norm(), 1e-7 * off.gradient.norm());
  const vec5 step = em_map(f, x) - f;
  EXPECT_LT((rep.fixed_point_step - step).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_NEAR(rep.fixed_point_residual, step.norm(), 1e-12);
  // Louis' identity holds at any θ, not only at the maximum.
  EXPECT_LT(relative(rep.observed_information, -off.hessian), 1e-8);
  EXPECT_LT(rep.hessian_agreement, 1e-6);
  // EM's own limit is found and is θ*.
  EXPECT_LT((rep.fixed_point - star).norm(), 1e-9);
}

TEST_F(TwoComponents, DiagonalAndSphericalAreTheSameModelInOneDimension) {
  const auto full = emkit::verify(model_of(emkit::covariance_type::full), params_of(star), X);
  for (auto type : {emkit::covariance_type::diagonal, emkit::covariance_type::spherical}) {
    const auto rep = emkit::verify(model_of(type), params_of(star), X);
    EXPECT_EQ(rep.names[2],
              type == emkit::covariance_type::diagonal ? "component[0].variance[0]" : "component[0].variance");
    EXPECT_LT(relative(rep.observed_information, full.observed_information), 1e-9);
    for (int j = 0; j < 5; ++j)
      EXPECT_NEAR(rep.standard_errors[j].value, full.standard_errors[j].value, 1e-9 * full.standard_errors[j].value);
    EXPECT_NEAR(rep.missing_information_rate, full.missing_information_rate, 1e-8);
  }
}

TEST_F(TwoComponents, RegularisationLeavesTheGradientItPredicts) {
  // With reg_covar = c the EM map's fixed point has σ_k² = s_k + c, s_k the weighted variance,
  // so ∂ℓ/∂σ_k² = N_k (s_k − σ_k²) / (2σ_k⁴) = −N_k c / (2σ_k⁴) while the weights' and means'
  // gradients vanish. The fixed point is EM's own limit, found by iterating emkit's EM step.
  constexpr double reg = 1e-3;
  const gmm model = model_of(emkit::covariance_type::full, reg);
  gmm::params_type theta = params_of(star);
  for (int t = 0; t < 500; ++t) theta = emkit::em_step(model, theta, X, Eigen::VectorXd::Ones(X.rows()));
  const auto rep = emkit::verify(model, theta, X);
  EXPECT_LT(rep.fixed_point_residual, 1e-12);
  const Eigen::MatrixXd R = emkit::predict_proba(model, theta, X);
  for (int k = 0; k < 2; ++k) {
    const double v = theta.components[k].covariance(0, 0);
    const double predicted = -R.col(k).sum() * reg / (2 * v * v);
    EXPECT_NEAR(rep.gradient[2 + 2 * k], predicted, 1e-5 * std::abs(predicted));
    EXPECT_NEAR(rep.gradient[1 + 2 * k], 0.0, 1e-5);
  }
  EXPECT_NEAR(rep.gradient[0], 0.0, 1e-5);
  // The rate is unchanged by regularisation to first order: reg_covar shifts the M-step by a constant.
  const auto plain = emkit::verify(model_of(emkit::covariance_type::full), params_of(star), X);
  EXPECT_NEAR(rep.missing_information_rate, plain.missing_information_rate, 1e-2);
}

TEST_F(TwoComponents, DifferencesInPlaceOfAnalyticScoresGiveTheSameAnswerToFewerDigits) {
  emkit::verify_options options;
  options.analytic_scores = false;
  const auto rep = emkit::verify(model_of(emkit::covariance_type::full), params_of(star), X, options);
  EXPECT_FALSE(rep.analytic_scores);
  EXPECT_LT(relative(rep.missing_information, ref.missing), 1e-7);
  EXPECT_LT(relative(rep.complete_information, ref.complete), 1e-5);
  EXPECT_LT(relative(rep.observed_information, -ref.hessian), 1e-5);
  const double closed =
      Eigen::GeneralizedSelfAdjointEigenSolver<mat5>(ref.missing, ref.complete).eigenvalues().maxCoeff();
  EXPECT_NEAR(rep.missing_information_rate_louis, closed, 1e-5);
}

}  // namespace
