// Armadillo's side of bench/compare.py: gmm_full, gmm_diag and kmeans from given starting
// parameters for a fixed number of iterations. Prints one JSON line with the total seconds of
// the learning call and the final mean log-likelihood (inertia per observation for kmeans).
//
//   armadillo_driver full|diag X.bin N D MEANS.bin COVS.bin WEIGHTS.bin K ITERATIONS
//   armadillo_driver kmeans X.bin N D MEANS.bin - - K ITERATIONS
#include <armadillo>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace {
void read_raw(const char* path, double* out, std::size_t count) {
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(sizeof(double) * count));
  if (!in) {
    std::fprintf(stderr, "cannot read %zu doubles from %s\n", count, path);
    std::exit(2);
  }
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 10) {
    std::fprintf(stderr, "usage: %s MODEL X.bin N D MEANS.bin COVS.bin WEIGHTS.bin K ITERATIONS\n", argv[0]);
    return 2;
  }
  const std::string kind = argv[1];
  const arma::uword N = std::atoll(argv[3]), D = std::atoll(argv[4]), K = std::atoll(argv[8]);
  const arma::uword iterations = std::atoll(argv[9]);
  arma::mat X(D, N);  // columns are observations: the row-major N×D file is column-major D×N
  read_raw(argv[2], X.memptr(), N * D);
  arma::mat means(D, K);
  read_raw(argv[5], means.memptr(), K * D);
  using clock = std::chrono::steady_clock;
  double seconds = 0, value = 0;
  if (kind == "kmeans") {
    const auto start = clock::now();
    arma::kmeans(means, X, K, arma::keep_existing, iterations, false);
    seconds = std::chrono::duration<double>(clock::now() - start).count();
    double inertia = 0;
    for (arma::uword n = 0; n < N; ++n) {
      double best = arma::datum::inf;
      for (arma::uword k = 0; k < K; ++k) best = std::min(best, arma::accu(arma::square(X.col(n) - means.col(k))));
      inertia += best;
    }
    value = inertia / static_cast<double>(N);
  } else {
    arma::rowvec weights(K);
    read_raw(argv[7], weights.memptr(), K);
    if (kind == "full") {
      arma::cube covs(D, D, K);
      read_raw(argv[6], covs.memptr(), K * D * D);  // K row-major D×D blocks: symmetric, so any order
      arma::gmm_full model;
      model.set_params(means, covs, weights);
      const auto start = clock::now();
      model.learn(X, K, arma::maha_dist, arma::keep_existing, 0, iterations, 1e-300, false);
      seconds = std::chrono::duration<double>(clock::now() - start).count();
      value = model.avg_log_p(X);
    } else {
      arma::mat covs(D, K);
      read_raw(argv[6], covs.memptr(), K * D);
      arma::gmm_diag model;
      model.set_params(means, covs, weights);
      const auto start = clock::now();
      model.learn(X, K, arma::maha_dist, arma::keep_existing, 0, iterations, 1e-300, false);
      seconds = std::chrono::duration<double>(clock::now() - start).count();
      value = model.avg_log_p(X);
    }
  }
  std::printf("{\"seconds\": %.9g, \"value\": %.17g}\n", seconds, value);
}
