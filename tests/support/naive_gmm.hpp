// Naive, textbook reference implementation of EM for Gaussian mixtures.
//
// This file is test support only: it is deliberately simple and slow, and it
// shares no code with the emkit library (it includes no emkit header). Tests use
// it as ground truth against the fast implementation.
//
// Conventions follow scikit-learn's GaussianMixture M-step (see naive_m_step).
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <cmath>
#include <cstddef>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace emkit::testing {

struct naive_gmm {
  Eigen::VectorXd weights;                   // K
  std::vector<Eigen::VectorXd> means;        // K of D
  std::vector<Eigen::MatrixXd> covariances;  // K of D×D (always full matrices, whatever the type)
  double log_likelihood = 0.0;               // Σ_n w_n log Σ_k π_k N(x_n | μ_k, Σ_k) at the returned parameters
};

namespace naive_detail {

enum class cov_kind { full, diag, spherical, tied };

inline cov_kind parse_covariance(std::string_view covariance) {
  if (covariance == "full") return cov_kind::full;
  if (covariance == "diag") return cov_kind::diag;
  if (covariance == "spherical") return cov_kind::spherical;
  if (covariance == "tied") return cov_kind::tied;
  throw std::invalid_argument("naive_gmm: unknown covariance type '" + std::string(covariance) + "'");
}

/// log Σ_i exp(v_i), computed stably.
inline double log_sum_exp(const Eigen::VectorXd& v) {
  const double m = v.maxCoeff();
  if (!std::isfinite(m)) return m;  // all -inf (or a +inf / nan present)
  double s = 0.0;
  for (Eigen::Index i = 0; i < v.size(); ++i) s += std::exp(v(i) - m);
  return m + std::log(s);
}

/// N×K matrix with entries log π_k + log N(x_n | μ_k, Σ_k).
inline Eigen::MatrixXd weighted_log_densities(const Eigen::MatrixXd& X, const naive_gmm& model);

}  // namespace naive_detail

/// log N(x | mean, cov), written from the textbook formula
///   log N = -½ [ D log(2π) + log det Σ + (x-μ)ᵀ Σ⁻¹ (x-μ) ].
/// The determinant and the quadratic form come from a Cholesky factor Σ = L Lᵀ:
/// log det Σ = 2 Σ_i log L_ii and (x-μ)ᵀ Σ⁻¹ (x-μ) = ‖L⁻¹(x-μ)‖².
inline double naive_log_density(const Eigen::VectorXd& x, const Eigen::VectorXd& mean, const Eigen::MatrixXd& cov) {
  const Eigen::Index D = x.size();
  if (mean.size() != D || cov.rows() != D || cov.cols() != D)
    throw std::invalid_argument("naive_log_density: dimension mismatch");
  Eigen::LLT<Eigen::MatrixXd> llt(cov);
  if (llt.info() != Eigen::Success) throw std::runtime_error("naive_log_density: covariance is not positive definite");
  const Eigen::MatrixXd L = llt.matrixL();
  double log_det = 0.0;
  for (Eigen::Index i = 0; i < D; ++i) log_det += 2.0 * std::log(L(i, i));
  const Eigen::VectorXd diff = x - mean;
  const Eigen::VectorXd z = L.triangularView<Eigen::Lower>().solve(diff);
  const double maha = z.squaredNorm();
  return -0.5 * (static_cast<double>(D) * std::log(2.0 * std::numbers::pi) + log_det + maha);
}

inline Eigen::MatrixXd naive_detail::weighted_log_densities(const Eigen::MatrixXd& X, const naive_gmm& model) {
  const Eigen::Index N = X.rows();
  const Eigen::Index K = model.weights.size();
  Eigen::MatrixXd L(N, K);
  for (Eigen::Index n = 0; n < N; ++n) {
    const Eigen::VectorXd x = X.row(n).transpose();
    for (Eigen::Index k = 0; k < K; ++k) {
      const auto ku = static_cast<std::size_t>(k);
      L(n, k) = std::log(model.weights(k)) + naive_log_density(x, model.means[ku], model.covariances[ku]);
    }
  }
  return L;
}

