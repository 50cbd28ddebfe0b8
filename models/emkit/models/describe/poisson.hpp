#pragma once
/// \file
/// `--family poisson`: the Poisson family as the command line and model files see it (the
/// contract is in <emkit/cli/description.hpp>): "rates" [K][D] and "rate_floor".

#include <emkit/models/describe/per_column.hpp>
#include <emkit/models/poisson.hpp>

namespace emkit {

/// The names and fields of the Poisson family's description.
struct poisson_columns {
  using family_type = poisson;
  static constexpr const char* name = "poisson";
  static constexpr const char* help = "poisson (counts)";
  static constexpr const char* heading = "Poisson mixture";
  static constexpr const char* key = "rates";
  static constexpr const char* label = "rates         ";
  static constexpr const char* setting = "rate_floor";
  static const Eigen::VectorXd& field(const poisson_params& p) { return p.rates; }
  static double& setting_of(poisson& f) { return f.rate_floor; }
  static double setting_of(const poisson& f) { return f.rate_floor; }
};

template <>
struct description<poisson> : per_column_description<poisson_columns> {};

}  // namespace emkit
