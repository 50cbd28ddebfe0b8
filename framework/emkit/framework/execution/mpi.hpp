#pragma once
/// \file
/// The processes of an MPI communicator as a `process_group`: a fit with
/// `threads{.n = T, .processes = std::make_shared<emkit::mpi_process_group>()}` runs on every
/// rank, each rank computing its share of the blocks on T threads, and returns the serial
/// fit's bits on every rank. Needs an MPI implementation (`find_package(MPI)`, target
/// `MPI::MPI_CXX`); the rest of emkit does not.
///
///     emkit::mpi_session mpi(argc, argv);  // MPI_Init ... MPI_Finalize
///     emkit::fitter<emkit::soft_estep, emkit::kmeans_plus_plus, emkit::threads> f;
///     f.execution.processes = std::make_shared<emkit::mpi_process_group>();
///     auto [theta, summary] = f.fit(model, X, K);  // X: all rows, or see data sources

#include <mpi.h>

#include <limits>
#include <string>
#include <vector>

#include <emkit/framework/error.hpp>
#include <emkit/framework/execution/processes.hpp>

namespace emkit {

namespace detail {
/// Throws `error` naming the MPI call when `code` is not MPI_SUCCESS.
inline void check_mpi(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw error(detail::concat(call, " failed: ", std::string(text, static_cast<std::size_t>(length))));
}
}  // namespace detail

/// MPI initialised for the life of the object (MPI_Init_thread with MPI_THREAD_FUNNELED: only
/// the calling thread talks to MPI; the engine's worker threads never do), finalised after.
/// Does nothing when MPI was already initialised by someone else.
class mpi_session {
 public:
  mpi_session(int& argc, char**& argv) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized) return;
    int provided = 0;
    detail::check_mpi(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    owner_ = true;
  }
  mpi_session(const mpi_session&) = delete;
  mpi_session& operator=(const mpi_session&) = delete;
  ~mpi_session() {
    if (owner_) MPI_Finalize();
  }

 private:
  bool owner_ = false;
};

/// The ranks of `comm` (MPI_COMM_WORLD by default); all_gather is MPI_Allgather of the
/// sizes, then MPI_Allgatherv of the doubles.
class mpi_process_group final : public process_group {
 public:
  explicit mpi_process_group(MPI_Comm comm = MPI_COMM_WORLD) : comm_(comm) {
    detail::check_mpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
    detail::check_mpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
  }
  [[nodiscard]] int rank() const override { return rank_; }
  [[nodiscard]] int size() const override { return size_; }

  [[nodiscard]] std::vector<std::vector<double>> all_gather(const std::vector<double>& mine) const override {
    check_option(mine.size() <= static_cast<std::size_t>(std::numeric_limits<int>::max()), "mpi_process_group",
                 "values per process", mine.size(), "fewer than 2^31");
    const int count = static_cast<int>(mine.size());
    std::vector<int> counts(static_cast<std::size_t>(size_));
    detail::check_mpi(MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, comm_), "MPI_Allgather");
    std::vector<int> offsets(static_cast<std::size_t>(size_), 0);
    long long total = 0;
    for (int p = 0; p < size_; ++p) {
      offsets[static_cast<std::size_t>(p)] = static_cast<int>(total);
      total += counts[static_cast<std::size_t>(p)];
    }
    check_option(total <= std::numeric_limits<int>::max(), "mpi_process_group", "values in all", total,
                 "fewer than 2^31");
    std::vector<double> all(static_cast<std::size_t>(total));
    detail::check_mpi(
        MPI_Allgatherv(mine.data(), count, MPI_DOUBLE, all.data(), counts.data(), offsets.data(), MPI_DOUBLE, comm_),
        "MPI_Allgatherv");
    std::vector<std::vector<double>> out(static_cast<std::size_t>(size_));
    for (int p = 0; p < size_; ++p) {
      const auto begin = all.begin() + offsets[static_cast<std::size_t>(p)];
      out[static_cast<std::size_t>(p)].assign(begin, begin + counts[static_cast<std::size_t>(p)]);
    }
    return out;
  }

 private:
  MPI_Comm comm_;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace emkit