/// Σ_n w_n log p(x_n) for the mixture, p(x) = Σ_k π_k N(x | μ_k, Σ_k).
inline double naive_log_likelihood(const Eigen::MatrixXd& X, const Eigen::VectorXd& w, const naive_gmm& model) {
  if (w.size() != X.rows()) throw std::invalid_argument("naive_log_likelihood: weight count mismatch");
  const Eigen::MatrixXd L = naive_detail::weighted_log_densities(X, model);
  double total = 0.0;
  for (Eigen::Index n = 0; n < X.rows(); ++n) {
    if (w(n) == 0.0) continue;  // avoid 0 · (-inf)
    total += w(n) * naive_detail::log_sum_exp(L.row(n).transpose());
  }
  return total;
}

/// The M-step from responsibilities R (N×K) and observation weights w (N), with
/// scikit-learn's conventions:
///   N_k = Σ_n w_n r_nk,  π_k = N_k / Σ_n w_n,  μ_k = Σ_n w_n r_nk x_n / N_k
///   full:      Σ_k = Σ_n w_n r_nk (x_n-μ_k)(x_n-μ_k)ᵀ / N_k + reg·I
///   diag:      Σ_k = diag(Σ_n w_n r_nk (x_n-μ_k)∘(x_n-μ_k) / N_k) + reg·I
///   spherical: Σ_k = (mean of the diag variances above + reg)·I
///   tied:      Σ   = Σ_k Σ_n w_n r_nk (x_n-μ_k)(x_n-μ_k)ᵀ / Σ_n w_n + reg·I, shared.
/// log_likelihood of the result is left at 0 (callers evaluate it).
inline naive_gmm naive_m_step(const Eigen::MatrixXd& X, const Eigen::VectorXd& w, const Eigen::MatrixXd& R,
                              std::string_view covariance, double reg_covar) {
  const naive_detail::cov_kind kind = naive_detail::parse_covariance(covariance);
  const Eigen::Index N = X.rows();
  const Eigen::Index D = X.cols();
  const Eigen::Index K = R.cols();
  if (w.size() != N || R.rows() != N) throw std::invalid_argument("naive_m_step: dimension mismatch");

  const double total_weight = w.sum();
  const Eigen::MatrixXd I = Eigen::MatrixXd::Identity(D, D);

  naive_gmm model;
  model.weights.resize(K);
  model.means.resize(static_cast<std::size_t>(K));
  model.covariances.resize(static_cast<std::size_t>(K));
  model.log_likelihood = 0.0;

  Eigen::MatrixXd tied_scatter = Eigen::MatrixXd::Zero(D, D);

  for (Eigen::Index k = 0; k < K; ++k) {
    const auto ku = static_cast<std::size_t>(k);

    // N_k
    double Nk = 0.0;
    for (Eigen::Index n = 0; n < N; ++n) Nk += w(n) * R(n, k);
    model.weights(k) = Nk / total_weight;

    // μ_k
    Eigen::VectorXd mu = Eigen::VectorXd::Zero(D);
    for (Eigen::Index n = 0; n < N; ++n) mu += w(n) * R(n, k) * X.row(n).transpose();
    mu /= Nk;
    model.means[ku] = mu;

    // Weighted scatter S_k = Σ_n w_n r_nk (x_n-μ_k)(x_n-μ_k)ᵀ
    Eigen::MatrixXd scatter = Eigen::MatrixXd::Zero(D, D);
    for (Eigen::Index n = 0; n < N; ++n) {
      const Eigen::VectorXd diff = X.row(n).transpose() - mu;
      scatter += w(n) * R(n, k) * (diff * diff.transpose());
    }

    switch (kind) {
      case naive_detail::cov_kind::full:
        model.covariances[ku] = scatter / Nk + reg_covar * I;
        break;
      case naive_detail::cov_kind::diag: {
        const Eigen::VectorXd var = scatter.diagonal() / Nk;
        model.covariances[ku] = Eigen::MatrixXd(var.asDiagonal()) + reg_covar * I;
        break;
      }
      case naive_detail::cov_kind::spherical: {
        const Eigen::VectorXd var = scatter.diagonal() / Nk;
        const double sigma2 = var.mean() + reg_covar;
        model.covariances[ku] = sigma2 * I;
        break;
      }
      case naive_detail::cov_kind::tied:
        tied_scatter += scatter;
        break;
    }
  }

  if (kind == naive_detail::cov_kind::tied) {
    const Eigen::MatrixXd shared = tied_scatter / total_weight + reg_covar * I;
    for (auto& c : model.covariances) c = shared;
  }
  return model;
}

