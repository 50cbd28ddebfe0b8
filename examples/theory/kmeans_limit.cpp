// Study 3: K-means as the σ → 0 limit of EM (docs/theory/kmeans-limit.md).
//
// Take the mixture with equal weights 1/K and one known spherical covariance σ²I for every
// component. Soft EM for it has responsibilities
//
//     r_nk = exp(−‖x_n − μ_k‖² / 2σ²) / Σ_j exp(−‖x_n − μ_j‖² / 2σ²),
//
// which tend, as σ → 0, to 1 for the nearest centre and 0 for the others: the E-step becomes
// K-means' assignment, and the M-step (weighted means) its update. emkit writes both with one
// family, `fixed_spherical_gaussian`: `kmeans_model(σ²)` under the hard E-step is K-means
// whatever σ², under the soft E-step it is EM at that σ. Same data, same start, σ shrinking.
#include <cmath>
#include <cstdio>
#include <vector>

#include <Eigen/Eigenvalues>

#include <emkit/emkit.hpp>
#include <emkit/models/verify/verify.hpp>

int main() {
  try {
    // [data]
    // Three round clusters of unit variance at the corners of a triangle of side 3: they overlap.
    using gmm = emkit::mixture<emkit::gaussian>;
    gmm::params_type truth;
    truth.dimension = 2;
    truth.weights = Eigen::Vector3d::Constant(1.0 / 3);
    for (const Eigen::Vector2d& m : {Eigen::Vector2d(0.0, 0.0), Eigen::Vector2d(3.0, 0.0), Eigen::Vector2d(1.5, 2.6)})
      truth.components.push_back(emkit::gaussian_params::from(m, Eigen::Matrix2d::Identity()));
    const Eigen::MatrixXd X = emkit::sample(gmm{}, truth, 600, 3).X;
    const Eigen::MatrixXd start = (Eigen::MatrixXd(3, 2) << -1.0, -1.0, 4.0, 1.0, 1.0, 4.0).finished();
    // [data]

    // [kmeans]
    emkit::kmeans_fitter<emkit::given_means> lloyd;
    lloyd.init.means = start;
    const auto km = lloyd.fit(emkit::kmeans_model(), X, 3);
    const Eigen::MatrixXd km_centres = emkit::centers(km.params);
    const Eigen::VectorX<emkit::index> km_labels = emkit::predict(emkit::kmeans_model(), km.params, X);
    // [kmeans]
    std::printf("K-means (Lloyd): %d iterations, inertia %.6f\n", km.summary.iterations, emkit::inertia(km.params, X));
    // [critical]
    // With every centre at the data mean m, r_nk = 1/K and the EM map is μ_k ↦ m + S (μ_k − μ̄) / σ², S the
    // data's covariance: the merged solution attracts EM, at rate λ_max(S) / σ², exactly when σ² > λ_max(S).
    const Eigen::MatrixXd centred = X.rowwise() - X.colwise().mean();
    const Eigen::MatrixXd S = centred.transpose() * centred / static_cast<double>(X.rows());
    const double lambda_max = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(S).eigenvalues().maxCoeff();
    // [critical]
    std::printf("largest eigenvalue of the data's covariance %.6f: the centres merge for sigma > %.4f\n\n", lambda_max,
                std::sqrt(lambda_max));

    std::printf("%7s %14s %12s %14s %10s %8s %12s\n", "sigma", "max |mu - km|", "entropy / N", "max (1 - r_max)",
                "relabelled", "iters", "EM rate");
    std::vector<double> distance;
    bool merged_rate = true;
    for (double sigma : {3.0, 2.0, 1.5, 1.0, 0.7, 0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005}) {
      // [soft]
      const auto model = emkit::kmeans_model(sigma * sigma);  // equal weights, σ²I fixed
      emkit::fitter<emkit::soft_estep, emkit::given_means> em;
      em.init.means = start;
      em.options.relative_tolerance = 1e-13;
      em.options.max_iterations = 20000;
      const auto fit = em.fit(model, X, 3);
      const Eigen::MatrixXd R = emkit::predict_proba(model, fit.params, X);
      // [soft]
      const double d = (emkit::centers(fit.params) - km_centres).rowwise().norm().maxCoeff();
      const double entropy =
          -(R.array() > 0).select(R.array() * R.array().log(), 0.0).sum() / static_cast<double>(X.rows());
      const double softest = (1.0 - R.rowwise().maxCoeff().array()).maxCoeff();
      const Eigen::VectorX<emkit::index> labels = emkit::predict(model, fit.params, X);
      const long relabelled = (labels.array() != km_labels.array()).count();
      emkit::verify_options options;
      options.hessian_max_coordinates = 0;  // only the rates are wanted here
      const double rate = emkit::verify(model, fit.params, X, options).missing_information_rate;
      if (sigma * sigma > lambda_max) merged_rate = merged_rate && std::abs(rate - lambda_max / (sigma * sigma)) < 1e-6;
      std::printf("%7.3f %14.3e %12.3e %14.3e %10ld %8d %12.3e\n", sigma, d, entropy, softest, relabelled,
                  fit.summary.iterations, rate);
      distance.push_back(d);
    }

    // The limit: below σ = 0.5 the distance shrinks at every step, and it is 0 to rounding at the smallest σ.
    bool shrinking = true;
    for (std::size_t i = 6; i < distance.size(); ++i) shrinking = shrinking && distance[i] <= distance[i - 1];
    if (shrinking && distance.back() < 1e-12 && merged_rate) {
      std::printf(
          "claim held: as sigma -> 0 the soft-EM centres converge to the K-means centres (distance %.1e at "
          "sigma = 0.005); above the critical sigma the centres merge and EM's rate is lambda_max / sigma^2\n",
          distance.back());
      return 0;
    }
    std::printf("claim FAILED\n");
    return 1;
  } catch (const emkit::error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
