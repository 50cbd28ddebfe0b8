#pragma once
/// \file
/// Statistics as a flat array of doubles and back, by Boost.Hana reflection, so that
/// processes can exchange them (an MPI all-gather sends doubles, not structs).
///
/// A statistic flattens when it is built from:
/// - arithmetic values (stored as one double; an `index` is exact below 2⁵³);
/// - dense Eigen matrices and vectors (rows, columns, then the coefficients);
/// - `std::vector`, `std::variant`, `std::optional` and `std::pair` of flattenable values (the
///   size, the alternative or the presence first), and `std::string`;
/// - Hana Structs of flattenable members: `BOOST_HANA_ADAPT_STRUCT(my_stats, weight, sum);`
///   after a family's statistics struct is all a new family needs to be fitted across processes.
/// Sizes travel with the values, so `unflatten` needs no template of the shape: the empty
/// (value-initialised) statistic and a full one both round-trip exactly, bit for bit.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <Eigen/Core>
#include <boost/hana/accessors.hpp>
#include <boost/hana/concept/struct.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/second.hpp>
#include <boost/hana/tuple.hpp>

#include <emkit/framework/error.hpp>
#include <emkit/framework/execution/reflect.hpp>

namespace emkit {

namespace detail {
template <class T>
struct is_std_vector : std::false_type {};
template <class T, class A>
struct is_std_vector<std::vector<T, A>> : std::true_type {};
template <class T>
struct is_std_variant : std::false_type {};
template <class... Ts>
struct is_std_variant<std::variant<Ts...>> : std::true_type {};
template <class T>
struct is_std_optional : std::false_type {};
template <class T>
struct is_std_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_std_pair : std::false_type {};
template <class A, class B>
struct is_std_pair<std::pair<A, B>> : std::true_type {};
template <class T>
concept eigen_dense = std::is_base_of_v<Eigen::DenseBase<T>, T>;
template <class T>
concept hana_struct = boost::hana::Struct<T>::value;
template <class T, class = void>
struct is_flattenable;
}  // namespace detail

/// True when `flatten` and `unflatten` can carry a T (checked member by member).
template <class T>
inline constexpr bool flattenable_v = detail::is_flattenable<T>::value;

namespace detail {
template <class T, class... Accessor>
constexpr bool members_flattenable(boost::hana::tuple<Accessor...>*) {
  return (
      flattenable_v<std::remove_cvref_t<decltype(boost::hana::second(std::declval<Accessor>())(std::declval<T&>()))>> &&
      ...);
}

template <class T>
constexpr bool compute_flattenable() {
  if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T> || eigen_dense<T> || std::is_same_v<T, std::string>) {
    return true;
  } else if constexpr (is_std_vector<T>::value || is_std_optional<T>::value) {
    return flattenable_v<typename T::value_type>;
  } else if constexpr (is_std_pair<T>::value) {
    return flattenable_v<typename T::first_type> && flattenable_v<typename T::second_type>;
  } else if constexpr (is_std_variant<T>::value) {
    return []<class... Ts>(std::variant<Ts...>*) { return (flattenable_v<Ts> && ...); }(static_cast<T*>(nullptr));
  } else if constexpr (hana_struct<T>) {
    using accessors = std::remove_cvref_t<decltype(boost::hana::accessors<T>())>;
    return members_flattenable<T>(static_cast<accessors*>(nullptr));
  } else {
    return false;
  }
}
template <class T, class>
struct is_flattenable : std::bool_constant<compute_flattenable<T>()> {};
}  // namespace detail

/// Appends `value` to `out`.
template <class T>
void flatten(const T& value, std::vector<double>& out) {
  if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>) {
    out.push_back(static_cast<double>(value));
  } else if constexpr (detail::eigen_dense<T>) {
    out.push_back(static_cast<double>(value.rows()));
    out.push_back(static_cast<double>(value.cols()));
    for (Eigen::Index j = 0; j < value.cols(); ++j)
      for (Eigen::Index i = 0; i < value.rows(); ++i) out.push_back(value(i, j));
  } else if constexpr (detail::is_std_vector<T>::value) {
    out.push_back(static_cast<double>(value.size()));
    for (const auto& v : value) flatten(v, out);
  } else if constexpr (detail::is_std_variant<T>::value) {
    out.push_back(static_cast<double>(value.index()));
    std::visit([&](const auto& v) { flatten(v, out); }, value);
  } else if constexpr (std::is_same_v<T, std::string>) {
    out.push_back(static_cast<double>(value.size()));
    for (const char c : value) out.push_back(static_cast<double>(static_cast<unsigned char>(c)));
  } else if constexpr (detail::is_std_optional<T>::value) {
    out.push_back(value ? 1.0 : 0.0);
    if (value) flatten(*value, out);
  } else if constexpr (detail::is_std_pair<T>::value) {
    flatten(value.first, out);
    flatten(value.second, out);
  } else {
    static_assert(detail::hana_struct<T>, "flatten: adapt the statistics with BOOST_HANA_ADAPT_STRUCT");
    boost::hana::for_each(boost::hana::accessors<T>(),
                          [&](auto accessor) { flatten(boost::hana::second(accessor)(value), out); });
  }
}

