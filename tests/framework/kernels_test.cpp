// The per-chunk numeric kernels against independent references: the vectorised block tests
// against entry-by-entry loops, the chunk mean and the batched squared distances (both the
// direct sums and the guarded expansion) and the sums by label against sums in long double;
// the hard E-step's labels, one-hot rows and totals against a plain argmax and log-sum-exp.
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include <emkit/framework/estep/hard_estep.hpp>
#include <emkit/framework/numeric/array_tests.hpp>
#include <emkit/framework/numeric/column_mean.hpp>
#include <emkit/framework/numeric/squared_distances.hpp>
#include <emkit/framework/numeric/sums_by_label.hpp>

namespace {

using emkit::index;

bool loop_all_finite(const Eigen::MatrixXd& x) {
  for (index j = 0; j < x.cols(); ++j)
    for (index i = 0; i < x.rows(); ++i)
      if (!std::isfinite(x(i, j))) return false;
  return true;
}

TEST(ArrayTests, AgreeWithEntryByEntryLoopsForEveryPlacementOfABadValue) {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::nan("");
  Eigen::MatrixXd x = Eigen::MatrixXd::Random(37, 5).array() + 2.0;  // 37 rows: not a multiple of a vector
  EXPECT_TRUE(emkit::all_finite(x));
  EXPECT_TRUE(emkit::all_positive(x));
  EXPECT_TRUE(emkit::all_finite(Eigen::MatrixXd(0, 3)));
  EXPECT_TRUE(emkit::all_positive(Eigen::VectorXd(0)));
  for (const double bad : {inf, -inf, nan}) {
    for (index j = 0; j < x.cols(); ++j) {
      for (index i = 0; i < x.rows(); ++i) {
        Eigen::MatrixXd y = x;
        y(i, j) = bad;
        ASSERT_EQ(emkit::all_finite(y), loop_all_finite(y)) << i << "," << j;
        Eigen::MatrixXd frame = Eigen::MatrixXd::Ones(x.rows() + 3, x.cols() + 2);
        frame.block(1, 1, x.rows(), x.cols()) = y;
        ASSERT_FALSE(emkit::all_finite(frame.block(1, 1, x.rows(), x.cols())));  // a strided view too
        if (!(bad > 0)) {
          ASSERT_FALSE(emkit::all_positive(y)) << i << "," << j << " " << bad;
        }
      }
    }
  }
  Eigen::VectorXd v = Eigen::VectorXd::Constant(9, 1.0);
  v[8] = 0.0;
  EXPECT_FALSE(emkit::all_positive(v));
  v[8] = 1e-300;
  EXPECT_TRUE(emkit::all_positive(v));
  const Eigen::ArrayXd a = Eigen::ArrayXd::LinSpaced(11, 0.0, 1.0);
  EXPECT_TRUE(emkit::all_less_equal(a, a));
  EXPECT_TRUE(emkit::all_less_equal(a, a + 1e-300));
  Eigen::ArrayXd b = a;
  b[10] = std::nextafter(b[10], 0.0);
  EXPECT_FALSE(emkit::all_less_equal(a, b));
}

TEST(ColumnMean, EqualsTheLongDoubleMeanOfAStridedChunk) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal(1e6, 3.0);
  Eigen::MatrixXd X(1000, 7);
  for (index i = 0; i < X.size(); ++i) X.data()[i] = normal(rng);
  const auto chunk = X.middleRows(123, 256);
  const Eigen::RowVectorXd m = emkit::column_mean(chunk);
  for (index d = 0; d < X.cols(); ++d) {
    long double s = 0;
    for (index n = 0; n < chunk.rows(); ++n) s += chunk(n, d);
    EXPECT_NEAR(m[d], static_cast<double>(s / chunk.rows()), 1e-15 * 1e6) << d;
  }
  EXPECT_EQ(emkit::column_mean(X.middleRows(0, 0)).size(), 7);
  // The bits do not depend on where the chunk sits: a copy (as a file reader or an online
  // batch makes) gives the same mean, whatever the copy's alignment relative to the original.
  for (const index begin : {0, 1, 3, 5, 123}) {
    const Eigen::MatrixXd copy = X.middleRows(begin, 301);
    EXPECT_EQ(emkit::column_mean(copy), emkit::column_mean(X.middleRows(begin, 301))) << begin;
  }
}

