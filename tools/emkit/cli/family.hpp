#pragma once
/// \file
/// `emkit::cli::family<F>()`: a family the command line can fit, save, load, predict with,
/// sample, describe, verify and plot, built from its description (`emkit::description<F>`, or
/// `reflected_description<F>` for a family without one). This header instantiates the whole
/// engine for the family; the shipped families are compiled once each into the emkit_cli
/// library, and a user's program includes it for its own family only:
///
///     int main(int argc, char** argv) {
///       emkit::cli::family_list families = emkit::cli::shipped_families();
///       families.push_back(emkit::cli::family<exponential>("exponential"));
///       return emkit::cli::main(argc, argv, families);
///     }

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <Eigen/Core>

#include <emkit/cli/cli_files.hpp>
#include <emkit/cli/description.hpp>
#include <emkit/cli/model.hpp>
#include <emkit/cli/model_reader.hpp>
#include <emkit/cli/reflected_description.hpp>
#include <emkit/framework/concepts/mergeable_stats.hpp>
#include <emkit/framework/data/chunk_buffer.hpp>
#include <emkit/framework/engine/fitter.hpp>
#include <emkit/framework/engine/online_fitter.hpp>
#include <emkit/framework/engine/predict.hpp>
#include <emkit/framework/estep/hard_estep.hpp>
#include <emkit/framework/estep/soft_estep.hpp>
#include <emkit/framework/execution/threads.hpp>
#include <emkit/framework/init/policies.hpp>
#include <emkit/models/mixture.hpp>
#include <emkit/models/verify/verify.hpp>

namespace emkit::cli {

namespace family_detail {

/// The initialisation policies the command line offers: those that give first responsibilities,
/// and given parameters θ (--init-model, a warm start). The fitter takes the policy as a
/// template parameter, so the choice made at run time is dispatched by `std::visit`.
template <class Params>
using init_policy = std::variant<kmeans_plus_plus, random_rows, random_responsibility_init, given_means, given_labels,
                                 given_parameters<Params>>;

/// The initialisation chosen at run time as one policy: each call goes to the chosen one, so
/// the fitter is instantiated once for all of them rather than once per policy (most of a
/// family's compile time), with the same results.
template <class Params>
struct chosen_init {
  init_policy<Params> policy;

  using result = std::variant<initial_assignment, starting_parameters<Params>>;

  [[nodiscard]] result initialize(matrix_ref X, vector_ref w, index K, random_engine& rng) const {
    return std::visit([&](const auto& p) { return result(p.initialize(X, w, K, rng)); }, policy);
  }
  template <class Pass>
  [[nodiscard]] result initialize(const Pass& pass, index K, random_engine& rng) const {
    return std::visit([&](const auto& p) { return result(p.initialize(pass, K, rng)); }, policy);
  }
};

/// The policy of a request: its means or labels, or kmeans++, random, random-resp.
template <class Params>
[[nodiscard]] init_policy<Params> make_init_policy(const fit_request& q) {
  if (q.init_means) return given_means{*q.init_means};
  if (q.init_labels) return given_labels{q.init_labels};
  if (q.init == "kmeans++") return kmeans_plus_plus{};
  if (q.init == "random") return random_rows{};
  if (q.init == "random-resp") return random_responsibility_init{};
  throw usage_error("--init " + display_name(q.init) + " is unknown, expected kmeans++, random or random-resp");
}

/// The policy of --empty-component (reseed, keep, drop, raise).
[[nodiscard]] inline empty_component_policy parse_empty_component(const std::string& name) {
  if (name == "reseed") return empty_component_policy::reseed;
  if (name == "keep") return empty_component_policy::keep;
  if (name == "drop") return empty_component_policy::drop;
  if (name == "raise") return empty_component_policy::raise;
  throw usage_error("--empty-component " + display_name(name) + " is unknown, expected reseed, keep, drop or raise");
}

/// A value outside the family's support, named by the file's line and 1-based column:
/// "counts.csv: line 8, column 3: 1.5 is not <expected> <note>". An
/// error without an entry (or one outside the data) keeps its message, prefixed by the file.
template <class LineOf>
[[noreturn]] void throw_support_error(const data_error& e, const std::string& name, index rows, index cols,
                                      LineOf&& line_of, const std::string& note) {
  const std::string what = e.what();
  const auto& at = e.entry();
  if (!at || at->row < 0 || at->row >= rows || at->column < 0 || at->column >= cols || e.where() == "fit") {
    throw data_error(what.starts_with(name + ": ") ? what : name + ": " + what);
  }
  throw data_error(detail::concat(name, ": line ", line_of(at->row), ", column ", at->column + 1, ": ",
                                  number_text(at->value), " is not ", e.expected(), " ", note));
}

}  // namespace family_detail

template <class Desc>
class kind_of;

/// A fitted model of the family `Desc` describes.
template <class Desc>
class fitted_of final : public fitted_model {
 public:
  using family_type = typename Desc::family_type;
  using model_type = mixture<family_type>;
  using component_params = typename family_type::params_type;

