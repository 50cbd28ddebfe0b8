// A family as a user writes one: the exponential distribution, D independent columns per
// component. A family is the density of ONE component and how to fit it from weighted data;
// emkit::mixture makes a K-component model of it, and emkit::fitter fits that with restarts,
// initialisation, threads and the EM monitor, none of which the family has to write.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <limits>
#include <span>
#include <sstream>
#include <vector>

#include <boost/random/exponential_distribution.hpp>

#include <emkit/emkit.hpp>

// f(x | λ) = Π_d λ_d exp(−λ_d x_d) for x ≥ 0.
struct exponential {
  struct params_type {
    Eigen::VectorXd rate;  // λ (D), each > 0
  };
  // Weighted sufficient statistics W = Σ_n w_n and S = Σ_n w_n x_n. Sums over rows add, so chunks,
  // threads and machines accumulate apart and merge with +=; the empty statistic is the identity.
  struct stats_type {
    double weight = 0.0;
    Eigen::VectorXd sum;
    stats_type& operator+=(const stats_type& o) {
      if (o.sum.size() == 0) return *this;
      if (sum.size() == 0) sum = Eigen::VectorXd::Zero(o.sum.size());
      weight += o.weight;
      sum += o.sum;
      return *this;
    }
  };

  // Required: log f(x_n | λ) = Σ_d log λ_d − λ·x_n for each row of a chunk, as one product.
  Eigen::VectorXd log_density(const params_type& p, emkit::matrix_ref X) const {
    return (-(X * p.rate)).array() + p.rate.array().log().sum();
  }
  // Required: the statistics of a chunk under one component's weights (w_n times r_nk).
  stats_type accumulate(emkit::matrix_ref X, emkit::vector_ref w) const { return {w.sum(), X.transpose() * w}; }
  // Required: the closed-form M-step. W log λ_d − λ_d S_d is largest at λ_d = W / S_d.
  params_type maximize(const stats_type& s) const {
    if (!(s.sum.array() > 0).all()) throw emkit::numerical_error("a rate is unbounded: its column sums to 0");
    return {(s.weight / s.sum.array()).matrix()};
  }

  // Optional hooks: emkit detects each one; none is required.
  // The support is x ≥ 0 (emkit itself rejects NaN and Inf for every family).
  void validate_data(emkit::matrix_ref X) const {
    for (emkit::index n = 0; n < X.rows(); ++n)
      for (emkit::index d = 0; d < X.cols(); ++d)
        if (X(n, d) < 0) {
          std::ostringstream message;
          message << "exponential: X(" << n << ", " << d << ") = " << X(n, d)
                  << ", expected a value >= 0 (row and column are 0-based)";
          throw emkit::data_error(message.str());
        }
  }
  // Σ_n w_n log f(x_n | λ) = W Σ_d log λ_d − λ·S from the statistics alone: the monitor's
  // Q(θ_new; q_old), for its M-step and KL checks, without another pass over the data.
  double expected_log_density(const stats_type& s, const params_type& p) const {
    return s.weight > 0 ? s.weight * p.rate.array().log().sum() - p.rate.dot(s.sum) : 0.0;
  }
  // K·D rates (the mixture adds its K − 1 weights), for BIC and AIC.
  std::size_t num_free_parameters(std::span<const params_type> ps) const {
    return ps.empty() ? 0 : ps.size() * static_cast<std::size_t>(ps.front().rate.size());
  }
  // One draw x ~ f(· | λ); Boost.Random's distributions give the same numbers on every platform.
  Eigen::VectorXd sample(const params_type& p, emkit::random_engine& rng) const {
    Eigen::VectorXd x(p.rate.size());
    for (emkit::index d = 0; d < x.size(); ++d) x[d] = boost::random::exponential_distribution<>(p.rate[d])(rng);
    return x;
  }
};

