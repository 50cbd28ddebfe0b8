// emkit's side of bench/compare.py. Reads N×D float64 data and K×D initial means (raw
// little-endian, row-major, as numpy's tofile writes them), fits for exactly `iterations`
// iterations from those means (tolerance 0), and prints one JSON line: seconds per iteration
// (the mean of the trace's iteration times; the initial pass excluded) and the final mean
// log-likelihood per observation.
//
//   emkit_bench_driver MODEL X.bin N D MEANS.bin K ITERATIONS THREADS
//   MODEL: full | diag | spherical | tied | kmeans
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <emkit/emkit.hpp>

namespace {

Eigen::MatrixXd read_raw(const char* path, emkit::index rows, emkit::index cols) {
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> M(rows, cols);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(M.data()), static_cast<std::streamsize>(sizeof(double) * rows * cols));
  if (!in) {
    std::fprintf(stderr, "cannot read %lld×%lld doubles from %s\n", static_cast<long long>(rows),
                 static_cast<long long>(cols), path);
    std::exit(2);
  }
  return M;
}

template <class EStep, class Model>
void run(const Model& model, const Eigen::MatrixXd& X, const Eigen::MatrixXd& means, int iterations, int threads,
         bool report_inertia) {
  emkit::fitter<EStep, emkit::given_means, emkit::threads> fitter;
  fitter.init.means = means;
  fitter.execution.n = threads;
  fitter.options.relative_tolerance = 0;
  fitter.options.max_iterations = iterations;
  fitter.options.monitor.enabled = false;
  const auto [theta, summary] = fitter.fit(model, X, means.rows());
  double seconds = 0;
  for (std::size_t i = 1; i < summary.trace.size(); ++i) seconds += summary.trace[i].seconds;
  const double n = static_cast<double>(X.rows());
  double value = summary.log_likelihood / n;
  if constexpr (requires { emkit::inertia(theta, X); }) {
    if (report_inertia) value = emkit::inertia(theta, X) / n;
  }
  std::printf("{\"seconds_per_iteration\": %.9g, \"value\": %.17g, \"iterations\": %d}\n",
              seconds / iterations, value, summary.iterations);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 9) {
    std::fprintf(stderr, "usage: %s MODEL X.bin N D MEANS.bin K ITERATIONS THREADS\n", argv[0]);
    return 2;
  }
  const std::string kind = argv[1];
  const emkit::index N = std::atoll(argv[3]), D = std::atoll(argv[4]), K = std::atoll(argv[6]);
  const int iterations = std::atoi(argv[7]), threads = std::atoi(argv[8]);
  const Eigen::MatrixXd X = read_raw(argv[2], N, D);
  const Eigen::MatrixXd means = read_raw(argv[5], K, D);
  if (kind == "kmeans") {
    run<emkit::hard_estep>(emkit::kmeans_model(), X, means, iterations, threads, true);
  } else {
    const emkit::gaussian family{.covariance = emkit::parse_covariance_type(kind), .reg_covar = 0.0};
    run<emkit::soft_estep>(emkit::mixture<emkit::gaussian>{family}, X, means, iterations, threads, false);
  }
}
