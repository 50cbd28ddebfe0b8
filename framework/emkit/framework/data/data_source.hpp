#pragma once
/// \file
/// DataSource: where the rows of a fit come from. The engine never needs all N rows at once:
/// every pass reads fixed chunks of rows (`row_range`), so a source may be a matrix in memory
/// or a file read chunk by chunk on every pass, and the fit is the same either way.

#include <concepts>

#include <Eigen/Core>

#include <emkit/framework/execution/row_blocks.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

/// Writable view of a vector (the weights of a chunk being read).
using vector_out = Eigen::Ref<Eigen::VectorXd>;

/// The rows of one chunk and their weights: views, valid while the source (for an in-memory
/// source) or the `chunk_buffer` that read them (for a file) is alive and unchanged.
struct chunk_view {
  matrix_ref X;  ///< rows × D
  vector_ref w;  ///< rows
};

/// A source of N×D observations with one non-negative weight each:
/// - `rows()`, `cols()`: N and D;
/// - `read(range, X, w)`: writes the rows [range.begin, range.begin + range.rows) into X
///   (range.rows × D, any outer stride) and their weights into w; throws `data_error` naming
///   the file, row and column of a value it cannot read. It must be safe to call concurrently
///   for different ranges (file sources use `pread`, so there is no shared file position).
template <class S>
concept DataSource = requires(const S& s, row_range r, matrix_out X, vector_out w) {
  { s.rows() } -> std::convertible_to<index>;
  { s.cols() } -> std::convertible_to<index>;
  s.read(r, X, w);
};

/// A source whose rows are already in memory: `view(range)` returns views of them with no
/// copy, and `matrix()`/`weights()` the whole data (for data-only caches computed once).
template <class S>
concept InMemoryDataSource = DataSource<S> && requires(const S& s, row_range r) {
  { s.view(r) } -> std::same_as<chunk_view>;
  { s.matrix() } -> std::convertible_to<matrix_ref>;
  { s.weights() } -> std::convertible_to<vector_ref>;
};

}  // namespace emkit
