#pragma once
/// \file
/// How a family appears to the tools: `emkit::description<Family>`, one specialisation written
/// beside each family (<emkit/models/describe/>), gives its name on the command line and in
/// model files, its own options, how its parameters are written to and read from a model
/// file, how it is described in reports and pictures. The command line (`emkit::cli::main`)
/// iterates a list of families and asks each description; it never switches on a name.
///
/// A description is a struct of static members (a user's family without one gets
/// `reflected_description`, <emkit/cli/reflected_description.hpp>):
///
/// | member | meaning |
/// | --- | --- |
/// | `name`, `help` | `--family NAME` and its line in `fit --help` |
/// | `estep_type` | `soft_estep`, or `hard_estep` (K-means) |
/// | `options()` | the family's own options of `fit` (`--covariance`, `--reg-covar`, ...) |
/// | `make_model(values)` | the model those options ask for; throws `usage_error` |
/// | `write_kind(model, j)`, `kind_text(model)` | keys written before "k" ("covariance"), and their text for `info` |
/// | `write_components(family, components, j)` | the K components' parameters |
/// | `write_setting(family, j)` | the family's setting, after the fit's numbers |
/// | `read_model(r, doc)`, `read_components(r, obj, prefix, family, K, D)` | the inverse of the three writes |
/// | `describe(model, theta, columns)` | the report `fit` and `info` print |
/// | `support_note(model, column)` | what a value outside the support is, for messages |
/// | `component_mean(p)`, `component_covariance(p)` | E[x | z = k] and Cov[x | z = k] for `plot`, when known |
///
/// A family made of blocks of other families writes and reads each block by that family's description
/// (`write_components`, `read_components` with a key prefix).

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <emkit/cli/cli_files.hpp>

namespace emkit {

/// The description of `Family` for the tools; specialised beside each shipped family.
template <class Family>
struct description;

}  // namespace emkit

namespace emkit::cli {

/// One option a family adds to `emkit fit` (and `select`): `--name VALUE`.
struct family_option {
  std::string name;                  ///< "--covariance"
  std::string help;                  ///< one line for --help
  std::string default_value;         ///< the value when the option is not given
  std::vector<std::string> choices;  ///< the values it takes; empty: any text
};

/// The values of the family options on a command line: each as typed, or its default.
class option_values {
 public:
  option_values() = default;
  option_values(std::map<std::string, std::string> values, std::set<std::string> given)
      : values_(std::move(values)), given_(std::move(given)) {}

  /// Whether `name` ("--covariance") was on the command line.
  [[nodiscard]] bool given(const std::string& name) const { return given_.count(name) > 0; }

  /// The text of `name`: as given, or its default; `fallback` when no family declares it.
  [[nodiscard]] std::string text(const std::string& name, const std::string& fallback = {}) const {
    const auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
  }

  /// The value of `name` as a number; throws `usage_error` "--reg-covar abc: expected a number".
  [[nodiscard]] double number(const std::string& name, double fallback) const {
    const auto it = values_.find(name);
    if (it == values_.end()) return fallback;
    const std::string& t = it->second;
    double v = 0.0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc() || end != t.data() + t.size()) {
      throw usage_error(name + " " + display_name(t) + ": expected a number");
    }
    return v;
  }

  /// Sets `name` to `value` as if given.
  void set(const std::string& name, const std::string& value) {
    values_[name] = value;
    given_.insert(name);
  }

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> given_;
};

}  // namespace emkit::cli
