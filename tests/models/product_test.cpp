// The product family over blocks of columns: the conformance suite on mixed Gaussian, Poisson
// and Bernoulli columns, log densities that add, statistics that merge block by block, the
// optional hooks, recovery of well-separated mixed clusters (adjusted Rand index), the layout
// and its parser, and data validation that names the data's column.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/math/distributions/bernoulli.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/poisson.hpp>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/poisson_distribution.hpp>
#include <boost/random/uniform_01.hpp>
#include <boost/random/uniform_int_distribution.hpp>

#include <emkit/emkit.hpp>
#include <emkit/models/bernoulli.hpp>
#include <emkit/models/poisson.hpp>
#include <emkit/models/product.hpp>
#include <emkit/testing/monitor_passed.hpp>

#include <emkit/testing/conformance.hpp>
#include "support/adjusted_rand_index.hpp"
#include "support/data.hpp"

namespace {

using emkit::index;
using mixed = emkit::mixed_product;  // product<gaussian, poisson, bernoulli>
using mixed_mixture = emkit::mixture<mixed>;

/// A known mixture on 10 columns: 0–1 Gaussian (independent), 2–4 Poisson, 5–9 Bernoulli.
struct known_mixed_mixture {
  Eigen::VectorXd weights;
  Eigen::MatrixXd means, sds;     // K×2
  Eigen::MatrixXd rates;          // K×3
  Eigen::MatrixXd probabilities;  // K×5

  [[nodiscard]] Eigen::MatrixXd centres() const {  // K×10, the per-column means
    Eigen::MatrixXd c(weights.size(), 10);
    c << means, rates, probabilities;
    return c;
  }
};

/// Distinct but overlapping components, for the conformance suite.
known_mixed_mixture three_mixed_profiles() {
  known_mixed_mixture m;
  m.weights = Eigen::Vector3d(0.45, 0.35, 0.2);
  m.means.resize(3, 2);
  m.means << 0.0, 0.0, 6.0, 1.0, 2.0, 7.0;
  m.sds.resize(3, 2);
  m.sds << 1.0, 0.7, 0.8, 1.2, 0.6, 0.6;
  m.rates.resize(3, 3);
  m.rates << 2.0, 8.0, 20.0, 10.0, 3.0, 5.0, 25.0, 15.0, 2.0;
  m.probabilities.resize(3, 5);
  m.probabilities << 0.9, 0.8, 0.2, 0.1, 0.7,  //
      0.2, 0.1, 0.9, 0.8, 0.3,                 //
      0.7, 0.2, 0.3, 0.9, 0.9;
  return m;
}

/// Well-separated components: every block alone nearly identifies the cluster.
known_mixed_mixture well_separated_profiles() {
  known_mixed_mixture m;
  m.weights = Eigen::Vector3d(0.4, 0.35, 0.25);
  m.means.resize(3, 2);
  m.means << 0.0, 0.0, 10.0, 0.0, 5.0, 9.0;
  m.sds.resize(3, 2);
  m.sds << 1.0, 1.0, 1.2, 0.8, 0.9, 1.1;
  m.rates.resize(3, 3);
  m.rates << 1.0, 15.0, 30.0, 20.0, 2.0, 8.0, 40.0, 30.0, 1.0;
  m.probabilities.resize(3, 5);
  m.probabilities << 0.95, 0.9, 0.05, 0.1, 0.9,  //
      0.05, 0.1, 0.95, 0.9, 0.1,                 //
      0.9, 0.05, 0.1, 0.95, 0.95;
  return m;
}

/// n draws from `m` (and their labels), made with Boost.Random directly (not emkit's sampler).
Eigen::MatrixXd draw_mixed(const known_mixed_mixture& m, index n, unsigned seed, std::vector<int>* labels = nullptr) {
  boost::random::mt19937 rng(seed);
  boost::random::uniform_01<double> uniform;
  boost::random::normal_distribution<double> normal;
  Eigen::MatrixXd X(n, 10);
  if (labels) labels->assign(static_cast<std::size_t>(n), 0);
  for (index i = 0; i < n; ++i) {
    double u = uniform(rng), acc = 0.0;
    int k = 0;
    for (; k + 1 < m.weights.size(); ++k) {
      acc += m.weights[k];
      if (u < acc) break;
    }
    for (index d = 0; d < 2; ++d) X(i, d) = m.means(k, d) + m.sds(k, d) * normal(rng);
    for (index d = 0; d < 3; ++d) {
      boost::random::poisson_distribution<int, double> poisson(m.rates(k, d));
      X(i, 2 + d) = poisson(rng);
    }
    for (index d = 0; d < 5; ++d) X(i, 5 + d) = uniform(rng) < m.probabilities(k, d) ? 1.0 : 0.0;
    if (labels) (*labels)[static_cast<std::size_t>(i)] = k;
  }
  return X;
}

/// The layout of the tests: gaussian-diag on 0–1, poisson on 2–4, bernoulli on 5–9.
mixed mixed_family(double reg_covar) {
  return emkit::make_product(
      emkit::on_columns(emkit::gaussian{.covariance = emkit::covariance_type::diagonal, .reg_covar = reg_covar}, 0, 2),
      emkit::on_columns(emkit::poisson{}, 2, 3), emkit::on_columns(emkit::bernoulli{}, 5, 5));
}

const emkit::gaussian_params& gaussian_block(const mixed::params_type& p) { return std::get<0>(p.blocks[0]); }
const emkit::poisson_params& poisson_block(const mixed::params_type& p) { return std::get<1>(p.blocks[1]); }
const emkit::bernoulli_params& bernoulli_block(const mixed::params_type& p) { return std::get<2>(p.blocks[2]); }

/// Σ of Boost.Math log pdfs: normal on 0–1, Poisson on 2–4, Bernoulli on 5–9.
double reference_log_pdf(const mixed::params_type& p, const Eigen::VectorXd& x) {
  const auto& g = gaussian_block(p);
  double sum = 0.0;
  for (index d = 0; d < 2; ++d)
    sum +=
        std::log(boost::math::pdf(boost::math::normal_distribution<>(g.mean[d], std::sqrt(g.covariance(d, d))), x[d]));
  for (index d = 0; d < 3; ++d)
    sum += std::log(boost::math::pdf(boost::math::poisson_distribution<>(poisson_block(p).rates[d]), x[2 + d]));
  for (index d = 0; d < 5; ++d)
    sum += std::log(
        boost::math::pdf(boost::math::bernoulli_distribution<>(bernoulli_block(p).probabilities[d]), x[5 + d]));
  return sum;
}

/// Params of the test layout from block parameters.
mixed::params_type make_params(emkit::gaussian_params g, emkit::poisson_params r, emkit::bernoulli_params b) {
  mixed::params_type p;
  p.blocks.emplace_back(std::in_place_index<0>, std::move(g));
  p.blocks.emplace_back(std::in_place_index<1>, std::move(r));
  p.blocks.emplace_back(std::in_place_index<2>, std::move(b));
  return p;
}

/// The components of a known mixture as product parameters.
std::vector<mixed::params_type> true_params(const known_mixed_mixture& m) {
  std::vector<mixed::params_type> out;
  for (index k = 0; k < m.weights.size(); ++k) {
    out.push_back(make_params(
        emkit::gaussian_params::from_variances(m.means.row(k).transpose(), m.sds.row(k).transpose().cwiseAbs2()),
        emkit::poisson_params::from(m.rates.row(k).transpose()),
        emkit::bernoulli_params::from(m.probabilities.row(k).transpose())));
  }
  return out;
}

struct product_traits {
  using family_type = mixed;
  static constexpr int K = 3;
  static family_type family() { return mixed_family(0.0); }
  // Random starts can collapse the Gaussian block onto a point; fits from them use the default
  // regularisation.
  static family_type fit_family() { return mixed_family(1e-6); }
  static Eigen::MatrixXd data(index n, unsigned seed) { return draw_mixed(three_mixed_profiles(), n, seed); }
  static Eigen::MatrixXd start_means(const Eigen::MatrixXd&) { return three_mixed_profiles().centres(); }
  static double reference_log_density(const mixed::params_type& p, const Eigen::VectorXd& x) {
    return reference_log_pdf(p, x);
  }
  // Per block, in closed form: column means and (population) variances; column means for the
  // rates and probabilities, held at the families' documented floors.
  static mixed::params_type reference_mle(const Eigen::MatrixXd& X) {
    const Eigen::VectorXd mean = X.colwise().mean();
    const Eigen::MatrixXd centred = X.leftCols(2).rowwise() - mean.head(2).transpose();
    const Eigen::VectorXd variances = centred.cwiseAbs2().colwise().mean().transpose();
    const double pf = emkit::bernoulli{}.probability_floor;
    return make_params(emkit::gaussian_params::from_variances(mean.head(2), variances),
                       emkit::poisson_params::from(mean.segment(2, 3).cwiseMax(emkit::poisson{}.rate_floor)),
                       emkit::bernoulli_params::from(mean.tail(5).cwiseMax(pf).cwiseMin(1.0 - pf)));
  }
};

// The hooks the product has for these families.
static_assert(emkit::ComponentFamily<mixed>);
static_assert(emkit::LatentModel<mixed_mixture>);
static_assert(emkit::HasValidateData<mixed>);
static_assert(emkit::HasPrepare<mixed> && emkit::HasCachedLogDensity<mixed> &&
              emkit::HasCachedBatchedLogDensity<mixed>);
static_assert(emkit::HasCachedBatchedAccumulate<mixed>);
static_assert(emkit::HasBatchedLogDensity<mixed> && emkit::HasBatchedAccumulate<mixed> &&
              emkit::HasBatchedMaximize<mixed>);
static_assert(emkit::HasExpectedLogDensity<mixed> && emkit::HasFreeParameters<mixed> && emkit::HasSample<mixed>);
static_assert(emkit::HasFloorReport<mixed>);
static_assert(!emkit::HasLogPrior<mixed>);

}  // namespace

