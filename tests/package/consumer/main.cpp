// A user's program against an installed emkit: fits two well-separated 1-D clusters.
#include <cmath>
#include <cstdio>

#include <emkit/emkit.hpp>

int main() {
  Eigen::MatrixXd X(8, 1);
  X << -5.1, -4.9, -5.0, -5.2, 5.0, 4.8, 5.1, 5.2;
  emkit::fitter<> fitter;
  fitter.options.seed = 3;
  auto [theta, summary] = fitter.fit(emkit::mixture<emkit::gaussian>{}, X, 2);
  const double lo = std::min(theta.components[0].mean[0], theta.components[1].mean[0]);
  std::printf("emkit %s: %s; lower mean %.4f\n", emkit::version, summary.brief_report().c_str(), lo);
  return summary.converged && std::abs(lo + 5.05) < 1e-9 && summary.violations.empty() ? 0 : 1;
}