  fitted_of(std::shared_ptr<const kind_of<Desc>> kind, fitted<model_type> value)
      : kind_(std::move(kind)), value_(std::move(value)) {}

  [[nodiscard]] const fitted<model_type>& value() const { return value_; }
  [[nodiscard]] const Desc& desc() const { return kind_->desc(); }

  const model_kind& kind() const override { return *kind_; }
  index num_components() const override { return value_.params.size(); }
  index dimension() const override { return value_.params.dimension; }
  Eigen::VectorXd weights() const override { return value_.params.weights; }
  std::size_t num_free_parameters() const override { return value_.model.num_free_parameters(value_.params); }
  bool hard() const override { return std::is_same_v<typename Desc::estep_type, hard_estep>; }

  void validate_data(matrix_ref X) const override {
    if constexpr (requires { value_.model.validate_data(X); }) value_.model.validate_data(X);
  }
  std::string support_note(index column) const override { return desc().support_note(value_.model, column); }

  Eigen::MatrixXd predict_proba(matrix_ref X) const override {
    return emkit::predict_proba(value_.model, value_.params, X);
  }
  Eigen::VectorX<index> predict(matrix_ref X) const override { return emkit::predict(value_.model, value_.params, X); }
  Eigen::VectorXd score_samples(matrix_ref X) const override {
    return emkit::score_samples(value_.model, value_.params, X);
  }
  double log_likelihood(matrix_ref X) const override { return emkit::log_likelihood(value_.model, value_.params, X); }

  void sample(index n, std::uint64_t seed, mixture_draws& out) const override {
    if constexpr (HasSample<family_type>) {
      out = emkit::sample(value_.model, value_.params, n, seed);
    } else {
      throw usage_error("sample: the " + kind_->name() + " family cannot draw samples (it has no sample hook)");
    }
  }

  void verify(matrix_ref X, vector_ref w, const verify_options& options, verify_report& out) const override {
    if constexpr (HasParameterisation<family_type>) {
      out = emkit::verify(value_.model, value_.params, X, w, options);
    } else {
      throw usage_error("verify: the " + kind_->name() +
                        " family has no parameterisation (free coordinates) to differentiate");
    }
  }

  std::optional<std::string> kind_text() const override { return desc().kind_text(value_.model.family); }
  void write_kind(json& j) const override { desc().write_kind(value_.model.family, j); }
  void write_components(json& j) const override {
    desc().write_components(value_.model.family, std::span<const component_params>(value_.params.components), j);
  }
  void write_setting(json& j) const override { desc().write_setting(value_.model.family, j); }
  std::string describe(const std::vector<std::string>& columns) const override {
    return desc().describe(value_.model, value_.params, columns);
  }
  std::vector<Eigen::VectorXd> component_means() const override {
    std::vector<Eigen::VectorXd> out;
    for (const component_params& c : value_.params.components)
      if (auto m = desc().component_mean(c)) out.push_back(std::move(*m));
    return out;
  }
  std::vector<Eigen::MatrixXd> component_covariances() const override {
    std::vector<Eigen::MatrixXd> out;
    for (const component_params& c : value_.params.components)
      if (auto m = desc().component_covariance(c)) out.push_back(std::move(*m));
    return out;
  }
  std::optional<double> inertia(const chunk_visitor& chunks) const override {
    if constexpr (requires { Desc::inertia(value_.params, chunks); }) {
      return Desc::inertia(value_.params, chunks);
    } else {
      return std::nullopt;
    }
  }