namespace emkit::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Product, Conformance, ::testing::Types<product_traits>);
}

namespace {

// ---- the adjusted Rand index --------------------------------------------------------------

/// ARI by counting pairs directly (Steinley's form), independent of the contingency formula:
/// 2(ad − bc) / ((a + b)(b + d) + (a + c)(c + d)).
double ari_by_pairs(const std::vector<int>& x, const std::vector<int>& y) {
  double a = 0, b = 0, c = 0, d = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    for (std::size_t j = i + 1; j < x.size(); ++j) {
      const bool same_x = x[i] == x[j], same_y = y[i] == y[j];
      a += same_x && same_y;
      b += same_x && !same_y;
      c += !same_x && same_y;
      d += !same_x && !same_y;
    }
  }
  return 2 * (a * d - b * c) / ((a + b) * (b + d) + (a + c) * (c + d));
}

TEST(AdjustedRandIndex, TextbookValues) {
  using emkit::testing::adjusted_rand_index;
  const std::vector<int> p{0, 0, 1, 1, 2, 2, 2};
  EXPECT_DOUBLE_EQ(adjusted_rand_index(p, p), 1.0);
  EXPECT_DOUBLE_EQ(adjusted_rand_index(p, std::vector<int>{5, 5, 3, 3, 9, 9, 9}), 1.0);  // labels renamed
  // scikit-learn's documented values (adjusted_rand_score).
  EXPECT_NEAR(adjusted_rand_index(std::vector<int>{0, 0, 1, 1}, std::vector<int>{0, 0, 1, 2}), 4.0 / 7.0, 1e-15);
  EXPECT_NEAR(adjusted_rand_index(std::vector<int>{0, 0, 1, 2}, std::vector<int>{0, 0, 1, 1}), 4.0 / 7.0, 1e-15);
  EXPECT_NEAR(adjusted_rand_index(std::vector<int>{0, 0, 1, 1}, std::vector<int>{0, 1, 0, 1}), -0.5, 1e-15);
  EXPECT_EQ(adjusted_rand_index(std::vector<int>{0, 0, 0, 0}, std::vector<int>{0, 1, 2, 3}), 0.0);
  // Hand-worked: table [[2, 1, 0], [0, 2, 1]]: Σ C(n_ij,2) = 2, rows 3+3 = 6, columns 1+3+0 = 4,
  // E = 6·4/15 = 1.6, max = 5, ARI = 0.4 / 3.4.
  EXPECT_NEAR(adjusted_rand_index(std::vector<int>{0, 0, 0, 1, 1, 1}, std::vector<int>{0, 0, 1, 1, 1, 2}), 0.4 / 3.4,
              1e-15);
  // Both trivial: one cluster each.
  EXPECT_EQ(adjusted_rand_index(std::vector<int>{1, 1, 1}, std::vector<int>{4, 4, 4}), 1.0);
  // Eigen vectors and random labelings agree with direct pair counting.
  boost::random::mt19937 rng(3);
  for (int trial = 0; trial < 20; ++trial) {
    boost::random::uniform_int_distribution<int> label(0, 2 + trial % 3);
    std::vector<int> x(40), y(40);
    Eigen::VectorX<index> xe(40);
    for (std::size_t i = 0; i < x.size(); ++i) {
      x[i] = label(rng);
      y[i] = trial % 2 ? label(rng) : (x[i] + (label(rng) == 0)) % 4;
      xe[static_cast<index>(i)] = x[i];
    }
    EXPECT_NEAR(adjusted_rand_index(xe, y), ari_by_pairs(x, y), 1e-12) << trial;
  }
}