/// Σ_d P (x − μ)² in long double, the reference for both paths.
Eigen::MatrixXd reference_distances(const Eigen::MatrixXd& X, const Eigen::MatrixXd& M, const Eigen::MatrixXd& P) {
  Eigen::MatrixXd out(X.rows(), M.cols());
  for (index n = 0; n < X.rows(); ++n) {
    for (index k = 0; k < M.cols(); ++k) {
      long double s = 0;
      for (index d = 0; d < X.cols(); ++d) {
        const long double y = static_cast<long double>(X(n, d)) - M(d, k);
        s += static_cast<long double>(P.rows() == 1 ? P(0, k) : P(d, k)) * y * y;
      }
      out(n, k) = static_cast<double>(s);
    }
  }
  return out;
}

/// Rows from K well-separated clusters `gap` widths apart, one outlier at `outlier` in row 3,
/// and the centres (D×K) near the clusters.
struct distance_case {
  Eigen::MatrixXd X, M;
};

distance_case make_case(index N, index D, index K, double gap, double outlier, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  distance_case c{Eigen::MatrixXd(N, D), Eigen::MatrixXd(D, K)};
  for (index k = 0; k < K; ++k)
    for (index d = 0; d < D; ++d) c.M(d, k) = gap * static_cast<double>((k * 7 + d) % 5) + normal(rng);
  for (index n = 0; n < N; ++n)
    for (index d = 0; d < D; ++d) c.X(n, d) = c.M(d, n % K) + normal(rng);
  if (outlier != 0) c.X.row(3).setConstant(outlier);
  return c;
}

void expect_accurate(const distance_case& c, const Eigen::MatrixXd& P, const std::string& what) {
  Eigen::MatrixXd out(c.X.rows(), c.M.cols());
  emkit::scaled_squared_distances(c.X, c.M, P, out);
  const Eigen::MatrixXd exact = reference_distances(c.X, c.M, P);
  // The contract: within 2⁻⁴⁰ (plus a few ulp) of max(value, 1), whatever the data's offset.
  const Eigen::ArrayXXd error = (out - exact).array().abs();
  const Eigen::ArrayXXd allowed = 0x1p-39 * exact.array().max(1.0);
  index worst_n = 0, worst_k = 0;
  const double worst = (error / allowed).maxCoeff(&worst_n, &worst_k);
  EXPECT_LE(worst, 1.0) << what << ": entry (" << worst_n << ", " << worst_k << ") = " << out(worst_n, worst_k)
                        << ", exact " << exact(worst_n, worst_k);
  EXPECT_TRUE((out.array() >= 0).all()) << what;
}

TEST(SquaredDistances, BothPathsMeetTheAccuracyContractOnFarApartClustersAndOutliers) {
  // D·K = 128 takes the direct sums; D·K = 2560 the guarded expansion about the chunk mean.
  for (const auto& [D, K] : {std::pair<index, index>{16, 8}, {64, 40}}) {
    ASSERT_EQ(D * K <= emkit::detail::direct_distance_limit, D == 16);
    for (const double gap : {3.0, 1e5, 1e8}) {
      for (const double outlier : {0.0, 1e12}) {
        const distance_case c = make_case(300, D, K, gap, outlier, static_cast<unsigned>(D + K));
        const std::string what = "D = " + std::to_string(D) + ", K = " + std::to_string(K) + ", gap " +
                                 std::to_string(gap) + ", outlier " + std::to_string(outlier);
        expect_accurate(c, Eigen::MatrixXd::Ones(1, K), what + ", unit scale");
        expect_accurate(c, Eigen::MatrixXd::Random(1, K).array().abs() + 0.5, what + ", one scale per centre");
        expect_accurate(c, Eigen::MatrixXd::Random(D, K).array().abs() + 0.5, what + ", one scale per coordinate");
      }
    }
  }
}

