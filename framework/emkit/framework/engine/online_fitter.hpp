#pragma once
/// \file
/// Online EM over mini-batches of rows: stepwise EM (Cappé and Moulines 2009) and incremental
/// EM (Neal and Hinton 1998), for any `LatentModel` whose statistics are `ScalableStats`.
///
/// Stepwise EM keeps a running average of the sufficient statistics,
///     s_t = (1 − γ_t) s_{t−1} + γ_t ŝ_t,   γ_t = (t + t0)^(−α),  α ∈ (0.5, 1],
/// where ŝ_t is the statistics of mini-batch t under θ_{t−1} with every weight multiplied by
/// N / B_t (so that ŝ_t estimates the statistics of all N rows), and θ_t = M-step(s_t).
/// Incremental ("mini-batch") EM keeps the statistics S_b of every batch b from its last visit;
/// visiting b replaces S_b, and θ = M-step(Σ_b S_b): after the first epoch this is exactly the
/// incremental EM of Neal and Hinton, whose free-energy lower bound never decreases.
///
/// Rows are read from a `DataSource` (a matrix in memory, or a file read chunk by chunk) by the
/// pass machinery of the batch fitter (`pass.hpp`): the same reader, fused E-step and ordered
/// merge, so a streamed fit is the in-memory fit bit for bit, with memory independent of N.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <set>
#include <utility>
#include <vector>

#include <boost/random/uniform_int_distribution.hpp>

#include <emkit/framework/concepts/estep_policy.hpp>
#include <emkit/framework/concepts/execution_policy.hpp>
#include <emkit/framework/concepts/init_policy.hpp>
#include <emkit/framework/concepts/latent_model.hpp>
#include <emkit/framework/concepts/mergeable_stats.hpp>
#include <emkit/framework/data/data_source.hpp>
#include <emkit/framework/data/memory_source.hpp>
#include <emkit/framework/engine/check_data.hpp>
#include <emkit/framework/engine/check_source.hpp>
#include <emkit/framework/engine/estep_totals.hpp>
#include <emkit/framework/engine/fitter.hpp>
#include <emkit/framework/engine/pass.hpp>
#include <emkit/framework/engine/summary.hpp>
#include <emkit/framework/error.hpp>
#include <emkit/framework/estep/soft_estep.hpp>
#include <emkit/framework/execution/row_blocks.hpp>
#include <emkit/framework/execution/serial.hpp>
#include <emkit/framework/init/policies.hpp>
#include <emkit/framework/numeric/compensated_sum.hpp>
#include <emkit/framework/numeric/random.hpp>

namespace emkit {

/// Which online variant `online_fitter` runs.
enum class online_method {
  /// Stepwise EM: s ← (1 − γ_t) s + γ_t ŝ_t with γ_t = (t + t0)^(−α) (Cappé and Moulines 2009;
  /// Liang and Klein 2009).
  stepwise,
  /// Incremental EM: each batch's statistics from its last visit are kept, s = Σ_b S_b
  /// (Neal and Hinton 1998). Memory: about 2·(N/B) copies of the statistics.
  incremental,
};

/// Scalar settings of `online_fitter`; `validate()` throws `invalid_option` naming the field.
struct online_options {
  online_method method = online_method::stepwise;
  index batch_size = 10000;  ///< B, rows per mini-batch (the last batch also takes the N mod B left over); ≥ 1
  double alpha = 0.6;        ///< stepwise: γ_t = (t + t0)^(−α), α in (0.5, 1]
  double t0 = 2.0;           ///< stepwise: offset of the step count, finite and ≥ 0
  int epochs = 5;            ///< passes over the data (each visits every batch once); ≥ 1
  /// Stepwise: the first `burn_in` batches update the statistics but not θ (no M-step), so
  /// that θ_1 is fitted to more than one batch; ≥ 0.
  int burn_in = 0;
  /// Polyak–Ruppert averaging of the statistics: from the first step of epoch
  /// `polyak_from_epoch` on, s̄ is the plain average of the s_t, and the returned (and
  /// evaluated) θ is M-step(s̄). The recursion itself goes on with θ_t = M-step(s_t).
  /// Averaging removes noise, not the bias of early iterates: start it after the transient.
  bool polyak = false;
  /// 0-based first averaged epoch; −1 (the default): epochs / 2, the second half of the run;
  /// an epoch ≥ `epochs` averages the last epoch only.
  int polyak_from_epoch = -1;
  std::uint64_t seed = 0;  ///< the initialisation uses stream 0 of it (as restart 0 of `fitter`)
  /// Rows per chunk within a batch; 0 (the default): by D and K as `fit_options::chunk_rows`
  /// (`resolved_chunk_rows`), so that θ_0 is the batch fitter's.
  index chunk_rows = 0;
  index init_rows = 0;  ///< the init policy sees rows [0, init_rows); 0: all rows
  /// The log-likelihood of all the data at θ_0 and after every epoch: one extra pass each, not
  /// counted in `online_record::passes`. Without it only the returned θ is evaluated (one pass).
  bool evaluate = true;