// ---- densities and statistics ---------------------------------------------------------------

TEST(ProductDensity, LogDensitiesAddOverBlocksInEveryForm) {
  const auto truth = three_mixed_profiles();
  const Eigen::MatrixXd X = draw_mixed(truth, 257, 31);
  const mixed family = mixed_family(1e-6);
  const std::vector<mixed::params_type> ps = true_params(truth);
  const emkit::gaussian g{.covariance = emkit::covariance_type::diagonal};
  const emkit::poisson r;
  const emkit::bernoulli b;
  const Eigen::MatrixXd cache = family.prepare(X);
  ASSERT_EQ(cache.rows(), X.rows());
  ASSERT_EQ(cache.cols(), 1);  // only the Poisson block caches (Σ log x!)
  EXPECT_EQ(family.prepare(X.middleRows(40, 77)), cache.middleRows(40, 77));  // row-wise

  Eigen::MatrixXd all(X.rows(), 3), all_cached(X.rows(), 3);
  family.log_density_all(std::span<const mixed::params_type>(ps), X, all);
  family.log_density_all(std::span<const mixed::params_type>(ps), X, cache, all_cached);
  for (int k = 0; k < 3; ++k) {
    const Eigen::VectorXd sum = g.log_density(gaussian_block(ps[k]), X.leftCols(2)) +
                                r.log_density(poisson_block(ps[k]), X.middleCols(2, 3)) +
                                b.log_density(bernoulli_block(ps[k]), X.rightCols(5));
    const double scale = sum.cwiseAbs().maxCoeff();
    EXPECT_LT((family.log_density(ps[k], X) - sum).cwiseAbs().maxCoeff(), 1e-13 * scale) << k;
    EXPECT_LT((family.log_density(ps[k], X, cache) - sum).cwiseAbs().maxCoeff(), 1e-13 * scale) << k;
    EXPECT_LT((all.col(k) - sum).cwiseAbs().maxCoeff(), 1e-12 * scale) << k;
    EXPECT_LT((all_cached.col(k) - sum).cwiseAbs().maxCoeff(), 1e-12 * scale) << k;
    for (index n = 0; n < X.rows(); n += 16)
      EXPECT_NEAR(sum[n], reference_log_pdf(ps[k], X.row(n).transpose()), 1e-10 * std::abs(sum[n]));
  }

  // The blocks may be listed in any order: the same families on the same columns, listed
  // Bernoulli first, give the same densities.
  mixed shuffled;
  shuffled.blocks = {{emkit::bernoulli{}, 5, 5},
                     {emkit::gaussian{.covariance = emkit::covariance_type::diagonal}, 0, 2},
                     {emkit::poisson{}, 2, 3}};
  mixed::params_type q;
  q.blocks = {ps[1].blocks[2], ps[1].blocks[0], ps[1].blocks[1]};
  const Eigen::VectorXd in_order = family.log_density(ps[1], X);
  EXPECT_LT((shuffled.log_density(q, X) - in_order).cwiseAbs().maxCoeff(), 1e-13 * in_order.cwiseAbs().maxCoeff());
}

TEST(ProductDensity, TheSameFamilyTwiceAndAFamilyWithoutOptionalHooks) {
  // Two Gaussian blocks of different covariance types in one product<gaussian, gaussian>.
  const auto two =
      emkit::make_product(emkit::on_columns(emkit::gaussian{.covariance = emkit::covariance_type::diagonal}, 0, 2),
                          emkit::on_columns(emkit::gaussian{.covariance = emkit::covariance_type::full}, 2, 2));
  static_assert(std::is_same_v<std::remove_const_t<decltype(two)>, emkit::product<emkit::gaussian, emkit::gaussian>>);
  const Eigen::MatrixXd X = emkit::testing::draw(emkit::testing::three_blobs(), 100, 4);
  Eigen::MatrixXd X4(X.rows(), 4);
  X4 << X, X.rowwise().reverse();
  const auto s = two.accumulate(X4, Eigen::VectorXd::Ones(X4.rows()));
  const auto p = two.maximize(s);
  EXPECT_EQ(std::get<1>(p.blocks[1]).covariance(0, 1), std::get<1>(p.blocks[1]).covariance(1, 0));
  EXPECT_NE(std::get<1>(p.blocks[1]).covariance(0, 1), 0.0);  // full on the second block
  EXPECT_TRUE(std::get<0>(p.blocks[0]).is_diagonal);
  const emkit::gaussian diag{.covariance = emkit::covariance_type::diagonal};
  const emkit::gaussian full{.covariance = emkit::covariance_type::full};
  const Eigen::VectorXd sum = diag.log_density(std::get<0>(p.blocks[0]), X4.leftCols(2)) +
                              full.log_density(std::get<1>(p.blocks[1]), X4.rightCols(2));
  EXPECT_LT((two.log_density(p, X4) - sum).cwiseAbs().maxCoeff(), 1e-12 * sum.cwiseAbs().maxCoeff());
  EXPECT_EQ(two.describe_block(1), "block 1 (gaussian-full, columns 2-3)");
}