// Optional hooks are found by their signatures, so a typo would drop one silently: say which are meant.
static_assert(emkit::ComponentFamily<exponential> && emkit::HasValidateData<exponential> &&
              emkit::HasExpectedLogDensity<exponential> && emkit::HasFreeParameters<exponential> &&
              emkit::HasSample<exponential>);

int main() {
  try {
    // The truth: three components over two columns; 6000 draws from it with a fixed seed.
    const emkit::mixture<exponential> model{};
    emkit::mixture_params<exponential::params_type> truth;
    truth.weights = Eigen::Vector3d(0.5, 0.3, 0.2);
    truth.components = {{Eigen::Vector2d(1.0, 10.0)}, {Eigen::Vector2d(10.0, 1.0)}, {Eigen::Vector2d(0.25, 0.25)}};
    truth.dimension = 2;
    const Eigen::MatrixXd X = emkit::sample(model, truth, 6000, /*seed=*/2024).X;

    // Soft EM from k-means++, five restarts (the best objective is kept), on two threads (the
    // same bits as one); the monitor checks EM's identities every iteration and throws if one fails.
    emkit::fitter<emkit::soft_estep, emkit::kmeans_plus_plus, emkit::threads> fitter;
    fitter.execution.n = 2;
    fitter.options.restarts = 5;
    fitter.options.seed = 7;
    fitter.options.max_iterations = 300;
    fitter.options.monitor.action = emkit::monitor_action::raise;
    auto [theta, summary] = fitter.fit(model, X, 3);
    std::printf("%s", summary.full_report().c_str());

    // Components come out in any order: pair true and fitted ones by the permutation closest in log-rate.
    std::vector<int> order{0, 1, 2}, match;
    double best = std::numeric_limits<double>::infinity();
    do {
      double cost = 0.0;
      for (int k = 0; k < 3; ++k)
        cost += (theta.components[order[k]].rate.array().log() - truth.components[k].rate.array().log()).abs().sum();
      if (cost < best) best = cost, match = order;
    } while (std::next_permutation(order.begin(), order.end()));

    double worst = 0.0;  // the largest relative error of a rate
    for (int k = 0; k < 3; ++k) {
      const Eigen::VectorXd& fit = theta.components[match[k]].rate;
      const Eigen::VectorXd& rate = truth.components[k].rate;
      worst = std::max(worst, ((fit - rate).array() / rate.array()).abs().maxCoeff());
      std::printf("component %d: weight %.3f (true %.3f), rates (%.3f, %.3f) (true %.3f, %.3f)\n", k,
                  theta.weights[match[k]], truth.weights[k], fit[0], fit[1], rate[0], rate[1]);
    }

    // Model selection: num_free_parameters gives BIC, which should be lowest at the true K = 3.
    // An extra component splits a true one and converges slowly; that is reported, not hidden.
    std::vector<double> bic;
    for (emkit::index K = 1; K <= 4; ++K) {
      const auto fit = fitter.fit(model, X, K);
      bic.push_back(emkit::bic(model, fit.params, X));
      std::printf("K = %td: BIC %.2f%s\n", K, bic.back(), fit.summary.converged ? "" : " (not converged)");
    }
    const bool bic_picks_3 = std::min_element(bic.begin(), bic.end()) - bic.begin() == 2;

    // Out of support: a negative value is rejected before any fitting, naming its row and column.
    Eigen::MatrixXd negative = X;
    negative(17, 1) = -0.5;
    bool rejected = false;
    try {
      (void)fitter.fit(model, negative, 3);
    } catch (const emkit::data_error& e) {
      rejected = true;
      std::printf("rejected: %s\n", e.what());
    }

    if (summary.violations.empty() && summary.converged && worst < 0.10 && bic_picks_3 && rejected) {
      std::printf(
          "recovered: every rate within 10%% of the truth (worst %.1f%%), BIC picks K = 3, "
          "no monitor violation\n",
          100 * worst);
      return 0;
    }
    std::printf("NOT recovered: worst rate error %.1f%%\n", 100 * worst);
    return 1;
  } catch (const emkit::error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
