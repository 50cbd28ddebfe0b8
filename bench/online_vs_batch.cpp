// Batch EM against online EM on a large synthetic Gaussian mixture (docs/scale.md, "Online and
// mini-batch EM"): the log-likelihood per observation reached against passes over the data.
// Draws N rows from a fixed random K-component, D-dimensional full-covariance mixture, then
// fits from the same k-means++ start (seed 1): batch EM, stepwise EM, stepwise EM with
// Polyak averaging, and incremental EM. Writes one CSV row per evaluated θ:
//   method,passes,mean_log_likelihood,seconds
// where passes counts the rows the algorithm read / N (evaluation passes excluded for the
// online methods; batch EM's ℓ(θ_t) comes free with its next pass) and seconds is the fitting
// time since θ_0 (the k-means++ initialisation, the same for all, and evaluation passes excluded).
//
//   emkit_online_vs_batch OUT.csv [N=1000000] [D=8] [K=8] [EPOCHS=10] [B=10000] [BATCH_ITER=60] [THREADS=1]
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <Eigen/Cholesky>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_01.hpp>

#include <emkit/emkit.hpp>
#include <emkit/framework/engine/online_fitter.hpp>

namespace {

// N draws from a random mixture: means uniform in [−2.5, 2.5]^D, covariances A Aᵀ/D + 0.3 I
// with A standard normal, weights ∝ uniform(0.5, 1.5). Overlapping, so batch EM needs tens of
// iterations.
Eigen::MatrixXd draw_data(emkit::index N, emkit::index D, emkit::index K, unsigned seed) {
  boost::random::mt19937_64 rng(seed);
  boost::random::normal_distribution<double> normal;
  boost::random::uniform_01<double> uniform;
  Eigen::MatrixXd means(K, D);
  std::vector<Eigen::MatrixXd> chol;
  Eigen::VectorXd weights(K);
  for (emkit::index k = 0; k < K; ++k) {
    for (emkit::index d = 0; d < D; ++d) means(k, d) = 5.0 * uniform(rng) - 2.5;
    Eigen::MatrixXd A(D, D);
    for (emkit::index i = 0; i < D * D; ++i) A.data()[i] = normal(rng);
    const Eigen::MatrixXd cov = A * A.transpose() / static_cast<double>(D) + 0.3 * Eigen::MatrixXd::Identity(D, D);
    chol.push_back(Eigen::LLT<Eigen::MatrixXd>(cov).matrixL());
    weights[k] = 0.5 + uniform(rng);
  }
  weights /= weights.sum();
  Eigen::MatrixXd X(N, D);
  Eigen::VectorXd z(D);
  for (emkit::index n = 0; n < N; ++n) {
    const double u = uniform(rng);
    emkit::index k = 0;
    for (double acc = weights[0]; u >= acc && k + 1 < K;) acc += weights[++k];
    for (emkit::index d = 0; d < D; ++d) z[d] = normal(rng);
    X.row(n) = (means.row(k).transpose() + chol[static_cast<std::size_t>(k)] * z).transpose();
  }
  return X;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s OUT.csv [N] [D] [K] [EPOCHS] [B] [BATCH_ITER] [THREADS]\n", argv[0]);
    return 2;
  }
  auto arg = [&](int i, long long fallback) { return argc > i ? std::atoll(argv[i]) : fallback; };
  const emkit::index N = arg(2, 1000000), D = arg(3, 8), K = arg(4, 8);
  const int epochs = static_cast<int>(arg(5, 10)), batch_iterations = static_cast<int>(arg(7, 60));
  const emkit::index B = arg(6, 10000);
  const int threads = static_cast<int>(arg(8, 1));

  const Eigen::MatrixXd X = draw_data(N, D, K, 2026);
  const double n = static_cast<double>(N);
  const emkit::mixture<emkit::gaussian> model;  // full covariances
  std::ofstream out(argv[1]);
  out << "method,passes,mean_log_likelihood,seconds\n";
  out.precision(17);

  {
    emkit::fitter<emkit::soft_estep, emkit::kmeans_plus_plus, emkit::threads> batch;
    batch.execution.n = threads;
    batch.options.seed = 1;
    batch.options.relative_tolerance = 0;
    batch.options.max_iterations = batch_iterations;
    const auto r = batch.fit(model, X, K);
    double seconds = 0;
    for (const emkit::iteration_record& rec : r.summary.trace) {
      if (rec.iteration > 0) seconds += rec.seconds;
      out << "batch," << rec.iteration << ',' << rec.log_likelihood / n << ',' << seconds << '\n';
    }
    std::printf("batch EM: %d iterations, mean log-likelihood %.10f, %.1f s after θ_0\n", r.summary.iterations,
                r.summary.log_likelihood / n, seconds);
  }

  struct variant {
    const char* name;
    emkit::online_method method;
    bool polyak;
  };
  for (const variant& v : {variant{"stepwise", emkit::online_method::stepwise, false},
                           variant{"stepwise_polyak", emkit::online_method::stepwise, true},
                           variant{"incremental", emkit::online_method::incremental, false}}) {
    emkit::online_fitter<emkit::soft_estep, emkit::kmeans_plus_plus, emkit::threads> online;
    online.execution.n = threads;
    online.options.seed = 1;
    online.options.method = v.method;
    online.options.polyak = v.polyak;
    online.options.batch_size = B;
    online.options.epochs = epochs;
    const auto r = online.fit(model, X, K);
    for (const emkit::online_record& rec : r.epochs)
      out << v.name << ',' << rec.passes << ',' << rec.log_likelihood / n << ','
          << rec.seconds - r.epochs.front().seconds << '\n';
    std::printf("%s: %d epochs of B = %lld, mean log-likelihood %.10f, %.1f s after θ_0\n", v.name, epochs,
                static_cast<long long>(B), r.summary.log_likelihood / n,
                r.epochs.back().seconds - r.epochs.front().seconds);
  }
  return 0;
}