TEST(ProductStats, MergeBlockByBlockAndBatchedHooksAgreeWithPerComponentOnes) {
  const Eigen::MatrixXd X = draw_mixed(three_mixed_profiles(), 300, 12);
  const mixed family = mixed_family(1e-6);
  const Eigen::VectorXd w = Eigen::VectorXd::LinSpaced(X.rows(), 0.25, 2.0);
  auto merged = family.accumulate(X.topRows(111), w.head(111));
  merged += family.accumulate(X.bottomRows(189), w.tail(189));
  const auto whole = family.accumulate(X, w);
  ASSERT_EQ(merged.blocks.size(), 3u);
  const auto& gm = std::get<0>(merged.blocks[0]);
  const auto& gw = std::get<0>(whole.blocks[0]);
  EXPECT_NEAR(gm.weight, gw.weight, 1e-12 * gw.weight);
  EXPECT_LT((gm.mean - gw.mean).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_LT((gm.scatter - gw.scatter).cwiseAbs().maxCoeff(), 1e-10);
  EXPECT_LT((std::get<1>(merged.blocks[1]).counts - std::get<1>(whole.blocks[1]).counts).cwiseAbs().maxCoeff(), 1e-9);
  EXPECT_NEAR(std::get<1>(merged.blocks[1]).log_factorials, std::get<1>(whole.blocks[1]).log_factorials, 1e-9);
  EXPECT_LT((std::get<2>(merged.blocks[2]).ones - std::get<2>(whole.blocks[2]).ones).cwiseAbs().maxCoeff(), 1e-12);
  // The identity: value-initialised statistics merge as nothing, in either order.
  mixed::stats_type identity{};
  identity += whole;
  identity += mixed::stats_type{};
  EXPECT_EQ(std::get<2>(identity.blocks[2]).ones, std::get<2>(whole.blocks[2]).ones);
  EXPECT_EQ(family.expected_log_density(mixed::stats_type{}, family.maximize(whole)), 0.0);

  // Batched accumulate (in two chunks, from identities) equals per-component accumulate;
  // maximize_all equals per-component maximize; Q from statistics is Σ w log f.
  Eigen::MatrixXd W(X.rows(), 3);
  for (index n = 0; n < X.rows(); ++n)
    W.row(n) << 0.2 + 0.001 * static_cast<double>(n), 0.5, 1.0 / static_cast<double>(1 + n % 7);
  std::vector<mixed::stats_type> batched(3);
  family.accumulate_all(X.topRows(120), W.topRows(120), std::span<mixed::stats_type>(batched));
  family.accumulate_all(X.bottomRows(180), W.bottomRows(180), std::span<mixed::stats_type>(batched));
  // With the cache (the Poisson block's Σ log x! read from it), in other chunks: the same.
  const Eigen::MatrixXd cache = family.prepare(X);
  std::vector<mixed::stats_type> cached(3);
  family.accumulate_all(X.topRows(200), cache.topRows(200), W.topRows(200), std::span<mixed::stats_type>(cached));
  family.accumulate_all(X.bottomRows(100), cache.bottomRows(100), W.bottomRows(100),
                        std::span<mixed::stats_type>(cached));
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(std::get<1>(cached[k].blocks[1]).log_factorials, std::get<1>(batched[k].blocks[1]).log_factorials,
                1e-11 * std::get<1>(batched[k].blocks[1]).log_factorials);
    EXPECT_LT((std::get<0>(cached[k].blocks[0]).mean - std::get<0>(batched[k].blocks[0]).mean).cwiseAbs().maxCoeff(),
              1e-12);
  }
  EXPECT_THROW(family.accumulate_all(X, Eigen::MatrixXd(X.rows(), 2), W, std::span<mixed::stats_type>(cached)),
               emkit::shape_error);
  const auto fitted = family.maximize_all(std::span<const mixed::stats_type>(batched));
  ASSERT_EQ(fitted.size(), 3u);
  for (int k = 0; k < 3; ++k) {
    const auto single = family.accumulate(X, W.col(k));
    const auto p = family.maximize(single);
    const Eigen::VectorXd a = family.log_density(p, X), b = family.log_density(fitted[k], X);
    EXPECT_LT((a - b).cwiseAbs().maxCoeff(), 1e-10 * a.cwiseAbs().maxCoeff()) << k;
    const double direct = W.col(k).dot(a);
    EXPECT_NEAR(family.expected_log_density(single, p), direct, 1e-10 * std::abs(direct)) << k;
    EXPECT_NEAR(family.expected_log_density(batched[k], p), direct, 1e-10 * std::abs(direct)) << k;
  }
  // Statistics of another layout (a Poisson block and a Bernoulli block) do not merge.
  mixed::stats_type foreign{};
  foreign.blocks = {mixed::block_stats(std::in_place_index<1>, std::get<1>(whole.blocks[1])), whole.blocks[2]};
  auto copy = whole;
  EXPECT_THROW(copy += foreign, emkit::shape_error);
}

