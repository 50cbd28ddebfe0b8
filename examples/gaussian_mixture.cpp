// Fit a two-component Gaussian mixture to Old Faithful with the library API, with restarts
// and the monitor, then ask the fitted model questions.
#include <cstdio>

#include <emkit/emkit.hpp>
#include <emkit/framework/io/csv.hpp>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s faithful.csv\n", argv[0]);
    return 2;
  }
  try {
    const Eigen::MatrixXd X = emkit::io::read_csv(argv[1]).values;

    // The model: a mixture of full-covariance Gaussians. The fit: soft EM from k-means++,
    // five restarts, the best log-likelihood kept; the monitor checks EM's identities.
    const emkit::mixture<emkit::gaussian> model{emkit::gaussian{.covariance = emkit::covariance_type::full}};
    emkit::fitter<emkit::soft_estep, emkit::kmeans_plus_plus, emkit::threads> fitter;
    fitter.options.restarts = 5;
    fitter.options.seed = 42;
    fitter.options.relative_tolerance = 1e-12;
    auto [theta, summary] = fitter.fit(model, X, 2);

    std::printf("%s", summary.full_report().c_str());
    for (emkit::index k = 0; k < theta.size(); ++k) {
      const auto& c = theta.components[k];
      std::printf("component %td: weight %.4f, mean (%.4f, %.4f)\n", k, theta.weights[k], c.mean[0], c.mean[1]);
    }
    std::printf("log-likelihood %.5f, BIC %.3f, AIC %.3f\n", summary.log_likelihood, emkit::bic(model, theta, X),
                emkit::aic(model, theta, X));
    const Eigen::VectorX<emkit::index> labels = emkit::predict(model, theta, X);
    std::printf("first eruption belongs to component %td\n", labels[0]);
    return summary.violations.empty() ? 0 : 1;
  } catch (const emkit::error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
