// Every shipped type models its concept; an archetype family with only the minimum hooks
// proves that the generic code asks for nothing more.
#include <cmath>

#include <gtest/gtest.h>

#include <emkit/emkit.hpp>
#include <emkit/testing/monitor_passed.hpp>

namespace {

// The archetype: an exponential family on one column written with the three required hooks
// and nothing else, so any use of an optional hook by the generic code would fail to compile.
struct exponential_archetype {
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

static_assert(emkit::ComponentFamily<exponential_archetype>);
static_assert(!emkit::HasExpectedLogDensity<exponential_archetype>);
static_assert(!emkit::HasBatchedLogDensity<exponential_archetype>);
static_assert(emkit::LatentModel<emkit::mixture<exponential_archetype>>);

static_assert(emkit::ComponentFamily<emkit::gaussian>);
static_assert(emkit::HasExpectedLogDensity<emkit::gaussian>);
static_assert(emkit::HasFreeParameters<emkit::gaussian>);
static_assert(emkit::HasSample<emkit::gaussian>);
static_assert(emkit::HasBatchedLogDensity<emkit::gaussian>);
static_assert(emkit::HasBatchedAccumulate<emkit::gaussian>);
static_assert(emkit::HasBatchedMaximize<emkit::gaussian>);
static_assert(!emkit::HasLogPrior<emkit::gaussian>);
static_assert(emkit::LatentModel<emkit::mixture<emkit::gaussian>>);

static_assert(emkit::ComponentFamily<emkit::poisson>);
static_assert(emkit::HasPrepare<emkit::poisson> && emkit::HasCachedBatchedLogDensity<emkit::poisson>);
static_assert(emkit::HasCachedBatchedAccumulate<emkit::poisson> && emkit::HasFloorReport<emkit::poisson>);
static_assert(emkit::ComponentFamily<emkit::bernoulli> && emkit::HasValidateData<emkit::bernoulli>);
static_assert(emkit::ComponentFamily<emkit::fixed_spherical_gaussian>);
static_assert(emkit::ComponentFamily<emkit::mixed_product>);
static_assert(emkit::LatentModel<emkit::mixture<emkit::poisson>>);
static_assert(emkit::LatentModel<emkit::mixture<emkit::bernoulli>>);
static_assert(emkit::LatentModel<decltype(emkit::kmeans_model())>);
static_assert(emkit::LatentModel<emkit::mixture<emkit::mixed_product>>);

static_assert(emkit::MergeableStats<emkit::gaussian_stats>);
static_assert(emkit::MergeableStats<emkit::estep_totals>);
static_assert(emkit::EStepPolicy<emkit::soft_estep>);
static_assert(emkit::EStepPolicy<emkit::hard_estep>);
static_assert(emkit::ExecutionPolicy<emkit::serial>);
static_assert(emkit::ExecutionPolicy<emkit::threads>);
static_assert(emkit::InitPolicy<emkit::kmeans_plus_plus>);
static_assert(emkit::InitPolicy<emkit::random_rows>);
static_assert(emkit::InitPolicy<emkit::random_responsibility_init>);
static_assert(emkit::InitPolicy<emkit::given_means>);

// Not families: a type missing `stats_type`, and a stats type that cannot merge.
struct no_stats {
  struct params_type {};
};
static_assert(!emkit::ComponentFamily<no_stats>);
struct unmergeable {
  int value = 0;
};
static_assert(!emkit::MergeableStats<unmergeable>);

TEST(Archetype, MinimalFamilyFitsThroughTheWholeEngine) {
  // Two exponential populations with rates 1 and 20: the minimal family gets restarts,
  // initialisation, the monitor and the summary without writing anything else.
  Eigen::MatrixXd X(400, 1);
  emkit::random_engine rng = emkit::make_engine(11);
  for (emkit::index n = 0; n < X.rows(); ++n) {
    const double rate = n < 200 ? 1.0 : 20.0;
    X(n, 0) = -std::log(1.0 - emkit::uniform01(rng)) / rate;
  }
  emkit::fitter<> fitter;
  fitter.options.restarts = 3;
  auto [theta, summary] = fitter.fit(emkit::mixture<exponential_archetype>{}, X, 2);
  EXPECT_TRUE(summary.converged);
  EXPECT_TRUE(emkit::testing::monitor_passed(summary, /*require_q=*/false));
  EXPECT_NEAR(theta.weights.sum(), 1.0, 1e-12);
  // Without the optional hook, Q from statistics is not available and is reported as such.
  EXPECT_TRUE(std::isnan(summary.trace.back().q));
  EXPECT_TRUE(std::isfinite(summary.trace.back().estep_gap));
  EXPECT_NEAR(summary.trace.back().estep_gap, 0.0, 1e-8);
}

}  // namespace