 private:
  std::shared_ptr<const kind_of<Desc>> kind_;
  fitted<model_type> value_;
};

/// The `model_kind` of the family `Desc` describes.
template <class Desc>
class kind_of final : public model_kind, public std::enable_shared_from_this<kind_of<Desc>> {
 public:
  using family_type = typename Desc::family_type;
  using model_type = mixture<family_type>;
  using estep_type = typename Desc::estep_type;

  explicit kind_of(Desc desc) : desc_(std::move(desc)) {}

  [[nodiscard]] const Desc& desc() const { return desc_; }

  std::string name() const override { return std::string(desc_.name); }
  std::string help() const override { return std::string(desc_.help); }
  std::vector<family_option> options() const override { return desc_.options(); }
  std::string option_hint(const std::string& option) const override {
    if constexpr (requires { desc_.option_hint(option); }) {
      return desc_.option_hint(option);
    } else {
      return {};
    }
  }
  void check_options(const option_values& values) const override { (void)desc_.make_model(values); }

  fit_outcome fit(const option_values& values, const fit_request& q) const override {
    // A warm start (--init-model) fits the model of its file from its parameters.
    const auto* start = dynamic_cast<const fitted_of<Desc>*>(q.init_model.get());
    if (q.init_model != nullptr && start == nullptr)
      throw usage_error("--init-model: the model file is of another family than " + display_name(name()));
    model_type model = start != nullptr ? start->value().model : desc_.make_model(values);
    model.empty_components = family_detail::parse_empty_component(q.empty_component);
    using params_type = typename model_type::params_type;
    init_type init;
    init.policy = start != nullptr
                      ? family_detail::init_policy<params_type>(given_parameters<params_type>{start->value().params})
                      : family_detail::make_init_policy<params_type>(q);
    fit_result<typename model_type::params_type> r;
    if (q.stream != nullptr) {
      r = translated(model, *q.stream,
                     [&] { return q.online ? fit_online(model, init, q) : fit_stream(model, init, q); });
    } else {
      check_support(model, *q.table);
      r = q.online ? fit_online(model, init, q) : fit_memory(model, init, q);
    }
    return {wrap({model, std::move(r.params)}), std::move(r.summary)};
  }

  std::shared_ptr<const fitted_model> read(const model_reader& r, const json& doc, index K, index D) const override {
    fitted<model_type> f{desc_.read_model(r, doc), {}};
    f.params.weights = read_weights(r, doc, K);
    if constexpr (requires { desc_.check_weights(r, f.params.weights); }) desc_.check_weights(r, f.params.weights);
    f.params.components = desc_.read_components(r, doc, "", f.model.family, K, D);
    f.params.dimension = D;
    return wrap(std::move(f));
  }

  /// `f` as a `fitted_model` of this family.
  [[nodiscard]] std::shared_ptr<const fitted_model> wrap(fitted<model_type> f) const {
    return std::make_shared<fitted_of<Desc>>(this->shared_from_this(), std::move(f));
  }

 private:
  /// The data's columns and values against the model, in the file's terms.
  void check_columns(const model_type& model, index D, const std::string& path) const {
    if constexpr (requires { desc_.check_columns(model, D, path); }) desc_.check_columns(model, D, display_name(path));
  }

  void check_support(const model_type& model, const data_file& data) const {
    const matrix_ref X = data.table.values;
    const std::string name = display_name(data.path);
    check_columns(model, X.cols(), data.path);
    try {
      if constexpr (requires { model.validate_data(X); }) model.validate_data(X);
    } catch (const data_error& e) {
      const index col = e.entry() ? e.entry()->column : 0;
      family_detail::throw_support_error(
          e, name, X.rows(), X.cols(), [&](index row) { return data.line_of(row); }, desc_.support_note(model, col));
    } catch (const error& e) {
      throw data_error(name + ": " + e.what());
    }
  }

  using init_type = family_detail::chosen_init<typename model_type::params_type>;

  static auto make_fitter(const init_type& init, const fit_request& q) {
    fitter<estep_type, init_type, emkit::threads> f;
    f.init = init;
    f.execution = q.execution;
    f.options = q.options;
    return f;
  }