  void validate() const {
    constexpr const char* where = "online_options";
    check_option(batch_size >= 1, where, "batch_size", batch_size, ">= 1");
    check_option(alpha > 0.5 && alpha <= 1.0, where, "alpha", alpha, "in (0.5, 1]");
    check_option(std::isfinite(t0) && t0 >= 0, where, "t0", t0, "a finite number >= 0");
    check_option(epochs >= 1, where, "epochs", epochs, ">= 1");
    check_option(burn_in >= 0, where, "burn_in", burn_in, ">= 0");
    check_option(polyak_from_epoch >= -1, where, "polyak_from_epoch", polyak_from_epoch, ">= 0, or -1 (epochs / 2)");
    check_option(chunk_rows >= 0, where, "chunk_rows", chunk_rows, ">= 0 (0: by D and K)");
    check_option(init_rows >= 0, where, "init_rows", init_rows, ">= 0 (0: all rows)");
  }
};

/// γ_t = (t + t0)^(−α), the stepwise weight of the t-th batch (t = 1, 2, ...).
[[nodiscard]] inline double stepwise_step_size(std::int64_t t, double alpha, double t0) {
  return std::pow(static_cast<double>(t) + t0, -alpha);
}

/// What an online fit observed after each epoch (epoch 0: θ_0, before any batch).
struct online_record {
  static constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  int epoch = 0;
  std::int64_t steps = 0;           ///< batches processed so far
  double passes = 0.0;              ///< rows read by the algorithm / N (evaluation passes excluded)
  double log_likelihood = nan;      ///< ℓ(θ) of all the data at the reported θ; NaN when not evaluated
  double objective = nan;           ///< the E-step's objective there: ℓ (soft), the classification ℓ (hard)
  double seconds = 0.0;             ///< cumulative fitting time, initialisation included, evaluation excluded
  double evaluation_seconds = 0.0;  ///< time of this record's evaluation pass
};

/// The rows [begin, begin + rows) of the data and their weights, as a function given to
/// `online_fitter::run` returns them. `rows(range)` may return any type with members `X` and `w`
/// that convert to `matrix_ref` and `vector_ref`: a `row_batch` that owns them, or a `row_view`.
/// (A file is better read by `online_fitter::fit(model, source, K)` with a `DataSource`, which
/// reads a batch chunk by chunk instead of whole.)
struct row_batch {
  Eigen::MatrixXd X;
  Eigen::VectorXd w;
};

/// The rows [begin, begin + rows) of an in-memory matrix and their weights, without a copy.
struct row_view {
  matrix_ref X;
  vector_ref w;
};

/// The parameters an online fit returns, its summary, and one record per epoch.
template <class Params>
struct online_result {
  Params params;
  emkit::summary summary;
  std::vector<online_record> epochs;
};

/// The contiguous batches of `online_fitter`: N / B batches (at least one) of B rows, the last
/// one also taking the N mod B rows left over, so that no batch is smaller than B (or N).
[[nodiscard]] inline std::vector<row_range> online_batches(index N, index B) {
  const index count = std::max<index>(1, N / B);
  std::vector<row_range> out;
  for (index b = 0; b < count; ++b) out.push_back({b * B, b + 1 == count ? N - b * B : B});
  return out;
}

/// The order in which epoch `epoch` visits `count` batches: a Fisher–Yates shuffle from stream
/// `epoch` of a seed derived from `seed`, the same on every platform.
[[nodiscard]] inline std::vector<index> online_batch_order(index count, std::uint64_t seed, int epoch) {
  std::vector<index> order(static_cast<std::size_t>(count));
  std::iota(order.begin(), order.end(), index{0});
  random_engine rng = make_engine(mix_seed(seed, 0x6f6e6c696e65ULL), static_cast<std::uint64_t>(epoch));
  for (index i = count - 1; i > 0; --i) {
    const index j = boost::random::uniform_int_distribution<index>(0, i)(rng);
    std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]);
  }
  return order;
}

