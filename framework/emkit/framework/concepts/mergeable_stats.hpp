#pragma once
/// \file
/// MergeableStats: statistics that chunks, threads and machines accumulate separately
/// and then merge.
///
/// Why a monoid: the E-step is a sum over observations, so the engine may cut the data
/// anywhere, accumulate each piece from a value-initialised (empty) statistic, and add the
/// pieces. Determinism across thread counts comes from merging them in a fixed order.

#include <concepts>

namespace emkit {

/// A value-initialised `S` is the identity, and `a += b` merges `b` into `a`. Statistics that
/// hold Eigen vectors must treat the empty value specially in `+=` (take `b` whole when `a` is
/// empty; do nothing when `b` is), since the engine merges into value-initialised statistics.
template <class S>
concept MergeableStats = std::copyable<S> && std::default_initializable<S> && requires(S& a, const S& b) {
  { a += b } -> std::same_as<S&>;
};

/// Mergeable statistics that can also be reweighted: `s *= a` (a ≥ 0) makes `s` the statistics
/// of the same rows with every weight multiplied by a. The weight-linear quantities (weights,
/// weighted sums, scatters, masses) scale; ratios (means, reference points) stay.
///
/// Why: stepwise (online) EM keeps a running average s ← (1 − γ) s + γ ŝ of statistics that are
/// not plain sums (a Gaussian stores a mean and a centred scatter, merged by Chan's formula), and
/// `(s *= 1 − γ) += (ŝ *= γ)` is that average for any such representation. The law, tested for
/// every shipped family: stats(rows, a·w) == (stats(rows, w) *= a), and
/// (stats(rows, w) *= a) += (stats(rows', w') *= b) == stats(rows ∪ rows', a·w ∪ b·w').
template <class S>
concept ScalableStats = MergeableStats<S> && requires(S& a, double factor) {
  { a *= factor } -> std::same_as<S&>;
};

}  // namespace emkit
