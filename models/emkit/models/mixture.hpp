#pragma once
/// \file
/// `mixture<Family>`: any component family becomes a `LatentModel`.
///
/// p(x | θ) = Σ_k π_k f(x | θ_k). The mixture derives from the family's hooks everything
/// EM needs: the log joint block, the statistics under responsibilities, the M-step of the
/// weights and components, Q(θ; q) from statistics, and the handling of a component that
/// loses all its mass. It uses a family's batched hooks when it has them.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include <emkit/framework/concepts/component_family.hpp>
#include <emkit/framework/engine/summary.hpp>
#include <emkit/framework/error.hpp>
#include <emkit/framework/execution/reflect.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

/// How the mixing weights π are set in the M-step.
enum class mixture_weights {
  learned,        ///< π_k = N_k / Σ_n w_n
  fixed_uniform,  ///< π_k = 1/K (K-means)
};

/// What the M-step does with a component whose mass N_k is (numerically) zero. Each is
/// reported in the summary (`component_reseeded`, `component_kept`, `component_dropped`).
enum class empty_component_policy {
  /// Give it the one-component fit of all the data and weight 1/K, once per restart; a
  /// component that empties again after its re-seed is kept, as by `keep`, so that a fit
  /// whose data cannot support K components (ties under hard EM) still converges.
  reseed,
  raise,  ///< throw `numerical_error` naming the component
  /// Keep it with weight 0 (with fixed weights, 1/K), its parameters a copy of the heaviest
  /// component's: finite, and sharing a tied covariance. A weight of 0 keeps it empty.
  keep,
  drop,  ///< remove it: the fit goes on with one component fewer
};

/// θ of a mixture: weights π (K) and the components' parameters.
template <class Params>
struct mixture_params {
  Eigen::VectorXd weights;
  std::vector<Params> components;
  index dimension = 0;  ///< D, the number of columns the model was fitted to

  [[nodiscard]] index size() const { return static_cast<index>(components.size()); }
};

/// Merged E-step statistics of a mixture: each component's statistics and its mass N_k.
template <class Stats>
struct mixture_accumulator {
  std::vector<Stats> stats;
  Eigen::VectorXd mass;
  index dimension = 0;  ///< D of the rows accumulated (0 while empty)
  EMKIT_REFLECT(stats, mass, dimension);

  mixture_accumulator& operator+=(const mixture_accumulator& other) {
    if (stats.empty()) return *this = other;
    for (std::size_t k = 0; k < stats.size(); ++k) stats[k] += other.stats[k];
    mass += other.mass;
    dimension = std::max(dimension, other.dimension);
    return *this;
  }

  /// The statistics of the same rows with every weight multiplied by a ≥ 0 (stepwise EM's
  /// (1 − γ) s + γ ŝ is `(s *= 1 − γ) += (ŝ *= γ)`).
  mixture_accumulator& operator*=(double a) {
    for (Stats& s : stats) s *= a;
    mass *= a;
    return *this;
  }
};

/// A finite mixture of components from `Family`; models `LatentModel`.
template <ComponentFamily Family>
struct mixture {
  using family_type = Family;
  using component_params = typename Family::params_type;
  using component_stats = typename Family::stats_type;
  using params_type = mixture_params<component_params>;
  using accumulator_type = mixture_accumulator<component_stats>;

  Family family{};
  mixture_weights weights = mixture_weights::learned;
  empty_component_policy empty_components = empty_component_policy::reseed;

  [[nodiscard]] accumulator_type make_accumulator(index K) const {
    return {std::vector<component_stats>(static_cast<std::size_t>(K)), Eigen::VectorXd::Zero(K)};
  }

  [[nodiscard]] index num_components(const params_type& theta) const { return theta.size(); }

  /// Checks hand-made or loaded θ before it is used: at least one component, one weight per
  /// component, and weights that are a distribution (finite, ≥ 0, summing to 1 within 1e-9).
  /// Throws `invalid_option` naming `where` and `theta.weights`.
  void validate_params(const params_type& theta, std::string_view where) const {
    check_option(theta.size() >= 1 && theta.weights.size() == theta.size(), where, "theta.weights.size()",
                 theta.weights.size(), detail::concat("the number of components ", theta.size(), " (at least 1)"));
    check_option(
        theta.weights.allFinite() && theta.weights.minCoeff() >= 0 && std::abs(theta.weights.sum() - 1.0) < 1e-9, where,
        "theta.weights", "not a distribution", "non-negative weights summing to 1");
  }

