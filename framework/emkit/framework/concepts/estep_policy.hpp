#pragma once
/// \file
/// EStepPolicy: how a block of log joint densities becomes responsibilities.
///
/// Soft EM takes the posterior; hard (classification) EM and K-means take a point mass at
/// the argmax. The policy also says which objective the fit maximises, so the engine and
/// the monitor never ask which kind of EM they run.

#include <concepts>

#include <emkit/framework/engine/estep_totals.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

/// `posterior(L, w, totals)` overwrites the n×K block L(n, k) = log p(x_n, z_n = k | θ) with
/// responsibilities r_nk (each row a distribution) and adds the chunk's ℓ, H, Q and
/// objective to `totals`. `is_hard` tells the monitor that q is a point mass (no
/// entropy, no ELBO or KL rows).
template <class E>
concept EStepPolicy = std::copyable<E> && requires(const E& e, matrix_out L, vector_ref w, estep_totals& totals) {
  e.posterior(L, w, totals);
  { E::is_hard } -> std::convertible_to<bool>;
};

}  // namespace emkit
