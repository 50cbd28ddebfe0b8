#pragma once
/// \file
/// What a family's description reads and writes in a model file: JSON arrays of numbers, and
/// `model_reader`, which reads a value of the file and names the file and the key in every
/// error. Descriptions of families (`emkit::description<F>`, beside each family in
/// <emkit/models/describe/>) use these to write and read their parameters.

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <emkit/framework/error.hpp>
#include <emkit/framework/types.hpp>

#include <emkit/cli/cli_files.hpp>

namespace emkit::cli {

/// The JSON of model files: objects keep the order their keys were written in.
using json = nlohmann::ordered_json;

/// A vector as a JSON array of numbers.
[[nodiscard]] inline json json_array(const Eigen::VectorXd& v) {
  auto out = json::array();
  for (index i = 0; i < v.size(); ++i) out.push_back(v[i]);
  return out;
}

/// A matrix as a JSON array of rows.
[[nodiscard]] inline json json_array(const Eigen::MatrixXd& m) {
  auto out = json::array();
  for (index i = 0; i < m.rows(); ++i) out.push_back(json_array(Eigen::VectorXd(m.row(i).transpose())));
  return out;
}

/// "an array of 3", "a string", ...: what a JSON value is, for messages.
[[nodiscard]] inline std::string describe_json(const json& j) {
  switch (j.type()) {
    case json::value_t::array:
      return "an array of " + std::to_string(j.size());
    case json::value_t::object:
      return "an object";
    case json::value_t::string: {
      std::string text = j.dump(-1, ' ', false, json::error_handler_t::replace);
      if (text.size() > 40) text = text.substr(0, 37) + "...";
      return "the string " + display_name(text);
    }
    case json::value_t::boolean:
      return j.get<bool>() ? "true" : "false";
    case json::value_t::null:
      return "null";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "the number " + j.dump();
    default:
      return "a binary value";
  }
}

/// Reads the values of a model file, naming the file and the key in every error.
class model_reader {
 public:
  explicit model_reader(std::string file) : file_(std::move(file)) {}

  /// Throws `emkit::error`: "<file>: key "<key>": <what>".
  [[noreturn]] void fail(std::string_view key, std::string_view what) const {
    throw error(emkit::detail::concat(file_, ": key \"", key, "\": ", what));
  }

  /// The member `name` of the object `parent`, whose key path is `path`.
  [[nodiscard]] const json& member(const json& parent, const std::string& name, const std::string& path) const {
    const auto it = parent.find(name);
    if (it == parent.end()) fail(path, "missing");
    return *it;
  }

  [[nodiscard]] std::string string(const json& parent, const std::string& name, const std::string& path) const {
    const json& j = member(parent, name, path);
    if (!j.is_string()) fail(path, "expected a string, found " + describe_json(j));
    return j.get<std::string>();
  }

  /// An integer in [low, high].
  [[nodiscard]] std::int64_t integer(const json& parent, const std::string& name, const std::string& path,
                                     std::int64_t low, std::int64_t high) const {
    const json& j = member(parent, name, path);
    if (!j.is_number_integer()) fail(path, "expected an integer, found " + describe_json(j));
    if (j.is_number_unsigned() && j.get<std::uint64_t>() > static_cast<std::uint64_t>(high)) {
      fail(path, emkit::detail::concat(j.dump(), " is out of range, expected an integer in [", low, ", ", high, "]"));
    }
    const std::int64_t v = j.get<std::int64_t>();
    if (v < low || v > high) {
      fail(path, emkit::detail::concat(v, " is out of range, expected an integer in [", low, ", ", high, "]"));
    }
    return v;
  }

  /// A finite number.
  [[nodiscard]] double number(const json& parent, const std::string& name, const std::string& path) const {
    return finite(member(parent, name, path), path);
  }

  /// `rows` rows of `cols` numbers.
  [[nodiscard]] Eigen::MatrixXd matrix(const json& parent, const std::string& name, const std::string& path, index rows,
                                       index cols) const {
    return matrix_at(member(parent, name, path), path, rows, cols, "");
  }

  /// `n` numbers.
  [[nodiscard]] Eigen::VectorXd vector(const json& parent, const std::string& name, const std::string& path,
                                       index n) const {
    const json& j = member(parent, name, path);
    const std::string expected = "expected " + counted(n, "number");
    if (!j.is_array() || static_cast<index>(j.size()) != n) fail(path, expected + ", found " + describe_json(j));
    Eigen::VectorXd v(n);
    for (index i = 0; i < n; ++i) v[i] = finite(j[static_cast<std::size_t>(i)], element(path, {i}));
    return v;
  }