namespace detail {

/// A chunk reader whose source starts at row `offset` of the data: `visit` takes rows of the
/// data (a mini-batch served whole by `online_fitter::run`, read as a source of its own rows).
template <class Reader>
struct shifted_reader {
  const Reader& reader;
  index offset = 0;

  template <class F>
  void visit(row_range r, F&& f) const {
    reader.visit({r.begin - offset, r.rows}, f);
  }
};

}  // namespace detail

/// Fits a `LatentModel` by online EM over mini-batches. Within a batch the statistics are
/// accumulated by the execution policy over the fixed chunks and blocks of `row_blocks`, merged
/// in block order, so a fit is bit-for-bit the same on any number of threads; batches are
/// visited one after another in a seeded order. Rows are read from a `DataSource` chunk by
/// chunk through the batch fitter's pass machinery, so a file streamed from disk gives the fit
/// of the same rows in memory bit for bit.
///
///     emkit::online_fitter f{emkit::soft_estep{}, emkit::kmeans_plus_plus{}, emkit::threads{.n = 2}};
///     f.options.batch_size = 5000;
///     auto r = f.fit(emkit::mixture{emkit::gaussian{}}, X, 3);                  // r.params, r.epochs
///     auto s = f.fit(emkit::mixture{emkit::gaussian{}}, emkit::npy_source("big.npy"), 3);  // streamed
template <EStepPolicy E = soft_estep, InitPolicy I = kmeans_plus_plus, ExecutionPolicy X = serial>
struct online_fitter {
  E estep{};
  I init{};
  X execution{};
  online_options options{};

  /// Fits K components to the rows of `data`, each of weight 1.
  template <LatentModel M>
  online_result<typename M::params_type> fit(const M& model, matrix_ref data, index K) const {
    return fit(model, data, K, Eigen::VectorXd::Ones(data.rows()));
  }

  /// Fits K components to the rows of `data` with per-row weights: the fit of a `memory_source`
  /// of them. Throws `invalid_option`, `shape_error` or `data_error` on bad arguments,
  /// `numerical_error` on a breakdown.
  template <LatentModel M>
  online_result<typename M::params_type> fit(const M& model, matrix_ref data, index K, vector_ref weights) const {
    options.validate();
    check_shape(weights.size() == data.rows(), "online_fitter::fit", "weights.size()", weights.size(),
                detail::concat("the number of rows ", data.rows()));
    const memory_source source(data, weights);
    return fit(model, source, K);
  }

