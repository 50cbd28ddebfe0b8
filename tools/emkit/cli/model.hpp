#pragma once
/// \file
/// The two interfaces the command line works through, so that its commands are compiled once
/// for every family: `model_kind`, one per registered family (fit a model of it, read one from
/// a model file), and `fitted_model`, a model of some family with its parameters θ (predict,
/// score, sample, write, describe, verify). `emkit::cli::family<F>()` (<emkit/cli/family.hpp>)
/// implements both for a family from its description; nothing here runs per observation.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <vector>

#include <Eigen/Core>

#include <emkit/cli/cli_files.hpp>
#include <emkit/cli/description.hpp>
#include <emkit/cli/model_reader.hpp>
#include <emkit/framework/engine/fit_options.hpp>
#include <emkit/framework/engine/summary.hpp>
#include <emkit/framework/execution/threads.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {
struct mixture_draws;
struct verify_options;
struct verify_report;
}  // namespace emkit

namespace emkit::cli {

class model_kind;

/// Calls its argument with the rows of the data, in order, a chunk at a time (X, w).
using chunk_visitor = std::function<void(const std::function<void(matrix_ref, vector_ref)>&)>;

/// A model of a registered family with its fitted parameters θ.
class fitted_model {
 public:
  virtual ~fitted_model() = default;

  /// The family: its name, options and reader.
  [[nodiscard]] virtual const model_kind& kind() const = 0;
  [[nodiscard]] virtual index num_components() const = 0;
  [[nodiscard]] virtual index dimension() const = 0;
  [[nodiscard]] virtual Eigen::VectorXd weights() const = 0;
  /// Free parameters for BIC and AIC (`num_free_parameters` of the model).
  [[nodiscard]] virtual std::size_t num_free_parameters() const = 0;
  /// Fitted by hard EM (K-means): the model file adds the classification log-likelihood.
  [[nodiscard]] virtual bool hard() const = 0;

  /// The data's values against the family's support; throws `data_error` with its entry.
  virtual void validate_data(matrix_ref X) const = 0;
  /// "(<family>)", or the block of a layout: what holds column `column`, for messages.
  [[nodiscard]] virtual std::string support_note(index column) const = 0;

  [[nodiscard]] virtual Eigen::MatrixXd predict_proba(matrix_ref X) const = 0;
  [[nodiscard]] virtual Eigen::VectorX<index> predict(matrix_ref X) const = 0;
  [[nodiscard]] virtual Eigen::VectorXd score_samples(matrix_ref X) const = 0;
  [[nodiscard]] virtual double log_likelihood(matrix_ref X) const = 0;
  /// n draws with `seed` into `out`; throws `usage_error` for a family that cannot sample.
  virtual void sample(index n, std::uint64_t seed, mixture_draws& out) const = 0;
  /// `emkit::verify` at θ into `out`; throws `usage_error` for a family with no parameterisation.
  virtual void verify(matrix_ref X, vector_ref w, const verify_options& options, verify_report& out) const = 0;

  /// The text of the keys written before "k" (a covariance type, a layout), for `info`; none
  /// for a family without.
  [[nodiscard]] virtual std::optional<std::string> kind_text() const = 0;
  virtual void write_kind(json& j) const = 0;
  virtual void write_components(json& j) const = 0;
  virtual void write_setting(json& j) const = 0;
  /// The report of `fit` and `info`: the family, K, D and each component.
  [[nodiscard]] virtual std::string describe(const std::vector<std::string>& columns) const = 0;
  /// What `plot clusters` draws per component, when the family knows it.
  [[nodiscard]] virtual std::vector<Eigen::VectorXd> component_means() const = 0;
  [[nodiscard]] virtual std::vector<Eigen::MatrixXd> component_covariances() const = 0;
  /// Σ_n w_n min_k ‖x_n − μ_k‖² over the data for K-means; none for other families.
  [[nodiscard]] virtual std::optional<double> inertia(const chunk_visitor& chunks) const = 0;
};

/// What a fit was asked to do besides the family's options.
struct fit_request {
  const data_file* table = nullptr;           ///< the data in memory, or
  const stream_file* stream = nullptr;        ///< a file read chunk by chunk on every pass
  std::string init = "kmeans++";              ///< kmeans++, random or random-resp
  std::optional<Eigen::MatrixXd> init_means;  ///< K×D: start from these means instead
  /// One label in [0, K) per row: start from this assignment instead.
  std::shared_ptr<const Eigen::VectorX<index>> init_labels;
  /// A fitted model of the family being fitted: start from its parameters (its model's
  /// settings replace the family's options).
  std::shared_ptr<const fitted_model> init_model;
  std::string empty_component = "reseed";
  fit_options options;
  threads execution;
  index K = 1;
  Eigen::VectorXd weights;  ///< in memory: one per row (streamed: the source's)
  /// Online EM (--online: stepwise, --minibatch: incremental) instead of batch EM.
  struct online_settings {
    bool stepwise = true;
    index batch_size = 10000;
    double alpha = 0.6;
    double t0 = 2.0;
    int burn_in = 0;
    bool polyak = false;
    int epochs = 5;
    bool evaluate = false;
  };
  std::optional<online_settings> online;
};

/// A fitted model and what its fit observed.
struct fit_outcome {
  std::shared_ptr<const fitted_model> model;
  summary report;
};

/// A family the command line knows: its name and options, how to fit it and how to read it.
class model_kind {
 public:
  virtual ~model_kind() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  /// Its entry in `--family`'s help.
  [[nodiscard]] virtual std::string help() const = 0;
  [[nodiscard]] virtual std::vector<family_option> options() const = 0;
  /// Added to "--X applies to --family A only, not B" when B is this family.
  [[nodiscard]] virtual std::string option_hint(const std::string& option) const = 0;
  /// Builds the model `values` ask for and discards it: throws `usage_error` for bad options.
  virtual void check_options(const option_values& values) const = 0;
  /// Fits the model `values` ask for; data errors name the file, line and column.
  [[nodiscard]] virtual fit_outcome fit(const option_values& values, const fit_request& request) const = 0;
  /// The model of a model file whose "family" is `name()`: its settings, the K weights and
  /// components; errors name the file and key.
  [[nodiscard]] virtual std::shared_ptr<const fitted_model> read(const model_reader& r, const json& doc, index K,
                                                                 index D) const = 0;
};

/// The families a program knows, in the order `--family` lists them.
using family_list = std::vector<std::shared_ptr<const model_kind>>;

/// The shipped families (EMKIT_SHIPPED_FAMILIES in tools/CMakeLists.txt), each compiled once
/// into the emkit_cli library.
[[nodiscard]] family_list shipped_families();

/// The family called `name` in `families`; throws `usage_error` naming the known ones.
[[nodiscard]] const model_kind& find_family(const family_list& families, const std::string& name,
                                            const std::string& option = "--family");

/// "a, b or c": the names of `families`.
[[nodiscard]] std::string family_names(const family_list& families);

/// A model and its parameters θ, as the library fits them.
template <class Model>
struct fitted {
  Model model;
  typename Model::params_type params;
};

}  // namespace emkit::cli