  void validate_data(matrix_ref X) const {
    if constexpr (HasValidateData<Family>) family.validate_data(X);
  }

  /// The family's data-only cache of X (N×0 when the family has none).
  [[nodiscard]] Eigen::MatrixXd prepare(matrix_ref X) const {
    if constexpr (HasPrepare<Family>) {
      return family.prepare(X);
    } else {
      return Eigen::MatrixXd(X.rows(), 0);
    }
  }

  /// L(n, k) = log π_k + log f(x_n | θ_k), given the rows' cache C = prepare(X).
  void log_joint(const params_type& theta, matrix_ref X, matrix_ref C, matrix_out L) const {
    log_densities(theta, X, C, L);
    for (index k = 0; k < theta.size(); ++k) L.col(k).array() += std::log(theta.weights[k]);
  }

  /// L(n, k) = log f(x_n | θ_k), by the family's batched and cached hooks when it has them.
  void log_densities(const params_type& theta, matrix_ref X, matrix_ref C, matrix_out L) const {
    check_shape(X.cols() == theta.dimension, "mixture", "X.cols()", X.cols(),
                "the model's dimension " + std::to_string(theta.dimension));
    const std::span<const component_params> ps(theta.components);
    if constexpr (HasCachedBatchedLogDensity<Family>) {
      family.log_density_all(ps, X, C, L);
    } else if constexpr (HasBatchedLogDensity<Family>) {
      family.log_density_all(ps, X, L);
    } else if constexpr (HasCachedLogDensity<Family>) {
      for (index k = 0; k < theta.size(); ++k) L.col(k) = family.log_density(ps[k], X, C);
    } else {
      for (index k = 0; k < theta.size(); ++k) L.col(k) = family.log_density(ps[k], X);
    }
  }

  /// acc += the statistics of a chunk (with its cache rows C) under responsibilities R, each
  /// row weighted by w.
  void accumulate(matrix_ref X, matrix_ref C, vector_ref w, matrix_ref R, accumulator_type& acc) const {
    const Eigen::MatrixXd W = R.array().colwise() * w.array();
    acc.mass += W.colwise().sum().transpose();
    acc.dimension = X.cols();
    if (acc.stats.empty()) acc.stats.resize(static_cast<std::size_t>(R.cols()));
    if constexpr (HasCachedBatchedAccumulate<Family>) {
      family.accumulate_all(X, C, W, std::span<component_stats>(acc.stats));
    } else if constexpr (HasBatchedAccumulate<Family>) {
      (void)C;
      family.accumulate_all(X, W, std::span<component_stats>(acc.stats));
    } else {
      (void)C;
      for (index k = 0; k < W.cols(); ++k) acc.stats[k] += family.accumulate(X, W.col(k));
    }
  }

  /// acc += the statistics of a chunk under a hard assignment by θ: row n wholly to component
  /// labels[n] (one label per row, each in [0, K)), with weight w_n, by the family's
  /// `accumulate_labels` (which may shift its sums by θ's components). Only for families that
  /// have that hook; the engine gives the others one-hot responsibilities. N_k is summed here
  /// row by row, the family's own weights in its own order: equal to rounding, not necessarily
  /// to the bit.
  void accumulate_labels(const params_type& theta, matrix_ref X, matrix_ref C, vector_ref w,
                         std::span<const index> labels,
                         accumulator_type& acc) const requires HasLabelledAccumulate<Family> {
    (void)C;
    const index K = theta.size();
    eigen_assert(static_cast<index>(labels.size()) == X.rows());
    if (acc.stats.empty()) acc.stats.resize(static_cast<std::size_t>(K));
    for (index n = 0; n < X.rows(); ++n) {
      const index k = labels[static_cast<std::size_t>(n)];
      eigen_assert(k >= 0 && k < K);
      acc.mass[k] += w[n];
    }
    acc.dimension = X.cols();
    family.accumulate_labels(std::span<const component_params>(theta.components), X, w, labels,
                             std::span<component_stats>(acc.stats));
  }

