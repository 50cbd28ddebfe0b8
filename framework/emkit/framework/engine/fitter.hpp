#pragma once
/// \file
/// The generic EM engine: restarts, the fused E-step pass, the M-step, convergence and the
/// monitor, for any `LatentModel` under any E-step, initialisation and execution policy.

#include <chrono>
#include <cmath>
#include <concepts>
#include <exception>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <emkit/framework/concepts/estep_policy.hpp>
#include <emkit/framework/concepts/execution_policy.hpp>
#include <emkit/framework/concepts/init_policy.hpp>
#include <emkit/framework/concepts/latent_model.hpp>
#include <emkit/framework/data/chunk_buffer.hpp>
#include <emkit/framework/data/chunk_pass.hpp>
#include <emkit/framework/data/data_source.hpp>
#include <emkit/framework/data/memory_source.hpp>
#include <emkit/framework/engine/check_data.hpp>
#include <emkit/framework/engine/check_log_joint.hpp>
#include <emkit/framework/engine/estep_totals.hpp>
#include <emkit/framework/engine/fit_options.hpp>
#include <emkit/framework/engine/summary.hpp>
#include <emkit/framework/estep/soft_estep.hpp>
#include <emkit/framework/execution/processes.hpp>
#include <emkit/framework/execution/reflect.hpp>
#include <emkit/framework/execution/row_blocks.hpp>
#include <emkit/framework/execution/serial.hpp>
#include <emkit/framework/init/policies.hpp>
#include <emkit/framework/monitor/monitor.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

/// The parameters a fit returns, and everything it observed.
template <class Params>
struct fit_result {
  Params params;
  emkit::summary summary;
};

namespace detail {

/// Runs f(range, X_chunk, w_chunk, acc) for every chunk, accumulating each block into its own
/// accumulator and merging blocks in index order (the determinism rule of row_blocks.hpp).
/// Under a policy spread over processes, each process runs its own blocks and the blocks'
/// statistics are exchanged before the merge, so every process merges the same values in
/// the same order (processes.hpp); statistics that `flatten` cannot carry are computed for
/// every block by every process.
template <class Acc, class Exec, class MakeAcc, class Body>
Acc reduce_chunks(const Exec& exec, const row_blocks& blocks, MakeAcc&& make, Body&& body) {
  std::vector<Acc> partial(static_cast<std::size_t>(blocks.num_blocks()));
  auto run = [&](const auto& policy) {
    policy.for_each_block(blocks.num_blocks(), [&](index b) {
      Acc acc = make();
      blocks.for_each_chunk(b, [&](row_range r) { body(r, acc); });
      partial[static_cast<std::size_t>(b)] = std::move(acc);
    });
  };
  if constexpr (requires { exec.processes; }) {
    if (exec.processes && flattenable_v<Acc>) {
      std::exception_ptr failure;
      try {
        run(exec);
      } catch (...) {
        failure = std::current_exception();  // reported to every process, so that all throw
      }
      if constexpr (flattenable_v<Acc>) exchange_blocks(*exec.processes, partial, failure);
    } else {
      // Statistics that cannot be flattened (a user's init policy's, say): every process runs
      // every block, which gives the same values, only without sharing the work.
      Exec local = exec;
      local.processes = nullptr;
      run(local);
    }
  } else {
    run(exec);
  }
  Acc total = make();
  for (Acc& p : partial) total += p;
  return total;
}

/// The statistics and scalar sums of one E-step pass.
template <class Acc>
struct pass_result {
  Acc stats;
  estep_totals totals;
  EMKIT_REFLECT(stats, totals);
  pass_result& operator+=(const pass_result& o) {
    stats += o.stats;
    totals += o.totals;
    return *this;
  }
};

/// The chunks of a source as the passes of a fit see them: rows, the model's data-only cache of
/// those rows, and weights. In memory, views (the cache computed once for all rows); from a
/// file, a buffer per call, its cache computed by `model.prepare` of the chunk (row-wise, so
/// the same rows of the same cache).
template <class M, DataSource S>
class chunk_reader {
 public:
  chunk_reader(const M& model, const S& source) : model_(model), source_(source) {
    if constexpr (InMemoryDataSource<S>) cache_ = model.prepare(source.matrix());
  }

