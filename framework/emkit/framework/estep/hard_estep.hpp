#pragma once
/// \file
/// The hard E-step (classification EM): q(z_n) is a point mass at argmax_k p(z_n = k | x_n, θ).

#include <cstddef>
#include <span>
#include <vector>

#include <Eigen/Core>

#include <emkit/framework/engine/estep_totals.hpp>
#include <emkit/framework/estep/soft_estep.hpp>
#include <emkit/framework/numeric/array_tests.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

/// Classification EM: responsibilities are one-hot at the argmax (ties to the lowest k), and
/// the objective is the classification log-likelihood Σ_n w_n log p(x_n, ẑ_n | θ). K-means is
/// this E-step with fixed equal weights and a fixed shared spherical covariance.
struct hard_estep {
  static constexpr bool is_hard = true;

  /// labels[n] = argmax_k L(n, k) (ties to the lowest k), and the totals, with no
  /// responsibilities written: what an engine needs when the model accumulates its statistics
  /// by label (`accumulate_labels`). Column by column over the (column-major) block, so that
  /// every step runs vectorised: the running maximum and its first index, then
  /// ℓ_n = m_n + log Σ_k exp(L_nk − m_n) for the record. Returns whether every m_n and ℓ_n is
  /// finite: false for every row with no posterior (no finite entry: m_n = −∞; a NaN: ℓ_n = NaN),
  /// and then the caller checks L (`check_log_joint`). Both are tested because Eigen's vectorised
  /// exp gives about 5.6e-309, not 0, for −∞, so that ℓ_n alone can be finite for a row of −∞.
  bool assign(matrix_ref L, vector_ref w, std::span<index> labels, estep_totals& totals) const {
    const index N = L.rows(), K = L.cols();
    Eigen::ArrayXd m = L.col(0).array();
    Eigen::ArrayXd best = Eigen::ArrayXd::Zero(N);  // the argmax, as a double: the loop below is branch-free
    for (index k = 1; k < K; ++k) {
      const double* column = L.col(k).data();
      const double kd = static_cast<double>(k);
      for (index n = 0; n < N; ++n) {           // compiled to vector compares and blends
        const bool greater = column[n] > m[n];  // strict: ties stay with the lower k
        best[n] = greater ? kd : best[n];
        m[n] = greater ? column[n] : m[n];
      }
    }
    const Eigen::ArrayXd finite_m = m.isFinite().select(m, 0.0);  // a row of −∞ stays −∞, not NaN
    Eigen::ArrayXd shifted(N);
    Eigen::ArrayXd s = Eigen::ArrayXd::Zero(N);
    for (index k = 0; k < K; ++k) {
      shifted = L.col(k).array() - finite_m;  // a plain array, so that exp vectorises
      s += shifted.exp();
    }
    const Eigen::ArrayXd lse = finite_m + s.log();
    for (index n = 0; n < N; ++n) labels[static_cast<std::size_t>(n)] = static_cast<index>(best[n]);
    const double classification = detail::weighted_chunk_sum(w, m);
    totals.log_likelihood += detail::weighted_chunk_sum(w, lse);
    totals.objective += classification;
    totals.expected += classification;
    totals.weight += w.sum();
    return all_finite(m) && all_finite(lse);
  }

  /// `assign`, then the one-hot rows written over L.
  void posterior(matrix_out L, vector_ref w, estep_totals& totals) const {
    std::vector<index> labels(static_cast<std::size_t>(L.rows()));
    (void)assign(L, w, labels, totals);
    L.setZero();
    for (index n = 0; n < L.rows(); ++n) L(n, labels[static_cast<std::size_t>(n)]) = 1.0;
  }
};

}  // namespace emkit
