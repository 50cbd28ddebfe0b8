#pragma once
/// \file
/// `--family poisson`: the Poisson family as the command line and model files see it
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
#include <emkit/models/poisson.hpp>

namespace emkit {

template <>
struct description<poisson> {
  using family_type = poisson;
  using estep_type = soft_estep;
  static constexpr const char* name = "poisson";
  static constexpr const char* help = "poisson (counts)";

  static std::vector<cli::family_option> options() { return {}; }
  static mixture<poisson> make_model(const cli::option_values&) { return {}; }
  static void write_kind(const poisson&, cli::json&) {}
  static std::optional<std::string> kind_text(const poisson&) { return std::nullopt; }

  static void write_components(const poisson&, std::span<const poisson_params> components, cli::json& j) {
    j["rates"] = cli::json_rows(components, [](const poisson_params& c) { return c.rates; });
  }
  static void write_setting(const poisson& f, cli::json& j) { j["rate_floor"] = f.rate_floor; }

  static poisson read_family(const cli::model_reader& r, const cli::json& obj, const std::string& prefix) {
    return poisson{.rate_floor = cli::read_setting(r, obj, "rate_floor", prefix + "rate_floor",
                                                   [](double v) { poisson{.rate_floor = v}.validate(); })};
  }
  static mixture<poisson> read_model(const cli::model_reader& r, const cli::json& doc) {
    return mixture<poisson>{read_family(r, doc, "")};
  }
  static std::vector<poisson_params> read_components(const cli::model_reader& r, const cli::json& obj,
                                                     const std::string& prefix, const poisson&, index K, index D) {
    return cli::read_rows<poisson_params>(r, obj, "rates", prefix + "rates", K, D,
                                          [](Eigen::VectorXd v) { return poisson_params::from(std::move(v)); });
  }

  static std::string describe_component(const poisson&, const poisson_params& c, const std::string& indent) {
    return indent.substr(2) + cli::format_row("rates         ", c.rates);
  }
  static std::string describe(const mixture<poisson>& m, const mixture_params<poisson_params>& theta,
                              const std::vector<std::string>& columns) {
    return cli::describe_components("Poisson mixture: " + cli::sizes_text(theta.size(), theta.dimension), m, theta,
                                    columns, [&](const poisson_params& c) { return describe_component(m.family, c, "  "); });
  }

  static std::string support_note(const mixture<poisson>&, index) { return "(poisson)"; }
  static const char* support_text(const poisson&) { return "is not a non-negative integer count"; }
  static std::optional<Eigen::VectorXd> component_mean(const poisson_params& p) { return p.rates; }
  static std::optional<Eigen::MatrixXd> component_covariance(const poisson_params&) { return std::nullopt; }
};

}  // namespace emkit
