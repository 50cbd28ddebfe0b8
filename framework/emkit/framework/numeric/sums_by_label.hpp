#pragma once
/// \file
/// Weighted sums of the rows of a chunk grouped by a label per row: the statistics of a hard
/// assignment without a one-hot matrix.

#include <algorithm>
#include <cstddef>
#include <span>

#include <Eigen/Core>

#include <emkit/framework/types.hpp>

namespace emkit {

/// The weighted first and second moments of each label's rows about that label's shift c_k.
struct label_sums {
  Eigen::MatrixXd first;   ///< K×D: Σ_{n : labels[n] = k} w_n (x_nd − c_kd)
  Eigen::MatrixXd second;  ///< K×D: Σ_{n : labels[n] = k} w_n (x_nd − c_kd)²
  Eigen::VectorXd weight;  ///< K: Σ_{n : labels[n] = k} w_n
};

/// The sums of `label_sums` for the labels k < K = shifts.cols(), from a column-major chunk X,
/// each label's rows about its own shift c_k = shifts.col(k) (D×K: the component centres the
/// labels were assigned by, so that the deviations are small). One label per row, each in
/// [0, K) (checked by `eigen_assert`).
///
/// The cost is O(N·D) whatever K, where a product with a one-hot N×K matrix costs O(N·K·D).
/// Blocks of P rows by P columns (P, the SIMD width) are loaded down the columns and transposed
/// in registers (Eigen's packet transpose, the one its matrix products pack with), and each
/// row is then added to its label's sums with one vector operation per P columns for each
/// moment. Rows are spread over four copies of the sums by their index (n mod 4), so that a
/// run of rows with the same label does not wait on its own previous store; the copies are
/// added at the end in a fixed order. The summation order depends on the row indices only,
/// never on the chunk's address or the thread. Measured for the first moments alone at
/// N = 10⁵ in chunks of 256, D = 16, K = 8: 0.8 ms, against 1.2–1.3 ms for a row-major copy and
/// a scalar loop and 1.8 ms for masked column sums.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"  // PacketBlock<__m512d>: as inside Eigen's own headers
#endif
[[nodiscard]] inline label_sums sums_by_label(matrix_ref X, const Eigen::MatrixXd& shifts, vector_ref w,
                                              std::span<const index> labels) {
  namespace ei = Eigen::internal;
  using packet = ei::packet_traits<double>::type;
  constexpr int P = ei::packet_traits<double>::size;
  constexpr index copies = 4;
  const index N = X.rows(), D = X.cols(), K = shifts.cols();
  eigen_assert(shifts.rows() == D);
  eigen_assert(static_cast<index>(labels.size()) == N);
  eigen_assert(std::all_of(labels.begin(), labels.end(), [K](index l) { return l >= 0 && l < K; }));
  // Column (n mod 4)·K + label holds one copy's sums.
  Eigen::MatrixXd first = Eigen::MatrixXd::Zero(D, copies * K), second = Eigen::MatrixXd::Zero(D, copies * K);
  Eigen::VectorXd weight = Eigen::VectorXd::Zero(copies * K);
  auto column_of = [&](index n) { return (n % copies) * K + labels[static_cast<std::size_t>(n)]; };
  auto add_entry = [&](index n, index d) {
    const double y = X(n, d) - shifts(d, labels[static_cast<std::size_t>(n)]);
    first(d, column_of(n)) += w[n] * y;
    second(d, column_of(n)) += w[n] * (y * y);
  };
  const index full_rows = N / P * P, full_columns = D / P * P;
  for (index n = 0; n < full_rows; n += P) {
    for (index d = 0; d < full_columns; d += P) {
      ei::PacketBlock<packet, P> block;
      for (int j = 0; j < P; ++j) block.packet[j] = ei::ploadu<packet>(X.col(d + j).data() + n);
      ei::ptranspose(block);  // block.packet[i]: row n + i, columns d … d + P − 1
      for (int i = 0; i < P; ++i) {
        const double* c = shifts.col(labels[static_cast<std::size_t>(n + i)]).data() + d;
        const packet wn = ei::pset1<packet>(w[n + i]), y = ei::psub(block.packet[i], ei::ploadu<packet>(c));
        double* s1 = first.col(column_of(n + i)).data() + d;
        double* s2 = second.col(column_of(n + i)).data() + d;
        ei::pstoreu(s1, ei::pmadd(wn, y, ei::ploadu<packet>(s1)));
        ei::pstoreu(s2, ei::pmadd(wn, ei::pmul(y, y), ei::ploadu<packet>(s2)));
      }
    }
    for (index d = full_columns; d < D; ++d)
      for (index i = n; i < n + P; ++i) add_entry(i, d);
  }
  for (index n = full_rows; n < N; ++n)
    for (index d = 0; d < D; ++d) add_entry(n, d);
  for (index n = 0; n < N; ++n) weight[column_of(n)] += w[n];
  label_sums out{Eigen::MatrixXd(K, D), Eigen::MatrixXd(K, D), Eigen::VectorXd(K)};
  for (index k = 0; k < K; ++k) {
    const index c0 = k, c1 = K + k, c2 = 2 * K + k, c3 = 3 * K + k;
    out.first.row(k) = ((first.col(c0) + first.col(c1)) + (first.col(c2) + first.col(c3))).transpose();
    out.second.row(k) = ((second.col(c0) + second.col(c1)) + (second.col(c2) + second.col(c3))).transpose();
    out.weight[k] = (weight[c0] + weight[c1]) + (weight[c2] + weight[c3]);
  }
  return out;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

}  // namespace emkit
