#pragma once
/// \file
/// `--family gaussian`: the Gaussian family as the command line and model files see it
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
#include <emkit/models/gaussian.hpp>
#include <emkit/models/mixture.hpp>

namespace emkit {

template <>
struct description<gaussian> {
  using family_type = gaussian;
  using estep_type = soft_estep;
  static constexpr const char* name = "gaussian";
  static constexpr const char* help = "gaussian (--covariance full, diag, spherical or tied)";

  static std::vector<cli::family_option> options() {
    return {
        {"--covariance", "Covariance type (--family gaussian)", "full", {"full", "diag", "spherical", "tied"}},
        {"--reg-covar", "Added to the diagonal of every covariance matrix (Gaussian components only)", "1e-06", {}}};
  }

  /// `--reg-covar` as a Gaussian takes it (also for a product's Gaussian blocks).
  static double reg_covar(const cli::option_values& o) {
    const double v = o.number("--reg-covar", 1e-6);
    if (!(v >= 0 && std::isfinite(v))) {
      throw cli::usage_error("--reg-covar " + cli::number_text(v) + ": expected a finite number >= 0");
    }
    return v;
  }

  static mixture<gaussian> make_model(const cli::option_values& o) {
    mixture<gaussian> m;
    m.family.covariance = parse_covariance_type(o.text("--covariance", "full"));
    m.family.reg_covar = reg_covar(o);
    return m;
  }

  static void write_kind(const gaussian& f, cli::json& j) { j["covariance"] = to_string(f.covariance); }
  static std::optional<std::string> kind_text(const gaussian& f) { return std::string(to_string(f.covariance)); }

  /// Σ_k as the model uses it: the densities depend on Σ only through its Cholesky factor,
  /// which reads the lower triangle, so the file holds that triangle mirrored — exactly
  /// symmetric, and refactoring it gives the same factor bit for bit.
  static Eigen::MatrixXd effective_covariance(const gaussian_params& p) {
    return p.covariance.selfadjointView<Eigen::Lower>();
  }

  /// "means" [K][D] and "covariances" [K][D][D] (full matrices whatever the type).
  static void write_components(const gaussian&, std::span<const gaussian_params> components, cli::json& j) {
    auto means = cli::json::array();
    auto covariances = cli::json::array();
    for (const gaussian_params& c : components) {
      means.push_back(cli::json_array(c.mean));
      covariances.push_back(cli::json_array(effective_covariance(c)));
    }
    j["means"] = std::move(means);
    j["covariances"] = std::move(covariances);
  }

  static void write_setting(const gaussian& f, cli::json& j) { j["reg_covar"] = f.reg_covar; }

  /// The covariance type and reg_covar of `obj` (key paths prefixed by `prefix`).
  static gaussian read_family(const cli::model_reader& r, const cli::json& obj, const std::string& prefix) {
    const std::string path = prefix + "covariance";
    const std::string type = r.string(obj, "covariance", path);
    if (!(type == "full" || type == "diag" || type == "spherical" || type == "tied")) {
      r.fail(path, "\"" + cli::display_name(type) + "\" is unknown, expected full, diag, spherical or tied");
    }
    gaussian g;
    g.covariance = parse_covariance_type(type);
    g.reg_covar = cli::read_setting(r, obj, "reg_covar", prefix + "reg_covar", [](double v) {
      check_option(v >= 0, "gaussian", "reg_covar", v, "a finite number >= 0");
    });
    return g;
  }

  static mixture<gaussian> read_model(const cli::model_reader& r, const cli::json& doc) {
    return mixture<gaussian>{read_family(r, doc, "")};
  }

  /// K components from "means" and "covariances", rebuilt as the M-step builds them:
  /// `from_variances` on the diagonal for diag and spherical, `from` on the full matrix for
  /// full and tied. The matrices must have the type's shape exactly (symmetric; diagonal;
  /// equal variances; one shared matrix).
  static std::vector<gaussian_params> read_components(const cli::model_reader& r, const cli::json& obj,
                                                      const std::string& prefix, const gaussian& f, index K, index D) {
    const covariance_type type = f.covariance;
    const std::string means_key = prefix + "means", cov_key = prefix + "covariances";
    const Eigen::MatrixXd means = r.matrix(obj, "means", means_key, K, D);
    const std::vector<Eigen::MatrixXd> covs = r.matrices(obj, "covariances", cov_key, K, D, D);
    const char* type_name = to_string(type);
    std::vector<gaussian_params> out;
    out.reserve(static_cast<std::size_t>(K));
    for (index k = 0; k < K; ++k) {
      const Eigen::MatrixXd& S = covs[static_cast<std::size_t>(k)];
      const std::string at = cli::model_reader::element(cov_key, {k});
      for (index i = 0; i < D; ++i) {
        for (index j = 0; j < i; ++j) {
          if (S(i, j) != S(j, i)) {
            r.fail(at, detail::concat("is not symmetric: entry [", i, "][", j, "] = ", cli::number_text(S(i, j)),
                                      " but [", j, "][", i, "] = ", cli::number_text(S(j, i))));
          }
          if (S(i, j) != 0.0 && (type == covariance_type::diagonal || type == covariance_type::spherical)) {
            r.fail(at, detail::concat("entry [", i, "][", j, "] = ", cli::number_text(S(i, j)),
                                      ", expected 0 for covariance ", type_name, " (a diagonal matrix)"));
          }
        }
        if (type == covariance_type::spherical && S(i, i) != S(0, 0)) {
          r.fail(at, detail::concat("variance [", i, "][", i, "] = ", cli::number_text(S(i, i)),
                                    " differs from [0][0] = ", cli::number_text(S(0, 0)),
                                    ", expected equal variances for covariance spherical"));
        }
      }
      if (type == covariance_type::tied && k > 0 && S != covs[0]) {
        r.fail(at, "differs from component 0, expected one shared matrix for covariance tied");
      }
      Eigen::VectorXd mean = means.row(k).transpose();
      out.push_back(cli::rebuild(r, at, [&] {
        if (type == covariance_type::diagonal || type == covariance_type::spherical) {
          return gaussian_params::from_variances(std::move(mean), S.diagonal());
        }
        return gaussian_params::from(std::move(mean), S);
      }));
    }
    return out;
  }

  /// One component's lines of a report, each starting with `indent`.
  static std::string describe_component(const gaussian&, const gaussian_params& c, const std::string& indent) {
    std::string out = indent + "mean       ";
    for (index d = 0; d < c.mean.size(); ++d) out += cli::format_cell(c.mean[d]);
    return out + "\n" + cli::format_matrix("covariance ", indent, effective_covariance(c));
  }

  static std::string describe(const mixture<gaussian>& m, const mixture_params<gaussian_params>& theta,
                              const std::vector<std::string>& columns) {
    std::string out = "Gaussian mixture: " + cli::sizes_text(theta.size(), theta.dimension) + ", covariance " +
                      to_string(m.family.covariance) + "\n" + cli::columns_line(columns);
    for (index k = 0; k < theta.size(); ++k) {
      out += "component " + std::to_string(k) + ": weight " + cli::format_cell(theta.weights[k], 0) + "\n";
      out += describe_component(m.family, theta.components[static_cast<std::size_t>(k)], "  ");
    }
    return out;
  }

  static std::string support_note(const mixture<gaussian>&, index) { return "(gaussian)"; }
  static std::optional<Eigen::VectorXd> component_mean(const gaussian_params& p) { return p.mean; }
  static std::optional<Eigen::MatrixXd> component_covariance(const gaussian_params& p) {
    return effective_covariance(p);
  }
};

}  // namespace emkit
