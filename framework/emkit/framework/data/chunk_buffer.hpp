#pragma once
/// \file
/// A caller-owned buffer that a chunk of a source is read into.

#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include <emkit/framework/data/data_source.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

/// Storage for one chunk of a source, and `read`, which returns views of the chunk: of the
/// source itself when it is in memory (no copy), else of this buffer, which the source fills.
///
/// The buffer lays a chunk out as it lies inside an N-row column-major matrix: each column
/// starts at the same address modulo 64 bytes as column j of rows [begin, ...) of an aligned
/// N×D matrix. Eigen's vectorised reductions split a column at its first aligned element, so
/// this alignment, not only the values, decides the rounding of a sum; with it, a chunk read
/// from a file gives bit for bit the results of the same chunk viewed in memory.
class chunk_buffer {
 public:
  /// The rows of `r` and their weights.
  template <DataSource S>
  [[nodiscard]] chunk_view read(const S& source, row_range r) {
    if constexpr (InMemoryDataSource<S>) {
      return source.view(r);
    } else {
      const index n = source.rows();
      Eigen::Map<Eigen::MatrixXd, 0, Eigen::OuterStride<>> X = place(x_, r, n, source.cols());
      Eigen::Map<Eigen::MatrixXd, 0, Eigen::OuterStride<>> w = place(w_, r, n, 1);
      source.read(r, X, w.col(0));
      return {X, w.col(0)};
    }
  }

  /// A copy of `cache` (the data-only cache of the chunk `r` of an N-row source) laid out as
  /// its rows lie in the cache of all N rows; a view of it.
  [[nodiscard]] matrix_ref hold_cache(const Eigen::MatrixXd& cache, row_range r, index n) {
    Eigen::Map<Eigen::MatrixXd, 0, Eigen::OuterStride<>> C = place(c_, r, n, cache.cols());
    C = cache;
    return C;
  }

 private:
  static constexpr index align_doubles = 8;  // 64 bytes: the widest vector alignment Eigen uses

  static Eigen::Map<Eigen::MatrixXd, 0, Eigen::OuterStride<>> place(std::vector<double>& storage, row_range r, index n,
                                                                    index cols) {
    // In an N-row matrix, element (begin, j) is at begin + j·N; match both modulo 8 doubles.
    const index stride = r.rows + (((n - r.rows) % align_doubles) + align_doubles) % align_doubles;
    const index phase = r.begin % align_doubles;
    storage.resize(static_cast<std::size_t>(align_doubles + phase + stride * cols));
    const auto address = reinterpret_cast<std::uintptr_t>(storage.data());
    const index to_aligned = static_cast<index>((64 - address % 64) % 64 / sizeof(double));
    return {storage.data() + to_aligned + phase, r.rows, cols, Eigen::OuterStride<>(stride)};
  }

  std::vector<double> x_, w_, c_;
};

}  // namespace emkit
