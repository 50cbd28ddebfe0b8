// Study 2: hard EM against soft EM against K-means (docs/theory/hard-soft-kmeans.md).
//
// Soft EM maximises the log-likelihood ℓ(θ) = Σ_n log Σ_k π_k N(x_n | μ_k, Σ_k). Hard EM
// (classification EM) replaces the posterior by a point mass at its mode and so maximises the
// classification likelihood Σ_n log π_ẑn N(x_n | μ_ẑn, Σ_ẑn) jointly over θ and the labels ẑ;
// K-means is hard EM with equal weights and one fixed spherical covariance. On overlapping
// clusters of unequal size and spread the three disagree, and only soft EM is consistent: the
// others truncate each cluster at the decision boundary, which shrinks the covariances and
// pushes the means apart. Twenty data sets of 2000 points from one known mixture.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <emkit/emkit.hpp>

namespace {

using gmm = emkit::mixture<emkit::gaussian>;
using gmm_params = gmm::params_type;

// [truth]
// A large round cluster and a small tight one that overlap.
gmm_params truth() {
  gmm_params t;
  t.dimension = 2;
  t.weights = Eigen::Vector2d(0.75, 0.25);
  t.components.push_back(emkit::gaussian_params::from(Eigen::Vector2d(0.0, 0.0), Eigen::Matrix2d::Identity()));
  t.components.push_back(emkit::gaussian_params::from(Eigen::Vector2d(2.5, 0.5), 0.3 * Eigen::Matrix2d::Identity()));
  return t;
}
// [truth]

// Components in order of their first mean coordinate, so that they line up with the truth's.
gmm_params ordered(gmm_params t) {
  if (t.components[0].mean[0] > t.components[1].mean[0]) {
    std::swap(t.components[0], t.components[1]);
    std::swap(t.weights[0], t.weights[1]);
  }
  return t;
}

struct scores {
  double log_likelihood = 0, mean_error = 0, small_weight = 0, small_spread = 0, large_spread = 0, misclassified = 0;
  scores& operator+=(const scores& o) {
    log_likelihood += o.log_likelihood, mean_error += o.mean_error, small_weight += o.small_weight;
    small_spread += o.small_spread, large_spread += o.large_spread, misclassified += o.misclassified;
    return *this;
  }
};

// Each estimate judged as a Gaussian mixture: ℓ per point, mean error, the small cluster's weight,
// each covariance's trace against the truth's, and the share of points given the wrong cluster.
scores judge(const gmm_params& fit, const Eigen::MatrixXd& X, const Eigen::VectorX<emkit::index>& labels) {
  const gmm model{emkit::gaussian{}};
  const gmm_params t = truth();
  scores s;
  s.log_likelihood = emkit::log_likelihood(model, fit, X) / static_cast<double>(X.rows());
  for (int k = 0; k < 2; ++k) s.mean_error += (fit.components[k].mean - t.components[k].mean).norm() / 2;
  s.small_weight = fit.weights[1];
  s.large_spread = fit.components[0].covariance.trace() / t.components[0].covariance.trace();
  s.small_spread = fit.components[1].covariance.trace() / t.components[1].covariance.trace();
  const Eigen::VectorX<emkit::index> predicted = emkit::predict(model, fit, X);
  s.misclassified = static_cast<double>((predicted.array() != labels.array()).count()) / static_cast<double>(X.rows());
  return s;
}

}  // namespace

