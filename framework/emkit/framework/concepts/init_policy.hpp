#pragma once
/// \file
/// InitPolicy: how a restart chooses its start.

#include <concepts>

#include <emkit/framework/init/initial_assignment.hpp>
#include <emkit/framework/numeric/random.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

/// `initialize(X, w, K, rng)` returns the start of one restart, drawing any randomness from
/// `rng` (the restart's own stream): a `ResponsibilityRule` for the first responsibilities (the
/// shipped policies return `initial_assignment`), `starting_parameters<params_type>` (a warm
/// start), or a `std::variant` of such results. A policy that also has `initialize(pass, K,
/// rng)`, reading the data a chunk at a time, can start a fit of a streamed source.
template <class I>
concept InitPolicy = std::copyable<I> && requires(const I& i, matrix_ref X, vector_ref w, index K, random_engine& rng) {
  i.initialize(X, w, K, rng);
};

}  // namespace emkit
