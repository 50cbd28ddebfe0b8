#pragma once
/// \file
/// `reflected_description<F>`: the description of a user's family that has none of its own.
/// Its parameters are written to a model file member by member — each member of
/// `F::params_type` named by `EMKIT_REFLECT` (a `double`, an `Eigen::VectorXd` or an
/// `Eigen::MatrixXd`) as an array of K values under the member's name — and read back the
/// same way; the family takes no options of its own and is fitted by soft EM.
///
///     struct params_type {
///       Eigen::VectorXd rate;
///       EMKIT_REFLECT(rate);   // the one line a family adds for its model files
///     };

#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include <Eigen/Core>
#include <boost/hana/accessors.hpp>
#include <boost/hana/concept/struct.hpp>
#include <boost/hana/first.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/second.hpp>
#include <boost/hana/string.hpp>

#include <emkit/cli/description.hpp>
#include <emkit/cli/model_reader.hpp>
#include <emkit/cli/text_format.hpp>
#include <emkit/framework/estep/soft_estep.hpp>
#include <emkit/framework/execution/reflect.hpp>
#include <emkit/models/mixture.hpp>

namespace emkit::cli {

template <class F>
struct reflected_description {
  using family_type = F;
  using params = typename F::params_type;
  using estep_type = soft_estep;
  static_assert(boost::hana::Struct<params>::value,
                "a family without an emkit::description needs EMKIT_REFLECT(members...) in its params_type (or "
                "BOOST_HANA_ADAPT_STRUCT), so that its parameters can be written to and read from model files");

  std::string name;  ///< `--family NAME`, and "family" in its model files
  std::string help;

  [[nodiscard]] std::vector<family_option> options() const { return {}; }
  [[nodiscard]] mixture<F> make_model(const option_values&) const { return {}; }
  void write_kind(const F&, json&) const {}
  [[nodiscard]] std::optional<std::string> kind_text(const F&) const { return std::nullopt; }
  void write_setting(const F&, json&) const {}
  [[nodiscard]] mixture<F> read_model(const model_reader&, const json&) const { return {}; }

  /// Each member as an array of the K components' values.
  void write_components(const F&, std::span<const params> components, json& j) const {
    boost::hana::for_each(boost::hana::accessors<params>(), [&](auto member) {
      auto values = json::array();
      for (const params& c : components) values.push_back(to_json(boost::hana::second(member)(c)));
      j[boost::hana::to<const char*>(boost::hana::first(member))] = std::move(values);
    });
  }

  [[nodiscard]] std::vector<params> read_components(const model_reader& r, const json& obj, const std::string& prefix,
                                                    const F&, index K, index) const {
    std::vector<params> out(static_cast<std::size_t>(K));
    boost::hana::for_each(boost::hana::accessors<params>(), [&](auto member) {
      const std::string key = boost::hana::to<const char*>(boost::hana::first(member));
      const json& values = r.member(obj, key, prefix + key);
      if (!values.is_array() || static_cast<index>(values.size()) != K) {
        r.fail(prefix + key, "expected " + counted(K, "value") + ", one per component, found " + describe_json(values));
      }
      for (index k = 0; k < K; ++k) {
        from_json(r, values[static_cast<std::size_t>(k)], model_reader::element(prefix + key, {k}),
                  boost::hana::second(member)(out[static_cast<std::size_t>(k)]));
      }
    });
    return out;
  }

  [[nodiscard]] std::string describe(const mixture<F>&, const mixture_params<params>& theta,
                                     const std::vector<std::string>& columns) const {
    return describe_components(name + " mixture: " + sizes_text(theta.size(), theta.dimension), 0, theta, columns,
                               [&](const params& c) {
                                 std::string out;
                                 boost::hana::for_each(boost::hana::accessors<params>(), [&](auto member) {
                                   const std::string key = boost::hana::to<const char*>(boost::hana::first(member));
                                   out += format_row(key + " ", as_vector(boost::hana::second(member)(c)));
                                 });
                                 return out;
                               });
  }

  [[nodiscard]] std::string support_note(const mixture<F>&, index) const { return "(" + name + ")"; }
  [[nodiscard]] std::optional<Eigen::VectorXd> component_mean(const params&) const { return std::nullopt; }
  [[nodiscard]] std::optional<Eigen::MatrixXd> component_covariance(const params&) const { return std::nullopt; }

 private:
  static json to_json(double v) { return v; }
  static json to_json(const Eigen::VectorXd& v) { return json_array(v); }
  static json to_json(const Eigen::MatrixXd& m) { return json_array(m); }

  static Eigen::VectorXd as_vector(double v) { return Eigen::VectorXd::Constant(1, v); }
  static Eigen::VectorXd as_vector(const Eigen::VectorXd& v) { return v; }
  static Eigen::VectorXd as_vector(const Eigen::MatrixXd& m) { return m.reshaped(); }

  static double number(const model_reader& r, const json& j, const std::string& path) {
    if (!j.is_number()) r.fail(path, "expected a number, found " + describe_json(j));
    const double v = j.get<double>();
    if (!std::isfinite(v)) r.fail(path, "expected a finite number, found " + j.dump());
    return v;
  }
  static void from_json(const model_reader& r, const json& j, const std::string& path, double& out) {
    out = number(r, j, path);
  }
  static void from_json(const model_reader& r, const json& j, const std::string& path, Eigen::VectorXd& out) {
    if (!j.is_array()) r.fail(path, "expected an array of numbers, found " + describe_json(j));
    out.resize(static_cast<index>(j.size()));
    for (std::size_t i = 0; i < j.size(); ++i)
      out[static_cast<index>(i)] = number(r, j[i], model_reader::element(path, {static_cast<index>(i)}));
  }
  static void from_json(const model_reader& r, const json& j, const std::string& path, Eigen::MatrixXd& out) {
    if (!j.is_array() || j.empty() || !j[0].is_array()) {
      r.fail(path, "expected an array of rows of numbers, found " + describe_json(j));
    }
    out = r.matrix(json::object({{"m", j}}), "m", path, static_cast<index>(j.size()), static_cast<index>(j[0].size()));
  }
};

}  // namespace emkit::cli
