#pragma once
/// \file
/// `EMKIT_REFLECT`: makes a struct a Boost.Hana Struct from inside its definition, for the
/// statistics that `flatten` carries between processes (see flatten.hpp). Kept apart from
/// flatten.hpp so that a statistics header pays only for Hana's tuple, pair and string.

#include <boost/hana/pair.hpp>
#include <boost/hana/string.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/preprocessor/seq/enum.hpp>
#include <boost/preprocessor/seq/transform.hpp>
#include <boost/preprocessor/stringize.hpp>
#include <boost/preprocessor/variadic/to_seq.hpp>

/// Inside a struct or class (a template, or one with private members, which
/// `BOOST_HANA_ADAPT_STRUCT` cannot adapt from outside): makes it a Hana Struct of the named
/// members, so that `flatten` carries it. `EMKIT_REFLECT(stats, mass, dimension);`
#define EMKIT_REFLECT(...)                                                                            \
  struct hana_accessors_impl {                                                                        \
    static constexpr auto apply() {                                                                   \
      return ::boost::hana::make_tuple(BOOST_PP_SEQ_ENUM(                                             \
          BOOST_PP_SEQ_TRANSFORM(EMKIT_REFLECT_ACCESSOR, ~, BOOST_PP_VARIADIC_TO_SEQ(__VA_ARGS__)))); \
    }                                                                                                 \
  }
/// One (name, accessor) pair of `EMKIT_REFLECT`.
#define EMKIT_REFLECT_ACCESSOR(s, data, member)                                                               \
  ::boost::hana::make_pair(BOOST_HANA_STRING(BOOST_PP_STRINGIZE(member)), [](auto&& self) -> decltype(auto) { \
    return (static_cast<decltype(self)&&>(self).member);                                                      \
  })
