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

}  // namespace emkit