TEST(ProductStats, ATiedCovarianceIsPooledWithinItsBlock) {
  const auto family =
      emkit::make_product(emkit::on_columns(emkit::gaussian{.covariance = emkit::covariance_type::tied}, 0, 2),
                          emkit::on_columns(emkit::poisson{}, 2, 3));
  const Eigen::MatrixXd X = draw_mixed(three_mixed_profiles(), 300, 13).leftCols(5);
  Eigen::MatrixXd W = Eigen::MatrixXd::Zero(X.rows(), 3);
  for (index n = 0; n < X.rows(); ++n) W(n, n % 3) = 1.0;
  std::vector<decltype(family)::stats_type> stats(3);
  family.accumulate_all(X, W, std::span<decltype(family)::stats_type>(stats));
  const auto ps = family.maximize_all(std::span<const decltype(family)::stats_type>(stats));
  for (int k = 1; k < 3; ++k) {
    EXPECT_EQ(std::get<0>(ps[k].blocks[0]).covariance, std::get<0>(ps[0].blocks[0]).covariance);
    EXPECT_NE(std::get<0>(ps[k].blocks[0]).mean, std::get<0>(ps[0].blocks[0]).mean);
  }
  // 3·2 means + 3 covariance entries, and 3·3 rates.
  EXPECT_EQ(family.num_free_parameters(std::span<const decltype(family)::params_type>(ps)), 9u + 9u);
}

// ---- optional hooks ---------------------------------------------------------------------------

// An exponential family on one column with only the three required hooks.
struct exponential_minimal {
  struct params_type {
    double rate = 1.0;
  };
  struct stats_type {
    double weight = 0.0, weighted_sum = 0.0;
    stats_type& operator+=(const stats_type& o) {
      weight += o.weight;
      weighted_sum += o.weighted_sum;
      return *this;
    }
  };
  Eigen::VectorXd log_density(const params_type& p, emkit::matrix_ref X) const {
    return (std::log(p.rate) - p.rate * X.col(0).array()).matrix();
  }
  stats_type accumulate(emkit::matrix_ref X, emkit::vector_ref w) const { return {w.sum(), w.dot(X.col(0))}; }
  params_type maximize(const stats_type& s) const { return {s.weight / s.weighted_sum}; }
};

using minimal_product = emkit::product<emkit::gaussian, exponential_minimal>;
static_assert(emkit::ComponentFamily<minimal_product>);
static_assert(emkit::LatentModel<emkit::mixture<minimal_product>>);
// Hooks every family must have are absent when one lacks them ...
static_assert(!emkit::HasExpectedLogDensity<minimal_product>);
static_assert(!emkit::HasFreeParameters<minimal_product>);
static_assert(!emkit::HasSample<minimal_product>);
// ... hooks any family may contribute are absent when none has them ...
static_assert(!emkit::HasPrepare<minimal_product> && !emkit::HasCachedLogDensity<minimal_product>);
static_assert(!emkit::HasLogPrior<minimal_product>);
static_assert(!emkit::HasFloorReport<emkit::product<exponential_minimal>>);
// ... and the layout check and the batched forms are always there.
static_assert(emkit::HasValidateData<minimal_product>);
static_assert(emkit::HasBatchedLogDensity<minimal_product> && emkit::HasBatchedAccumulate<minimal_product> &&
              emkit::HasBatchedMaximize<minimal_product>);
static_assert(emkit::HasFloorReport<emkit::product<emkit::gaussian, emkit::poisson>>);
// (the Gaussian reports variances that are mostly reg_covar)
static_assert(emkit::HasFloorReport<emkit::product<emkit::gaussian>> && emkit::HasFloorReport<minimal_product>);

// The same with a Gamma(2, 1) prior on the rate: log p(λ) = log λ − λ.
struct exponential_with_prior : exponential_minimal {
  double log_prior(const params_type& p) const { return std::log(p.rate) - p.rate; }
};
static_assert(emkit::HasLogPrior<emkit::product<emkit::gaussian, exponential_with_prior>>);

TEST(ProductHooks, TheLogPriorIsTheSumOverTheBlocksThatHaveOne) {
  using with_prior = emkit::product<emkit::gaussian, exponential_with_prior>;
  with_prior family;
  family.blocks = {{exponential_with_prior{}, 0, 1}, {emkit::gaussian{}, 1, 2}, {exponential_with_prior{}, 3, 1}};
  with_prior::params_type p;
  p.blocks.emplace_back(std::in_place_index<1>, exponential_with_prior::params_type{2.0});
  p.blocks.emplace_back(std::in_place_index<0>,
                        emkit::gaussian_params::from(Eigen::Vector2d::Zero(), Eigen::Matrix2d::Identity()));
  p.blocks.emplace_back(std::in_place_index<1>, exponential_with_prior::params_type{0.5});
  EXPECT_DOUBLE_EQ(family.log_prior(p), (std::log(2.0) - 2.0) + (std::log(0.5) - 0.5));
  EXPECT_EQ(family.describe_block(0), "block 0 (family #1, column 0)");
}

TEST(ProductHooks, AFamilyWithOnlyTheRequiredHooksFitsInsideAProduct) {
  // Column 0–1: Gaussian blobs; column 2: exponential with rate 1 or 5 by component.
  std::vector<int> labels;
  const Eigen::MatrixXd G = emkit::testing::draw(emkit::testing::three_blobs(), 400, 9, &labels);
  boost::random::mt19937 rng(2);
  boost::random::uniform_01<double> uniform;
  Eigen::MatrixXd X(G.rows(), 3);
  X.leftCols(2) = G;
  for (index n = 0; n < X.rows(); ++n)
    X(n, 2) = -std::log(1.0 - uniform(rng)) / (1.0 + 2.0 * labels[static_cast<std::size_t>(n)]);
  const emkit::mixture<minimal_product> model{
      emkit::make_product(emkit::on_columns(emkit::gaussian{}, 0, 2), emkit::on_columns(exponential_minimal{}, 2, 1))};
  emkit::fitter<emkit::soft_estep, emkit::given_means> fitter;
  fitter.init.means.resize(3, 3);
  fitter.init.means << emkit::testing::three_blobs().means, Eigen::Vector3d(1.0, 1.0 / 3, 0.2);
  auto [theta, summary] = fitter.fit(model, X, 3);
  EXPECT_TRUE(summary.converged);
  EXPECT_TRUE(emkit::testing::monitor_passed(summary, /*require_q=*/false));
  EXPECT_GE(emkit::testing::adjusted_rand_index(emkit::predict(model, theta, X), labels), 0.95);
}

