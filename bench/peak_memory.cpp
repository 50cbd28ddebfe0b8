// Peak memory of a fit against the size of its data. Generates N×D uniform data in place (one
// column-major matrix, the layout the fitter reads), fits a full-covariance mixture for a few
// iterations from the first K rows as means, and prints the process's peak resident set size
// (getrusage) and its ratio to the data's N·D·8 bytes. The ratio includes everything the process
// holds: the data, the fitter's per-block statistics and scratch, the libraries.
//
//   emkit_peak_memory [N D K THREADS ITERATIONS]      (defaults: 1000000 16 64 2 2)
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>

#include <emkit/emkit.hpp>

int main(int argc, char** argv) {
  const auto arg = [&](int i, long long fallback) { return argc > i ? std::atoll(argv[i]) : fallback; };
  const emkit::index N = arg(1, 1000000), D = arg(2, 16), K = arg(3, 64);
  const int threads = static_cast<int>(arg(4, 2)), iterations = static_cast<int>(arg(5, 2));

  const Eigen::MatrixXd X = Eigen::MatrixXd::Random(N, D);
  emkit::fitter<emkit::soft_estep, emkit::given_means, emkit::threads> fitter;
  fitter.init.means = X.topRows(K);
  fitter.execution.n = threads;
  fitter.options.relative_tolerance = 0;
  fitter.options.max_iterations = iterations;
  const emkit::mixture<emkit::gaussian> model{emkit::gaussian{.covariance = emkit::covariance_type::full}};
  const auto [theta, summary] = fitter.fit(model, X, K);

  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double peak_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
  const double data_mb = static_cast<double>(N * D) * sizeof(double) / (1024.0 * 1024.0);
  std::printf("N=%lld D=%lld K=%lld threads=%d iterations=%d log-likelihood/N=%.6f\n", static_cast<long long>(N),
              static_cast<long long>(D), static_cast<long long>(K), threads, summary.iterations,
              summary.log_likelihood / static_cast<double>(N));
  std::printf("peak RSS %.1f MiB, data %.1f MiB, ratio %.3f\n", peak_mb, data_mb, peak_mb / data_mb);
}
