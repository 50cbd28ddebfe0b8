#pragma once
/// \file
/// Fitting across processes (MPI ranks, or anything that can all-gather doubles).
///
/// Process p of P runs a contiguous share of the blocks of every pass; after the pass, the
/// processes all-gather their blocks' statistics (flattened to doubles), and every process
/// merges all blocks in index order, exactly as one process merges them. So a fit over any
/// number of processes (and threads within each) gives the same bits as a serial fit, and
/// every process holds the same θ after every M-step without a broadcast.

#include <exception>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <emkit/framework/error.hpp>
#include <emkit/framework/execution/flatten.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

/// The processes one fit is spread over. An implementation over MPI is in mpi.hpp; tests
/// implement it over threads.
class process_group {
 public:
  virtual ~process_group() = default;
  /// This process's number, in [0, size()).
  [[nodiscard]] virtual int rank() const = 0;
  /// The number of processes.
  [[nodiscard]] virtual int size() const = 0;
  /// Collective: every process's `mine`, in rank order, returned on every process.
  [[nodiscard]] virtual std::vector<std::vector<double>> all_gather(const std::vector<double>& mine) const = 0;
};

/// The blocks [first, last) that process `rank` of `size` runs out of `blocks`: contiguous
/// shares whose sizes differ by at most one, so each process reads one run of the rows.
[[nodiscard]] inline std::pair<index, index> owned_blocks(index blocks, int rank, int size) {
  return {blocks * rank / size, blocks * (rank + 1) / size};
}

namespace detail {

/// What a process reports after its share of a pass: 0 when it succeeded, else the kind of
/// error it threw, so that every process throws the same kind.
enum class pass_status : int { ok = 0, numerical = 1, data = 2, other = 3 };

inline pass_status status_of(const std::exception_ptr& failure, std::string& message) {
  try {
    std::rethrow_exception(failure);
  } catch (const numerical_error& e) {
    message = e.what();
    return pass_status::numerical;
  } catch (const data_error& e) {
    message = e.what();
    return pass_status::data;
  } catch (const std::exception& e) {
    message = e.what();
    return pass_status::other;
  } catch (...) {
    message = "unknown failure";
    return pass_status::other;
  }
}

}  // namespace detail

/// Collective, after each process ran its own blocks of a pass into `partial` (one entry
/// per block; this process's are [owned_blocks)): fills every other block's entry from its
/// process. When some process failed (`failure` on it), every process throws: the first
/// failed process rethrows its own exception, the others an error of the same kind naming it.
template <class Acc>
void exchange_blocks(const process_group& group, std::vector<Acc>& partial, const std::exception_ptr& failure) {
  const index blocks = static_cast<index>(partial.size());
  const auto [first, last] = owned_blocks(blocks, group.rank(), group.size());
  std::vector<double> mine;
  std::string message;
  if (failure) {
    mine.push_back(static_cast<double>(detail::status_of(failure, message)));
    mine.insert(mine.end(), message.begin(), message.end());
  } else {
    mine.push_back(static_cast<double>(detail::pass_status::ok));
    for (index b = first; b < last; ++b) flatten(partial[static_cast<std::size_t>(b)], mine);
  }
  const std::vector<std::vector<double>> all = group.all_gather(mine);
  check_shape(static_cast<int>(all.size()) == group.size(), "exchange_blocks", "processes", all.size(),
              "one contribution per process");

  for (int p = 0; p < group.size(); ++p) {
    const auto status = static_cast<detail::pass_status>(all[p].at(0));
    if (status == detail::pass_status::ok) continue;
    if (p == group.rank()) std::rethrow_exception(failure);
    const std::string what =
        detail::concat("process ", p, " of ", group.size(), ": ", std::string(all[p].begin() + 1, all[p].end()));
    if (status == detail::pass_status::numerical) throw numerical_error(what);
    if (status == detail::pass_status::data) throw data_error(what);
    throw std::runtime_error(what);
  }
  for (int p = 0; p < group.size(); ++p) {
    if (p == group.rank()) continue;
    const auto [pf, pl] = owned_blocks(blocks, p, group.size());
    std::span<const double> in(all[p]);
    in = in.subspan(1);
    for (index b = pf; b < pl; ++b) unflatten(in, partial[static_cast<std::size_t>(b)]);
    check_shape(in.empty(), "exchange_blocks", "values left from process", p, "none");
  }
}

}  // namespace emkit
