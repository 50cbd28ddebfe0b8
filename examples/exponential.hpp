#pragma once
// A family as a user writes one: the exponential distribution, D independent columns per
// component. A family is the density of ONE component and how to fit it from weighted data;
// emkit::mixture makes a K-component model of it, and emkit::fitter fits that with restarts,
// initialisation, threads and the EM monitor, none of which the family has to write.
// exponential_mixture.cpp fits it; exponential_conformance_test.cpp runs emkit's conformance
// suite on it; exponential_cli.cpp gives it the whole emkit command line.
#include <cstddef>
#include <span>

#include <boost/hana/adapt_struct.hpp>
#include <boost/random/exponential_distribution.hpp>

#include <emkit/emkit.hpp>
#include <emkit/framework/execution/reflect.hpp>

// f(x | λ) = Π_d λ_d exp(−λ_d x_d) for x ≥ 0.
struct exponential {
  struct params_type {
    Eigen::VectorXd rate;  // λ (D), each > 0
    EMKIT_REFLECT(rate);   // names the member, so that model files can hold it (emkit::cli)
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
    // Optional: reweighting, s *= a is the statistics of the same rows with every weight times a
    // (ScalableStats), which online EM needs to average statistics.
    stats_type& operator*=(double a) {
      weight *= a;
      sum *= a;
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
  // The error carries the row, column and value, so that the command line names the file's line.
  void validate_data(emkit::matrix_ref X) const {
    for (emkit::index n = 0; n < X.rows(); ++n)
      for (emkit::index d = 0; d < X.cols(); ++d)
        if (X(n, d) < 0) throw emkit::data_error("exponential", {n, d, X(n, d)}, "a value >= 0");
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
              emkit::HasSample<exponential> && emkit::ScalableStats<exponential::stats_type>);

// Optional: the statistics' members, so that processes (MPI) can exchange them as doubles.
BOOST_HANA_ADAPT_STRUCT(exponential::stats_type, weight, sum);
