#pragma once
/// \file
/// The pass machinery of every fit, batch or online, in memory or streamed: the ordered
/// reduction over the fixed chunks and blocks of `row_blocks`, the reader of a source's chunks,
/// the fused E-step of a chunk, and the passes built from them (the E-pass, the pass of the
/// first responsibilities, the initialisation policy's pass). `fitter` and `online_fitter` both
/// read rows only through these, so a fit reads a file as it reads a matrix, bit for bit.

#include <concepts>
#include <exception>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <emkit/framework/concepts/init_policy.hpp>
#include <emkit/framework/concepts/latent_model.hpp>
#include <emkit/framework/data/chunk_buffer.hpp>
#include <emkit/framework/data/chunk_pass.hpp>
#include <emkit/framework/data/data_source.hpp>
#include <emkit/framework/engine/check_log_joint.hpp>
#include <emkit/framework/engine/estep_totals.hpp>
#include <emkit/framework/error.hpp>
#include <emkit/framework/execution/processes.hpp>
#include <emkit/framework/execution/reflect.hpp>
#include <emkit/framework/execution/row_blocks.hpp>
#include <emkit/framework/init/policies.hpp>
#include <emkit/framework/numeric/random.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

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
template <class M, class Rule>
void initial_chunk(const M& model, const Rule& first, row_range r, matrix_ref X, matrix_ref C, vector_ref w, index K,
                   typename M::accumulator_type& acc) {
  Eigen::MatrixXd R(X.rows(), K);
  initial_responsibilities(first, X, r, R);
  model.accumulate(X, C, w, R, acc);
}

/// One fused E-step pass (`fused_chunk` on every chunk) over the rows [first, first + blocks.n)
/// of the reader's source, cut by `blocks` and merged in block order: the batch fitter's pass
/// over all rows (first = 0) and the online fitter's over one mini-batch. A row with no posterior
/// is named by its row in the source, with `where`.
template <class E, class Exec, class M, class Reader>
pass_result<typename M::accumulator_type> e_pass(const E& estep, const Exec& execution, const M& model,
                                                 const typename M::params_type& theta, const Reader& reader, index K,
                                                 const row_blocks& blocks, index first, std::string_view where) {
  using pass_type = pass_result<typename M::accumulator_type>;
  return reduce_chunks<pass_type>(
      execution, blocks,
      [&] {
        return pass_type{model.make_accumulator(K), {}};
      },
      [&](row_range r, pass_type& acc) {
        const row_range at{first + r.begin, r.rows};
        reader.visit(at, [&](matrix_ref Xc, matrix_ref Cc, vector_ref wc) {
          fused_chunk(estep, model, theta, Xc, Cc, wc, K, at.begin, where, acc);
        });
      });
}

/// The statistics of the first responsibilities over the rows [0, blocks.n) of the reader's
/// source; θ_0 is one M-step from them.
template <class Exec, class M, class Reader, class Rule>
typename M::accumulator_type init_pass(const Exec& execution, const M& model, const Reader& reader, index K,
                                       const row_blocks& blocks, const Rule& first) {
  using acc_type = typename M::accumulator_type;
  return reduce_chunks<acc_type>(
      execution, blocks, [&] { return model.make_accumulator(K); },
      [&](row_range r, acc_type& acc) {
        reader.visit(r, [&](matrix_ref Xc, matrix_ref Cc, vector_ref wc) {
          initial_chunk(model, first, r, Xc, Cc, wc, K, acc);
        });
      });
}

/// The pass over the chunks of the rows [0, blocks.n) of `source` that the initialisation
/// policies read, its reductions run by `execution` (which must outlive it).
template <DataSource S, class Exec>
auto init_pass_over(const S& source, const Exec& execution, const row_blocks& blocks) {
  auto reduce = [&execution, blocks](auto&& make, auto&& body) {
    using acc_type = std::decay_t<decltype(make())>;
    return reduce_chunks<acc_type>(execution, blocks, make, body);
  };
  return chunk_pass<S, decltype(reduce)>(source, blocks, reduce);
}

/// The start of a restart on the rows of `pass` (what the policy returns: a rule for the first
/// responsibilities or starting parameters): from the policy's pass over chunks when it has one
/// (the shipped policies), else from those rows as one matrix (in memory only).
template <class I, DataSource S, class Pass>
auto first_assignment(const I& init, const S& source, const Pass& pass, index K, random_engine& rng) {
  if constexpr (requires { init.initialize(pass, K, rng); }) {
    return init.initialize(pass, K, rng);
  } else {
    static_assert(InMemoryDataSource<S>,
                  "streaming a source needs an init policy with initialize(pass, K, rng) (see policies.hpp)");
    const index n = pass.rows();
    return init.initialize(middle_rows(source.matrix(), 0, n), source.weights().head(n), K, rng);
  }
}

/// Given starting parameters, checked: `validate_params` when the model has it, and K
/// components (the data's dimension is checked by the first E-step). Throws `invalid_option`.
template <class M>
const typename M::params_type& checked_start(const M& model, const typename M::params_type& theta, index K,
                                             std::string_view where) {
  if constexpr (requires { model.validate_params(theta, where); }) model.validate_params(theta, where);
  check_option(model.num_components(theta) == K, where, "the starting parameters' K", model.num_components(theta),
               concat("K = ", K));
  return theta;
}

}  // namespace detail

}  // namespace emkit