  /// Calls f(X, C, w) for the chunk `r`.
  template <class F>
  void visit(row_range r, F&& f) const {
    if constexpr (InMemoryDataSource<S>) {
      const chunk_view v = source_.view(r);
      if constexpr (requires { source_.prefetch(r); }) source_.prefetch({r.begin + r.rows, r.rows});
      f(v.X, middle_rows(cache_, r.begin, r.rows), v.w);
    } else {
      chunk_buffer buffer;
      const chunk_view v = buffer.read(source_, r);
      const matrix_ref C = buffer.hold_cache(model_.prepare(v.X), r, source_.rows());
      f(v.X, C, v.w);
    }
  }

 private:
  const M& model_;
  const S& source_;
  Eigen::MatrixXd cache_;
};

/// A hard E-step that gives labels (`assign`) and a model that accumulates by label
/// (`accumulate_labels`): the fused pass then skips the one-hot responsibilities.
template <class E, class M>
concept LabelledHardEStep = E::is_hard &&
    requires(const E& e, const M& m, const typename M::params_type& theta, matrix_ref X, vector_ref w,
             std::span<index> z, std::span<const index> cz, estep_totals& totals, typename M::accumulator_type& acc) {
  { e.assign(X, w, z, totals) } -> std::same_as<bool>;
  m.accumulate_labels(theta, X, X, w, cz, acc);
};

/// The fused E-step of one chunk, shared by the batch and online fitters: log joint →
/// responsibilities (in place) and totals → statistics. `first_row` (the chunk's first row in
/// the data) and `where` name a row with no posterior.
template <class E, class M>
void fused_chunk(const E& estep, const M& model, const typename M::params_type& theta, matrix_ref X, matrix_ref C,
                 vector_ref w, index K, index first_row, std::string_view where,
                 pass_result<typename M::accumulator_type>& acc) {
  Eigen::MatrixXd L(X.rows(), K);
  model.log_joint(theta, X, C, L);
  if constexpr (LabelledHardEStep<E, M>) {
    // A hard E-step and a model that accumulates by label: no one-hot responsibilities. `assign`
    // reports every row without a posterior (its maximum −∞, or a NaN in its log-sum-exp), so
    // the full check runs only then.
    std::vector<index> labels(static_cast<std::size_t>(X.rows()));
    if (!estep.assign(L, w, labels, acc.totals)) check_log_joint(L, w, first_row, where);
    model.accumulate_labels(theta, X, C, w, labels, acc.stats);
  } else {
    check_log_joint(L, w, first_row, where);
    estep.posterior(L, w, acc.totals);
    model.accumulate(X, C, w, L, acc.stats);
  }
}

/// The statistics of one chunk (rows `r` of the data) under the first responsibilities.
template <class M>
void initial_chunk(const M& model, const initial_assignment& first, row_range r, matrix_ref X, matrix_ref C,
                   vector_ref w, index K, typename M::accumulator_type& acc) {
  Eigen::MatrixXd R(X.rows(), K);
  initial_responsibilities(first, X, r, R);
  model.accumulate(X, C, w, R, acc);
}

/// The first data error of a checking pass: the row it is on and the message.
struct first_data_error {
  std::optional<std::pair<index, std::string>> error;
  double weight = 0.0;
  EMKIT_REFLECT(error, weight);
  first_data_error& operator+=(const first_data_error& o) {
    if (!error && o.error) error = o.error;  // blocks merge in order: the earliest row wins
    weight += o.weight;
    return *this;
  }
};

/// `message` with its first "X(0, " (the row of a one-row check) made "X(row, ".
inline std::string with_row(std::string message, index row) {
  const std::size_t at = message.find("X(0, ");
  if (at != std::string::npos) message.replace(at, 5, concat("X(", row, ", "));
  return message;
}

}  // namespace detail

/// Fits a `LatentModel` by EM. The E-step kind, initialisation and execution are policies
/// (they change types or the inner loop); everything scalar is in `options`.
///
///     emkit::fitter f{emkit::soft_estep{}, emkit::kmeans_plus_plus{}, emkit::threads{.n = 2}};
///     f.options.restarts = 5;
///     auto [theta, summary] = f.fit(emkit::mixture{emkit::gaussian{}}, X, 3);
template <EStepPolicy E = soft_estep, InitPolicy I = kmeans_plus_plus, ExecutionPolicy X = serial>
struct fitter {
  E estep{};
  I init{};
  X execution{};
  fit_options options{};

  /// Fits K components to the rows of `data`, each row of weight 1.
  template <LatentModel M>
  fit_result<typename M::params_type> fit(const M& model, matrix_ref data, index K) const {
    return fit(model, data, K, Eigen::VectorXd::Ones(data.rows()));
  }

