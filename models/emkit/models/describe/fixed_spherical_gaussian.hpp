#pragma once
/// \file
/// `--family kmeans`: K-means, the fixed spherical Gaussian family with uniform fixed weights
/// fitted by hard EM, as the command line and model files see it (the contract is in
/// <emkit/cli/description.hpp>). Its model file holds the centres, the shared variance and,
/// beside the log-likelihood, the inertia and the classification log-likelihood.

#include <cmath>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>

#include <emkit/cli/description.hpp>
#include <emkit/cli/model_reader.hpp>
#include <emkit/cli/text_format.hpp>
#include <emkit/framework/estep/hard_estep.hpp>
#include <emkit/framework/numeric/compensated_sum.hpp>
#include <emkit/models/kmeans.hpp>
#include <emkit/models/mixture.hpp>

namespace emkit {

template <>
struct description<fixed_spherical_gaussian> {
  using family_type = fixed_spherical_gaussian;
  using params = fixed_spherical_gaussian_params;
  using estep_type = hard_estep;
  static constexpr const char* name = "kmeans";
  static constexpr const char* help = "kmeans (K-means by hard EM)";

  static std::vector<cli::family_option> options() { return {}; }
  static mixture<family_type> make_model(const cli::option_values&) { return kmeans_model(); }
  static void write_kind(const family_type&, cli::json&) {}
  static std::optional<std::string> kind_text(const family_type&) { return std::nullopt; }

  static void write_components(const family_type&, std::span<const params> components, cli::json& j) {
    j["centers"] = cli::json_rows(components, [](const params& c) { return c.mean; });
  }
  static void write_setting(const family_type& f, cli::json& j) { j["variance"] = f.variance; }

  static mixture<family_type> read_model(const cli::model_reader& r, const cli::json& doc) {
    return kmeans_model(
        cli::read_setting(r, doc, "variance", "variance", [](double v) { family_type{.variance = v}.validate(); }));
  }
  static std::vector<params> read_components(const cli::model_reader& r, const cli::json& obj,
                                             const std::string& prefix, const family_type&, index K, index D) {
    return cli::read_rows<params>(r, obj, "centers", prefix + "centers", K, D,
                                  [](Eigen::VectorXd v) { return params{std::move(v)}; });
  }
  /// K-means weights are fixed at 1/K: a file with others would predict with weights the
  /// model says it does not have.
  static void check_weights(const cli::model_reader& r, const Eigen::VectorXd& w) {
    const double uniform = 1.0 / static_cast<double>(w.size());
    for (index k = 0; k < w.size(); ++k) {
      if (!(std::abs(w[k] - uniform) <= 1e-12)) {
        r.fail(cli::model_reader::element("weights", {k}),
               detail::concat(cli::number_text(w[k]), ", expected 1/K = ", cli::number_text(uniform),
                              " (K-means weights are fixed)"));
      }
    }
  }

  static std::string describe(const mixture<family_type>&, const mixture_params<params>& theta,
                              const std::vector<std::string>& columns) {
    std::string out = "K-means: K = " + std::to_string(theta.size()) +
                      " clusters, D = " + std::to_string(theta.dimension) + " dimensions (weights fixed at 1/K)\n" +
                      cli::columns_line(columns);
    for (index k = 0; k < theta.size(); ++k) {
      out += "cluster " + std::to_string(k) + ":\n" +
             cli::format_row("center ", theta.components[static_cast<std::size_t>(k)].mean);
    }
    return out;
  }

  /// The inertia Σ_n w_n min_k ‖x_n − μ_k‖² over the chunks `for_each_chunk` gives (rows in
  /// order, 256 at a time, as `emkit::inertia` cuts them), written beside ℓ in the model file.
  template <class ForEachChunk>
  static double inertia(const mixture_params<params>& theta, ForEachChunk&& for_each_chunk) {
    const std::span<const params> ps(theta.components);
    compensated_sum total;
    Eigen::MatrixXd D2;
    for_each_chunk([&](matrix_ref X, vector_ref w) { detail::add_chunk_inertia(ps, X, w, D2, total); });
    return total.value();
  }

  static std::string support_note(const mixture<family_type>&, index) { return "(kmeans)"; }
  static std::optional<Eigen::VectorXd> component_mean(const params& p) { return p.mean; }
  static std::optional<Eigen::MatrixXd> component_covariance(const params&) { return std::nullopt; }
};

}  // namespace emkit