/// EM for a Gaussian mixture.
///  1. Initial responsibilities are one-hot: each row goes to its nearest initial
///     mean (Euclidean distance; ties to the lowest index).
///  2. One M-step.
///  3. `iterations` times: E-step (responsibilities by log-sum-exp), M-step.
/// log_likelihood is evaluated at the final parameters.
inline naive_gmm naive_em(const Eigen::MatrixXd& X, const Eigen::VectorXd& w, const Eigen::MatrixXd& initial_means,
                          std::string_view covariance, int iterations, double reg_covar) {
  naive_detail::parse_covariance(covariance);  // validate early
  const Eigen::Index N = X.rows();
  const Eigen::Index K = initial_means.rows();
  if (initial_means.cols() != X.cols()) throw std::invalid_argument("naive_em: initial means have wrong dimension");
  if (w.size() != N) throw std::invalid_argument("naive_em: weight count mismatch");
  if (K < 1) throw std::invalid_argument("naive_em: need at least one component");

  // 1. one-hot responsibilities by nearest initial mean
  Eigen::MatrixXd R = Eigen::MatrixXd::Zero(N, K);
  for (Eigen::Index n = 0; n < N; ++n) {
    Eigen::Index best = 0;
    double best_d2 = std::numeric_limits<double>::infinity();
    for (Eigen::Index k = 0; k < K; ++k) {
      const double d2 = (X.row(n) - initial_means.row(k)).squaredNorm();
      if (d2 < best_d2) {  // strict: ties keep the lowest index
        best_d2 = d2;
        best = k;
      }
    }
    R(n, best) = 1.0;
  }

  // 2. first M-step
  naive_gmm model = naive_m_step(X, w, R, covariance, reg_covar);

  // 3. EM iterations
  for (int it = 0; it < iterations; ++it) {
    // E-step: r_nk = π_k N(x_n|μ_k,Σ_k) / Σ_j π_j N(x_n|μ_j,Σ_j)
    const Eigen::MatrixXd L = naive_detail::weighted_log_densities(X, model);
    for (Eigen::Index n = 0; n < N; ++n) {
      const double lse = naive_detail::log_sum_exp(L.row(n).transpose());
      for (Eigen::Index k = 0; k < K; ++k) R(n, k) = std::exp(L(n, k) - lse);
    }
    // M-step
    model = naive_m_step(X, w, R, covariance, reg_covar);
  }

  model.log_likelihood = naive_log_likelihood(X, w, model);
  return model;
}

/// Number of free parameters of a K-component, D-dimensional mixture:
///   full K·D + K·D(D+1)/2 + K−1;  diag K·D + K·D + K−1;
///   spherical K·D + K + K−1;      tied K·D + D(D+1)/2 + K−1.
inline int naive_free_parameters(std::string_view covariance, int K, int D) {
  const int means = K * D;
  const int mixing = K - 1;
  switch (naive_detail::parse_covariance(covariance)) {
    case naive_detail::cov_kind::full:
      return means + K * D * (D + 1) / 2 + mixing;
    case naive_detail::cov_kind::diag:
      return means + K * D + mixing;
    case naive_detail::cov_kind::spherical:
      return means + K + mixing;
    case naive_detail::cov_kind::tied:
      return means + D * (D + 1) / 2 + mixing;
  }
  throw std::invalid_argument("naive_free_parameters: unknown covariance type");
}

}  // namespace emkit::testing