  /// Fits K components to the rows of a `DataSource` with its weights (`memory_source`,
  /// `npy_source`, `csv_source`), reading each mini-batch chunk by chunk: from a file, memory
  /// does not grow with N (one chunk per thread, the per-block statistics of one batch; and
  /// incremental EM's statistics of every batch, O(N/B)). The result equals the fit of the
  /// same rows and weights in memory bit for bit, for any thread count. One checking pass first
  /// (`check_source`, as the batch fitter's): throws `data_error` naming the 0-based row of the
  /// source, `shape_error`, `invalid_option`, and as the source's `read` throws.
  template <LatentModel M, DataSource S>
  online_result<typename M::params_type> fit(const M& model, const S& source, index K) const {
    const auto start = std::chrono::steady_clock::now();
    options.validate();
    if constexpr (requires { init.validate(); }) init.validate();
    check_source(model, source, row_blocks::for_fit(source.rows(), options.chunk_rows, source.cols(), K), execution,
                 "online_fitter::fit");
    check_components(K, source.rows(), "online_fitter::fit");
    const detail::chunk_reader<M, S> reader(model, source);  // in memory: the cache, once per data set
    // Every batch is read from the one source; its rows are the data's.
    const auto with_rows = [&](row_range, auto&& f) { return f(source, reader); };
    return run_batches(model, with_rows, source.rows(), K, start);
  }

  /// Fits K components to N rows served by `rows(row_range)`, which returns a `row_batch` or a
  /// `row_view` and must return the same rows for the same range every time: it is called once
  /// for the initialisation rows and once per batch visit and evaluation. Each range is checked
  /// by the checking pass of `fit` (`detail::check_rows`) when it is first read; a bad row is
  /// named by its row in the data.
  template <LatentModel M, class Rows>
  online_result<typename M::params_type> run(const M& model, Rows&& rows, index N, index K) const {
    const auto start = std::chrono::steady_clock::now();
    options.validate();
    if constexpr (requires { init.validate(); }) init.validate();
    check_components(K, N, "online_fitter::fit");
    std::set<std::pair<index, index>> checked;  // the ranges read so far
    const auto with_rows = [&](row_range range, auto&& f) {
      const auto b = rows(range);
      check_shape(b.X.rows() == range.rows && b.w.size() == range.rows, "online_fitter::run", "rows(range) rows",
                  b.X.rows(), detail::concat(range.rows, " rows and weights from row ", range.begin));
      const memory_source source(b.X, b.w);
      if (checked.insert({range.begin, range.rows}).second) {
        (void)detail::check_rows(model, source, execution,
                                 row_blocks::for_fit(range.rows, options.chunk_rows, source.cols(), K), range.begin,
                                 "online_fitter::run");
      }
      const detail::chunk_reader<M, memory_source> reader(model, source);
      return f(source, detail::shifted_reader<detail::chunk_reader<M, memory_source>>{reader, range.begin});
    };
    return run_batches(model, with_rows, N, K, start);
  }

 private:
  template <class M>
  using pass_type = detail::pass_result<typename M::accumulator_type>;