TEST(ProductHooks, FreeParametersFloorsAndSamplingAreSummedOrConcatenatedOverBlocks) {
  const auto truth = well_separated_profiles();
  const mixed_mixture model{mixed_family(1e-6)};
  mixed_mixture::params_type theta;
  theta.dimension = 10;
  theta.weights = truth.weights;
  theta.components = true_params(truth);
  // 3·2 means + 3·2 variances, 3·3 rates, 3·5 probabilities, 2 weights.
  EXPECT_EQ(model.num_free_parameters(theta), 12u + 9u + 15u + 2u);

  auto floored = theta.components[0];
  floored.blocks[1] = emkit::poisson_params::from(Eigen::Vector3d(1e-10, 2.0, 1e-10));
  floored.blocks[2] = emkit::bernoulli_params::from((Eigen::VectorXd(5) << 0.5, 1e-10, 0.5, 0.5, 0.5).finished());
  EXPECT_EQ(model.family.floors_applied(floored), 3);
  EXPECT_EQ(model.family.floors_applied(theta.components[0]), 0);

  const auto a = emkit::sample(model, theta, 6000, 17);
  EXPECT_EQ(a.X, emkit::sample(model, theta, 6000, 17).X);
  EXPECT_NO_THROW(model.validate_data(a.X));
  for (int k = 0; k < 3; ++k) {
    Eigen::VectorXd sum = Eigen::VectorXd::Zero(10);
    double count = 0;
    for (index n = 0; n < a.X.rows(); ++n)
      if (a.labels[n] == k) sum += a.X.row(n).transpose(), ++count;
    const Eigen::VectorXd mean = sum / count;
    const Eigen::VectorXd expected = truth.centres().row(k).transpose();
    Eigen::VectorXd sd(10);
    sd << truth.sds.row(k).transpose(), truth.rates.row(k).transpose().cwiseSqrt(),
        (truth.probabilities.row(k).array() * (1 - truth.probabilities.row(k).array())).sqrt().transpose();
    for (int d = 0; d < 10; ++d) EXPECT_NEAR(mean[d], expected[d], 5 * sd[d] / std::sqrt(count)) << k << ", " << d;
  }
}

// ---- recovery of mixed clusters -------------------------------------------------------------

TEST(ProductFit, RecoversWellSeparatedMixedClusters) {
  std::vector<int> labels;
  const Eigen::MatrixXd X = draw_mixed(well_separated_profiles(), 600, 2024, &labels);
  const mixed_mixture model{emkit::parse_product_layout("gaussian-diag:0-1,poisson:2-4,bernoulli:5-9")};
  emkit::fitter<> fitter;  // soft EM from k-means++ on the raw columns
  fitter.options.seed = 11;
  fitter.options.restarts = 4;
  auto [theta, summary] = fitter.fit(model, X, 3);
  EXPECT_TRUE(summary.converged) << summary.full_report();
  EXPECT_TRUE(emkit::testing::monitor_passed(summary));
  const double ari = emkit::testing::adjusted_rand_index(emkit::predict(model, theta, X), labels);
  std::printf("adjusted Rand index of the mixed fit: %.6f (%d iterations)\n", ari, summary.iterations);
  EXPECT_GE(ari, 0.95);
  // The fit agrees with the same model written by hand with make_product.
  const mixed_mixture by_hand{mixed_family(1e-6)};
  EXPECT_EQ(fitter.fit(by_hand, X, 3).summary.log_likelihood, summary.log_likelihood);
  // And with Boost.Math: ℓ = Σ_n log Σ_k π_k f(x_n | θ_k).
  double reference = 0.0;
  for (index n = 0; n < X.rows(); ++n) {
    double p = 0.0;
    for (int k = 0; k < 3; ++k)
      p += theta.weights[k] * std::exp(reference_log_pdf(theta.components[k], X.row(n).transpose()));
    reference += std::log(p);
  }
  EXPECT_NEAR(summary.log_likelihood, reference, 1e-9 * std::abs(reference));
}

/// Each block alone tells only one cluster from the other two: the Gaussian columns single out
/// cluster 0, the Poisson columns cluster 1, the Bernoulli columns cluster 2.
known_mixed_mixture one_cluster_per_block() {
  known_mixed_mixture m;
  m.weights = Eigen::Vector3d(0.3, 0.4, 0.3);
  m.means.resize(3, 2);
  m.means << 0.0, 0.0, 6.0, 6.0, 6.0, 6.0;
  m.sds = Eigen::MatrixXd::Ones(3, 2);
  m.rates.resize(3, 3);
  m.rates << 3.0, 12.0, 4.0, 20.0, 2.0, 15.0, 3.0, 12.0, 4.0;
  m.probabilities.resize(3, 5);
  m.probabilities << 0.1, 0.1, 0.9, 0.9, 0.1,  //
      0.1, 0.1, 0.9, 0.9, 0.1,                 //
      0.9, 0.9, 0.1, 0.1, 0.9;
  return m;
}