  /// Fits K components to the rows of `data` with per-observation weights: a row of weight
  /// 2 counts exactly as that row twice. Throws on bad arguments; numerical outcomes are
  /// in the summary.
  template <LatentModel M>
  fit_result<typename M::params_type> fit(const M& model, matrix_ref data, index K, vector_ref weights) const {
    const auto start = std::chrono::steady_clock::now();
    options.validate();
    if constexpr (requires { init.validate(); }) init.validate();  // the policy's own options
    check_data(data, "fit");
    check_weights(weights, data.rows(), "fit");
    check_components(K, data.rows(), "fit");
    model.validate_data(data);
    const memory_source source(data, weights);
    return fit_checked(model, source, K, start);
  }

  /// Fits K components to the rows of a `DataSource` with its weights, reading it chunk by
  /// chunk on every pass (a file source: memory independent of N). The result equals the fit
  /// of the same rows and weights in memory bit for bit, for any thread count: the same chunks,
  /// the same merge order. One checking pass first: throws `data_error` for a non-finite value
  /// or weight, a negative weight or data outside the model's support, naming the 0-based row
  /// of the whole source ("fit: X(123456, 2) = nan, ..."), and as the source's `read` throws.
  template <LatentModel M, DataSource S>
  fit_result<typename M::params_type> fit(const M& model, const S& source, index K) const {
    const auto start = std::chrono::steady_clock::now();
    options.validate();
    if constexpr (requires { init.validate(); }) init.validate();
    check_shape(source.rows() >= 1, "fit", "X.rows()", source.rows(), ">= 1 observation");
    check_shape(source.cols() >= 1, "fit", "X.cols()", source.cols(), ">= 1 column");
    check_source(model, source, K);
    check_components(K, source.rows(), "fit");
    return fit_checked(model, source, K, start);
  }

 private:
  /// The pass over the chunks of `source` that the initialisation policies read.
  template <DataSource S>
  auto init_pass_over(const S& source, const row_blocks& blocks) const {
    auto reduce = [this, blocks](auto&& make, auto&& body) {
      using acc_type = std::decay_t<decltype(make())>;
      return detail::reduce_chunks<acc_type>(execution, blocks, make, body);
    };
    return chunk_pass<S, decltype(reduce)>(source, blocks, reduce);
  }

  /// The first responsibilities of a restart: from the policy's pass over chunks when it has
  /// one (the shipped policies), else from the whole matrix (in memory only).
  template <DataSource S, class Pass>
  initial_assignment first_assignment(const S& source, const Pass& pass, index K, random_engine& rng) const {
    if constexpr (requires { init.initialize(pass, K, rng); }) {
      return init.initialize(pass, K, rng);
    } else {
      static_assert(InMemoryDataSource<S>,
                    "streaming a source needs an init policy with initialize(pass, K, rng) (see policies.hpp)");
      return init.initialize(source.matrix(), source.weights(), K, rng);
    }
  }

  /// The checks of `fit(model, X, K, w)` as one pass over the chunks of a source: finite
  /// values, finite non-negative weights with a positive total, `model.validate_data`. The
  /// earliest bad row is reported, whichever thread finds it.
  template <class M, DataSource S>
  void check_source(const M& model, const S& source, index K) const {
    const row_blocks blocks = row_blocks::for_fit(source.rows(), options.chunk_rows, source.cols(), K);
    const detail::first_data_error found = detail::reduce_chunks<detail::first_data_error>(
        execution, blocks, [] { return detail::first_data_error{}; },
        [&](row_range r, detail::first_data_error& acc) {
          if (acc.error) return;
          chunk_buffer buffer;
          std::optional<chunk_view> read;
          try {
            read.emplace(buffer.read(source, r));
          } catch (const data_error& e) {  // a value the source cannot read: ordered like the rest
            acc.error.emplace(r.begin, e.what());
            return;
          }
          const chunk_view& v = *read;
          for (index n = 0; n < r.rows; ++n) {
            const index row = r.begin + n;
            for (index j = 0; j < v.X.cols(); ++j) {
              if (!std::isfinite(v.X(n, j))) {
                acc.error.emplace(row, detail::concat("fit: X(", row, ", ", j, ") = ", v.X(n, j),
                                                      ", expected a finite number (row and column are 0-based)"));
                return;
              }
            }
            if (!std::isfinite(v.w[n]) || v.w[n] < 0) {
              acc.error.emplace(
                  row, detail::concat("fit: weights(", row, ") = ", v.w[n], ", expected a finite number >= 0"));
              return;
            }
            acc.weight += v.w[n];
          }
          try {
            model.validate_data(v.X);
          } catch (const data_error&) {
            for (index n = 0; n < r.rows; ++n) {  // the row, and its message as one row gives it
              try {
                model.validate_data(v.X.middleRows(n, 1));
              } catch (const data_error& e) {
                acc.error.emplace(r.begin + n, detail::with_row(e.what(), r.begin + n));
                return;
              }
            }
            throw;
          }
        });
    if (found.error) throw data_error(found.error->second);
    check_option(found.weight > 0, "fit", "sum of weights", found.weight, "> 0");
  }

