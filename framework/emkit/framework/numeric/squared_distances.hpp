#pragma once
/// \file
/// Squared distances of every row of a chunk to every component centre, the inner kernel of
/// the Gaussian and K-means densities: summed directly for few centre coordinates, else by
/// matrix products with a bound on their rounding error that sends the entries the expansion
/// cannot resolve to a direct sum.

#include <algorithm>
#include <cmath>
#include <limits>

#include <Eigen/Core>

#include <emkit/framework/numeric/array_tests.hpp>
#include <emkit/framework/numeric/column_mean.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

namespace detail {
/// The expansion's rounding error is estimated as `expansion_ulps`·ε·(‖x − c‖² + ‖μ − c‖²); an
/// entry is recomputed directly when that exceeds `expansion_tolerance` of its value. 2⁻⁴⁰ of a
/// squared distance in units of the variance is at most 5e-13 in a log density.
inline constexpr double expansion_ulps = 8.0;
inline constexpr double expansion_tolerance = 0x1p-40;

/// True when an entry computed with the absolute error bound `bound` is not accurate to
/// `expansion_tolerance` of max(value, floor); also true for NaN or an overflow.
inline bool expansion_inaccurate(double bound, double value, double floor) {
  return !(bound <= expansion_tolerance * std::max(value, floor));
}

/// Up to this many centre coordinates (D·K), `scaled_squared_distances` sums the squares
/// directly rather than expanding them. Measured with the earlier direct kernel (four centres
/// per sweep, adding into the output in memory); the register-blocked one is faster, so the
/// limit is conservative and was not re-measured. Distances alone, N = 10⁵ in chunks of 256 (each chunk
/// read once before the timed call), one thread of a 2-core AVX-512 machine, direct against
/// expansion: 0.8–0.95 against 1.3–1.9 ms at D = 16, K = 8; 3.0 against 3.7 at D = 32, K = 16;
/// 3.3 against 4.7 at D = 64, K = 8; at D·K = 1024, 5.5–5.9 against 5.7–6.6; at D = 32, K = 64,
/// 11.5 against 9.9.
inline constexpr index direct_distance_limit = 1024;

/// Columns k … k + Centres − 1 of `direct_squared_distances`: for each block of `Rows` rows the
/// Rows × Centres sums stay in registers while d runs down the columns (one vector load of x per
/// column for all the block's centres), and are stored once; the last N mod Rows rows one entry
/// at a time, in the same order over d.
template <int Rows, int Centres, class Scale>
void direct_distance_block(matrix_ref X, const Eigen::MatrixXd& M, Scale& scale, index k, matrix_out out) {
  using rows_array = Eigen::Array<double, Rows, 1>;
  const index N = X.rows(), D = X.cols();
  index n = 0;
  for (; n + Rows <= N; n += Rows) {
    rows_array sum[Centres];
    for (auto& s : sum) s.setZero();
    for (index d = 0; d < D; ++d) {
      const rows_array x = Eigen::Map<const rows_array>(X.col(d).data() + n);
      for (int j = 0; j < Centres; ++j) {
        const rows_array v = x - M(d, k + j);
        sum[j] += scale(d, k + j) * (v * v);
      }
    }
    for (int j = 0; j < Centres; ++j) Eigen::Map<rows_array>(out.col(k + j).data() + n) = sum[j];
  }
  for (; n < N; ++n) {
    for (int j = 0; j < Centres; ++j) {
      double sum = 0.0;
      for (index d = 0; d < D; ++d) sum += scale(d, k + j) * ((X(n, d) - M(d, k + j)) * (X(n, d) - M(d, k + j)));
      out(n, k + j) = sum;
    }
  }
}

/// out(n, k) = Σ_d s(d, k) (x_nd − M(d, k))², summed directly (exact to rounding, whatever the
/// data's offset), with s = `scale(d, k)`. Register-blocked (`direct_distance_block`) with
/// blocks sized to the SIMD registers: 2P rows by 8 centres where a vector holds P = 8 doubles
/// (32 registers, AVX-512), 2P rows by 4 centres otherwise, then 4 and one centre at a time. Every
/// entry is summed over d in order (rows past the last full block one at a time, where the
/// compiler may fuse multiply and add differently, so they can differ in the last bit; the
/// chunking, and so the result, never depends on the thread count). Per 10⁵ rows at
/// D = 16, K = 8 on AVX-512, chunks read once before: 0.41–0.51 ms with 16 × 8 blocks, 0.57–0.66
/// with 8 × 4; the earlier form, which added each column into the output in memory, took
/// 0.9–1.6 ms, varying with where the buffers fell relative to 4 KiB (its loads of x waited on
/// the stores to the output).
template <class Scale>
void direct_squared_distances(matrix_ref X, const Eigen::MatrixXd& M, Scale&& scale, matrix_out out) {
  constexpr int P = Eigen::internal::packet_traits<double>::size;
  constexpr int rows = 2 * P, centres = P >= 8 ? 8 : 4;
  const index K = M.cols();
  index k = 0;
  for (; k + centres <= K; k += centres) direct_distance_block<rows, centres>(X, M, scale, k, out);
  if constexpr (centres > 4) {
    if (k + 4 <= K) direct_distance_block<rows, 4>(X, M, scale, k, out), k += 4;
  }
  for (; k < K; ++k) direct_distance_block<rows, 1>(X, M, scale, k, out);
}

}  // namespace detail

