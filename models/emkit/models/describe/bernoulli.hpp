#pragma once
/// \file
/// `--family bernoulli`: the Bernoulli family as the command line and model files see it
/// (the contract is in <emkit/cli/description.hpp>).

#include <optional>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>

#include <emkit/cli/description.hpp>
#include <emkit/cli/model_reader.hpp>
#include <emkit/cli/text_format.hpp>
#include <emkit/framework/estep/soft_estep.hpp>
#include <emkit/models/mixture.hpp>
#include <emkit/models/bernoulli.hpp>

namespace emkit {

template <>
struct description<bernoulli> {
  using family_type = bernoulli;
  using estep_type = soft_estep;
  static constexpr const char* name = "bernoulli";
  static constexpr const char* help = "bernoulli (0/1 data)";

  static std::vector<cli::family_option> options() { return {}; }
  static mixture<bernoulli> make_model(const cli::option_values&) { return {}; }
  static void write_kind(const bernoulli&, cli::json&) {}
  static std::optional<std::string> kind_text(const bernoulli&) { return std::nullopt; }

  static void write_components(const bernoulli&, std::span<const bernoulli_params> components, cli::json& j) {
    j["probabilities"] = cli::json_rows(components, [](const bernoulli_params& c) { return c.probabilities; });
  }
  static void write_setting(const bernoulli& f, cli::json& j) { j["probability_floor"] = f.probability_floor; }

  static bernoulli read_family(const cli::model_reader& r, const cli::json& obj, const std::string& prefix) {
    return bernoulli{.probability_floor = cli::read_setting(r, obj, "probability_floor", prefix + "probability_floor",
                                                   [](double v) { bernoulli{.probability_floor = v}.validate(); })};
  }
  static mixture<bernoulli> read_model(const cli::model_reader& r, const cli::json& doc) {
    return mixture<bernoulli>{read_family(r, doc, "")};
  }
  static std::vector<bernoulli_params> read_components(const cli::model_reader& r, const cli::json& obj,
                                                     const std::string& prefix, const bernoulli&, index K, index D) {
    return cli::read_rows<bernoulli_params>(r, obj, "probabilities", prefix + "probabilities", K, D,
                                          [](Eigen::VectorXd v) { return bernoulli_params::from(std::move(v)); });
  }

  static std::string describe_component(const bernoulli&, const bernoulli_params& c, const std::string& indent) {
    return indent.substr(2) + cli::format_row("probabilities ", c.probabilities);
  }
  static std::string describe(const mixture<bernoulli>& m, const mixture_params<bernoulli_params>& theta,
                              const std::vector<std::string>& columns) {
    return cli::describe_components("Bernoulli mixture: " + cli::sizes_text(theta.size(), theta.dimension), m, theta,
                                    columns, [&](const bernoulli_params& c) { return describe_component(m.family, c, "  "); });
  }

  static std::string support_note(const mixture<bernoulli>&, index) { return "(bernoulli)"; }
  static const char* support_text(const bernoulli&) { return "is not 0 or 1"; }
  static std::optional<Eigen::VectorXd> component_mean(const bernoulli_params& p) { return p.probabilities; }
  static std::optional<Eigen::MatrixXd> component_covariance(const bernoulli_params&) { return std::nullopt; }
};

}  // namespace emkit