  template <LatentModel M, DataSource S>
  fit_result<typename M::params_type> fit_checked(const M& model, const S& source, index K,
                                                  std::chrono::steady_clock::time_point start) const {
    const row_blocks blocks = row_blocks::for_fit(source.rows(), options.chunk_rows, source.cols(), K);
    const detail::chunk_reader<M, S> reader(model, source);  // in memory: the cache, once per data set
    const auto pass = init_pass_over(source, blocks);
    fit_result<typename M::params_type> best;
    std::vector<warning> warnings;
    std::vector<violation> violations;
    std::vector<double> objectives;
    bool have_best = false;
    for (int r = 0; r < options.restarts; ++r) {
      std::vector<warning> restart_warnings;
      random_engine rng = make_engine(options.seed, static_cast<std::uint64_t>(r));
      const initial_assignment first = first_assignment(source, pass, K, rng);
      fit_result<typename M::params_type> run;
      try {
        run = run_restart(model, reader, K, blocks, first, r, restart_warnings, violations);
      } catch (const numerical_error& e) {
        // One restart breaking down (a singular covariance, say) does not discard the others;
        // it is reported, and only a fit whose every restart failed throws.
        if (r + 1 == options.restarts && !have_best) throw;
        warnings.push_back(
            {warning_code::restart_failed, r, 0, -1, detail::concat("restart ", r, " failed: ", e.what())});
        objectives.push_back(std::numeric_limits<double>::quiet_NaN());
        continue;
      }
      objectives.push_back(run.summary.objective);
      warnings.insert(warnings.end(), restart_warnings.begin(), restart_warnings.end());
      // Keep the best objective; a NaN objective never wins, and ties keep the earlier restart.
      if (!have_best || run.summary.objective > best.summary.objective) {
        best = std::move(run);
        best.summary.best_restart = r;
        have_best = true;
      }
    }
    best.summary.restart_objectives = std::move(objectives);
    best.summary.warnings = std::move(warnings);
    best.summary.violations = std::move(violations);
    best.summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return best;
  }

  template <class M>
  using pass_type = detail::pass_result<typename M::accumulator_type>;

  /// One fused pass: for each chunk, log joint → responsibilities (in place) → statistics.
  template <class M, class Reader>
  pass_type<M> e_pass(const M& model, const typename M::params_type& theta, const Reader& reader, index K,
                      const row_blocks& blocks) const {
    return detail::reduce_chunks<pass_type<M>>(
        execution, blocks,
        [&] {
          return pass_type<M>{model.make_accumulator(K), {}};
        },
        [&](row_range r, pass_type<M>& acc) {
          reader.visit(r, [&](matrix_ref Xc, matrix_ref Cc, vector_ref wc) {
            detail::fused_chunk(estep, model, theta, Xc, Cc, wc, K, r.begin, "fit", acc);
          });
        });
  }

  /// Statistics of the initial responsibilities; θ_0 is one M-step from them.
  template <class M, class Reader>
  typename M::accumulator_type init_pass(const M& model, const Reader& reader, index K, const row_blocks& blocks,
                                         const initial_assignment& first) const {
    using acc_type = typename M::accumulator_type;
    return detail::reduce_chunks<acc_type>(
        execution, blocks, [&] { return model.make_accumulator(K); },
        [&](row_range r, acc_type& acc) {
          reader.visit(r, [&](matrix_ref Xc, matrix_ref Cc, vector_ref wc) {
            detail::initial_chunk(model, first, r, Xc, Cc, wc, K, acc);
          });
        });
  }

  /// Q(θ; q) + log p(θ) from statistics.
  template <class M>
  static double penalised_q(const M& model, const typename M::params_type& theta,
                            const typename M::accumulator_type& stats) {
    return model.expected_complete_log_likelihood(theta, stats) + model.log_prior(theta);
  }

