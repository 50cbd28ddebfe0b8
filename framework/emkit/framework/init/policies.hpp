#pragma once
/// \file
/// The shipped initialisation policies: k-means++, random rows, random responsibilities,
/// given initial means, given labels and given parameters (a warm start).

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/random/uniform_int_distribution.hpp>

#include <emkit/framework/data/chunk_pass.hpp>
#include <emkit/framework/data/memory_source.hpp>
#include <emkit/framework/error.hpp>
#include <emkit/framework/execution/reflect.hpp>
#include <emkit/framework/init/initial_assignment.hpp>
#include <emkit/framework/numeric/compensated_sum.hpp>
#include <emkit/framework/numeric/random.hpp>

namespace emkit {

namespace detail {

/// ‖x_n − c‖² for row n of X and the row `c` of `centers`, summed in column order: one scalar
/// loop, so the value does not depend on how the rows are laid out in memory.
inline double squared_distance(matrix_ref X, index n, const Eigen::MatrixXd& centers, index c) {
  double sum = 0.0;
  for (index d = 0; d < X.cols(); ++d) {
    const double diff = X(n, d) - centers(c, d);
    sum += diff * diff;
  }
  return sum;
}

/// min over the first `count` rows c of `centers` of ‖x_n − c‖² (exact: a minimum).
inline double closest_distance(matrix_ref X, index n, const Eigen::MatrixXd& centers, index count) {
  double best = squared_distance(X, n, centers, 0);
  for (index c = 1; c < count; ++c) best = std::min(best, squared_distance(X, n, centers, c));
  return best;
}

/// w·v where a row of weight 0 adds 0 even at a distance that overflowed (0·∞ is NaN).
inline double weighted(double w, double v) { return w > 0 ? w * v : 0.0; }

/// A compensated sum of non-negative terms that stays +∞ once a term or the sum overflows (the
/// compensation alone would turn ∞ into ∞ − ∞ = NaN).
struct potential_sum {
  compensated_sum sum;
  double plain = 0.0;
  EMKIT_REFLECT(sum, plain);
  potential_sum& operator+=(double x) {
    sum += x;
    plain += x;
    return *this;
  }
  potential_sum& operator+=(const potential_sum& o) {
    sum += o.sum;
    plain += o.plain;
    return *this;
  }
  [[nodiscard]] double value() const { return std::isfinite(plain) ? sum.value() : plain; }
};

/// Sums, one per entry, merged entry by entry.
struct sums {
  std::vector<potential_sum> values;
  EMKIT_REFLECT(values);
  sums& operator+=(const sums& o) {
    for (std::size_t i = 0; i < values.size(); ++i) values[i] += o.values[i];
    return *this;
  }
};

/// For each target u_t, the row n where Σ_{m ≤ n} p_m first exceeds u_t (rows with p_m ≤ 0
/// skipped), found in one scan in row order with a running sum, its coordinates written to
/// row t of `found`; a target that rounding leaves beyond the sum gets the last row with
/// p > 0. `p(X, w, n)` gives p_n for row n of a chunk.
template <class Pass, class P>
Eigen::MatrixXd locate_draws(const Pass& pass, const std::vector<double>& targets, const P& p) {
  std::vector<std::size_t> order(targets.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return targets[a] < targets[b]; });
  Eigen::MatrixXd found(static_cast<index>(targets.size()), pass.cols());
  Eigen::RowVectorXd last(pass.cols());
  std::size_t next = 0;
  double acc = 0.0;
  pass.scan([&](row_range, matrix_ref X, vector_ref w) {
    for (index n = 0; n < X.rows() && next < order.size(); ++n) {
      const double pn = p(X, w, n);
      if (pn <= 0) continue;
      acc += pn;
      last = X.row(n);
      while (next < order.size() && targets[order[next]] < acc) found.row(static_cast<index>(order[next++])) = last;
    }
    return next < order.size();
  });
  for (; next < order.size(); ++next) found.row(static_cast<index>(order[next])) = last;
  return found;
}

/// Σ_n f(X, w, n) for each of `count` functions at once: f(X, w, n, out) adds row n's terms.
template <class Pass, class F>
std::vector<double> pass_sums(const Pass& pass, std::size_t count, const F& f) {
  const sums total = pass.reduce([&] { return sums{std::vector<potential_sum>(count)}; },
                                 [&](row_range, matrix_ref X, vector_ref w, sums& acc) {
                                   for (index n = 0; n < X.rows(); ++n) f(X, w, n, acc.values);
                                 });
  std::vector<double> out(count);
  for (std::size_t i = 0; i < count; ++i) out[i] = total.values[i].value();
  return out;
}

/// The serial pass over an in-memory X and w that the matrix overloads of the policies use:
/// the chunks and merge order of a fit of K components with the default `chunk_rows`
/// (`resolved_chunk_rows`).
template <class F>
decltype(auto) with_memory_pass(matrix_ref X, vector_ref w, index K, F&& f) {
  const memory_source source(X, w);
  const row_blocks blocks = row_blocks::for_fit(X.rows(), 0, X.cols(), K);
  const chunk_pass pass(source, blocks, serial_reduce{blocks});
  return f(pass);
}

}  // namespace detail

