// Study 4: the unbounded likelihood (docs/theory/unbounded-likelihood.md).
//
// A Gaussian mixture's likelihood has no maximum: put one component's mean on a data point x_j
// and let its variance σ² → 0; that point's density grows like 1/σ while every other point keeps
// the density of the other components, so ℓ → +∞. The MLE that EM "finds" is a local maximum,
// and EM can also climb into one of these spikes. Old Faithful's waiting times are whole
// minutes, so many points tie: a component can sit on a tied value and gain m·log 10 per
// decade of σ, m the multiplicity. Part A walks the path to infinity; part B shows EM going
// there from random starts, and what regularisation and restarts do about it.
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <string>

#include <emkit/emkit.hpp>
#include <emkit/framework/io/csv.hpp>

namespace {

using gmm = emkit::mixture<emkit::gaussian>;

// [spike]
// A broad component fitted to all the data, and a spike N(v, σ²); weights ½ each.
gmm::params_type spike(const Eigen::MatrixXd& X, double v, double sigma) {
  const double mean = X.mean();
  const double variance = (X.array() - mean).square().mean();
  gmm::params_type theta;
  theta.dimension = 1;
  theta.weights = Eigen::Vector2d(0.5, 0.5);
  theta.components.push_back(
      emkit::gaussian_params::from(Eigen::VectorXd::Constant(1, mean), Eigen::MatrixXd::Constant(1, 1, variance)));
  theta.components.push_back(
      emkit::gaussian_params::from(Eigen::VectorXd::Constant(1, v), Eigen::MatrixXd::Constant(1, 1, sigma * sigma)));
  return theta;
}
// [spike]

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s faithful.csv\n", argv[0]);
    return 2;
  }
  try {
    const Eigen::MatrixXd X = emkit::io::read_csv(argv[1]).values.col(1);  // waiting time, whole minutes
    const double N = static_cast<double>(X.rows());
    std::map<double, int> multiplicity;
    for (double x : X.col(0)) ++multiplicity[x];
    double single = 0;  // a waiting time seen once
    for (const auto& [v, m] : multiplicity)
      if (m == 1) single = v;
    const double tied = 78.0;  // the most frequent waiting time
    const gmm model{emkit::gaussian{.reg_covar = 0.0}};

    // ---- Part A: the path to +∞ ----
    std::printf("Part A: a spike on x = %g (seen once) and on x = %g (seen %d times)\n", single, tied,
                multiplicity[tied]);
    std::printf("%8s %16s %12s %16s %12s\n", "sigma", "l (single)", "gain/decade", "l (tied)", "gain/decade");
    double previous_single = 0, previous_tied = 0, slope_single = 0, slope_tied = 0;
    bool increasing = true;
    for (int e = 1; e >= -8; --e) {
      const double sigma = std::pow(10.0, e);
      const double ls = emkit::log_likelihood(model, spike(X, single, sigma), X);
      const double lt = emkit::log_likelihood(model, spike(X, tied, sigma), X);
      if (e < 1) {
        slope_single = ls - previous_single, slope_tied = lt - previous_tied;
        if (e <= -2) increasing = increasing && slope_single > 0 && slope_tied > 0;
        std::printf("%8.0e %16.6f %12.6f %16.6f %12.6f\n", sigma, ls, slope_single, lt, slope_tied);
      } else {
        std::printf("%8.0e %16.6f %12s %16.6f %12s\n", sigma, ls, "", lt, "");
      }
      previous_single = ls, previous_tied = lt;
    }
    const double ln10 = std::log(10.0);
    std::printf("per decade, -d l / d log10(sigma) -> m log 10: %.6f for m = 1, %.6f for m = %d\n", ln10,
                multiplicity[tied] * ln10, multiplicity[tied]);
    const bool path =
        increasing && std::abs(slope_single - ln10) < 1e-3 && std::abs(slope_tied - multiplicity[tied] * ln10) < 1e-3;
    // Where each spike passes the maximum EM finds from good starts (part B's best sane l, -1027.311).
    for (const auto& [v, l8] : {std::pair{single, previous_single}, std::pair{tied, previous_tied}}) {
      std::printf("the spike on %g passes l = -1027.311 at sigma = 10^%.1f\n", v,
                  -8.0 - (-1027.311 - l8) / (multiplicity[v] * ln10));
    }

    // ---- Part B: EM from 30 random starts, K = 6 ----
    // [restarts]
    constexpr int K = 6, starts = 30;
    struct outcome {
      int failed = 0, collapsed = 0;
      double best = -std::numeric_limits<double>::infinity(), best_min_variance = 0, best_sane = best;
      std::string first_error;
    };
    auto run = [&](double reg, auto init) {
      const gmm m{emkit::gaussian{.reg_covar = reg}};
      outcome o;
      for (int s = 0; s < starts; ++s) {
        emkit::fitter<emkit::soft_estep, decltype(init)> fitter;
        fitter.options.seed = static_cast<std::uint64_t>(s);
        fitter.options.max_iterations = 2000;
        try {
          const auto fit = fitter.fit(m, X, K);
          double smallest = std::numeric_limits<double>::infinity();
          for (const auto& c : fit.params.components) smallest = std::min(smallest, c.covariance(0, 0));
          const bool collapsed = smallest < 1e-3;  // no cluster of whole minutes is this narrow
          o.collapsed += collapsed;
          if (fit.summary.log_likelihood > o.best) o.best = fit.summary.log_likelihood, o.best_min_variance = smallest;
          if (!collapsed) o.best_sane = std::max(o.best_sane, fit.summary.log_likelihood);
        } catch (const emkit::numerical_error& e) {  // a typed error, never a NaN in the output
          if (o.failed++ == 0) o.first_error = e.what();
        }
      }
      return o;
    };
    // [restarts]
    std::printf("\nPart B: EM with K = %d from %d starts; 'collapsed' = smallest variance < 1e-3\n", K, starts);
    std::printf("%-10s %-12s %7s %10s %14s %16s %14s %14s\n", "reg_covar", "init", "failed", "collapsed", "best l",
                "its min var", "best sane l", "bound on l");
    bool regularised_clean = true, unregularised_collapses = false, below_bound = true;
    std::string error_text;
    for (double reg : {0.0, 1e-6, 1.0 / 12}) {
      for (int init = 0; init < 2; ++init) {
        const outcome o = init == 0 ? run(reg, emkit::random_rows{}) : run(reg, emkit::kmeans_plus_plus{});
        // With Σ ≥ reg every density is ≤ (2π reg)^(−1/2), so ℓ ≤ −(N/2) log(2π reg).
        const double bound =
            reg > 0 ? -0.5 * N * std::log(2 * std::acos(-1.0) * reg) : std::numeric_limits<double>::infinity();
        std::printf("%-10.4g %-12s %7d %10d %14.3f %16.3e %14.3f %14.3f\n", reg, init ? "k-means++" : "random rows",
                    o.failed, o.collapsed, o.best, o.best_min_variance, o.best_sane, bound);
        if (reg == 0 && init == 0) unregularised_collapses = o.collapsed > 0 && o.best > o.best_sane;
        if (reg == 0 && error_text.empty()) error_text = o.first_error;
        if (reg > 0.01) regularised_clean = regularised_clean && o.collapsed == 0 && o.failed == 0;
        below_bound = below_bound && o.best <= bound;
      }
    }
    if (!error_text.empty()) std::printf("a failed restart says: %s\n", error_text.c_str());

    if (path && unregularised_collapses && regularised_clean && below_bound) {
      std::printf(
          "claim held: the likelihood grows without bound along a collapsing component (m log 10 per decade), "
          "EM without regularisation collapses from random starts and the best restart is a collapsed one, "
          "and reg_covar = 1/12 (the variance of rounding to whole minutes) removes every collapse\n");
      return 0;
    }
    std::printf("claim FAILED: path %d, collapses %d, regularised %d, bound %d\n", path, unregularised_collapses,
                regularised_clean, below_bound);
    return 1;
  } catch (const emkit::error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
