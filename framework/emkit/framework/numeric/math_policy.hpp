#pragma once
/// \file
/// The one Boost.Math error policy of emkit, and the special functions used through it.
///
/// Boost.Math's default policy promotes double to long double internally (slow in hot loops)
/// and throws on domain errors. emkit computes in double and checks its inputs at the boundary,
/// so inside numerics a domain or pole error returns NaN/Inf quietly, to be caught by the checks
/// that look for non-finite values.

#include <boost/math/policies/policy.hpp>
#include <boost/math/special_functions/gamma.hpp>

namespace emkit::math {

/// Double-precision evaluation, no promotion to long double, errors as values not exceptions.
using policy =
    boost::math::policies::policy<boost::math::policies::promote_double<false>,
                                  boost::math::policies::promote_float<false>,
                                  boost::math::policies::domain_error<boost::math::policies::ignore_error>,
                                  boost::math::policies::pole_error<boost::math::policies::ignore_error>,
                                  boost::math::policies::overflow_error<boost::math::policies::ignore_error>,
                                  boost::math::policies::evaluation_error<boost::math::policies::ignore_error>>;

/// log Γ(x) under the project policy.
[[nodiscard]] inline double lgamma(double x) { return boost::math::lgamma(x, policy{}); }

}  // namespace emkit::math