TEST(SquaredDistances, WorkOnAStridedChunkAndAnOddNumberOfCentres) {
  // K = 7 and K = 13: blocks of eight (AVX-512) or four centres, then four, then single centres;
  // 129 rows: a tail for every block height. The output is a strided view whose surroundings
  // must stay untouched.
  for (const index K : {7, 13}) {
    const distance_case c = make_case(1000, 5, K, 4.0, 0.0, 11);
    const auto chunk = c.X.middleRows(250, 129);
    Eigen::MatrixXd big = Eigen::MatrixXd::Constant(200, K + 2, std::numeric_limits<double>::quiet_NaN());
    auto out = big.block(13, 1, 129, K);
    const Eigen::MatrixXd P = Eigen::MatrixXd::Ones(1, K);
    emkit::scaled_squared_distances(chunk, c.M, P, out);
    const Eigen::MatrixXd exact = reference_distances(chunk, c.M, P);
    EXPECT_LE((Eigen::MatrixXd(out) - exact).cwiseAbs().maxCoeff(), 1e-12 * exact.maxCoeff()) << K;
    out.setConstant(std::numeric_limits<double>::quiet_NaN());
    EXPECT_TRUE(big.array().isNaN().all()) << "K = " << K << ": an entry outside the output view was written";
  }
  const distance_case c = make_case(1000, 5, 7, 4.0, 0.0, 11);
  const Eigen::MatrixXd P = Eigen::MatrixXd::Ones(1, 7);
  const Eigen::MatrixXd empty(0, 5);
  Eigen::MatrixXd none(0, 7);
  emkit::scaled_squared_distances(empty, c.M, P, none);
  EXPECT_EQ(none.rows(), 0);
}

TEST(SumsByLabel, EqualTheLongDoubleMomentsOfEachLabelsRows) {
  // Row and column counts that leave tails for every SIMD width (2, 4, 8), a strided view, weights
  // of zero, a label no row has, no rows at all, and a shift of its own for each label.
  std::mt19937_64 rng(5);
  for (const auto& [N, D] : {std::pair<index, index>{37, 11}, {256, 16}, {5, 3}, {9, 1}, {0, 4}}) {
    const index K = 5;
    Eigen::MatrixXd frame = Eigen::MatrixXd::Random(N + 4, D + 3).array() * 10.0 + 1e3;
    const auto X = frame.block(2, 1, N, D);
    Eigen::VectorXd w = (Eigen::VectorXd::Random(N).array() + 1.0) / 2.0;
    if (N > 2) w[2] = 0.0;
    std::vector<index> labels(static_cast<std::size_t>(N));
    for (auto& l : labels) l = static_cast<index>(rng() % 4);  // label 4 stays empty
    const Eigen::MatrixXd shifts = Eigen::MatrixXd::Constant(D, K, 1e3) + Eigen::MatrixXd::Random(D, K) * 5.0;
    const emkit::label_sums sums = emkit::sums_by_label(X, shifts, w, labels);
    ASSERT_EQ(sums.first.rows(), K);
    ASSERT_EQ(sums.second.cols(), D);
    ASSERT_EQ(sums.weight.size(), K);
    for (index k = 0; k < K; ++k) {
      long double weight = 0;
      for (index n = 0; n < N; ++n)
        if (labels[static_cast<std::size_t>(n)] == k) weight += w[n];
      EXPECT_NEAR(sums.weight[k], static_cast<double>(weight), 1e-15 * N) << "N " << N << ", label " << k;
      for (index d = 0; d < D; ++d) {
        long double first = 0, size = 0, second = 0;
        for (index n = 0; n < N; ++n) {
          if (labels[static_cast<std::size_t>(n)] != k) continue;
          const long double y = static_cast<long double>(X(n, d)) - shifts(d, k);
          first += w[n] * y;
          size += std::abs(w[n] * y);
          second += w[n] * y * y;
        }
        EXPECT_NEAR(sums.first(k, d), static_cast<double>(first), 1e-14 * static_cast<double>(size) + 1e-300)
            << "N " << N << ", D " << D << ", label " << k << ", column " << d;
        EXPECT_NEAR(sums.second(k, d), static_cast<double>(second), 1e-14 * static_cast<double>(second) + 1e-300)
            << "N " << N << ", D " << D << ", label " << k << ", column " << d;
      }
    }
  }
}

