#pragma once
// The adjusted Rand index of two partitions (Hubert & Arabie, 1985), from their contingency
// table: 1 for identical partitions (up to renaming the labels), about 0 for independent
// ones, negative when they agree less than chance.
//
//   ARI = (Σ_ij C(n_ij, 2) − E) / (½ [Σ_i C(a_i, 2) + Σ_j C(b_j, 2)] − E),
//   E   = Σ_i C(a_i, 2) Σ_j C(b_j, 2) / C(n, 2),
//
// with n_ij the number of items in cluster i of the first partition and j of the second, a_i
// and b_j the row and column sums. When the denominator is 0 (both partitions put everything
// in one cluster, or every item in its own), the partitions agree and the index is 1, as in
// scikit-learn's adjusted_rand_score.
#include <cstddef>
#include <map>
#include <stdexcept>
#include <utility>

namespace emkit::testing {

/// ARI of two labelings of the same items; labels are any integers (only equality matters).
/// A and B are indexable with size(), such as std::vector<int> or Eigen::VectorX<Eigen::Index>.
template <class A, class B>
double adjusted_rand_index(const A& a, const B& b) {
  const auto n = static_cast<std::size_t>(a.size());
  if (static_cast<std::size_t>(b.size()) != n) throw std::invalid_argument("adjusted_rand_index: sizes differ");
  std::map<long long, double> rows, cols;
  std::map<std::pair<long long, long long>, double> cells;
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = static_cast<long long>(a[static_cast<decltype(a.size())>(i)]);
    const auto y = static_cast<long long>(b[static_cast<decltype(b.size())>(i)]);
    rows[x] += 1;
    cols[y] += 1;
    cells[{x, y}] += 1;
  }
  auto pairs = [](double m) { return m * (m - 1) / 2; };
  double index = 0, sum_rows = 0, sum_cols = 0;
  for (const auto& [key, m] : cells) index += pairs(m);
  for (const auto& [key, m] : rows) sum_rows += pairs(m);
  for (const auto& [key, m] : cols) sum_cols += pairs(m);
  const double expected = n < 2 ? 0.0 : sum_rows * sum_cols / pairs(static_cast<double>(n));
  const double maximum = (sum_rows + sum_cols) / 2;
  if (maximum == expected) return 1.0;
  return (index - expected) / (maximum - expected);
}

}  // namespace emkit::testing