  /// The M-step. An empty component (N_k ≤ ε·Σ N) follows `empty_components`.
  [[nodiscard]] params_type m_step(const accumulator_type& acc, fit_events& events) const {
    const index K = acc.mass.size();
    const double total = acc.mass.sum();
    component_stats all{};  // Σ_k statistics = the statistics of all the data, since Σ_k r_nk = 1
    for (index k = 0; k < K; ++k) all += acc.stats[k];
    std::vector<fate> fates(static_cast<std::size_t>(K), fate::fitted);
    index heaviest = -1;
    for (index k = 0; k < K; ++k) {
      if (acc.mass[k] > total * std::numeric_limits<double>::epsilon()) {
        if (heaviest < 0 || acc.mass[k] > acc.mass[heaviest]) heaviest = k;
      } else {
        fates[k] = fate_of_empty(k, acc.mass[k], events);
      }
    }

    // Fit the components that stay and are not kept: their own statistics, or all the data's
    // for a re-seed. Kept ones copy the heaviest fit, so a tied covariance stays shared.
    std::vector<component_stats> stats;
    std::vector<index> source(static_cast<std::size_t>(K), -1);  // component k's entry of `stats`
    for (index k = 0; k < K; ++k) {
      if (fates[k] == fate::fitted || fates[k] == fate::reseeded) {
        source[k] = static_cast<index>(stats.size());
        stats.push_back(fates[k] == fate::reseeded ? all : acc.stats[k]);
      }
    }
    const bool only_reseeds = std::all_of(fates.begin(), fates.end(), [](fate f) { return f == fate::reseeded; });
    if (heaviest < 0 && !only_reseeds) {  // nothing to copy, or nothing left
      throw numerical_error(detail::concat("mixture: every component lost its mass at iteration ", events.iteration));
    }
    const std::vector<component_params> fitted = maximize(stats);

    params_type theta;
    theta.dimension = acc.dimension;
    std::vector<double> pi;
    for (index k = 0; k < K; ++k) {
      if (fates[k] == fate::dropped) continue;
      const bool kept = fates[k] == fate::kept;
      theta.components.push_back(fitted[static_cast<std::size_t>(source[kept ? heaviest : k])]);
      pi.push_back(fates[k] == fate::fitted ? acc.mass[k] / total : kept ? 0.0 : 1.0 / static_cast<double>(K));
      if constexpr (HasFloorReport<Family>) {
        const index at = theta.size() - 1;
        if (const index floored = kept ? 0 : family.floors_applied(theta.components.back()); floored > 0) {
          std::string what = detail::concat(floored, " parameter(s) held at the family's floor");
          if constexpr (HasFloorDescription<Family>) what = family.floor_description(theta.components.back());
          events.warn(warning_code::floor_applied, at, detail::concat("component ", at, ": ", what));
        }
      }
    }
    theta.weights = Eigen::Map<const Eigen::VectorXd>(pi.data(), static_cast<index>(pi.size()));
    if (weights_are_fixed()) theta.weights.setConstant(1.0 / static_cast<double>(theta.size()));
    theta.weights /= theta.weights.sum();
    return theta;
  }

  /// Q(θ; q) = Σ_k N_k log π_k + Σ_k Σ_n w_n r_nk log f(x_n | θ_k), from statistics; NaN when
  /// the family has no `expected_log_density` hook.
  [[nodiscard]] double expected_complete_log_likelihood(const params_type& theta, const accumulator_type& acc) const {
    // After a component is dropped, θ and the statistics of the previous E-step differ in K.
    if (acc.mass.size() != theta.size()) return std::numeric_limits<double>::quiet_NaN();
    if constexpr (HasExpectedLogDensity<Family>) {
      double q = 0.0;
      for (index k = 0; k < theta.size(); ++k) {
        if (acc.mass[k] > 0) q += acc.mass[k] * std::log(theta.weights[k]);
        q += family.expected_log_density(acc.stats[k], theta.components[k]);
      }
      return q;
    } else {
      return std::numeric_limits<double>::quiet_NaN();
    }
  }

  /// Σ_k log p(θ_k) when the family has a prior; 0 for maximum likelihood.
  [[nodiscard]] double log_prior(const params_type& theta) const {
    double lp = 0.0;
    if constexpr (HasLogPrior<Family>) {
      for (const auto& c : theta.components) lp += family.log_prior(c);
    }
    return lp;
  }

