#pragma once
/// \file
/// `--family bernoulli`: the Bernoulli family as the command line and model files see it (the
/// contract is in <emkit/cli/description.hpp>): "probabilities" [K][D] and "probability_floor".

#include <emkit/models/bernoulli.hpp>
#include <emkit/models/describe/per_column.hpp>

namespace emkit {

/// The names and fields of the Bernoulli family's description.
struct bernoulli_columns {
  using family_type = bernoulli;
  static constexpr const char* name = "bernoulli";
  static constexpr const char* help = "bernoulli (0/1 data)";
  static constexpr const char* heading = "Bernoulli mixture";
  static constexpr const char* key = "probabilities";
  static constexpr const char* label = "probabilities ";
  static constexpr const char* setting = "probability_floor";
  static const Eigen::VectorXd& field(const bernoulli_params& p) { return p.probabilities; }
  static double& setting_of(bernoulli& f) { return f.probability_floor; }
  static double setting_of(const bernoulli& f) { return f.probability_floor; }
};

template <>
struct description<bernoulli> : per_column_description<bernoulli_columns> {};

}  // namespace emkit