  template <class M, class Reader>
  fit_result<typename M::params_type> run_restart(const M& model, const Reader& reader, index K,
                                                  const row_blocks& blocks, const initial_assignment& first,
                                                  int restart, std::vector<warning>& warnings,
                                                  std::vector<violation>& violations) const {
    using clock = std::chrono::steady_clock;
    constexpr bool hard = E::is_hard;
    fit_events events{restart, 0, false, &warnings};
    auto tick = clock::now();

    // K is the model's from here on: an M-step may drop an empty component.
    typename M::params_type theta = model.m_step(init_pass(model, reader, K, blocks, first), events);
    pass_type<M> pass = e_pass(model, theta, reader, model.num_components(theta), blocks);
    double prior = model.log_prior(theta);

    // Q(θ_t; q_t): from statistics when the model can, else from the rows of the pass.
    auto q_current = [&](const typename M::params_type& th, const pass_type<M>& p, double log_prior) {
      const double q = model.expected_complete_log_likelihood(th, p.stats);
      return (std::isfinite(q) ? q : p.totals.expected.value()) + log_prior;
    };
    auto objective_of = [&](const pass_type<M>& p, double log_prior) {
      return p.totals.objective.value() + (hard ? 0.0 : log_prior);
    };

    iteration_record current;
    current.iteration = 0;
    current.log_likelihood = pass.totals.log_likelihood.value();
    current.objective = objective_of(pass, prior);
    double q_now = q_current(theta, pass, prior);
    if (!hard) current.estep_gap = current.log_likelihood + prior - (q_now + pass.totals.entropy.value());
    current.reseeded = events.reseeded;
    current.seconds = std::chrono::duration<double>(clock::now() - tick).count();
    monitor_start(options.monitor, restart, current, hard, violations);

    fit_result<typename M::params_type> out;
    out.summary.total_weight = pass.totals.weight.value();
    out.summary.trace.push_back(current);
    if (options.on_iteration) options.on_iteration(restart, current);
    bool converged = false;
    int t = 0;
    while (t < options.max_iterations && !converged) {
      ++t;
      tick = clock::now();
      events.iteration = t;
      events.reseeded = false;
      const double previous_entropy = pass.totals.entropy.value();
      typename M::params_type next = model.m_step(pass.stats, events);
      const double next_prior = model.log_prior(next);
      const double q_next = penalised_q(model, next, pass.stats);  // Q(θ_{t+1}; q_t)
      pass_type<M> next_pass = e_pass(model, next, reader, model.num_components(next), blocks);

      iteration_record rec;
      rec.iteration = t;
      rec.reseeded = events.reseeded;
      rec.log_likelihood = next_pass.totals.log_likelihood.value();
      rec.objective = objective_of(next_pass, next_prior);
      if (std::isfinite(q_next)) {
        rec.q = q_next;
        if (!hard) {
          rec.entropy = previous_entropy;
          rec.elbo = q_next + previous_entropy;
          rec.kl = rec.log_likelihood + next_prior - rec.elbo;
        }
      } else if (hard) {
        rec.q = std::numeric_limits<double>::quiet_NaN();
      }
      const double q_after = q_current(next, next_pass, next_prior);
      if (!hard) rec.estep_gap = rec.log_likelihood + next_prior - (q_after + next_pass.totals.entropy.value());
      const double delta = rec.objective - current.objective;
      rec.change = delta / std::max(out.summary.total_weight, std::abs(rec.objective));
      rec.seconds = std::chrono::duration<double>(clock::now() - tick).count();

      monitor_iteration(options.monitor, restart, current, rec, q_now, hard, violations);
      // Signed change: a decrease beyond rounding is never taken for convergence (the monitor
      // records it), and a re-seed resets the baseline, so it cannot end the fit either.
      const double rounding = options.monitor.relative_tolerance * std::max(1.0, std::abs(rec.objective));
      converged = options.relative_tolerance > 0 && !rec.reseeded && delta >= -rounding &&
                  rec.change < options.relative_tolerance;

      theta = std::move(next);
      pass = std::move(next_pass);
      prior = next_prior;
      q_now = q_after;
      current = rec;
      out.summary.trace.push_back(rec);
      if (options.on_iteration) options.on_iteration(restart, rec);
    }
    if (!converged) {
      events.warn(
          warning_code::not_converged, -1,
          detail::concat("restart ", restart, " did not converge in ", options.max_iterations,
                         " iterations (last change ", current.change, ", tolerance ", options.relative_tolerance, ")"));
    }
    out.params = std::move(theta);
    out.summary.converged = converged;
    out.summary.iterations = t;
    out.summary.log_likelihood = current.log_likelihood;
    out.summary.monitor_checked_q = t == 0 || std::isfinite(current.q);
    out.summary.objective = current.objective;
    return out;
  }
};

}  // namespace emkit