/// The doubles of `value`, as `flatten` writes them.
template <class T>
[[nodiscard]] std::vector<double> flattened(const T& value) {
  std::vector<double> out;
  flatten(value, out);
  return out;
}

namespace detail {
/// The next double of `in`, consumed; throws `shape_error` when `in` is exhausted.
inline double take(std::span<const double>& in) {
  check_shape(!in.empty(), "unflatten", "input", "exhausted", "as many values as flatten wrote");
  const double v = in.front();
  in = in.subspan(1);
  return v;
}

/// A size read back: a non-negative integer no larger than the values left.
inline std::size_t take_size(std::span<const double>& in) {
  const double v = take(in);
  check_shape(v >= 0 && v <= static_cast<double>(in.size()) && v == static_cast<double>(static_cast<std::size_t>(v)),
              "unflatten", "size", v, "a count no larger than the values left");
  return static_cast<std::size_t>(v);
}

/// A matrix dimension read back: a non-negative integer. Unlike a count, it need not be at most
/// the values left (an empty 0×1 vector at the end of the input has a dimension of 1 and no
/// values); `unflatten` checks the product instead.
inline std::size_t take_dimension(std::span<const double>& in) {
  const double v = take(in);
  check_shape(v >= 0 && v <= 9007199254740992.0 && v == static_cast<double>(static_cast<std::size_t>(v)), "unflatten",
              "matrix dimension", v, "a non-negative integer");
  return static_cast<std::size_t>(v);
}

template <class Variant, std::size_t... I>
void emplace_alternative(Variant& v, std::size_t which, std::index_sequence<I...>) {
  ((which == I ? (void)v.template emplace<I>() : (void)0), ...);
}
}  // namespace detail

/// Reads `value` back from the front of `in` (consuming what `flatten` wrote). Throws
/// `shape_error` when `in` is shorter than, or inconsistent with, what `value`'s type needs.
template <class T>
void unflatten(std::span<const double>& in, T& value) {
  if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>) {
    value = static_cast<T>(detail::take(in));
  } else if constexpr (detail::eigen_dense<T>) {
    const std::size_t rows = detail::take_dimension(in);
    const std::size_t cols = detail::take_dimension(in);
    check_shape(rows == 0 || cols == 0 || (rows <= in.size() && cols <= in.size() / rows), "unflatten", "matrix size",
                static_cast<double>(rows) * static_cast<double>(cols), "no more than the values left");
    if constexpr (T::RowsAtCompileTime == 1 || T::ColsAtCompileTime == 1) {
      value.resize(static_cast<Eigen::Index>(rows * cols));
    } else {
      value.resize(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
    }
    for (Eigen::Index j = 0; j < value.cols(); ++j)
      for (Eigen::Index i = 0; i < value.rows(); ++i) value(i, j) = detail::take(in);
  } else if constexpr (detail::is_std_vector<T>::value) {
    value.assign(detail::take_size(in), typename T::value_type{});
    for (auto& v : value) unflatten(in, v);
  } else if constexpr (detail::is_std_variant<T>::value) {
    const double which = detail::take(in);
    constexpr std::size_t n = std::variant_size_v<T>;
    check_shape(which >= 0 && which < static_cast<double>(n), "unflatten", "variant index", which,
                "one of the " + std::to_string(n) + " alternatives");
    detail::emplace_alternative(value, static_cast<std::size_t>(which), std::make_index_sequence<n>{});
    std::visit([&](auto& v) { unflatten(in, v); }, value);
  } else if constexpr (std::is_same_v<T, std::string>) {
    value.resize(detail::take_size(in));
    for (char& c : value) c = static_cast<char>(static_cast<unsigned char>(detail::take(in)));
  } else if constexpr (detail::is_std_optional<T>::value) {
    if (detail::take(in) != 0.0) {
      value.emplace();
      unflatten(in, *value);
    } else {
      value.reset();
    }
  } else if constexpr (detail::is_std_pair<T>::value) {
    unflatten(in, value.first);
    unflatten(in, value.second);
  } else {
    static_assert(detail::hana_struct<T>, "unflatten: adapt the statistics with BOOST_HANA_ADAPT_STRUCT");
    boost::hana::for_each(boost::hana::accessors<T>(),
                          [&](auto accessor) { unflatten(in, boost::hana::second(accessor)(value)); });
  }
}

}  // namespace emkit