  /// The fit, reading rows only through `with_rows(range, f)`, which calls f(source, reader)
  /// with a `DataSource` whose first rows are those of `range` and a `detail::chunk_reader` of it
  /// that takes rows of the data.
  template <LatentModel M, class WithRows>
  online_result<typename M::params_type> run_batches(const M& model, const WithRows& with_rows, index N, index K,
                                                     std::chrono::steady_clock::time_point start) const {
    using clock = std::chrono::steady_clock;
    using acc_type = typename M::accumulator_type;
    static_assert(ScalableStats<acc_type>, "online EM needs statistics with `s *= a` (ScalableStats)");

    online_result<typename M::params_type> out;
    std::vector<warning> warnings;
    fit_events events{0, 0, false, &warnings};
    double evaluation_seconds = 0.0;
    const auto seconds_so_far = [&] {
      return std::chrono::duration<double>(clock::now() - start).count() - evaluation_seconds;
    };
    // One fused pass over the rows of `range` under θ (`detail::e_pass`, as the batch fitter's).
    const auto batch_pass = [&](const typename M::params_type& th, row_range range, index k) {
      return with_rows(range, [&](const auto& source, const auto& reader) {
        const row_blocks blocks = row_blocks::for_fit(range.rows, options.chunk_rows, source.cols(), k);
        return detail::e_pass(estep, execution, model, th, reader, k, blocks, range.begin, "online_fitter::fit");
      });
    };

    // θ_0: the batch fitter's initialisation (policy, then one M-step) on the first init rows,
    // whose statistics, scaled to N rows, are s_0. The policy reads them in the default chunks
    // (as its matrix overload, `with_memory_pass`, does), the statistics in the fit's.
    const index n_init = options.init_rows == 0 ? N : std::min(N, options.init_rows);
    check_components(K, n_init, "online_fitter::fit (init_rows)");
    // Starting parameters (a warm start) are θ_0 as given, and s_0 the statistics of an E-step
    // under them on those rows.
    auto start_state = with_rows(row_range{0, n_init}, [&](const auto& source, const auto& reader) {
      const index D = source.cols();
      const auto pass = detail::init_pass_over(source, execution, row_blocks::for_fit(n_init, 0, D, K));
      random_engine rng = make_engine(options.seed, 0);
      return visit_start(
          detail::first_assignment(init, source, pass, K, rng),
          [&](const auto& rule) {
            acc_type stats = detail::init_pass(execution, model, reader, K,
                                               row_blocks::for_fit(n_init, options.chunk_rows, D, K), rule);
            typename M::params_type th = model.m_step(stats, events);
            return std::pair{std::move(th), std::move(stats)};
          },
          [&](const typename M::params_type& start) {
            typename M::params_type th = detail::checked_start(model, start, K, "online_fitter::fit");
            acc_type stats =
                detail::e_pass(estep, execution, model, th, reader, K,
                               row_blocks::for_fit(n_init, options.chunk_rows, D, K), 0, "online_fitter::fit")
                    .stats;
            return std::pair{std::move(th), std::move(stats)};
          });
    });
    typename M::params_type theta = std::move(start_state.first);
    const acc_type s_init = std::move(start_state.second);
    check_fixed_components(model, theta, K);
    acc_type s = s_init;
    s *= static_cast<double>(N) / static_cast<double>(n_init);

    const std::vector<row_range> batches = online_batches(N, options.batch_size);
    const index nb = static_cast<index>(batches.size());
    std::int64_t t = 0;  // batches processed
    double rows_read = static_cast<double>(n_init);
    // Incremental EM: a fixed binary tree of batch statistics, so replacing one batch costs
    // log2(N/B) merges and the sum is always formed in the same order.
    index leaves = 1;
    while (leaves < nb) leaves *= 2;
    std::vector<acc_type> tree;
    std::vector<bool> visited;
    index unvisited_rows = N;
    if (options.method == online_method::incremental) {
      tree.assign(static_cast<std::size_t>(2 * leaves), model.make_accumulator(K));
      visited.assign(static_cast<std::size_t>(nb), false);
    }
    acc_type average = model.make_accumulator(K);  // Polyak: s̄
    compensated_sum total_weight;
    std::int64_t averaged = 0;
    const int polyak_from =
        std::min(options.polyak_from_epoch < 0 ? options.epochs / 2 : options.polyak_from_epoch, options.epochs - 1);

    auto reported = [&]() -> typename M::params_type {
      if (options.polyak && averaged > 0) {
        fit_events quiet{0, static_cast<int>(t), false, nullptr};
        return model.m_step(average, quiet);
      }
      return theta;
    };
    // The E-step totals (ℓ, objective) of all the data under θ, batch by batch in row order.
    auto evaluation = [&](const typename M::params_type& th) {
      estep_totals totals;
      for (const row_range& r : batches) totals += batch_pass(th, r, model.num_components(th)).totals;
      return totals;
    };
    auto record = [&](int epoch, const typename M::params_type& th) {
      online_record rec;
      rec.epoch = epoch;
      rec.steps = t;
      rec.passes = (rows_read - static_cast<double>(n_init)) / static_cast<double>(N);
      rec.seconds = seconds_so_far();
      if (options.evaluate || epoch == options.epochs) {
        const auto tick = clock::now();
        const estep_totals totals = evaluation(th);
        rec.log_likelihood = totals.log_likelihood.value();
        rec.objective = totals.objective.value();
        rec.evaluation_seconds = std::chrono::duration<double>(clock::now() - tick).count();
        evaluation_seconds += rec.evaluation_seconds;
      }
      out.epochs.push_back(rec);
      iteration_record it;
      it.iteration = epoch;
      it.log_likelihood = rec.log_likelihood;
      it.objective = rec.objective;
      it.seconds = rec.seconds;
      out.summary.trace.push_back(it);
    };
    record(0, theta);

    for (int epoch = 0; epoch < options.epochs; ++epoch) {
      for (const index b : online_batch_order(nb, options.seed, epoch)) {
        const row_range range = batches[static_cast<std::size_t>(b)];
        pass_type<M> pass = batch_pass(theta, range, K);
        if (epoch == 0) total_weight += pass.totals.weight.value();
        acc_type hat = std::move(pass.stats);
        rows_read += static_cast<double>(range.rows);
        ++t;
        events.iteration = static_cast<int>(t);
        events.reseeded = false;
        if (options.method == online_method::stepwise) {
          const double gamma = stepwise_step_size(t, options.alpha, options.t0);
          hat *= gamma * static_cast<double>(N) / static_cast<double>(range.rows);
          s *= 1.0 - gamma;
          s += hat;
        } else {
          index node = leaves + b;
          tree[static_cast<std::size_t>(node)] = std::move(hat);
          for (node /= 2; node >= 1; node /= 2) {
            acc_type sum = tree[static_cast<std::size_t>(2 * node)];
            sum += tree[static_cast<std::size_t>(2 * node + 1)];
            tree[static_cast<std::size_t>(node)] = std::move(sum);
          }
          if (!visited[static_cast<std::size_t>(b)]) {
            visited[static_cast<std::size_t>(b)] = true;
            unvisited_rows -= range.rows;
          }
          s = tree[1];
          if (unvisited_rows > 0) {  // first epoch: the unvisited rows count by their share of s_0
            acc_type rest = s_init;
            rest *= static_cast<double>(unvisited_rows) / static_cast<double>(n_init);
            s += rest;
          }
        }
        if (t > options.burn_in) {
          theta = model.m_step(s, events);
          check_fixed_components(model, theta, K);
        }
        if (options.polyak && epoch >= polyak_from) {
          ++averaged;
          acc_type next = s;
          next *= 1.0 / static_cast<double>(averaged);
          average *= 1.0 - 1.0 / static_cast<double>(averaged);
          average += next;
        }
      }
      record(epoch + 1, reported());
    }

    out.params = reported();
    out.summary.iterations = static_cast<int>(t);
    out.summary.converged = false;  // a fixed number of epochs; there is no convergence test
    out.summary.log_likelihood = out.epochs.back().log_likelihood;
    out.summary.objective = out.epochs.back().objective;
    out.summary.restart_objectives = {out.summary.objective};
    out.summary.warnings = std::move(warnings);
    out.summary.monitor_checked_q = false;  // the monitor's identities are for batch EM
    out.summary.total_weight = total_weight.value();
    out.summary.seconds = std::chrono::duration<double>(clock::now() - start).count();
    return out;
  }

  /// Online EM keeps statistics of a fixed K: an M-step that drops a component cannot go on.
  template <class M>
  static void check_fixed_components(const M& model, const typename M::params_type& theta, index K) {
    if (model.num_components(theta) != K) {
      throw numerical_error(detail::concat("online_fitter: a component was dropped (", model.num_components(theta),
                                           " of ", K, " left); online EM needs a fixed K, use reseed or keep"));
    }
  }
};

}  // namespace emkit
