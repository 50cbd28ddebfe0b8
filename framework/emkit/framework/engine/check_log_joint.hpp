#pragma once
/// \file
/// The check that every observation has a posterior: a row whose log joint density is not
/// finite under any component (its density underflows, or its squared distance overflows,
/// everywhere) has none, and is named rather than turned into NaN responsibilities.

#include <cmath>
#include <string_view>

#include <Eigen/Core>

#include <emkit/framework/error.hpp>
#include <emkit/framework/numeric/array_tests.hpp>
#include <emkit/framework/types.hpp>

namespace emkit::detail {

/// Throws `numerical_error` naming the row (`first_row` + its index in the chunk) when a row of
/// L(n, k) = log p(x_n, z_n = k | θ) with positive weight has no finite entry, or a NaN.
inline void check_log_joint(matrix_ref L, vector_ref w, index first_row, std::string_view where) {
  if (all_finite(L)) return;  // the common case, in one vectorised pass
  const Eigen::Array<bool, Eigen::Dynamic, 1> has_posterior =
      L.array().isFinite().rowwise().any() && !L.array().isNaN().rowwise().any();
  if (has_posterior.all()) return;
  for (index n = 0; n < L.rows(); ++n) {
    if (has_posterior[n] || !(w[n] > 0)) continue;
    throw numerical_error(
        concat(where, ": row ", first_row + n,
               " has no posterior: its log joint density log p(x, z = k | θ) is not finite for any component k (",
               L.row(n).maxCoeff(),
               " at best; the density underflows or the squared distance "
               "overflows under every component; is the data's scale beyond double precision?)"));
  }
}

/// The same for rows that all count (predictions).
inline void check_log_joint(matrix_ref L, index first_row, std::string_view where) {
  check_log_joint(L, Eigen::VectorXd::Ones(L.rows()), first_row, where);
}

}  // namespace emkit::detail