  /// `count` matrices of `rows` rows of `cols` numbers.
  [[nodiscard]] std::vector<Eigen::MatrixXd> matrices(const json& parent, const std::string& name,
                                                      const std::string& path, index count, index rows,
                                                      index cols) const {
    const json& j = member(parent, name, path);
    const std::string each = counted(rows, "row") + " of " + counted(cols, "number");
    if (!j.is_array() || static_cast<index>(j.size()) != count) {
      fail(path, "expected " + counted(count, "matri" + std::string(count == 1 ? "x" : "ce")) + " of " + each +
                     ", found " + describe_json(j));
    }
    std::vector<Eigen::MatrixXd> out;
    out.reserve(static_cast<std::size_t>(count));
    for (index k = 0; k < count; ++k) {
      out.push_back(matrix_at(j[static_cast<std::size_t>(k)], path, rows, cols, emkit::detail::concat("[", k, "]")));
    }
    return out;
  }

  /// "means[1][2]".
  [[nodiscard]] static std::string element(const std::string& path, std::initializer_list<index> at) {
    std::string out = path;
    for (index i : at) {
      out += '[';
      out += std::to_string(i);
      out += ']';
    }
    return out;
  }

 private:
  [[nodiscard]] double finite(const json& j, const std::string& path) const {
    if (!j.is_number()) fail(path, "expected a number, found " + describe_json(j));
    const double v = j.get<double>();
    if (!std::isfinite(v)) fail(path, "expected a finite number, found " + j.dump());
    return v;
  }

  /// The matrix `j`; `where` ("[k]") places it within the key `path` for messages.
  [[nodiscard]] Eigen::MatrixXd matrix_at(const json& j, const std::string& path, index rows, index cols,
                                          const std::string& where) const {
    const std::string expected = "expected " + counted(rows, "row") + " of " + counted(cols, "number");
    const std::string at = path + where;
    if (!j.is_array() || static_cast<index>(j.size()) != rows) fail(at, expected + ", found " + describe_json(j));
    // Every row's length before the rows×cols allocation: the sizes come from the file.
    for (index i = 0; i < rows; ++i) {
      const json& row = j[static_cast<std::size_t>(i)];
      if (!row.is_array() || static_cast<index>(row.size()) != cols) {
        fail(at, emkit::detail::concat(expected, ", found row ", i, " ", describe_json(row)));
      }
    }
    Eigen::MatrixXd m(rows, cols);
    for (index i = 0; i < rows; ++i) {
      const json& row = j[static_cast<std::size_t>(i)];
      for (index d = 0; d < cols; ++d) m(i, d) = finite(row[static_cast<std::size_t>(d)], element(at, {i, d}));
    }
    return m;
  }

  std::string file_;
};

/// A library error while rebuilding parameters, as "<file>: key "<key>": <message>".
template <class Fn>
auto rebuild(const model_reader& r, const std::string& path, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const error& e) {
    r.fail(path, e.what());
  }
}

/// The mixing weights: K finite numbers ≥ 0 summing to 1 (to 1e-9).
[[nodiscard]] inline Eigen::VectorXd read_weights(const model_reader& r, const json& doc, index K) {
  const Eigen::VectorXd w = r.vector(doc, "weights", "weights", K);
  for (index k = 0; k < K; ++k) {
    if (!(w[k] >= 0))
      r.fail(model_reader::element("weights", {k}), emkit::detail::concat(number_text(w[k]), " is negative"));
  }
  if (!(std::abs(w.sum() - 1.0) <= 1e-9)) {
    r.fail("weights", emkit::detail::concat("sum to ", number_text(w.sum()), ", expected 1"));
  }
  return w;
}

/// The family's own setting: a finite number that its `validate()` (or `check`) accepts.
template <class Check>
[[nodiscard]] double read_setting(const model_reader& r, const json& obj, const std::string& name,
                                  const std::string& path, Check&& check) {
  const double v = r.number(obj, name, path);
  rebuild(r, path, [&] {
    check(v);
    return 0;
  });
  return v;
}

/// One row per component of `field(component)`, a vector of the component's parameters.
template <class Params, class Field>
[[nodiscard]] json json_rows(std::span<const Params> components, Field&& field) {
  auto out = json::array();
  for (const Params& c : components) out.push_back(json_array(Eigen::VectorXd(field(c))));
  return out;
}

/// K rows of D numbers of `obj[name]` (key path `path`), each rebuilt into a component by `make`.
template <class P, class Make>
[[nodiscard]] std::vector<P> read_rows(const model_reader& r, const json& obj, const std::string& name,
                                       const std::string& path, index K, index D, Make&& make) {
  const Eigen::MatrixXd rows = r.matrix(obj, name, path, K, D);
  std::vector<P> out;
  out.reserve(static_cast<std::size_t>(K));
  for (index k = 0; k < K; ++k) {
    out.push_back(
        rebuild(r, model_reader::element(path, {k}), [&] { return make(Eigen::VectorXd(rows.row(k).transpose())); }));
  }
  return out;
}

}  // namespace emkit::cli
