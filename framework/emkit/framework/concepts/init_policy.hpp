#pragma once
/// \file
/// InitPolicy: how a restart chooses its first responsibilities.

#include <concepts>

#include <emkit/framework/init/initial_assignment.hpp>
#include <emkit/framework/numeric/random.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

/// `initialize(X, w, K, rng)` returns the rule for the first responsibilities of one restart,
/// drawing any randomness from `rng` (the restart's own stream).
template <class I>
concept InitPolicy = std::copyable<I> && requires(const I& i, matrix_ref X, vector_ref w, index K, random_engine& rng) {
  { i.initialize(X, w, K, rng) } -> std::same_as<initial_assignment>;
};

}  // namespace emkit
