#pragma once
/// \file
/// The generic EM engine: restarts, the fused E-step pass, the M-step, convergence and the
/// monitor, for any `LatentModel` under any E-step, initialisation and execution policy.

#include <chrono>
#include <cmath>
#include <limits>
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
#include <emkit/framework/engine/check_source.hpp>
#include <emkit/framework/engine/estep_totals.hpp>
#include <emkit/framework/engine/fit_options.hpp>
#include <emkit/framework/engine/pass.hpp>
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
    check_shape(weights.size() == data.rows(), "fit", "weights.size()", weights.size(),
                detail::concat("the number of rows ", data.rows()));
    const memory_source source(data, weights);
    check_source(model, source, row_blocks::for_fit(data.rows(), options.chunk_rows, data.cols(), K), execution, "fit");
    check_components(K, data.rows(), "fit");
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
    check_source(model, source, row_blocks::for_fit(source.rows(), options.chunk_rows, source.cols(), K), execution,
                 "fit");
    check_components(K, source.rows(), "fit");
    return fit_checked(model, source, K, start);
  }

 private:
  template <LatentModel M, DataSource S>
  fit_result<typename M::params_type> fit_checked(const M& model, const S& source, index K,
                                                  std::chrono::steady_clock::time_point start) const {
    const row_blocks blocks = row_blocks::for_fit(source.rows(), options.chunk_rows, source.cols(), K);
    const detail::chunk_reader<M, S> reader(model, source);  // in memory: the cache, once per data set
    const auto pass = detail::init_pass_over(source, execution, blocks);
    fit_result<typename M::params_type> best;
    std::vector<warning> warnings;
    std::vector<violation> violations;
    std::vector<double> objectives;
    bool have_best = false;
    for (int r = 0; r < options.restarts; ++r) {
      std::vector<warning> restart_warnings;
      random_engine rng = make_engine(options.seed, static_cast<std::uint64_t>(r));
      const auto first = detail::first_assignment(init, source, pass, K, rng);
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

  /// One fused pass over all rows (`detail::e_pass`, shared with `online_fitter`).
  template <class M, class Reader>
  pass_type<M> e_pass(const M& model, const typename M::params_type& theta, const Reader& reader, index K,
                      const row_blocks& blocks) const {
    return detail::e_pass(estep, execution, model, theta, reader, K, blocks, 0, "fit");
  }

  /// Q(θ; q) + log p(θ) from statistics.
  template <class M>
  static double penalised_q(const M& model, const typename M::params_type& theta,
                            const typename M::accumulator_type& stats) {
    return model.expected_complete_log_likelihood(theta, stats) + model.log_prior(theta);
  }

  template <class M, class Reader, class First>
  fit_result<typename M::params_type> run_restart(const M& model, const Reader& reader, index K,
                                                  const row_blocks& blocks, const First& first, int restart,
                                                  std::vector<warning>& warnings,
                                                  std::vector<violation>& violations) const {
    using clock = std::chrono::steady_clock;
    constexpr bool hard = E::is_hard;
    fit_events events{restart, 0, false, &warnings};
    auto tick = clock::now();

    // K is the model's from here on: an M-step may drop an empty component.
    // θ_0: given, or one M-step from the policy's first responsibilities.
    typename M::params_type theta = visit_start(
        first,
        [&](const auto& rule) {
          return model.m_step(detail::init_pass(execution, model, reader, K, blocks, rule), events);
        },
        [&](const typename M::params_type& start) { return detail::checked_start(model, start, K, "fit"); });
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