/// Greedy k-means++ (Arthur & Vassilvitskii, with scikit-learn's 2 + ⌊ln K⌋ local trials):
/// each new centre is the best of a few rows drawn with probability ∝ w_n·D(x_n)².
///
/// Works in passes over chunks with memory independent of N, so that a file streamed from disk
/// and the same data in memory give the same centres: D(x_n)² is recomputed from the centres
/// chosen so far (a minimum, so exact), every total is a compensated sum in chunk order merged
/// in block order, and the draws of a centre's trials are located together in one scan in row
/// order. Per centre k: one scan and one pass, each O(N·D·(k + trials)).
struct kmeans_plus_plus {
  int local_trials = 0;  ///< candidates per centre, at least 0; 0: 2 + ⌊ln K⌋

  /// Throws `invalid_option` naming `local_trials` when it is negative.
  void validate() const { check_option(local_trials >= 0, "kmeans_plus_plus", "local_trials", local_trials, ">= 0"); }

  /// The centres for the rows of X with weights w (a serial pass in a fit's default chunks).
  [[nodiscard]] initial_assignment initialize(matrix_ref X, vector_ref w, index K, random_engine& rng) const {
    return detail::with_memory_pass(X, w, K, [&](const auto& pass) { return initialize(pass, K, rng); });
  }

