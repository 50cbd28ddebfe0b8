#pragma once
/// \file
/// The in-memory data source: views of a matrix and its weights, no copies.

#include <emkit/framework/data/data_source.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

/// The rows of X (N×D) with weights w (N), read as views. Holds views: X and w must outlive
/// the source. Not copyable (a copy of an `Eigen::Ref` may point into the original's storage).
class memory_source {
 public:
  memory_source(matrix_ref X, vector_ref w) : X_(X), w_(w) {}
  memory_source(const memory_source&) = delete;
  memory_source& operator=(const memory_source&) = delete;

  [[nodiscard]] index rows() const { return X_.rows(); }
  [[nodiscard]] index cols() const { return X_.cols(); }
  [[nodiscard]] matrix_ref matrix() const { return X_; }
  [[nodiscard]] vector_ref weights() const { return w_; }

  /// Views of the rows of `r` and their weights.
  [[nodiscard]] chunk_view view(row_range r) const {
    return {X_.middleRows(r.begin, r.rows), w_.segment(r.begin, r.rows)};
  }

  /// Asks the processor to start loading the rows of `r` (clipped to the data) into cache, one
  /// prefetch per cache line of each column, without waiting for them.
  void prefetch(row_range r) const {
    const index end = std::min(r.begin + r.rows, X_.rows());
    constexpr index per_line = 64 / sizeof(double);
    for (index d = 0; d < X_.cols(); ++d) {
      const double* column = X_.col(d).data();
      for (index n = r.begin; n < end; n += per_line) __builtin_prefetch(column + n);
    }
  }

  /// Copies the rows of `r` into X and their weights into w.
  void read(row_range r, matrix_out X, vector_out w) const {
    X = X_.middleRows(r.begin, r.rows);
    w = w_.segment(r.begin, r.rows);
  }

 private:
  matrix_ref X_;
  vector_ref w_;
};

}  // namespace emkit
