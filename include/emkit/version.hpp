#pragma once
/// \file
/// The version of emkit.

#define EMKIT_VERSION_MAJOR 0
#define EMKIT_VERSION_MINOR 1
#define EMKIT_VERSION_PATCH 0

namespace emkit {
/// The version as "major.minor.patch".
inline constexpr const char* version = "0.1.0";
}  // namespace emkit
