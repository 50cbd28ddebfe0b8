#pragma once
/// \file
/// Weighted sums of the rows of a chunk grouped by a label per row: the statistics of a hard
/// assignment without a one-hot matrix.

#include <cstddef>
#include <span>

#include <Eigen/Core>

#include <emkit/framework/types.hpp>

namespace emkit {

/// S(k, ·) = Σ_{n : labels[n] = k} w_n (x_n − shift) for k < K, from a column-major chunk X.
///
/// The cost is O(N·D) whatever K, where a product with a one-hot N×K matrix costs O(N·K·D).
/// Blocks of P rows by P columns (P, the SIMD width) are loaded down the columns and transposed
/// in registers (Eigen's packet transpose, the one its matrix products pack with), and each
/// row is then added to its label's sums with one vector operation per P columns. Rows are
/// spread over four copies of the sums by their index (n mod 4), so that a run of rows with the
/// same label does not wait on its own previous store; the copies are added at the end in a
/// fixed order. The summation order depends on the row indices only, never on the chunk's
/// address or the thread. Measured at N = 10⁵ in chunks of 256, D = 16, K = 8: 0.8 ms,
/// against 1.2–1.3 ms for a row-major copy and a scalar loop and 1.8 ms for masked column sums.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"  // PacketBlock<__m512d>: as inside Eigen's own headers
#endif
[[nodiscard]] inline Eigen::MatrixXd sums_by_label(matrix_ref X, const Eigen::RowVectorXd& shift, vector_ref w,
                                                   std::span<const index> labels, index K) {
  namespace ei = Eigen::internal;
  using packet = ei::packet_traits<double>::type;
  constexpr int P = ei::packet_traits<double>::size;
  constexpr index copies = 4;
  const index N = X.rows(), D = X.cols();
  Eigen::MatrixXd sums = Eigen::MatrixXd::Zero(D, copies * K);  // column (n mod 4)·K + label: one copy's sums
  auto column_of = [&](index n) { return (n % copies) * K + labels[static_cast<std::size_t>(n)]; };
  const index full_rows = N / P * P, full_columns = D / P * P;
  for (index n = 0; n < full_rows; n += P) {
    for (index d = 0; d < full_columns; d += P) {
      ei::PacketBlock<packet, P> block;
      for (int j = 0; j < P; ++j)
        block.packet[j] = ei::psub(ei::ploadu<packet>(X.col(d + j).data() + n), ei::pset1<packet>(shift[d + j]));
      ei::ptranspose(block);  // block.packet[i]: row n + i, columns d … d + P − 1
      for (int i = 0; i < P; ++i) {
        double* s = sums.col(column_of(n + i)).data() + d;
        ei::pstoreu(s, ei::pmadd(ei::pset1<packet>(w[n + i]), block.packet[i], ei::ploadu<packet>(s)));
      }
    }
    for (index d = full_columns; d < D; ++d)
      for (index i = n; i < n + P; ++i) sums(d, column_of(i)) += w[i] * (X(i, d) - shift[d]);
  }
  for (index n = full_rows; n < N; ++n)
    for (index d = 0; d < D; ++d) sums(d, column_of(n)) += w[n] * (X(n, d) - shift[d]);
  Eigen::MatrixXd total(K, D);
  for (index k = 0; k < K; ++k)
    total.row(k) = ((sums.col(k) + sums.col(K + k)) + (sums.col(2 * K + k) + sums.col(3 * K + k))).transpose();
  return total;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

}  // namespace emkit