int main() {
  try {
    constexpr int replicates = 20;
    constexpr emkit::index N = 2000;
    const gmm model{emkit::gaussian{.covariance = emkit::covariance_type::full}};
    scores soft_total, hard_total, kmeans_total;
    int soft_best = 0;
    for (int r = 0; r < replicates; ++r) {
      const emkit::mixture_draws draws = emkit::sample(model, truth(), N, 1000 + static_cast<std::uint64_t>(r));
      const Eigen::MatrixXd& X = draws.X;

      // [fits]
      emkit::fitter<emkit::soft_estep> soft;  // EM
      emkit::fitter<emkit::hard_estep> hard;  // classification EM
      emkit::kmeans_fitter<> kmeans;          // hard EM, equal weights, fixed σ²I
      for (auto* options : {&soft.options, &hard.options, &kmeans.options}) {
        options->restarts = 4;
        options->seed = static_cast<std::uint64_t>(r);
      }
      const gmm_params soft_fit = ordered(soft.fit(model, X, 2).params);
      const gmm_params hard_fit = ordered(hard.fit(model, X, 2).params);
      const auto km = kmeans.fit(emkit::kmeans_model(), X, 2).params;
      // K-means as a Gaussian mixture: its clusters' shares as weights, the pooled within-cluster
      // variance J / (N D) as one spherical covariance.
      const Eigen::VectorX<emkit::index> km_labels = emkit::predict(emkit::kmeans_model(), km, X);
      const double variance = emkit::inertia(km, X) / static_cast<double>(N * X.cols());
      gmm_params km_fit;
      km_fit.dimension = 2;
      km_fit.weights.resize(2);
      for (int k = 0; k < 2; ++k) {
        km_fit.weights[k] = static_cast<double>((km_labels.array() == k).count()) / static_cast<double>(N);
        km_fit.components.push_back(
            emkit::gaussian_params::from(km.components[k].mean, variance * Eigen::Matrix2d::Identity()));
      }
      km_fit = ordered(km_fit);
      // [fits]

      const scores s = judge(soft_fit, X, draws.labels), h = judge(hard_fit, X, draws.labels),
                   k = judge(km_fit, X, draws.labels);
      soft_best += s.log_likelihood >= h.log_likelihood && s.log_likelihood >= k.log_likelihood;
      soft_total += s, hard_total += h, kmeans_total += k;
    }

    std::printf("averages over %d data sets of %td points; truth: small-cluster weight 0.25, spreads 1\n\n", replicates,
                N);
    std::printf("%-10s %12s %12s %14s %14s %14s %14s\n", "method", "l / N", "mean error", "small weight",
                "large spread", "small spread", "misclassified");
    const std::pair<const char*, scores> rows[] = {
        {"soft EM", soft_total}, {"hard EM", hard_total}, {"K-means", kmeans_total}};
    for (const auto& [name, total] : rows) {
      std::printf("%-10s %12.5f %12.4f %14.4f %14.4f %14.4f %14.4f\n", name, total.log_likelihood / replicates,
                  total.mean_error / replicates, total.small_weight / replicates, total.large_spread / replicates,
                  total.small_spread / replicates, total.misclassified / replicates);
    }
    std::printf("\nsoft EM had the highest log-likelihood on %d of %d data sets\n", soft_best, replicates);

    const double mean_soft = soft_total.mean_error / replicates;
    const bool claim =
        soft_best == replicates && mean_soft < hard_total.mean_error / replicates &&
        mean_soft < kmeans_total.mean_error / replicates && hard_total.large_spread / replicates < 0.97 &&
        hard_total.small_spread / replicates < 0.97 && std::abs(soft_total.large_spread / replicates - 1) < 0.03 &&
        std::abs(soft_total.small_spread / replicates - 1) < 0.03 &&
        std::abs(soft_total.small_weight / replicates - 0.25) < std::abs(hard_total.small_weight / replicates - 0.25);
    if (claim) {
      std::printf(
          "claim held: soft EM had the highest log-likelihood on every data set and the smallest mean error "
          "(%.4f against hard EM %.4f and K-means %.4f); hard EM shrank both clusters' spreads (to %.3f and %.3f) "
          "while "
          "soft EM's stayed within 3%% of the truth\n",
          mean_soft, hard_total.mean_error / replicates, kmeans_total.mean_error / replicates,
          hard_total.large_spread / replicates, hard_total.small_spread / replicates);
      return 0;
    }
    std::printf("claim FAILED\n");
    return 1;
  } catch (const emkit::error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
