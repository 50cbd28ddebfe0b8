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
#include <emkit/framework/engine/check_data.hpp>
#include <emkit/framework/engine/check_log_joint.hpp>
#include <emkit/framework/engine/estep_totals.hpp>
#include <emkit/framework/engine/fit_options.hpp>
#include <emkit/framework/engine/summary.hpp>
#include <emkit/framework/estep/soft_estep.hpp>
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
template <class Acc, class Exec, class MakeAcc, class Body>
Acc reduce_chunks(const Exec& exec, const row_blocks& blocks, MakeAcc&& make, Body&& body) {
  std::vector<Acc> partial(static_cast<std::size_t>(blocks.num_blocks()));
  exec.for_each_block(blocks.num_blocks(), [&](index b) {
    Acc acc = make();
    blocks.for_each_chunk(b, [&](row_range r) { body(r, acc); });
    partial[static_cast<std::size_t>(b)] = std::move(acc);
  });
  Acc total = make();
  for (Acc& p : partial) total += p;
  return total;
}

/// The statistics and scalar sums of one E-step pass.
template <class Acc>
struct pass_result {
  Acc stats;
  estep_totals totals;
  pass_result& operator+=(const pass_result& o) {
    stats += o.stats;
    totals += o.totals;
    return *this;
  }
};

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
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    options.validate();
    if constexpr (requires { init.validate(); }) init.validate();  // the policy's own options
    check_data(data, "fit");
    check_weights(weights, data.rows(), "fit");
    check_components(K, data.rows(), "fit");
    model.validate_data(data);

    const row_blocks blocks = row_blocks::for_rows(data.rows(), options.chunk_rows);
    const Eigen::MatrixXd cache = model.prepare(data);  // data-only values, once per data set
    fit_result<typename M::params_type> best;
    std::vector<warning> warnings;
    std::vector<violation> violations;
    std::vector<double> objectives;
    bool have_best = false;
    for (int r = 0; r < options.restarts; ++r) {
      std::vector<warning> restart_warnings;
      random_engine rng = make_engine(options.seed, static_cast<std::uint64_t>(r));
      const initial_assignment first = init.initialize(data, weights, K, rng);
      fit_result<typename M::params_type> run;
      try {
        run = run_restart(model, data, cache, weights, K, blocks, first, r, restart_warnings, violations);
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
    best.summary.seconds = std::chrono::duration<double>(clock::now() - start).count();
    return best;
  }

 private:
  template <class M>
  using pass_type = detail::pass_result<typename M::accumulator_type>;

  /// One fused pass: for each chunk, log joint → responsibilities (in place) → statistics.
  template <class M>
  pass_type<M> e_pass(const M& model, const typename M::params_type& theta, matrix_ref data, matrix_ref cache,
                      vector_ref w, index K, const row_blocks& blocks) const {
    return detail::reduce_chunks<pass_type<M>>(
        execution, blocks,
        [&] {
          return pass_type<M>{model.make_accumulator(K), {}};
        },
        [&](row_range r, pass_type<M>& acc) {
          const matrix_ref Xc = data.middleRows(r.begin, r.rows);
          const vector_ref wc = w.segment(r.begin, r.rows);
          Eigen::MatrixXd L(r.rows, K);
          const matrix_ref Cc = middle_rows(cache, r.begin, r.rows);
          model.log_joint(theta, Xc, Cc, L);
          detail::check_log_joint(L, wc, r.begin, "fit");
          estep.posterior(L, wc, acc.totals);
          model.accumulate(Xc, Cc, wc, L, acc.stats);
        });
  }

  /// Statistics of the initial responsibilities; θ_0 is one M-step from them.
  template <class M>
  typename M::accumulator_type init_pass(const M& model, matrix_ref data, matrix_ref cache, vector_ref w, index K,
                                         const row_blocks& blocks, const initial_assignment& first) const {
    using acc_type = typename M::accumulator_type;
    return detail::reduce_chunks<acc_type>(
        execution, blocks, [&] { return model.make_accumulator(K); },
        [&](row_range r, acc_type& acc) {
          const matrix_ref Xc = data.middleRows(r.begin, r.rows);
          Eigen::MatrixXd R(r.rows, K);
          initial_responsibilities(first, Xc, r, R);
          model.accumulate(Xc, middle_rows(cache, r.begin, r.rows), w.segment(r.begin, r.rows), R, acc);
        });
  }

  /// Q(θ; q) + log p(θ) from statistics.
  template <class M>
  static double penalised_q(const M& model, const typename M::params_type& theta,
                            const typename M::accumulator_type& stats) {
    return model.expected_complete_log_likelihood(theta, stats) + model.log_prior(theta);
  }

  template <class M>
  fit_result<typename M::params_type> run_restart(const M& model, matrix_ref data, matrix_ref cache, vector_ref w,
                                                  index K, const row_blocks& blocks, const initial_assignment& first,
                                                  int restart, std::vector<warning>& warnings,
                                                  std::vector<violation>& violations) const {
    using clock = std::chrono::steady_clock;
    constexpr bool hard = E::is_hard;
    fit_events events{restart, 0, false, &warnings};
    auto tick = clock::now();

    // K is the model's from here on: an M-step may drop an empty component.
    typename M::params_type theta = model.m_step(init_pass(model, data, cache, w, K, blocks, first), events);
    pass_type<M> pass = e_pass(model, theta, data, cache, w, model.num_components(theta), blocks);
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
      pass_type<M> next_pass = e_pass(model, next, data, cache, w, model.num_components(next), blocks);

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