  /// The centres for the chunks of `pass` (a `chunk_pass`).
  template <class Pass>
  [[nodiscard]] initial_assignment initialize(const Pass& pass, index K, random_engine& rng) const {
    validate();
    const auto trials = static_cast<std::size_t>(
        local_trials > 0 ? local_trials : 2 + static_cast<int>(std::log(static_cast<double>(K))));
    const auto by_weight = [](matrix_ref, vector_ref w, index n) { return w[n]; };
    const double total_weight =
        detail::pass_sums(pass, 1, [](matrix_ref, vector_ref w, index n, std::vector<detail::potential_sum>& s) {
          s[0] += detail::weighted(w[n], 1.0);
        })[0];
    Eigen::MatrixXd centers(K, pass.cols());
    centers.row(0) = detail::locate_draws(pass, {uniform01(rng) * total_weight}, by_weight).row(0);
    // Σ w_n D(x_n)² with the centres so far.
    double total =
        detail::pass_sums(pass, 1, [&](matrix_ref X, vector_ref w, index n, std::vector<detail::potential_sum>& s) {
          s[0] += detail::weighted(w[n], detail::squared_distance(X, n, centers, 0));
        })[0];
    for (index k = 1; k < K; ++k) {
      // Fewer distinct points than K leave no potential: any positive-weight row will do.
      const bool by_potential = total > 0;
      std::vector<double> targets(trials);
      for (double& u : targets) u = uniform01(rng) * (by_potential ? total : total_weight);
      const Eigen::MatrixXd candidates =
          by_potential
              ? detail::locate_draws(pass, targets,
                                     [&](matrix_ref X, vector_ref w, index n) {
                                       return detail::weighted(w[n], detail::closest_distance(X, n, centers, k));
                                     })
              : detail::locate_draws(pass, targets, by_weight);
      const std::vector<double> totals = detail::pass_sums(
          pass, trials, [&](matrix_ref X, vector_ref w, index n, std::vector<detail::potential_sum>& s) {
            if (!(w[n] > 0)) return;
            const double closest = detail::closest_distance(X, n, centers, k);
            for (std::size_t t = 0; t < trials; ++t)
              s[t] += w[n] * std::min(closest, detail::squared_distance(X, n, candidates, static_cast<index>(t)));
          });
      // The first trial is kept when no total compares smaller (all infinite or NaN: overflow).
      std::size_t best = 0;
      for (std::size_t t = 1; t < trials; ++t)
        if (totals[t] < totals[best]) best = t;
      centers.row(k) = candidates.row(static_cast<index>(best));
      total = totals[best];
    }
    return nearest_centers{std::move(centers)};
  }
};

/// K distinct rows (of positive weight), drawn uniformly, as initial centres.
///
/// A partial Fisher–Yates shuffle of the ranks [0, M) of the M rows of positive weight, kept
/// sparse (only the K swapped positions are stored), then one scan in row order that picks the
/// rows of those ranks: memory O(K), the same rows as a shuffle of an index vector.
struct random_rows {
  [[nodiscard]] initial_assignment initialize(matrix_ref X, vector_ref w, index K, random_engine& rng) const {
    return detail::with_memory_pass(X, w, K, [&](const auto& pass) { return initialize(pass, K, rng); });
  }

  /// The centres for the chunks of `pass` (a `chunk_pass`).
  template <class Pass>
  [[nodiscard]] initial_assignment initialize(const Pass& pass, index K, random_engine& rng) const {
    struct count {
      index n = 0;
      EMKIT_REFLECT(n);
      count& operator+=(const count& o) {
        n += o.n;
        return *this;
      }
    };
    const index M = pass.reduce([] { return count{}; },
                                [](row_range, matrix_ref, vector_ref w, count& c) { c.n += (w.array() > 0).count(); })
                        .n;
    check_option(M >= K, "random_rows", "K", K, "<= the number of rows of positive weight");
    std::unordered_map<index, index> moved;  // position → rank, where it differs from the identity
    const auto at = [&](index i) -> index& { return moved.try_emplace(i, i).first->second; };
    std::vector<index> ranks(static_cast<std::size_t>(K));
    for (index k = 0; k < K; ++k) {
      boost::random::uniform_int_distribution<std::size_t> pick(static_cast<std::size_t>(k),
                                                                static_cast<std::size_t>(M - 1));
      const auto j = static_cast<index>(pick(rng));
      std::swap(at(k), at(j));
      ranks[static_cast<std::size_t>(k)] = at(k);
    }
    std::vector<std::pair<index, index>> wanted;  // (rank, k) in rank order
    for (index k = 0; k < K; ++k) wanted.emplace_back(ranks[static_cast<std::size_t>(k)], k);
    std::sort(wanted.begin(), wanted.end());
    Eigen::MatrixXd centers(K, pass.cols());
    std::size_t next = 0;
    index rank = 0;
    pass.scan([&](row_range, matrix_ref X, vector_ref w) {
      for (index n = 0; n < X.rows() && next < wanted.size(); ++n) {
        if (!(w[n] > 0)) continue;
        while (next < wanted.size() && wanted[next].first == rank) centers.row(wanted[next++].second) = X.row(n);
        ++rank;
      }
      return next < wanted.size();
    });
    return nearest_centers{std::move(centers)};
  }
};

