#pragma once
/// \file
/// `per_column_description<Traits>`: the description (<emkit/cli/description.hpp>) of a family
/// whose component is one vector of D parameters, one per column, rebuilt on load by
/// `params_type::from`, with one setting (a floor): the Poisson and Bernoulli families. The
/// model file holds "<key>" [K][D] and, after the fit's numbers, "<setting>". `Traits` names
/// them:
///
/// | member | meaning |
/// | --- | --- |
/// | `family_type` | the family |
/// | `name`, `help`, `heading` | `--family NAME`, its help, "Poisson mixture" in reports |
/// | `key`, `label` | "rates" in the model file, "rates         " in reports |
/// | `setting` | "rate_floor": the family's floor, read with its `validate()` |
/// | `field(p)`, `setting_of(f)` | the component's vector; the family's floor (a reference for a non-const family) |

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

namespace emkit {

template <class Traits>
struct per_column_description {
  using family_type = typename Traits::family_type;
  using params = typename family_type::params_type;
  using estep_type = soft_estep;
  static constexpr const char* name = Traits::name;
  static constexpr const char* help = Traits::help;

  static std::vector<cli::family_option> options() { return {}; }
  static mixture<family_type> make_model(const cli::option_values&) { return {}; }
  static void write_kind(const family_type&, cli::json&) {}
  static std::optional<std::string> kind_text(const family_type&) { return std::nullopt; }

  static void write_components(const family_type&, std::span<const params> components, cli::json& j) {
    j[Traits::key] = cli::json_rows(components, [](const params& c) { return Traits::field(c); });
  }
  static void write_setting(const family_type& f, cli::json& j) { j[Traits::setting] = Traits::setting_of(f); }

  static family_type read_family(const cli::model_reader& r, const cli::json& obj, const std::string& prefix) {
    family_type f;
    Traits::setting_of(f) = cli::read_setting(r, obj, Traits::setting, prefix + Traits::setting, [](double v) {
      family_type g;
      Traits::setting_of(g) = v;
      g.validate();
    });
    return f;
  }
  static mixture<family_type> read_model(const cli::model_reader& r, const cli::json& doc) {
    return mixture<family_type>{read_family(r, doc, "")};
  }
  static std::vector<params> read_components(const cli::model_reader& r, const cli::json& obj,
                                             const std::string& prefix, const family_type&, index K, index D) {
    return cli::read_rows<params>(r, obj, Traits::key, prefix + Traits::key, K, D,
                                  [](Eigen::VectorXd v) { return params::from(std::move(v)); });
  }

  static std::string describe_component(const family_type&, const params& c, const std::string& indent) {
    return indent.substr(2) + cli::format_row(Traits::label, Traits::field(c));
  }
  static std::string describe(const mixture<family_type>& m, const mixture_params<params>& theta,
                              const std::vector<std::string>& columns) {
    return cli::describe_components(
        std::string(Traits::heading) + ": " + cli::sizes_text(theta.size(), theta.dimension), m, theta, columns,
        [&](const params& c) { return describe_component(m.family, c, "  "); });
  }

  static std::string support_note(const mixture<family_type>&, index) { return std::string("(") + name + ")"; }
  static std::optional<Eigen::VectorXd> component_mean(const params& p) { return Traits::field(p); }
  static std::optional<Eigen::MatrixXd> component_covariance(const params&) { return std::nullopt; }
};

}  // namespace emkit
