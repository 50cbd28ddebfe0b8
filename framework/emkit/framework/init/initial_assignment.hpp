#pragma once
/// \file
/// What an initialisation policy produces, the start of a restart. Either a rule giving the
/// first responsibilities, from which one M-step makes θ_0 (every rule is evaluated chunk by
/// chunk, so no N×K matrix is stored), or θ_0 itself (`starting_parameters`, a warm start).
///
/// The set is open: a rule is any type with `fill(X, range, R)` (`ResponsibilityRule`), and a
/// policy may return a rule of its own, `starting_parameters<params_type>`, or a `std::variant`
/// of such results (a choice made at run time). The shipped rules are below.

#include <concepts>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>
#include <variant>

#include <Eigen/Core>

#include <emkit/framework/execution/row_blocks.hpp>
#include <emkit/framework/numeric/random.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

/// A rule for the first responsibilities: `fill(X, range, R)` sets R (rows × K) for the chunk
/// X, which holds the rows [range.begin, range.begin + range.rows) of the data. Each row of R
/// is a distribution over the K components. It must not depend on how the rows are chunked.
template <class A>
concept ResponsibilityRule = std::copyable<A> && requires(const A& a, matrix_ref X, row_range range, matrix_out R) {
  a.fill(X, range, R);
};

/// θ_0 given (a warm start): the restart's first E-step runs under it, with no M-step before.
template <class Params>
struct starting_parameters {
  Params theta;
};

/// Index of the row of `centers` nearest to x (squared Euclidean distance).
[[nodiscard]] inline index nearest_center(const Eigen::MatrixXd& centers, const Eigen::RowVectorXd& x) {
  index best = 0;
  double best_d = std::numeric_limits<double>::infinity();
  for (index k = 0; k < centers.rows(); ++k) {
    const double d = (centers.row(k) - x).squaredNorm();
    if (d < best_d) best_d = d, best = k;
  }
  return best;
}

/// Each row is assigned wholly to its nearest centre (Euclidean; ties to the lowest index).
struct nearest_centers {
  Eigen::MatrixXd centers;  ///< K×D

  void fill(matrix_ref X, row_range, matrix_out R) const {
    R.setZero();
    for (index n = 0; n < X.rows(); ++n) R(n, nearest_center(centers, X.row(n))) = 1.0;
  }
};

/// Responsibilities drawn uniformly and normalised per row; chunk c draws from stream
/// (seed, first row of c), so the draws do not depend on the thread count.
struct random_responsibilities {
  std::uint64_t seed = 0;

  void fill(matrix_ref, row_range range, matrix_out R) const {
    random_engine rng = make_engine(seed, static_cast<std::uint64_t>(range.begin));
    for (index n = 0; n < R.rows(); ++n) {
      for (index k = 0; k < R.cols(); ++k) R(n, k) = uniform01(rng) + std::numeric_limits<double>::min();
      R.row(n) /= R.row(n).sum();
    }
  }
};

/// Row n is assigned wholly to component labels[n] (rows counted from the first of the data).
struct assigned_labels {
  std::shared_ptr<const Eigen::VectorX<index>> labels;  ///< shared: a restart copies no labels

  void fill(matrix_ref, row_range range, matrix_out R) const {
    R.setZero();
    for (index n = 0; n < R.rows(); ++n) R(n, (*labels)[range.begin + n]) = 1.0;
  }
};

/// The first responsibilities the shipped policies give.
using initial_assignment = std::variant<nearest_centers, random_responsibilities, assigned_labels>;

namespace detail {

template <class A>
struct is_variant : std::false_type {};
template <class... A>
struct is_variant<std::variant<A...>> : std::true_type {};

template <class A>
struct is_starting : std::false_type {};
template <class P>
struct is_starting<starting_parameters<P>> : std::true_type {};

/// A rule, or a variant whose every alternative is one (itself a rule: `fill` visits).
template <class A>
struct is_rule : std::bool_constant<ResponsibilityRule<A>> {};
template <class... A>
struct is_rule<std::variant<A...>> : std::bool_constant<(is_rule<A>::value && ...)> {};

template <class>
inline constexpr bool always_false = false;

}  // namespace detail

/// Fills R (rows × K) with the first responsibilities of `rule` for the chunk X = rows [range).
template <class Rule>
requires detail::is_rule<Rule>::value void initial_responsibilities(const Rule& rule, matrix_ref X, row_range range,
                                                                    matrix_out R) {
  if constexpr (detail::is_variant<Rule>::value) {
    std::visit([&](const auto& r) { initial_responsibilities(r, X, range, R); }, rule);
  } else {
    rule.fill(X, range, R);
  }
}

/// Calls `on_rule(rule)` or `on_start(theta)` for what an init policy returned (a variant is
/// visited, a variant of rules taken whole as one rule), and returns its result.
template <class First, class OnRule, class OnStart>
decltype(auto) visit_start(const First& first, OnRule&& on_rule, OnStart&& on_start) {
  if constexpr (detail::is_rule<First>::value) {
    return on_rule(first);
  } else if constexpr (detail::is_starting<First>::value) {
    return on_start(first.theta);
  } else if constexpr (detail::is_variant<First>::value) {
    return std::visit([&](const auto& a) { return visit_start(a, on_rule, on_start); }, first);
  } else {
    static_assert(detail::always_false<First>,
                  "an init policy's initialize() returns a ResponsibilityRule (fill(X, range, R)), "
                  "starting_parameters<params_type>, or a std::variant of them");
  }
}

}  // namespace emkit