/// Responsibilities drawn uniformly at random and normalised per row.
struct random_responsibility_init {
  [[nodiscard]] initial_assignment initialize(matrix_ref, vector_ref, index, random_engine& rng) const {
    return random_responsibilities{rng()};
  }

  /// The same for any pass: no data is read.
  template <class Pass>
  [[nodiscard]] initial_assignment initialize(const Pass&, index, random_engine& rng) const {
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
    return centers_for(X.cols(), K);
  }

  /// The same for any pass: only the data's dimension is read.
  template <class Pass>
  [[nodiscard]] initial_assignment initialize(const Pass& pass, index K, random_engine&) const {
    return centers_for(pass.cols(), K);
  }

 private:
  [[nodiscard]] initial_assignment centers_for(index D, index K) const {
    check_shape(means.rows() == K, "given_means", "means.rows()", means.rows(), "K = " + std::to_string(K));
    check_shape(means.cols() == D, "given_means", "means.cols()", means.cols(),
                "the data's dimension " + std::to_string(D));
    validate();
    return nearest_centers{means};
  }
};

/// Given labels, one per row (0-based components, rows counted from the first of the data):
/// each row is assigned wholly to its label, then one M-step. Deterministic. The labels are
/// shared, not copied, by the policy's copies and its results.
struct given_labels {
  std::shared_ptr<const Eigen::VectorX<index>> labels;

  given_labels() = default;
  explicit given_labels(Eigen::VectorX<index> l)
      : labels(std::make_shared<const Eigen::VectorX<index>>(std::move(l))) {}
  explicit given_labels(std::shared_ptr<const Eigen::VectorX<index>> l) : labels(std::move(l)) {}

  [[nodiscard]] initial_assignment initialize(matrix_ref X, vector_ref, index K, random_engine&) const {
    return labels_for(X.rows(), K);
  }

  /// The same for any pass: only its number of rows is read.
  template <class Pass>
  [[nodiscard]] initial_assignment initialize(const Pass& pass, index K, random_engine&) const {
    return labels_for(pass.rows(), K);
  }

 private:
  /// Throws `invalid_option` naming the first label outside [0, K) among the first `rows`, and
  /// `shape_error` when there are fewer labels than rows (the online fitter's initialisation
  /// reads its first init_rows only, so more labels than rows are allowed).
  [[nodiscard]] initial_assignment labels_for(index rows, index K) const {
    check_option(labels != nullptr, "given_labels", "labels", "none", "one label per row");
    check_shape(labels->size() >= rows, "given_labels", "labels.size()", labels->size(),
                detail::concat("one label per row (", rows, " rows)"));
    for (index n = 0; n < rows; ++n) {
      const index k = (*labels)[n];
      // The message is built only for the label that fails (check_option takes its text eagerly).
      if (k < 0 || k >= K)
        check_option(false, "given_labels", detail::concat("labels[", n, "]"), k,
                     detail::concat("a component in [0, ", K, ")"));
    }
    return assigned_labels{labels};
  }
};

/// Given parameters θ_0, a warm start (a fitted model's, say): every restart's first E-step
/// runs under them, with no M-step before. The fitter checks them against the model and K
/// (`validate_params` when the model has it) and the data's dimension at the first E-step.
template <class Params>
struct given_parameters {
  Params theta;

  [[nodiscard]] starting_parameters<Params> initialize(matrix_ref, vector_ref, index, random_engine&) const {
    return {theta};
  }

  /// The same for any pass: no data is read.
  template <class Pass>
  [[nodiscard]] starting_parameters<Params> initialize(const Pass&, index, random_engine&) const {
    return {theta};
  }
};

}  // namespace emkit
