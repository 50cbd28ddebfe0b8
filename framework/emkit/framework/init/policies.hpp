#pragma once
/// \file
/// The shipped initialisation policies: k-means++, random rows, random responsibilities,
/// and given initial means.

#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include <boost/random/uniform_int_distribution.hpp>

#include <emkit/framework/error.hpp>
#include <emkit/framework/init/initial_assignment.hpp>
#include <emkit/framework/numeric/random.hpp>

namespace emkit {

namespace detail {
/// Row index drawn with probability ∝ p (p ≥ 0, not all zero); a linear scan.
inline index draw_proportional(const Eigen::VectorXd& p, double total, random_engine& rng) {
  const double u = uniform01(rng) * total;
  double acc = 0.0;
  index last = -1;
  for (index n = 0; n < p.size(); ++n) {
    if (p[n] <= 0) continue;
    acc += p[n];
    last = n;
    if (u < acc) return n;
  }
  return last;  // rounding left u ≥ acc: the last row with positive mass
}
}  // namespace detail

/// Greedy k-means++ (Arthur & Vassilvitskii, with scikit-learn's 2 + ⌊ln K⌋ local trials):
/// each new centre is the best of a few rows drawn with probability ∝ w_n·D(x_n)².
struct kmeans_plus_plus {
  int local_trials = 0;  ///< candidates per centre, at least 0; 0: 2 + ⌊ln K⌋

  /// Throws `invalid_option` naming `local_trials` when it is negative.
  void validate() const { check_option(local_trials >= 0, "kmeans_plus_plus", "local_trials", local_trials, ">= 0"); }

  [[nodiscard]] initial_assignment initialize(matrix_ref X, vector_ref w, index K, random_engine& rng) const {
    validate();
    const index N = X.rows();
    const int trials = local_trials > 0 ? local_trials : 2 + static_cast<int>(std::log(static_cast<double>(K)));
    Eigen::MatrixXd centers(K, X.cols());
    centers.row(0) = X.row(detail::draw_proportional(w, w.sum(), rng));
    Eigen::VectorXd closest(N);
    for (index n = 0; n < N; ++n) closest[n] = (X.row(n) - centers.row(0)).squaredNorm();
    Eigen::VectorXd candidate(N);
    // Σ w_n v_n where a row of weight 0 adds 0 even at a distance that overflowed (0·∞ is NaN).
    auto weighted = [&](const Eigen::VectorXd& v) -> Eigen::ArrayXd {
      return (w.array() > 0).select(w.array() * v.array(), 0.0);
    };
    for (index k = 1; k < K; ++k) {
      const Eigen::VectorXd potential = weighted(closest).matrix();
      const double total = potential.sum();
      double best_total = std::numeric_limits<double>::infinity();
      index best_row = -1;
      Eigen::VectorXd best_closest;
      for (int t = 0; t < trials; ++t) {
        // Fewer distinct points than K leave no potential: any positive-weight row will do.
        const index row =
            total > 0 ? detail::draw_proportional(potential, total, rng) : detail::draw_proportional(w, w.sum(), rng);
        for (index n = 0; n < N; ++n) candidate[n] = std::min(closest[n], (X.row(n) - X.row(row)).squaredNorm());
        const double t_total = weighted(candidate).sum();
        // The first trial is kept when no total compares smaller (all infinite or NaN: overflow).
        if (best_row < 0 || t_total < best_total) best_total = t_total, best_row = row, best_closest = candidate;
      }
      centers.row(k) = X.row(best_row);
      closest = best_closest;
    }
    return nearest_centers{std::move(centers)};
  }
};

/// K distinct rows (of positive weight), drawn uniformly, as initial centres.
struct random_rows {
  [[nodiscard]] initial_assignment initialize(matrix_ref X, vector_ref w, index K, random_engine& rng) const {
    std::vector<index> rows;
    for (index n = 0; n < X.rows(); ++n)
      if (w[n] > 0) rows.push_back(n);
    check_option(static_cast<index>(rows.size()) >= K, "random_rows", "K", K,
                 "<= the number of rows of positive weight");
    Eigen::MatrixXd centers(K, X.cols());
    for (index k = 0; k < K; ++k) {  // a partial Fisher–Yates shuffle
      boost::random::uniform_int_distribution<std::size_t> pick(k, rows.size() - 1);
      std::swap(rows[k], rows[pick(rng)]);
      centers.row(k) = X.row(rows[k]);
    }
    return nearest_centers{std::move(centers)};
  }
};

/// Responsibilities drawn uniformly at random and normalised per row.
struct random_responsibility_init {
  [[nodiscard]] initial_assignment initialize(matrix_ref, vector_ref, index, random_engine& rng) const {
    return random_responsibilities{rng()};
  }
};

/// Given initial means (K×D): every row is assigned to its nearest mean, then one M-step.
/// Deterministic: every restart starts from the same point.
struct given_means {
  Eigen::MatrixXd means;

  /// Throws `invalid_option` when a mean is NaN or infinite (its shape is checked against
  /// K and the data by `initialize`).
  void validate() const { check_option(means.allFinite(), "given_means", "means", "non-finite value", "finite means"); }

  [[nodiscard]] initial_assignment initialize(matrix_ref X, vector_ref, index K, random_engine&) const {
    check_shape(means.rows() == K, "given_means", "means.rows()", means.rows(), "K = " + std::to_string(K));
    check_shape(means.cols() == X.cols(), "given_means", "means.cols()", means.cols(),
                "the data's dimension " + std::to_string(X.cols()));
    validate();
    return nearest_centers{means};
  }
};

}  // namespace emkit