  fit_result<typename model_type::params_type> fit_memory(const model_type& model, const init_type& init,
                                                          const fit_request& q) const {
    return make_fitter(init, q).fit(model, q.table->table.values, q.K, q.weights);
  }

  /// `fit()` of a streamed file, its support error (rows of the whole file, from its checking
  /// pass) named as `check_support` names it in memory.
  template <class Fit>
  fit_result<typename model_type::params_type> translated(const model_type& model, const stream_file& data,
                                                          Fit&& fit) const {
    check_columns(model, data.cols(), data.path);
    try {
      return fit();
    } catch (const data_error& e) {
      const index col = e.entry() ? e.entry()->column : 0;
      family_detail::throw_support_error(
          e, display_name(data.path), data.rows(), data.cols(), [&](index row) { return data.line_of(row); },
          desc_.support_note(model, col));
    }
  }

  fit_result<typename model_type::params_type> fit_stream(const model_type& model, const init_type& init,
                                                          const fit_request& q) const {
    return std::visit([&](const auto& source) { return make_fitter(init, q).fit(model, source, q.K); },
                      q.stream->source);
  }

  fit_result<typename model_type::params_type> fit_online(const model_type& model, const init_type& init,
                                                          const fit_request& q) const {
    if constexpr (!ScalableStats<typename model_type::component_stats>) {
      (void)model, (void)init, (void)q;
      throw usage_error("--online and --minibatch: the " + name() +
                        " family's statistics cannot be scaled (its stats_type has no `s *= a`)");
    } else {
      return fit_online_scalable(model, init, q);
    }
  }

  fit_result<typename model_type::params_type> fit_online_scalable(const model_type& model, const init_type& init,
                                                                   const fit_request& q) const {
    const fit_request::online_settings& s = *q.online;
    online_options o;
    o.method = s.stepwise ? online_method::stepwise : online_method::incremental;
    o.batch_size = s.batch_size;
    o.alpha = s.alpha;
    o.t0 = s.t0;
    o.burn_in = s.burn_in;
    o.polyak = s.polyak;
    o.epochs = s.epochs;
    o.seed = q.options.seed;
    o.evaluate = s.evaluate;
    o.chunk_rows = q.options.chunk_rows;
    const auto fit = [&](const auto& source) {
      online_fitter<estep_type, init_type, emkit::threads> f;
      f.init = init;
      f.execution.n = q.execution.n;
      f.options = o;
      auto r = f.fit(model, source, q.K);
      return fit_result<typename model_type::params_type>{std::move(r.params), std::move(r.summary)};
    };
    if (q.stream != nullptr) return std::visit(fit, q.stream->source);
    return fit(memory_source(q.table->table.values, q.weights));
  }

  Desc desc_;
};

/// The registered family of `F` from its description `emkit::description<F>`.
template <class F>
[[nodiscard]] std::shared_ptr<const kind_of<description<F>>> family() {
  static const auto kind = std::make_shared<const kind_of<description<F>>>(description<F>{});
  return kind;
}

/// The registered family of a user's `F` without a description: named `name` on the command
/// line and in model files, its parameters written member by member (`reflected_description`).
template <class F>
[[nodiscard]] std::shared_ptr<const model_kind> family(std::string name, std::string help = {}) {
  if (help.empty()) help = name;
  return std::make_shared<const kind_of<reflected_description<F>>>(
      reflected_description<F>{std::move(name), std::move(help)});
}

/// `f` as a `fitted_model` of its family's registered kind.
template <class F>
[[nodiscard]] std::shared_ptr<const fitted_model> wrap(fitted<mixture<F>> f) {
  return family<F>()->wrap(std::move(f));
}

/// The library's model and parameters inside `m`; throws `std::bad_cast` when `m` is of
/// another family.
template <class Model>
[[nodiscard]] const fitted<Model>& get(const fitted_model& m) {
  using F = typename Model::family_type;
  if constexpr (requires { description<F>::name; }) {
    if (const auto* f = dynamic_cast<const fitted_of<description<F>>*>(&m)) return f->value();
  } else {
    if (const auto* f = dynamic_cast<const fitted_of<reflected_description<F>>*>(&m)) return f->value();
  }
  throw std::bad_cast();
}

}  // namespace emkit::cli
