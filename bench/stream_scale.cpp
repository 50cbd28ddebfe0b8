// Streaming a large .npy file from disk: peak memory and seconds per pass. Writes an N×D
// float64 .npy file (three Gaussian clusters, written 2^20 rows at a time), then fits a
// diagonal-covariance mixture of K components to it with `--stream`'s source (`npy_source`),
// a fixed number of EM iterations from random rows, and prints the peak resident set size
// (getrusage) and the seconds of every pass. With "cold", the file's pages are dropped from the
// page cache (posix_fadvise DONTNEED, after fsync) before the fit and after every iteration, so
// that every pass reads the disk rather than memory. The file is removed at the end unless "keep".
//
//   emkit_stream_scale FILE [N D K THREADS ITERATIONS cold|warm keep|remove]
//   (defaults: 100000000 3 3 2 3 cold remove)
#include <fcntl.h>
#include <unistd.h>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <emkit/emkit.hpp>
#include <emkit/framework/data/npy_source.hpp>

namespace {

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // KiB on Linux
}

void drop_cache(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

void write_npy(const std::string& path, long long n, long long d) {
  std::string header =
      "{'descr': '<f8', 'fortran_order': False, 'shape': (" + std::to_string(n) + ", " + std::to_string(d) + "), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::FILE* out = std::fopen(path.c_str(), "wb");
  if (out == nullptr) {
    std::perror(path.c_str());
    std::exit(1);
  }
  std::fwrite("\x93NUMPY\x01\x00", 1, 8, out);
  const unsigned char len[2] = {static_cast<unsigned char>(header.size() & 0xff),
                                static_cast<unsigned char>(header.size() >> 8)};
  std::fwrite(len, 1, 2, out);
  std::fwrite(header.data(), 1, header.size(), out);
  std::mt19937_64 rng(1);
  std::normal_distribution<double> normal;
  constexpr long long block = 1LL << 20;
  std::vector<double> rows(static_cast<std::size_t>(block * d));
  for (long long begin = 0; begin < n; begin += block) {
    const long long count = std::min(block, n - begin);
    for (long long i = 0; i < count; ++i) {
      const double centre = 4.0 * static_cast<double>((begin + i) % 3);
      for (long long j = 0; j < d; ++j) rows[static_cast<std::size_t>(i * d + j)] = centre + normal(rng);
    }
    if (std::fwrite(rows.data(), sizeof(double), static_cast<std::size_t>(count * d), out) !=
        static_cast<std::size_t>(count * d)) {
      std::perror(path.c_str());
      std::exit(1);
    }
  }
  std::fclose(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE [N D K THREADS ITERATIONS cold|warm keep|remove]\n", argv[0]);
    return 2;
  }
  const std::string path = argv[1];
  const auto arg = [&](int i, long long fallback) { return argc > i ? std::atoll(argv[i]) : fallback; };
  const long long N = arg(2, 100000000), D = arg(3, 3), K = arg(4, 3);
  const int threads = static_cast<int>(arg(5, 2)), iterations = static_cast<int>(arg(6, 3));
  const bool cold = argc <= 7 || std::string(argv[7]) != "warm";
  const bool keep = argc > 8 && std::string(argv[8]) == "keep";

  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  if (!std::filesystem::exists(path)) write_npy(path, N, D);
  const double write_seconds = std::chrono::duration<double>(clock::now() - t0).count();
  const double file_gib = static_cast<double>(std::filesystem::file_size(path)) / (1024.0 * 1024.0 * 1024.0);
  const double rss_after_write = peak_rss_mib();
  if (cold) drop_cache(path);

  emkit::fitter<emkit::soft_estep, emkit::random_rows, emkit::threads> fitter;
  fitter.execution.n = threads;
  fitter.options.relative_tolerance = 0;
  fitter.options.max_iterations = iterations;
  fitter.options.seed = 1;
  fitter.options.chunk_rows = 256;  // as in the run docs/scale.md records
  if (cold) fitter.options.on_iteration = [&](int, const emkit::iteration_record&) { drop_cache(path); };
  const emkit::mixture<emkit::gaussian> model{emkit::gaussian{.covariance = emkit::covariance_type::diagonal}};
  t0 = clock::now();
  const emkit::npy_source source(path);
  const auto [theta, summary] = fitter.fit(model, source, K);
  const double fit_seconds = std::chrono::duration<double>(clock::now() - t0).count();

  std::printf("file %s: %lld x %lld float64, %.2f GiB (written in %.1f s)\n", path.c_str(),
              static_cast<long long>(source.rows()), static_cast<long long>(source.cols()), file_gib, write_seconds);
  std::printf("fit: K=%lld diagonal Gaussian, random rows, %d iterations, %d threads, %s cache, chunk_rows %lld\n", K,
              summary.iterations, threads, cold ? "cold (dropped every pass)" : "warm",
              static_cast<long long>(fitter.options.chunk_rows));
  std::printf("log-likelihood / N = %.6f\n", summary.log_likelihood / static_cast<double>(source.rows()));
  double pass_total = 0.0;
  for (const auto& rec : summary.trace) {
    std::printf("  record %d: %.2f s\n", rec.iteration, rec.seconds);
    if (rec.iteration > 0) pass_total += rec.seconds;
  }
  const double per_pass = iterations > 0 ? pass_total / iterations : 0.0;
  std::printf("seconds per EM iteration (one pass over the file): %.2f (%.0f MB/s)\n", per_pass,
              per_pass > 0 ? file_gib * 1073.741824 / per_pass : 0.0);
  std::printf("whole fit (check pass, init passes, iteration 0, %d iterations): %.1f s\n", iterations, fit_seconds);
  std::printf("peak RSS: %.1f MiB (after writing the file: %.1f MiB)\n", peak_rss_mib(), rss_after_write);
  if (!keep) std::filesystem::remove(path);
}
