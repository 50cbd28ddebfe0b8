#pragma once
/// \file
/// The random engine of emkit and stream derivation for seeds.
///
/// Boost.Random's engine and distributions are plain header code whose sequences do
/// not depend on the compiler or standard library, unlike std::uniform_real_distribution,
/// so a seed reproduces a fit on any platform.

#include <cstdint>

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_01.hpp>
#include <boost/random/uniform_int_distribution.hpp>

namespace emkit {

/// The one random engine type used everywhere in emkit.
using random_engine = boost::random::mt19937_64;

/// SplitMix64 finaliser: decorrelates seeds derived as (seed, stream) pairs.
[[nodiscard]] constexpr std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t stream) noexcept {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// An engine for stream `stream` of `seed` (a restart, a chunk): independent of thread count.
[[nodiscard]] inline random_engine make_engine(std::uint64_t seed, std::uint64_t stream = 0) {
  return random_engine{mix_seed(seed, stream)};
}

/// A uniform draw in [0, 1).
[[nodiscard]] inline double uniform01(random_engine& rng) { return boost::random::uniform_01<double>{}(rng); }

}  // namespace emkit
