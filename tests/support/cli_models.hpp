#pragma once
/// \file
/// What tests of the command line's library need to look inside a `fitted_model`: the library
/// models of the shipped families, and `visit_fitted`, which calls a function with the
/// library's model and parameters of whichever shipped family the model is (as `std::visit`).

#include <type_traits>

#include <emkit/cli/family.hpp>
#include <emkit/models/describe/bernoulli.hpp>
#include <emkit/models/describe/fixed_spherical_gaussian.hpp>
#include <emkit/models/describe/gaussian.hpp>
#include <emkit/models/describe/mixed_product.hpp>
#include <emkit/models/describe/poisson.hpp>

// Compiled once in the emkit_cli library (tools/src/family.cpp.in): not instantiated again here.
extern template class emkit::cli::kind_of<emkit::description<emkit::gaussian>>;
extern template class emkit::cli::fitted_of<emkit::description<emkit::gaussian>>;
extern template class emkit::cli::kind_of<emkit::description<emkit::poisson>>;
extern template class emkit::cli::fitted_of<emkit::description<emkit::poisson>>;
extern template class emkit::cli::kind_of<emkit::description<emkit::bernoulli>>;
extern template class emkit::cli::fitted_of<emkit::description<emkit::bernoulli>>;
extern template class emkit::cli::kind_of<emkit::description<emkit::fixed_spherical_gaussian>>;
extern template class emkit::cli::fitted_of<emkit::description<emkit::fixed_spherical_gaussian>>;
extern template class emkit::cli::kind_of<emkit::description<emkit::mixed_product>>;
extern template class emkit::cli::fitted_of<emkit::description<emkit::mixed_product>>;

namespace emkit::cli {

using gaussian_mixture = mixture<gaussian>;
using poisson_mixture = mixture<poisson>;
using bernoulli_mixture = mixture<bernoulli>;
using kmeans_mixture = mixture<fixed_spherical_gaussian>;
using product_mixture = mixture<mixed_product>;

/// Calls `fn(const fitted<Model>&)` with the model of `m`; returns false when `m` is of no
/// shipped family.
template <class Fn>
bool visit_fitted(const fitted_model& m, Fn&& fn) {
  bool found = false;
  const auto attempt = [&]<class F>(std::type_identity<F>) {
    if (found) return;
    if (const auto* f = dynamic_cast<const fitted_of<description<F>>*>(&m)) {
      fn(f->value());
      found = true;
    }
  };
  attempt(std::type_identity<gaussian>{});
  attempt(std::type_identity<poisson>{});
  attempt(std::type_identity<bernoulli>{});
  attempt(std::type_identity<fixed_spherical_gaussian>{});
  attempt(std::type_identity<mixed_product>{});
  return found;
}

}  // namespace emkit::cli
