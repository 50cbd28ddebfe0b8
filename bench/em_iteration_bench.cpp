// One EM iteration (one M-step and one fused E-pass) of each family, over (N, D, K, threads),
// reported as observations per second. Run: build/bin/emkit_bench --benchmark_filter=...
#include <string>

#include <benchmark/benchmark.h>

#include <emkit/emkit.hpp>

namespace {

// Clustered data: K shifted copies of uniform noise, the same for every case of a shape.
Eigen::MatrixXd clustered(emkit::index N, emkit::index D, emkit::index K) {
  Eigen::MatrixXd X(N, D);
  emkit::random_engine rng = emkit::make_engine(1);
  for (emkit::index n = 0; n < N; ++n)
    for (emkit::index d = 0; d < D; ++d) X(n, d) = emkit::uniform01(rng) + 0.5 * static_cast<double>(n % K);
  return X;
}

Eigen::MatrixXd counts(emkit::index N, emkit::index D, emkit::index K) {
  return (clustered(N, D, K) * 4.0).array().floor().matrix();
}

Eigen::MatrixXd binary(emkit::index N, emkit::index D, emkit::index K) {
  Eigen::MatrixXd X = clustered(N, D, K);
  for (emkit::index n = 0; n < N; ++n) X.row(n) = (X.row(n).array() - X.row(n).array().floor() > 0.5).cast<double>();
  return X;
}

// Times iterations 1..10 of a fit from fixed means, the initial pass excluded: the mean of
// the trace's per-iteration seconds is reported as the iteration time.
template <class Model, class EStep = emkit::soft_estep>
void run(benchmark::State& state, const Model& model, const Eigen::MatrixXd& X) {
  const emkit::index K = state.range(2);
  emkit::fitter<EStep, emkit::given_means, emkit::threads> fitter;
  fitter.init.means = X.topRows(K);
  fitter.execution.n = static_cast<int>(state.range(3));
  fitter.options.relative_tolerance = 0;
  fitter.options.max_iterations = 10;
  fitter.options.monitor.enabled = false;
  for (auto _ : state) {
    auto result = fitter.fit(model, X, K);
    double seconds = 0;
    for (std::size_t i = 1; i < result.summary.trace.size(); ++i) seconds += result.summary.trace[i].seconds;
    state.SetIterationTime(seconds / 10);
    benchmark::DoNotOptimize(result.summary.log_likelihood);
  }
  state.SetItemsProcessed(state.iterations() * X.rows());
}

void gaussian_case(benchmark::State& state, emkit::covariance_type type) {
  const Eigen::MatrixXd X = clustered(state.range(0), state.range(1), state.range(2));
  run(state, emkit::mixture<emkit::gaussian>{emkit::gaussian{.covariance = type}}, X);
}

void BM_gaussian_full(benchmark::State& s) { gaussian_case(s, emkit::covariance_type::full); }
void BM_gaussian_diag(benchmark::State& s) { gaussian_case(s, emkit::covariance_type::diagonal); }
void BM_gaussian_spherical(benchmark::State& s) { gaussian_case(s, emkit::covariance_type::spherical); }
void BM_gaussian_tied(benchmark::State& s) { gaussian_case(s, emkit::covariance_type::tied); }
void BM_kmeans(benchmark::State& s) {
  run<decltype(emkit::kmeans_model()), emkit::hard_estep>(s, emkit::kmeans_model(),
                                                          clustered(s.range(0), s.range(1), s.range(2)));
}
void BM_poisson(benchmark::State& s) {
  run(s, emkit::mixture<emkit::poisson>{}, counts(s.range(0), s.range(1), s.range(2)));
}
void BM_bernoulli(benchmark::State& s) {
  run(s, emkit::mixture<emkit::bernoulli>{}, binary(s.range(0), s.range(1), s.range(2)));
}

// (N, D, K, threads)
void shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"N", "D", "K", "threads"})->UseManualTime()->Unit(benchmark::kMillisecond);
  for (int threads : {1, 2}) {
    b->Args({100000, 16, 8, threads});
    b->Args({100000, 64, 8, threads});
    b->Args({20000, 16, 64, threads});
  }
}

BENCHMARK(BM_gaussian_full)->Apply(shapes);
BENCHMARK(BM_gaussian_diag)->Apply(shapes);
BENCHMARK(BM_gaussian_spherical)->Apply(shapes);
BENCHMARK(BM_gaussian_tied)->Apply(shapes);
BENCHMARK(BM_kmeans)->Apply(shapes);
BENCHMARK(BM_poisson)->Apply(shapes);
BENCHMARK(BM_bernoulli)->Apply(shapes);

}  // namespace

BENCHMARK_MAIN();