/// out(n, k) = Σ_d P(d, k) (x_nd − M(d, k))² for the rows x_n of X and centres M (D×K), with
/// non-negative scales P: D×K (one per column and component: a diagonal precision) or 1×K (one
/// per component: a spherical precision, or 1 for plain distances).
///
/// With few centre coordinates (D·K ≤ `detail::direct_distance_limit`) the squares are summed
/// directly, which is exact and, at those sizes, faster. Otherwise two matrix products expand
/// the square about the chunk's mean row c:
/// ‖x − μ‖²_P = ‖x − c‖²_P − 2 (x − c)·P(μ − c) + ‖μ − c‖²_P, which cancels when the rows are
/// far from c relative to their distance to μ (clusters far apart relative to their width, or
/// one outlier pulling c). Each entry's rounding error is bounded by a few ulp of
/// ‖x − c‖²_P + ‖μ − c‖²_P; where that exceeds 2⁻⁴⁰ of max(value, `floor`), the entry is
/// recomputed directly as Σ_d P (x − μ)². `floor` is one unit of the caller's scale (1 for
/// distances in units of the variance), below which an absolute error of 2⁻⁴⁰ is enough.
/// Well-conditioned chunks take the matrix-product path alone.
inline void scaled_squared_distances(matrix_ref X, const Eigen::MatrixXd& M, const Eigen::MatrixXd& P, matrix_out out,
                                     double floor = 1.0) {
  const index K = M.cols();
  if (X.rows() == 0) return;
  const index N = X.rows();
  const bool per_component = P.rows() == 1;
  if (X.cols() * K <= detail::direct_distance_limit) {
    if (per_component) {
      // One scale per centre multiplies the sum once, not each of its D terms (at D = 16,
      // K = 8, 0.6 against 1.0 ms per 10⁵ rows); a scale of 1 (K-means) leaves the bits alone.
      // A sum beyond the largest double with a scale below 1 now overflows where the scaled
      // terms might not have: squared distances near 1e308, which the fit reports as rows
      // without a posterior.
      detail::direct_squared_distances(
          X, M, [](index, index) { return 1.0; }, out);
      for (index k = 0; k < K; ++k) out.col(k) *= P(0, k);
    } else {
      detail::direct_squared_distances(
          X, M, [&](index d, index k) { return P(d, k); }, out);
    }
    return;
  }
  const Eigen::RowVectorXd shift = column_mean(X);
  const Eigen::MatrixXd Xs = X.rowwise() - shift;
  const Eigen::MatrixXd Ms = M.colwise() - shift.transpose();
  const Eigen::MatrixXd scaled = per_component ? Eigen::MatrixXd(Ms * P.row(0).asDiagonal()) : Ms.cwiseProduct(P);
  const Eigen::RowVectorXd centre_norms = Ms.cwiseProduct(scaled).colwise().sum();
  out.noalias() = -2.0 * Xs * scaled;
  // ‖x − c‖²_P for each row: one column for a spherical scale (times P(0, k)), K for a diagonal one.
  const Eigen::MatrixXd row_norms =
      per_component ? Eigen::MatrixXd(Xs.rowwise().squaredNorm()) : Eigen::MatrixXd(Xs.array().square().matrix() * P);
  auto row_norm = [&](index n, index k) { return per_component ? P(0, k) * row_norms(n, 0) : row_norms(n, k); };
  // Column by column: assemble the expansion and test the guard, vectorised; the direct sums
  // run only where it fires.
  const double ulps = detail::expansion_ulps * std::numeric_limits<double>::epsilon();
  Eigen::ArrayXd bound(N);
  bool all_accurate = true;
  for (index k = 0; k < K; ++k) {
    if (per_component) {
      bound = P(0, k) * row_norms.col(0).array() + centre_norms[k];
    } else {
      bound = row_norms.col(k).array() + centre_norms[k];
    }
    out.col(k).array() += bound;
    bound *= ulps;
    all_accurate = all_accurate && all_finite(out.col(k)) &&
                   all_less_equal(bound, detail::expansion_tolerance * out.col(k).array().max(floor));
  }
  if (!all_accurate) {
    for (index k = 0; k < K; ++k) {
      for (index n = 0; n < N; ++n) {
        if (!detail::expansion_inaccurate(ulps * (row_norm(n, k) + centre_norms[k]), out(n, k), floor)) continue;
        const Eigen::ArrayXd y2 = (X.row(n).transpose() - M.col(k)).array().square();
        out(n, k) = per_component ? P(0, k) * y2.sum() : (y2 * P.col(k).array()).sum();
      }
    }
  }
  out = out.cwiseMax(0.0);  // rounding can leave a tiny negative value where x_n = μ_k
}

}  // namespace emkit