  /// Free parameters: the family's (shared ones counted once) plus K − 1 learned weights.
  [[nodiscard]] std::size_t num_free_parameters(const params_type& theta) const requires HasFreeParameters<Family> {
    const std::size_t learned = weights == mixture_weights::learned ? theta.components.size() - 1 : 0;
    return family.num_free_parameters(std::span<const component_params>(theta.components)) + learned;
  }

  /// One draw from component k of θ.
  [[nodiscard]] Eigen::VectorXd sample_component(const params_type& theta, index k,
                                                 random_engine& rng) const requires HasSample<Family> {
    return family.sample(theta.components[k], rng);
  }

 private:
  /// What the M-step does with one component; `fate_of_empty` decides for an empty one.
  enum class fate { fitted, reseeded, kept, dropped };

  [[nodiscard]] bool weights_are_fixed() const { return weights == mixture_weights::fixed_uniform; }

  /// Applies `empty_components` to component k, whose mass is `mass`, and reports it.
  [[nodiscard]] fate fate_of_empty(index k, double mass, fit_events& events) const {
    const std::string lost = detail::concat("component ", k, " lost all its mass (N_k = ", mass, ")");
    const std::string kept = weights_are_fixed() ? "kept at its fixed weight, a copy of the heaviest component"
                                                 : "kept with weight 0, a copy of the heaviest component";
    switch (empty_components) {
      case empty_component_policy::raise:
        throw numerical_error(detail::concat("mixture: ", lost, " at iteration ", events.iteration));
      case empty_component_policy::reseed:
        if (events.was_reseeded(k)) {
          events.warn(warning_code::component_kept, k, lost + " again after its re-seed; " + kept);
          return fate::kept;
        }
        events.warn(warning_code::component_reseeded, k, lost + "; re-seeded as the one-component fit of all the data");
        return fate::reseeded;
      case empty_component_policy::keep:
        events.warn(warning_code::component_kept, k, lost + "; " + kept);
        return fate::kept;
      case empty_component_policy::drop:
        events.warn(warning_code::component_dropped, k, lost + "; dropped, the fit goes on with one component fewer");
        return fate::dropped;
    }
    return fate::fitted;
  }

  [[nodiscard]] std::vector<component_params> maximize(const std::vector<component_stats>& stats) const {
    if constexpr (HasBatchedMaximize<Family>) {
      return family.maximize_all(std::span<const component_stats>(stats));
    } else {
      std::vector<component_params> out;
      out.reserve(stats.size());
      for (std::size_t k = 0; k < stats.size(); ++k) {
        try {
          out.push_back(family.maximize(stats[k]));
        } catch (const numerical_error& e) {
          throw numerical_error(detail::concat("component ", k, ": ", e.what()));
        }
      }
      return out;
    }
  }
};

}  // namespace emkit

namespace emkit {

/// Draws from a mixture and the component each came from.
struct mixture_draws {
  Eigen::MatrixXd X;             ///< n×D
  Eigen::VectorX<index> labels;  ///< n
};

/// n draws from θ: z ~ Categorical(π), x ~ f(· | θ_z). The same seed gives the same draws
/// on every platform.
template <ComponentFamily Family>
requires HasSample<Family>
[[nodiscard]] mixture_draws sample(const mixture<Family>& model, const typename mixture<Family>::params_type& theta,
                                   index n, std::uint64_t seed) {
  check_option(n >= 0, "sample", "n", n, ">= 0");
  model.validate_params(theta, "sample");
  check_shape(theta.dimension >= 1, "sample", "theta.dimension", theta.dimension, ">= 1 (set it to D)");
  random_engine rng = make_engine(seed);
  mixture_draws out{Eigen::MatrixXd(n, theta.dimension), Eigen::VectorX<index>(n)};
  for (index i = 0; i < n; ++i) {
    const double u = uniform01(rng);
    index k = 0;
    double cumulative = theta.weights[0];
    while (u >= cumulative && k + 1 < theta.size()) cumulative += theta.weights[++k];
    out.labels[i] = k;
    out.X.row(i) = model.sample_component(theta, k, rng).transpose();
  }
  return out;
}

}  // namespace emkit
