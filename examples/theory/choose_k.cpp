// Study 6: choosing K by held-out log-likelihood (docs/theory/choose-k.md).
//
// The training log-likelihood of the best K-component fit can only grow with K (a K-component
// mixture is a (K+1)-component one with a weight at 0), so it cannot choose K. The log-likelihood
// of data the fit has not seen estimates the expected log density E[log p(x | θ̂_K)] of a new
// observation, whose maximum over K balances bias against variance. Five-fold cross-validation
// on 1500 points from a known three-component mixture, with BIC beside it.
#include <cmath>
#include <cstdio>
#include <vector>

#include <emkit/emkit.hpp>

int main() {
  try {
    // [truth]
    using gmm = emkit::mixture<emkit::gaussian>;
    gmm::params_type truth;
    truth.dimension = 2;
    truth.weights = Eigen::Vector3d(0.4, 0.35, 0.25);
    truth.components.push_back(
        emkit::gaussian_params::from(Eigen::Vector2d(0, 0), (Eigen::Matrix2d() << 1, 0.4, 0.4, 0.8).finished()));
    truth.components.push_back(
        emkit::gaussian_params::from(Eigen::Vector2d(3, 1), (Eigen::Matrix2d() << 0.7, -0.2, -0.2, 1.0).finished()));
    truth.components.push_back(
        emkit::gaussian_params::from(Eigen::Vector2d(1, 3.5), (Eigen::Matrix2d() << 0.6, 0.0, 0.0, 0.6).finished()));
    const gmm model{emkit::gaussian{.covariance = emkit::covariance_type::full}};
    const Eigen::MatrixXd X = emkit::sample(model, truth, 1500, 11).X;
    // [truth]

    // [cross-validation]
    constexpr int folds = 5, max_K = 7;
    const emkit::index N = X.rows();
    auto fit = [&](const Eigen::MatrixXd& data, int K) {
      emkit::fitter<> fitter;  // k-means++ starts
      fitter.options.restarts = 3;
      fitter.options.max_iterations = 300;
      fitter.options.seed = static_cast<std::uint64_t>(K);
      return fitter.fit(model, data, K).params;
    };
    std::vector<double> train(max_K + 1, 0.0), held_out(max_K + 1, 0.0), bic(max_K + 1, 0.0);
    for (int K = 1; K <= max_K; ++K) {
      for (int f = 0; f < folds; ++f) {
        // Fold f holds rows n with n mod 5 = f (the rows are independent draws, in no order).
        const emkit::index held = (N - f + folds - 1) / folds;
        Eigen::MatrixXd in(N - held, 2), out(held, 2);
        for (emkit::index n = 0, i = 0, o = 0; n < N; ++n) {
          if (n % folds == f) {
            out.row(o++) = X.row(n);
          } else {
            in.row(i++) = X.row(n);
          }
        }
        const auto theta = fit(in, K);
        train[K] += emkit::score(model, theta, in) / folds;  // ℓ / N on the rows it was fitted to
        held_out[K] += emkit::log_likelihood(model, theta, out) / static_cast<double>(N);  // every row held out once
      }
      bic[K] = emkit::bic(model, fit(X, K), X);
    }
    // [cross-validation]

    int best_held_out = 1, best_bic = 1;
    std::printf("%3s %14s %14s %14s\n", "K", "train l / N", "held-out l / N", "BIC");
    for (int K = 1; K <= max_K; ++K) {
      std::printf("%3d %14.5f %14.5f %14.3f\n", K, train[K], held_out[K], bic[K]);
      if (held_out[K] > held_out[best_held_out]) best_held_out = K;
      if (bic[K] < bic[best_bic]) best_bic = K;
    }
    bool train_grows = true;
    for (int K = 2; K <= max_K; ++K) train_grows = train_grows && train[K] >= train[K - 1] - 1e-3;
    std::printf("held-out log-likelihood chooses K = %d, BIC chooses K = %d, the truth is K = 3\n", best_held_out,
                best_bic);
    if (best_held_out == 3 && best_bic == 3 && train_grows && train[max_K] > train[3]) {
      std::printf(
          "claim held: the training log-likelihood grows with K but the held-out log-likelihood peaks at "
          "the true K = 3, where BIC also has its minimum\n");
      return 0;
    }
    std::printf("claim FAILED\n");
    return 1;
  } catch (const emkit::error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