TEST(HardEstep, LabelsAndOneHotRowsAreTheArgmaxAndTotalsTheLogSumExp) {
  // Ties (equal entries) go to the lowest index.
  Eigen::MatrixXd L = Eigen::MatrixXd::Random(21, 6) * 5.0;
  L(3, 4) = L(3, 1) = L.row(3).maxCoeff() + 1.0;
  L.row(7).setConstant(-2.0);
  const Eigen::VectorXd w = (Eigen::VectorXd::Random(21).array() + 1.5) / 2.0;
  const emkit::hard_estep estep;
  std::vector<index> labels(21);
  emkit::estep_totals by_label, by_posterior;
  EXPECT_TRUE(estep.assign(L, w, labels, by_label));  // every row has a posterior
  Eigen::MatrixXd R = L;
  estep.posterior(R, w, by_posterior);
  for (index n = 0; n < L.rows(); ++n) {
    index best = 0;
    for (index k = 1; k < L.cols(); ++k)
      if (L(n, k) > L(n, best)) best = k;
    EXPECT_EQ(labels[static_cast<std::size_t>(n)], best) << n;
    EXPECT_EQ(R(n, best), 1.0) << n;
    EXPECT_EQ(R.row(n).sum(), 1.0) << n;
  }
  EXPECT_EQ(labels[3], 1);
  EXPECT_EQ(labels[7], 0);
  double ll = 0, classification = 0;
  for (index n = 0; n < L.rows(); ++n) {
    ll += w[n] * std::log(L.row(n).array().exp().sum());
    classification += w[n] * L.row(n).maxCoeff();
  }
  for (const emkit::estep_totals& t : {by_label, by_posterior}) {
    EXPECT_NEAR(t.log_likelihood.value(), ll, 1e-12 * std::abs(ll));
    EXPECT_NEAR(t.objective.value(), classification, 1e-12 * std::abs(classification));
  }
}

TEST(HardEstep, AssignReportsEveryRowWithoutAPosterior) {
  // assign returns false for a block with a row of −∞ (its max is −∞) or a NaN in any column (its
  // log-sum-exp is NaN), whatever the row's weight: the engine then runs the full check, which
  // throws for a row of positive weight. 19 rows, so that both SIMD blocks and the tail are seen.
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  const emkit::hard_estep estep;
  for (index row : {0, 8, 18}) {
    for (index column : {0, 3}) {
      for (const double bad : {-inf, nan}) {
        Eigen::MatrixXd L = Eigen::MatrixXd::Random(19, 5) * 3.0;
        if (bad == -inf) {
          L.row(row).setConstant(-inf);
        } else {
          L(row, column) = bad;
        }
        Eigen::VectorXd w = Eigen::VectorXd::Ones(19);
        w[row] = column == 0 ? 0.0 : 1.0;  // a weight of 0 does not hide the row from the report
        std::vector<index> labels(19);
        emkit::estep_totals totals;
        EXPECT_FALSE(estep.assign(L, w, labels, totals)) << "row " << row << ", column " << column << ", " << bad;
        for (const index l : labels) EXPECT_TRUE(l >= 0 && l < 5);
      }
    }
  }
}

}  // namespace