TEST(ProductFit, CombinesEvidenceThatNoBlockHasAlone) {
  std::vector<int> labels;
  const Eigen::MatrixXd X = draw_mixed(one_cluster_per_block(), 600, 77, &labels);
  emkit::fitter<> fitter;
  fitter.options.seed = 3;
  fitter.options.restarts = 4;
  auto ari_of = [&](const auto& model, const Eigen::MatrixXd& data) {
    const auto fit = fitter.fit(model, data, 3);
    EXPECT_TRUE(emkit::testing::monitor_passed(fit.summary));
    return emkit::testing::adjusted_rand_index(emkit::predict(model, fit.params, data), labels);
  };
  const double together = ari_of(mixed_mixture{mixed_family(1e-6)}, X);
  const double gaussian_alone =
      ari_of(emkit::mixture<emkit::gaussian>{{.covariance = emkit::covariance_type::diagonal}},
             Eigen::MatrixXd(X.leftCols(2)));
  const double poisson_alone = ari_of(emkit::mixture<emkit::poisson>{}, Eigen::MatrixXd(X.middleCols(2, 3)));
  const double bernoulli_alone = ari_of(emkit::mixture<emkit::bernoulli>{}, Eigen::MatrixXd(X.rightCols(5)));
  std::printf("adjusted Rand index: product %.4f; blocks alone: gaussian %.4f, poisson %.4f, bernoulli %.4f\n",
              together, gaussian_alone, poisson_alone, bernoulli_alone);
  EXPECT_GE(together, 0.95);
  for (double alone : {gaussian_alone, poisson_alone, bernoulli_alone}) EXPECT_LT(alone, 0.8);
}

TEST(ProductFit, AOneBlockProductFitsExactlyAsItsFamily) {
  const Eigen::MatrixXd X = emkit::testing::draw(emkit::testing::three_blobs(), 500, 12);
  for (auto type : {emkit::covariance_type::full, emkit::covariance_type::diagonal, emkit::covariance_type::tied}) {
    const emkit::gaussian g{.covariance = type};
    emkit::fitter<> fitter;
    fitter.options.seed = 4;
    const auto alone = fitter.fit(emkit::mixture<emkit::gaussian>{g}, X, 3);
    const auto one_block = emkit::make_product(emkit::on_columns(g, 0, 2));
    const auto inside = fitter.fit(emkit::mixture<std::remove_const_t<decltype(one_block)>>{one_block}, X, 3);
    EXPECT_EQ(inside.summary.log_likelihood, alone.summary.log_likelihood) << emkit::to_string(type);
    EXPECT_EQ(inside.summary.iterations, alone.summary.iterations);
    for (int k = 0; k < 3; ++k) {
      EXPECT_EQ(std::get<0>(inside.params.components[k].blocks[0]).mean, alone.params.components[k].mean);
      EXPECT_EQ(std::get<0>(inside.params.components[k].blocks[0]).covariance, alone.params.components[k].covariance);
    }
  }
}

// ---- the layout ---------------------------------------------------------------------------------

/// The message of the emkit error `f` throws, of type E; a failure when it throws nothing.
template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an exception";
  return {};
}

TEST(ProductLayout, TheParserBuildsTheBlocks) {
  const mixed family = emkit::parse_product_layout("gaussian-diag:0-1,poisson:2-4,bernoulli:5-9");
  ASSERT_EQ(family.blocks.size(), 3u);
  EXPECT_EQ(family.blocks[0].family.index(), 0u);
  EXPECT_EQ(std::get<emkit::gaussian>(family.blocks[0].family).covariance, emkit::covariance_type::diagonal);
  EXPECT_EQ(family.blocks[1].family.index(), 1u);
  EXPECT_EQ(family.blocks[2].family.index(), 2u);
  EXPECT_EQ(family.blocks[2].first, 5);
  EXPECT_EQ(family.blocks[2].count, 5);
  EXPECT_EQ(family.num_columns(), 10);
  EXPECT_NO_THROW(family.validate_layout(10));
  // Spaces, a single column, every Gaussian type, and blocks in any order.
  const mixed other = emkit::parse_product_layout(
      " bernoulli:6 , gaussian-full:0-1,gaussian-spherical:2-3, gaussian-tied : 4-4,poisson:5");
  ASSERT_EQ(other.blocks.size(), 5u);
  EXPECT_EQ(other.blocks[0].first, 6);
  EXPECT_EQ(other.blocks[0].count, 1);
  EXPECT_EQ(std::get<emkit::gaussian>(other.blocks[3].family).covariance, emkit::covariance_type::tied);
  EXPECT_EQ(other.describe_block(2), "block 2 (gaussian-spherical, columns 2-3)");
  EXPECT_EQ(other.describe_block(4), "block 4 (poisson, column 5)");
}

TEST(ProductLayout, ParserErrorsNameTheOffendingPiece) {
  using ::testing::HasSubstr;
  auto parse_error = [](std::string_view text) {
    return message_of<emkit::invalid_option>([&] { (void)emkit::parse_product_layout(text); });
  };
  EXPECT_THAT(parse_error("gaussian-diag:0-1,gamma:2-4"),
              AllOf(HasSubstr("piece 2 'gamma:2-4'"), HasSubstr("unknown family 'gamma'"), HasSubstr("gaussian-diag")));
  EXPECT_THAT(parse_error("gaussian-diagonally:0-1"), HasSubstr("unknown family 'gaussian-diagonally'"));
  EXPECT_THAT(parse_error("poisson:0-2,bernoulli3-4"), AllOf(HasSubstr("piece 2 'bernoulli3-4'"), HasSubstr("no ':'")));
  EXPECT_THAT(parse_error("poisson:0-x"),
              AllOf(HasSubstr("piece 1 'poisson:0-x'"), HasSubstr("malformed column range")));
  EXPECT_THAT(parse_error("poisson:-1-2"), HasSubstr("malformed column range '-1-2'"));
  EXPECT_THAT(parse_error("poisson:0-"), HasSubstr("malformed column range"));
  EXPECT_THAT(parse_error("poisson:1-2-3"), HasSubstr("malformed column range"));
  EXPECT_THAT(parse_error("poisson:4-2"), AllOf(HasSubstr("first column 4 after last column 2")));
  EXPECT_THAT(parse_error("poisson:0-2,,bernoulli:3-4"), AllOf(HasSubstr("piece 2 ''"), HasSubstr("is empty")));
  EXPECT_THAT(parse_error("poisson:0-2,"), HasSubstr("piece 2 '' is empty"));
  EXPECT_THAT(parse_error("  "), HasSubstr("the layout is empty"));
  EXPECT_THAT(parse_error("gaussian-diag:0-1,poisson:1-4"),
              AllOf(HasSubstr("piece 2 'poisson:1-4' overlaps piece 1 'gaussian-diag:0-1' at column 1")));
  EXPECT_THAT(parse_error("gaussian-diag:0-1,poisson:3-4"),
              AllOf(HasSubstr("column 2 in no block"), HasSubstr("piece 1 'gaussian-diag:0-1'"),
                    HasSubstr("piece 2 'poisson:3-4'")));
  EXPECT_THAT(parse_error("poisson:2-4"),
              AllOf(HasSubstr("columns 0-1 in no block"), HasSubstr("piece 1 'poisson:2-4'")));
}

