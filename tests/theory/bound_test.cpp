// log p(X|θ) = L(q, θ) + KL(q ‖ p(Z|X, θ)) for any distribution q, not only the posterior.
//
// `emkit::bound_decomposition` computes ℓ, E_q[log p(X, Z|θ)], H(q) and KL(q ‖ p(Z|X, θ)) each
// on its own (KL from log q − log r, never as ℓ − L), so their sum is a real check. For a tiny
// data set the identity is also checked by brute force over the whole latent space Z ∈ {1..K}^N,
// including for distributions q(Z) that do not factorise over observations.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_01.hpp>

#include <emkit/emkit.hpp>
#include <emkit/framework/verify/bound.hpp>

#include "support/data.hpp"

namespace {

using emkit::covariance_type;
using gmm = emkit::mixture<emkit::gaussian>;

// N×K random distributions, some rows with exact zeros and some one-hot.
Eigen::MatrixXd random_q(Eigen::Index N, Eigen::Index K, unsigned seed) {
  boost::random::mt19937 rng(seed);
  boost::random::uniform_01<double> u;
  Eigen::MatrixXd q(N, K);
  for (Eigen::Index n = 0; n < N; ++n) {
    for (Eigen::Index k = 0; k < K; ++k) q(n, k) = -std::log(u(rng) + 1e-300);  // Exp(1): a Dirichlet(1) row
    if (n % 7 == 3) q(n, n % K) = 0.0;
    if (n % 11 == 5) q.row(n).setZero(), q(n, (n / 11) % K) = 1.0;
    q.row(n) /= q.row(n).sum();
  }
  return q;
}

template <class Model>
void expect_identity(const Model& model, const typename Model::params_type& theta, const Eigen::MatrixXd& X,
                     unsigned seed) {
  const Eigen::Index K = model.num_components(theta);
  const double scale = std::max(1.0, std::abs(emkit::log_likelihood(model, theta, X)));
  for (unsigned s = 0; s < 5; ++s) {
    const Eigen::MatrixXd q = random_q(X.rows(), K, seed * 100 + s);
    const emkit::bound_terms t = emkit::bound_decomposition(model, theta, X, q);
    EXPECT_NEAR(t.elbo + t.kl, t.log_likelihood, 1e-12 * scale);
    // H(q) = −Σ q log q, recomputed here with Eigen's array operations (0 log 0 = 0); the
    // decomposition's own ELBO is its Q + H by definition, so it is the terms that are checked.
    const double entropy = -(q.array() > 0).select(q.array() * q.array().log(), 0.0).sum();
    EXPECT_NEAR(t.entropy, entropy, 1e-12 * scale);
    EXPECT_GT(t.kl, 0.0);  // a random q is not the posterior
    EXPECT_LT(t.elbo, t.log_likelihood);
    // The expected complete log-likelihood also equals Q from the model's sufficient statistics.
    auto acc = model.make_accumulator(K);
    model.accumulate(X, model.prepare(X), Eigen::VectorXd::Ones(X.rows()), q, acc);
    EXPECT_NEAR(model.expected_complete_log_likelihood(theta, acc), t.expected_complete, 1e-10 * scale);
  }
  // At the posterior the bound is tight.
  const Eigen::MatrixXd r = emkit::predict_proba(model, theta, X);
  const emkit::bound_terms t = emkit::bound_decomposition(model, theta, X, r);
  EXPECT_NEAR(t.kl, 0.0, 1e-12 * scale);
  EXPECT_NEAR(t.elbo, t.log_likelihood, 1e-11 * scale);
}

TEST(BoundDecomposition, HoldsForRandomQForEveryGaussianCovarianceType) {
  const Eigen::MatrixXd X = emkit::testing::draw(emkit::testing::three_blobs(), 300, 1);
  for (covariance_type type :
       {covariance_type::full, covariance_type::diagonal, covariance_type::spherical, covariance_type::tied}) {
    SCOPED_TRACE(emkit::to_string(type));
    const gmm model{emkit::gaussian{.covariance = type}};
    emkit::fitter<> fitter;
    fitter.options.max_iterations = 5;  // any θ will do; a few iterations make it a plausible one
    expect_identity(model, fitter.fit(model, X, 3).params, X, 1);
  }
}

TEST(BoundDecomposition, HoldsForRandomQForPoissonAndBernoulli) {
  Eigen::MatrixXd counts(200, 3), bits(200, 4);
  boost::random::mt19937 rng(5);
  boost::random::uniform_01<double> u;
  for (Eigen::Index n = 0; n < 200; ++n) {
    for (Eigen::Index d = 0; d < 3; ++d) counts(n, d) = std::floor(-std::log(u(rng)) * (n % 2 ? 2.0 : 8.0));
    for (Eigen::Index d = 0; d < 4; ++d) bits(n, d) = u(rng) < (n % 2 ? 0.2 : 0.7) ? 1 : 0;
  }
  const emkit::mixture<emkit::poisson> poisson{};
  const emkit::mixture<emkit::bernoulli> bernoulli{};
  emkit::fitter<> fitter;
  fitter.options.max_iterations = 5;
  expect_identity(poisson, fitter.fit(poisson, counts, 2).params, counts, 2);
  expect_identity(bernoulli, fitter.fit(bernoulli, bits, 3).params, bits, 3);
}

TEST(BoundDecomposition, AHardAssignmentHasNoEntropyAndItsBoundIsTheClassificationLikelihood) {
  const Eigen::MatrixXd X = emkit::testing::draw(emkit::testing::three_blobs(), 150, 2);
  const gmm model{emkit::gaussian{}};
  const auto theta = emkit::fitter<>{}.fit(model, X, 3).params;
  const Eigen::VectorX<emkit::index> labels = emkit::predict(model, theta, X);
  Eigen::MatrixXd q = Eigen::MatrixXd::Zero(X.rows(), 3);
  for (Eigen::Index n = 0; n < X.rows(); ++n) q(n, labels[n]) = 1.0;
  const emkit::bound_terms t = emkit::bound_decomposition(model, theta, X, q);
  EXPECT_EQ(t.entropy, 0.0);
  EXPECT_EQ(t.elbo, t.expected_complete);
  EXPECT_GE(t.kl, 0.0);  // −Σ_n log r_{n ẑ_n}: small for well-separated blobs, but never negative
  EXPECT_NEAR(t.elbo + t.kl, t.log_likelihood, 1e-12 * std::abs(t.log_likelihood));
}

// ---- brute force over the latent space ------------------------------------------------------

class BruteForce : public ::testing::Test {
 protected:
  void SetUp() override {
    X.resize(6, 1);
    X << -1.2, -0.3, 0.4, 1.9, 2.6, 3.4;
    theta.dimension = 1;
    theta.weights = Eigen::Vector3d(0.5, 0.3, 0.2);
    theta.components.push_back(
        emkit::gaussian_params::from(Eigen::VectorXd::Constant(1, -0.5), Eigen::MatrixXd::Constant(1, 1, 0.8)));
    theta.components.push_back(
        emkit::gaussian_params::from(Eigen::VectorXd::Constant(1, 1.5), Eigen::MatrixXd::Constant(1, 1, 1.5)));
    theta.components.push_back(
        emkit::gaussian_params::from(Eigen::VectorXd::Constant(1, 3.0), Eigen::MatrixXd::Constant(1, 1, 0.4)));
    L.resize(6, 3);
    model.log_joint(theta, X, model.prepare(X), L);
    // log p(X, Z) for every Z ∈ {0, 1, 2}^6, and log p(X) = log Σ_Z p(X, Z).
    joint.resize(729);
    for (int z = 0; z < 729; ++z) {
      double s = 0;
      for (int n = 0, c = z; n < 6; ++n, c /= 3) s += L(n, c % 3);
      joint[z] = s;
    }
    log_evidence = emkit::log_sum_exp(joint.transpose());
  }
  const gmm model{emkit::gaussian{}};
  Eigen::MatrixXd X;
  gmm::params_type theta;
  Eigen::MatrixXd L;
  Eigen::VectorXd joint;
  double log_evidence = 0;
};

TEST_F(BruteForce, TheEvidenceIsTheProductOfPerObservationMarginals) {
  EXPECT_NEAR(log_evidence, emkit::log_likelihood(model, theta, X), 1e-12 * std::abs(log_evidence));
}

TEST_F(BruteForce, AFactorisedQMatchesTheJointComputationTermByTerm) {
  const Eigen::MatrixXd q = random_q(6, 3, 9);
  double expected = 0, entropy = 0, kl = 0;
  for (int z = 0; z < 729; ++z) {
    double qz = 1;
    for (int n = 0, c = z; n < 6; ++n, c /= 3) qz *= q(n, c % 3);
    if (qz == 0) continue;
    expected += qz * joint[z];
    entropy -= qz * std::log(qz);
    kl += qz * (std::log(qz) - (joint[z] - log_evidence));  // p(Z|X) = p(X, Z) / p(X) over the whole space
  }
  const emkit::bound_terms t = emkit::bound_decomposition(model, theta, X, q);
  EXPECT_NEAR(t.expected_complete, expected, 1e-11);
  EXPECT_NEAR(t.entropy, entropy, 1e-11);
  EXPECT_NEAR(t.kl, kl, 1e-11);
  EXPECT_NEAR(t.log_likelihood, log_evidence, 1e-11);
}

TEST_F(BruteForce, TheIdentityHoldsForQThatDoNotFactorise) {
  // Any distribution over the 729 configurations: L(q) + KL(q ‖ p(Z|X)) = log p(X) exactly,
  // and KL = 0 only at q = p(Z|X).
  boost::random::mt19937 rng(17);
  boost::random::uniform_01<double> u;
  for (int trial = 0; trial < 20; ++trial) {
    Eigen::VectorXd q(729);
    for (int z = 0; z < 729; ++z) q[z] = trial % 4 == 0 && z % 5 ? 0.0 : -std::log(u(rng) + 1e-300);
    q /= q.sum();
    double elbo = 0, kl = 0;
    for (int z = 0; z < 729; ++z) {
      if (q[z] == 0) continue;
      elbo += q[z] * (joint[z] - std::log(q[z]));
      kl += q[z] * (std::log(q[z]) - (joint[z] - log_evidence));
    }
    EXPECT_NEAR(elbo + kl, log_evidence, 1e-11);
    EXPECT_GT(kl, 0.0);
  }
  Eigen::VectorXd posterior = (joint.array() - log_evidence).exp();
  double kl = 0;
  for (int z = 0; z < 729; ++z) kl += posterior[z] * (std::log(posterior[z]) - (joint[z] - log_evidence));
  EXPECT_NEAR(kl, 0.0, 1e-13);
}

TEST(BoundDecomposition, WeightsCountAsRepeatedRowsAndBadQIsAnError) {
  const Eigen::MatrixXd X = emkit::testing::draw(emkit::testing::three_blobs(), 60, 3);
  const gmm model{emkit::gaussian{}};
  const auto theta = emkit::fitter<>{}.fit(model, X, 3).params;
  const Eigen::MatrixXd q = random_q(60, 3, 4);
  Eigen::MatrixXd X2(120, 2), q2(120, 3);
  X2 << X, X;
  q2 << q, q;
  const auto once = emkit::bound_decomposition(model, theta, X, q, Eigen::VectorXd::Constant(60, 2.0));
  const auto twice = emkit::bound_decomposition(model, theta, X2, q2);
  EXPECT_NEAR(once.kl, twice.kl, 1e-10);
  EXPECT_NEAR(once.elbo, twice.elbo, 1e-9);

  Eigen::MatrixXd bad = q;
  bad(4, 0) += 0.1;
  EXPECT_THROW((void)emkit::bound_decomposition(model, theta, X, bad), emkit::data_error);
  EXPECT_THROW((void)emkit::bound_decomposition(model, theta, X, Eigen::MatrixXd(q.leftCols(2))), emkit::shape_error);
}

}  // namespace