TEST(ProductLayout, LayoutErrorsNameTheBlock) {
  using ::testing::HasSubstr;
  const Eigen::MatrixXd X = draw_mixed(three_mixed_profiles(), 50, 5);
  auto fit_error = [&](const mixed& family, const Eigen::MatrixXd& data) {
    return message_of<emkit::error>([&] { (void)emkit::fitter<>{}.fit(mixed_mixture{family}, data, 2); });
  };
  mixed family = mixed_family(1e-6);
  // The data has fewer columns than the layout: out of range.
  EXPECT_THAT(fit_error(family, X.leftCols(8)), AllOf(HasSubstr("block 2 (bernoulli, columns 5-9) is out of range"),
                                                      HasSubstr("the data has 8 columns")));
  EXPECT_THROW((void)emkit::fitter<>{}.fit(mixed_mixture{family}, X.leftCols(8), 2), emkit::shape_error);
  // The data has more columns than the layout covers.
  Eigen::MatrixXd wider(X.rows(), 11);
  wider << X, X.col(9);
  EXPECT_THAT(fit_error(family, wider), HasSubstr("data column 10 in no block: the layout covers columns 0-9"));
  // Overlap, gap, an empty block, no blocks: invalid_option naming the block.
  mixed overlap = family;
  overlap.blocks[1].first = 1;
  overlap.blocks[1].count = 4;
  EXPECT_THAT(fit_error(overlap, X),
              HasSubstr("block 1 (poisson, columns 1-4) overlaps block 0 (gaussian-diag, columns 0-1) at column 1"));
  mixed gap = family;
  gap.blocks[1].count = 2;
  EXPECT_THAT(fit_error(gap, X), AllOf(HasSubstr("column 4 in no block"), HasSubstr("block 1 (poisson, columns 2-3)"),
                                       HasSubstr("block 2 (bernoulli, columns 5-9)")));
  mixed empty_block = family;
  empty_block.blocks[1].count = 0;
  EXPECT_THAT(fit_error(empty_block, X), HasSubstr("block 1 (poisson, first = 2, count = 0) has count = 0"));
  EXPECT_THAT(fit_error(mixed{}, X), HasSubstr("the layout has no blocks"));
  EXPECT_THROW(overlap.validate_layout(), emkit::invalid_option);
  EXPECT_THROW(
      (void)emkit::make_product(emkit::on_columns(emkit::poisson{}, 0, 2), emkit::on_columns(emkit::bernoulli{}, 1, 2)),
      emkit::invalid_option);
  // The per-chunk hooks refuse a chunk of the wrong width too (no read past the data).
  EXPECT_THROW((void)family.log_density(true_params(three_mixed_profiles())[0], X.leftCols(9)), emkit::shape_error);
  // Parameters of another layout are refused.
  auto params = true_params(three_mixed_profiles())[0];
  std::swap(params.blocks[1], params.blocks[2]);
  EXPECT_THAT(message_of<emkit::invalid_option>([&] { (void)family.log_density(params, X); }),
              HasSubstr("expected those of block 1 (poisson, columns 2-4)"));
}

TEST(ProductValidation, ABlockFamilysDataErrorNamesTheDataColumn) {
  using ::testing::HasSubstr;
  const Eigen::MatrixXd good = draw_mixed(three_mixed_profiles(), 40, 6);
  const mixed_mixture model{mixed_family(1e-6)};
  EXPECT_NO_THROW(model.validate_data(good));
  Eigen::MatrixXd X = good;
  X(7, 3) = 1.5;  // column 1 of the Poisson block
  const std::string poisson_error = message_of<emkit::data_error>([&] { (void)emkit::fitter<>{}.fit(model, X, 2); });
  EXPECT_THAT(poisson_error, AllOf(HasSubstr("block 1 (poisson, columns 2-4)"), HasSubstr("X(7, 3) = 1.5"),
                                   HasSubstr("non-negative integer count")));
  X = good;
  X(4, 8) = 2.0;  // column 3 of the Bernoulli block
  EXPECT_THAT(message_of<emkit::data_error>([&] { model.validate_data(X); }),
              AllOf(HasSubstr("block 2 (bernoulli, columns 5-9)"), HasSubstr("X(4, 8) = 2")));
  // Predictions check too.
  const auto theta = emkit::fitter<>{}.fit(model, good, 2).params;
  EXPECT_THROW((void)emkit::predict(model, theta, X), emkit::data_error);
  // A block family's invalid option names the block.
  mixed bad = mixed_family(1e-6);
  bad.blocks[1].family = emkit::poisson{.rate_floor = 0.0};
  EXPECT_THAT(message_of<emkit::invalid_option>([&] { bad.validate_data(good); }),
              AllOf(HasSubstr("block 1 (poisson, columns 2-4)"), HasSubstr("rate_floor")));
  // The error carries the data's row, column and value as fields, not only in its message.
  X = good;
  X(4, 8) = 2.0;
  try {
    model.validate_data(X);
    ADD_FAILURE() << "validate_data accepted 2 in a Bernoulli block";
  } catch (const emkit::data_error& e) {
    ASSERT_TRUE(e.entry().has_value());
    EXPECT_EQ(e.entry()->row, 4);
    EXPECT_EQ(e.entry()->column, 8);
    EXPECT_EQ(e.entry()->value, 2.0);
    EXPECT_EQ(e.expected(), "0 or 1");
  }
}

}  // namespace
