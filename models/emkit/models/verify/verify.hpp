#pragma once
/// \file
/// `emkit::verify`: EM theory checked numerically at a fitted mixture.
///
/// For θ and data X, in the free coordinates φ of `mixture_coordinates.hpp` (the K − 1 weights
/// π_0 … π_{K−2}, then the family's coordinates of `parameterisation<Family>`), it reports:
///
/// | field | what it is | at a (local) maximum of ℓ |
/// | --- | --- | --- |
/// | `gradient_norm` | ‖∇ℓ(φ)‖₂ by central differences of ℓ | ≈ 0 (to the fit's tolerance; reg_covar > 0 leaves
/// O(N·reg/σ⁴)) | | `fixed_point_residual` | ‖φ(M(θ)) − φ(θ)‖₂, M the EM map (soft E-step, the model's own M-step) | ≈
/// 0 | | `standard_errors` | √diag(I_obs⁻¹), I_obs by Louis' identity I_obs = E[I_c \| X] − Cov[S_c \| X] | | |
/// `hessian_agreement` | ‖I_obs + H‖_F / ‖H‖_F, H the central-difference Hessian of ℓ | ≈ 0 (about 1e-7) | | `em_rate`
/// | lim ‖φ_{t+1} − φ*‖ / ‖φ_t − φ*‖ of EM started a little off its fixed point φ* | = missing_information_rate | |
/// `missing_information_rate` | the largest \|eigenvalue\| of the Jacobian of M, by central differences | = largest
/// eigenvalue of I_c⁻¹ I_m |
///
/// and the matrices and vectors behind each number. How each is computed, and how accurate it
/// is, is in docs/theory/verify.md. The cost is dominated by the finite-difference Hessian,
/// 2P² evaluations of ℓ (skipped above `verify_options::hessian_max_coordinates`), and by the
/// EM run of `em_rate` (at most `em_rate_max_steps` EM steps).
///
///     const auto report = emkit::verify(model, theta, X);
///     std::printf("%s", report.full_report().c_str());

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <boost/random/normal_distribution.hpp>

#include <emkit/framework/engine/check_data.hpp>
#include <emkit/framework/engine/estep_totals.hpp>
#include <emkit/framework/engine/summary.hpp>
#include <emkit/framework/error.hpp>
#include <emkit/framework/estep/soft_estep.hpp>
#include <emkit/framework/numeric/compensated_sum.hpp>
#include <emkit/framework/numeric/log_sum_exp.hpp>
#include <emkit/framework/numeric/random.hpp>
#include <emkit/framework/types.hpp>
#include <emkit/framework/verify/bound.hpp>
#include <emkit/framework/verify/parameterisation.hpp>
#include <emkit/models/mixture.hpp>
#include <emkit/models/verify/bernoulli_parameterisation.hpp>
#include <emkit/models/verify/gaussian_parameterisation.hpp>
#include <emkit/models/verify/kmeans_parameterisation.hpp>
#include <emkit/models/verify/mixture_coordinates.hpp>
#include <emkit/models/verify/poisson_parameterisation.hpp>

namespace emkit {

/// Settings of `verify`. Steps are relative: coordinate j moves by step × scale_j, where
/// scale_j is its typical size (`free_coordinate_scales`).
struct verify_options {
  double gradient_step = 1e-5;  ///< central first differences (gradient, EM-map Jacobian, E[I_c]); about ε^(1/3)
  double hessian_step = 1e-4;   ///< central second differences of ℓ; about ε^(1/4)
  double em_rate_perturbation = 1e-5;   ///< ‖δ / scales‖: how far from φ* the EM run of `em_rate` starts
  double em_rate_rescale = 1e-2;        ///< scale the error back to ‖δ‖ once it has shrunk by this factor
  int em_rate_max_steps = 5000;         ///< at most this many EM steps to find φ*, and as many for `em_rate`
  int em_rate_window = 10;              ///< em_rate is the geometric mean of the last this-many error ratios…
  double em_rate_agreement = 1e-4;      ///< …taken once they agree to this relative spread
  std::uint64_t seed = 0;               ///< the direction of the perturbation
  bool analytic_scores = true;          ///< use the family's analytic scores (`HasAnalyticScores`) when it has them
  index hessian_max_coordinates = 200;  ///< skip the O(P²) Hessian (hessian_agreement NaN) above this many coordinates
  index chunk_rows = 256;               ///< rows per chunk of each pass

  /// Throws `invalid_option` naming the field, its value and the accepted range.
  void validate() const {
    check_option(gradient_step > 0 && gradient_step < 0.1, "verify_options", "gradient_step", gradient_step,
                 "in (0, 0.1)");
    check_option(hessian_step > 0 && hessian_step < 0.1, "verify_options", "hessian_step", hessian_step, "in (0, 0.1)");
    check_option(em_rate_perturbation > 0 && em_rate_perturbation < 0.5, "verify_options", "em_rate_perturbation",
                 em_rate_perturbation, "in (0, 0.5)");
    check_option(em_rate_max_steps >= 2, "verify_options", "em_rate_max_steps", em_rate_max_steps, ">= 2");
    check_option(em_rate_rescale > 0 && em_rate_rescale < 1, "verify_options", "em_rate_rescale", em_rate_rescale,
                 "in (0, 1)");
    check_option(em_rate_agreement > 0, "verify_options", "em_rate_agreement", em_rate_agreement, "> 0");
    check_option(em_rate_window >= 1, "verify_options", "em_rate_window", em_rate_window, ">= 1");
    check_option(hessian_max_coordinates >= 0, "verify_options", "hessian_max_coordinates", hessian_max_coordinates,
                 ">= 0");
    check_option(chunk_rows >= 1, "verify_options", "chunk_rows", chunk_rows, ">= 1");
  }
};

/// The standard error of one parameter.
struct standard_error {
  std::string name;       ///< `weight[0]`, `component[1].mean[0]`, `component[0].covariance[1,0]`, …
  double estimate = 0.0;  ///< the parameter's value at θ
  double value = 0.0;     ///< its standard error √(I_obs⁻¹)_jj; NaN when I_obs is not positive definite
  /// Not a free coordinate: π_{K−1} = 1 − Σ_j π_j, whose standard error is √(1ᵀ C 1) over
  /// the weights' block C of I_obs⁻¹.
  bool derived = false;
};

/// What `verify` found. The first six fields are those of `emkit verify --json`; NaN means
/// "not available" (a matrix that is not positive definite, a Hessian skipped for size).
struct verify_report {
  static constexpr double nan = std::numeric_limits<double>::quiet_NaN();

  double gradient_norm = nan;                   ///< ‖∇ℓ‖₂ by central differences
  double fixed_point_residual = nan;            ///< ‖φ(M(θ)) − φ(θ)‖₂
  std::vector<standard_error> standard_errors;  ///< one per free coordinate, then π_{K−1} (derived)
  double hessian_agreement = nan;               ///< ‖I_obs(Louis) + H(differences)‖_F / ‖H‖_F
  double em_rate = nan;                         ///< empirical linear rate of EM near θ
  double missing_information_rate = nan;        ///< largest |eigenvalue| of the EM map's Jacobian

  double log_likelihood = nan;     ///< ℓ(θ) = Σ_n w_n log p(x_n | θ)
  double total_weight = nan;       ///< Σ_n w_n
  std::vector<std::string> names;  ///< the P free coordinates
  Eigen::VectorXd parameters;      ///< φ(θ)
  Eigen::VectorXd scales;          ///< typical size of each coordinate (finite-difference steps)
  Eigen::VectorXd gradient;        ///< ∇ℓ by central differences
  Eigen::VectorXd score;           ///< ∇ℓ by Fisher's identity, Σ_n w_n E[S_c(x_n, z_n) | x_n]
  /// ½ gᵀ I_obs⁻¹ g: what one Newton step would add to ℓ (unit-free; ≈ 0 at a maximum).
  double newton_gain = nan;
  Eigen::VectorXd fixed_point_step;      ///< φ(M(θ)) − φ(θ)
  Eigen::MatrixXd complete_information;  ///< E[I_c | X] = −∂²Q(φ; q_θ)/∂φ²
  Eigen::MatrixXd missing_information;   ///< Cov[S_c | X] = Σ_n w_n Σ_k r_nk (S_nk − s̄_n)(S_nk − s̄_n)ᵀ
  Eigen::MatrixXd observed_information;  ///< I_obs = complete − missing (Louis)
  Eigen::MatrixXd hessian;               ///< ∂²ℓ/∂φ² by central differences (empty when skipped)
  Eigen::MatrixXd covariance;            ///< I_obs⁻¹ (empty unless I_obs is positive definite)
  bool information_positive_definite = false;  ///< I_obs is positive definite: θ is a strict local maximum
  Eigen::MatrixXd em_jacobian;                 ///< ∂M(φ)/∂φ by central differences
  Eigen::VectorXd em_jacobian_eigenvalues;     ///< its eigenvalues' moduli, largest first
  /// The largest eigenvalue of I_c⁻¹ I_m: the same limit, from Louis' pieces.
  double missing_information_rate_louis = nan;
  Eigen::VectorXd fixed_point;         ///< φ*: EM run from θ until its steps reach rounding
  double fixed_point_distance = nan;   ///< ‖φ* − φ(θ)‖₂: how far the fit was from EM's own limit
  int fixed_point_iterations = 0;      ///< EM steps taken to find φ*
  std::vector<double> em_rate_ratios;  ///< e_{t+1}/e_t of the EM run behind em_rate
  bool analytic_scores = false;        ///< the family's analytic scores were used (else differences)

  /// One line with the six headline numbers.
  [[nodiscard]] std::string brief_report() const {
    char line[512];
    std::snprintf(line, sizeof line,
                  "log-likelihood %.10g, gradient norm %.3g, fixed-point residual %.3g, Hessian agreement %.3g, "
                  "EM rate %.6f, missing-information rate %.6f",
                  log_likelihood, gradient_norm, fixed_point_residual, hessian_agreement, em_rate,
                  missing_information_rate);
    return line;
  }

  /// The brief line, then each parameter with its estimate, standard error and gradient.
  [[nodiscard]] std::string full_report() const {
    std::string out = brief_report() + "\n";
    char line[512];
    std::snprintf(line, sizeof line, "  %-32s %14s %12s %12s\n", "parameter", "estimate", "std. error", "gradient");
    out += line;
    for (std::size_t j = 0; j < standard_errors.size(); ++j) {
      const standard_error& s = standard_errors[j];
      const double g =
          s.derived || j >= static_cast<std::size_t>(gradient.size()) ? nan : gradient[static_cast<index>(j)];
      std::snprintf(line, sizeof line, "  %-32s %14.6g %12.4g %12.3g%s\n", s.name.c_str(), s.estimate, s.value, g,
                    s.derived ? "  (derived)" : "");
      out += line;
    }
    std::snprintf(line, sizeof line,
                  "  Newton gain %.3g, missing-information rate from Louis' pieces %.6f, information %s\n", newton_gain,
                  missing_information_rate_louis,
                  information_positive_definite ? "positive definite" : "NOT positive definite");
    out += line;
    return out;
  }
};

namespace detail {

/// Central first differences: the gradient of f at φ with steps h.
template <class F>
Eigen::VectorXd central_gradient(F&& f, const Eigen::VectorXd& phi, const Eigen::VectorXd& h) {
  Eigen::VectorXd g(phi.size());
  for (index j = 0; j < phi.size(); ++j) {
    Eigen::VectorXd p = phi;
    p[j] = phi[j] + h[j];
    const double up = f(p);
    p[j] = phi[j] - h[j];
    g[j] = (up - f(p)) / (2.0 * h[j]);
  }
  return g;
}

/// Central first differences of a vector function: column j is ∂g/∂φ_j.
template <class G>
Eigen::MatrixXd central_jacobian(G&& g, const Eigen::VectorXd& phi, const Eigen::VectorXd& h) {
  Eigen::MatrixXd J;
  for (index j = 0; j < phi.size(); ++j) {
    Eigen::VectorXd p = phi;
    p[j] = phi[j] + h[j];
    const Eigen::VectorXd up = g(p);
    p[j] = phi[j] - h[j];
    const Eigen::VectorXd down = g(p);
    if (j == 0) J.resize(up.size(), phi.size());
    J.col(j) = (up - down) / (2.0 * h[j]);
  }
  return J;
}

/// Central second differences: the Hessian of f at φ (2P² evaluations), symmetric by construction.
template <class F>
Eigen::MatrixXd central_hessian(F&& f, const Eigen::VectorXd& phi, const Eigen::VectorXd& h) {
  const index P = phi.size();
  Eigen::MatrixXd H(P, P);
  const double f0 = f(phi);
  for (index i = 0; i < P; ++i) {
    Eigen::VectorXd p = phi;
    p[i] = phi[i] + h[i];
    const double up = f(p);
    p[i] = phi[i] - h[i];
    H(i, i) = (up - 2.0 * f0 + f(p)) / (h[i] * h[i]);
    for (index j = 0; j < i; ++j) {
      auto at = [&](double si, double sj) {
        Eigen::VectorXd q = phi;
        q[i] += si * h[i];
        q[j] += sj * h[j];
        return f(q);
      };
      H(i, j) = H(j, i) = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4.0 * h[i] * h[j]);
    }
  }
  return H;
}

/// The data, the model and θ's shapes, with the passes `verify` makes over the data.
template <HasParameterisation F>
class verify_context {
 public:
  using model_type = mixture<F>;
  using params_type = typename model_type::params_type;

  verify_context(const model_type& model, const params_type& theta, matrix_ref X, vector_ref w, index chunk_rows,
                 const std::vector<std::string>& names)
      : model_(model), theta_(theta), X_(X), w_(w), cache_(model.prepare(X)), chunk_(chunk_rows), names_(names) {}

  /// θ at φ; a step outside the parameter space is reported with the coordinates that moved.
  [[nodiscard]] params_type at(const Eigen::VectorXd& phi, const Eigen::VectorXd& reference) const {
    try {
      return with_free_coordinates(model_, theta_, phi);
    } catch (const numerical_error& e) {
      std::string moved;
      for (index j = 0; j < phi.size(); ++j)
        if (phi[j] != reference[j]) moved += (moved.empty() ? "" : ", ") + names_[static_cast<std::size_t>(j)];
      throw numerical_error(concat("verify: a step in ", moved.empty() ? std::string("no coordinate") : moved,
                                   " left the parameter space (", e.what(),
                                   "); θ is on or near its boundary, or a step option is too large"));
    }
  }

  template <class Body>
  void for_each_chunk(Body&& body) const {
    for (index b = 0; b < X_.rows(); b += chunk_) body(b, std::min(chunk_, X_.rows() - b));
  }

  /// L(n, k) = log p(x_n, z_n = k | θ) for the rows [b, b + n).
  [[nodiscard]] Eigen::MatrixXd log_joint(const params_type& th, index b, index n) const {
    Eigen::MatrixXd L(n, th.size());
    model_.log_joint(th, X_.middleRows(b, n), middle_rows(cache_, b, n), L);
    return L;
  }

  /// ℓ(θ), compensated; when R is given, also the posterior r_nk (N×K).
  [[nodiscard]] double log_likelihood(const params_type& th, Eigen::MatrixXd* R = nullptr) const {
    compensated_sum s;
    for_each_chunk([&](index b, index n) {
      const Eigen::MatrixXd L = log_joint(th, b, n);
      for (index i = 0; i < n; ++i) {
        const double lse = log_sum_exp(L.row(i));
        if (w_[b + i] != 0.0) s += w_[b + i] * lse;
        if (R) R->row(b + i) = (L.row(i).array() - lse).exp();
      }
    });
    return s.value();
  }

  /// Q(θ; r) = Σ_n w_n Σ_k r_nk log p(x_n, z_n = k | θ), a zero r_nk contributing 0.
  [[nodiscard]] double expected_complete(const params_type& th, const Eigen::MatrixXd& R) const {
    compensated_sum s;
    for_each_chunk([&](index b, index n) {
      const Eigen::MatrixXd L = log_joint(th, b, n);
      for (index i = 0; i < n; ++i)
        for (index k = 0; k < L.cols(); ++k)
          if (R(b + i, k) > 0 && w_[b + i] != 0.0) s += w_[b + i] * R(b + i, k) * L(i, k);
    });
    return s.value();
  }

  /// M(θ): the soft E-step at θ, then the model's own M-step (its reg_covar, floors and all).
  [[nodiscard]] params_type em_step(const params_type& th) const {
    auto acc = model_.make_accumulator(th.size());
    estep_totals totals;
    for_each_chunk([&](index b, index n) {
      Eigen::MatrixXd L = log_joint(th, b, n);
      const vector_ref wc = w_.segment(b, n);
      soft_estep{}.posterior(L, wc, totals);
      model_.accumulate(X_.middleRows(b, n), middle_rows(cache_, b, n), wc, L, acc);
    });
    std::vector<warning> warnings;
    fit_events events{0, 0, false, &warnings};
    params_type next = model_.m_step(acc, events);
    if (events.reseeded)
      throw numerical_error("verify: a component lost all its mass in an EM step; θ is not a fit of this data");
    return next;
  }

  /// S[k](i, j) = ∂ log p(x_{b+i}, z = k | θ) / ∂φ_j for the rows [b, b + n), from the
  /// family's analytic scores, or, when `plus`/`minus` are given (θ at φ ± h_j e_j), by
  /// central differences of the log joint.
  void scores(const params_type& th, index b, index n, std::vector<Eigen::MatrixXd>& S, index P,
              const std::vector<params_type>* plus, const std::vector<params_type>* minus,
              const Eigen::VectorXd* h) const {
    S.assign(static_cast<std::size_t>(th.size()), Eigen::MatrixXd(n, P));
    if (plus) {
      for (index j = 0; j < P; ++j) {
        const Eigen::MatrixXd up = log_joint((*plus)[static_cast<std::size_t>(j)], b, n);
        const Eigen::MatrixXd down = log_joint((*minus)[static_cast<std::size_t>(j)], b, n);
        for (index k = 0; k < th.size(); ++k)
          S[static_cast<std::size_t>(k)].col(j) = (up.col(k) - down.col(k)) / (2.0 * (*h)[j]);
      }
      return;
    }
    if constexpr (HasAnalyticScores<F>) {
      for (index k = 0; k < th.size(); ++k)
        complete_data_scores(model_, th, k, X_.middleRows(b, n), S[static_cast<std::size_t>(k)]);
    }
  }

  /// ∇_φ Q(φ; r) = Σ_n w_n Σ_k r_nk S_nk(θ), with analytic scores.
  [[nodiscard]] Eigen::VectorXd expected_score(const params_type& th, const Eigen::MatrixXd& R, index P) const {
    Eigen::VectorXd g = Eigen::VectorXd::Zero(P);
    std::vector<Eigen::MatrixXd> S;
    for_each_chunk([&](index b, index n) {
      scores(th, b, n, S, P, nullptr, nullptr, nullptr);
      for (index k = 0; k < th.size(); ++k)
        g.noalias() +=
            S[static_cast<std::size_t>(k)].transpose() * (w_.segment(b, n).cwiseProduct(R.col(k).segment(b, n)));
    });
    return g;
  }

  [[nodiscard]] vector_ref weights() const { return w_; }

 private:
  template <class... Parts>
  static std::string concat(const Parts&... parts) {
    return emkit::detail::concat(parts...);
  }

  const model_type& model_;
  const params_type& theta_;
  matrix_ref X_;
  vector_ref w_;
  Eigen::MatrixXd cache_;
  index chunk_;
  const std::vector<std::string>& names_;
};

}  // namespace detail

/// One EM step from θ on (X, w): the soft E-step, then the model's M-step. Throws
/// `numerical_error` when a component loses all its mass.
template <HasParameterisation F>
[[nodiscard]] typename mixture<F>::params_type em_step(const mixture<F>& model,
                                                       const typename mixture<F>::params_type& theta, matrix_ref X,
                                                       vector_ref w) {
  check_data(X, "em_step");
  check_weights(w, X.rows(), "em_step");
  const std::vector<std::string> names = free_coordinate_names(model, theta);
  return detail::verify_context<F>(model, theta, X, w, 256, names).em_step(theta);
}

/// Checks EM theory at θ on the rows of X with observation weights w (see the file comment).
/// Throws `shape_error`/`data_error`/`invalid_option` for bad arguments, and `numerical_error`
/// when a finite-difference step leaves the parameter space (θ on its boundary: a weight or a
/// variance near 0) or an EM step empties a component.
template <HasParameterisation F>
[[nodiscard]] verify_report verify(const mixture<F>& model, const typename mixture<F>::params_type& theta, matrix_ref X,
                                   vector_ref w, const verify_options& options = {}) {
  constexpr std::string_view where = "verify";
  options.validate();
  check_data(X, where);
  check_weights(w, X.rows(), where);
  model.validate_data(X);
  check_shape(theta.size() >= 1 && theta.weights.size() == theta.size(), where, "theta.weights.size()",
              theta.weights.size(), "the number of components " + std::to_string(theta.size()));
  check_shape(X.cols() == theta.dimension, where, "X.cols()", X.cols(),
              "the model's dimension " + std::to_string(theta.dimension));

  verify_report rep;
  rep.names = free_coordinate_names(model, theta);
  rep.parameters = free_coordinates(model, theta);
  rep.scales = free_coordinate_scales(model, theta);
  rep.total_weight = w.sum();
  const Eigen::VectorXd& phi = rep.parameters;
  const index P = phi.size();
  const index K = theta.size();
  const index N = X.rows();
  const detail::verify_context<F> ctx(model, theta, X, w, options.chunk_rows, rep.names);
  using params_type = typename mixture<F>::params_type;
  const params_type th = ctx.at(phi, phi);  // θ rebuilt from φ, so that every value below is of the same θ

  Eigen::MatrixXd R(N, K);
  rep.log_likelihood = ctx.log_likelihood(th, &R);
  auto ell = [&](const Eigen::VectorXd& p) { return ctx.log_likelihood(ctx.at(p, phi)); };
  const Eigen::VectorXd h1 = options.gradient_step * rep.scales;
  const Eigen::VectorXd h2 = options.hessian_step * rep.scales;

  // ∇ℓ by central differences, and the fixed point of the EM map.
  rep.gradient = detail::central_gradient(ell, phi, h1);
  rep.gradient_norm = rep.gradient.norm();
  auto em_map = [&](const Eigen::VectorXd& p) { return free_coordinates(model, ctx.em_step(ctx.at(p, phi))); };
  rep.fixed_point_step = em_map(phi) - phi;
  rep.fixed_point_residual = rep.fixed_point_step.norm();

  // Louis' identity. The missing information is the posterior covariance of the complete-data
  // score, Σ_n w_n Σ_k r_nk (S_nk − s̄_n)(S_nk − s̄_n)ᵀ in its centred form (no cancellation when
  // the posterior is nearly one-hot); Fisher's identity gives ∇ℓ = Σ_n w_n s̄_n on the way.
  bool analytic = false;
  if constexpr (HasAnalyticScores<F>) analytic = options.analytic_scores;
  rep.analytic_scores = analytic;
  std::vector<params_type> plus, minus;
  if (!analytic) {
    for (index j = 0; j < P; ++j) {
      Eigen::VectorXd p = phi;
      p[j] = phi[j] + h1[j];
      plus.push_back(ctx.at(p, phi));
      p[j] = phi[j] - h1[j];
      minus.push_back(ctx.at(p, phi));
    }
  }
  rep.missing_information = Eigen::MatrixXd::Zero(P, P);
  rep.score = Eigen::VectorXd::Zero(P);
  {
    std::vector<Eigen::MatrixXd> S;
    ctx.for_each_chunk([&](index b, index n) {
      ctx.scores(th, b, n, S, P, analytic ? nullptr : &plus, analytic ? nullptr : &minus, &h1);
      const Eigen::MatrixXd Rc = R.middleRows(b, n);
      const Eigen::VectorXd wc = w.segment(b, n);
      Eigen::MatrixXd mean = Eigen::MatrixXd::Zero(n, P);
      for (index k = 0; k < K; ++k) mean.noalias() += Rc.col(k).asDiagonal() * S[static_cast<std::size_t>(k)];
      for (index k = 0; k < K; ++k) {
        const Eigen::MatrixXd centred = S[static_cast<std::size_t>(k)] - mean;
        const Eigen::VectorXd wr = wc.cwiseProduct(Rc.col(k));
        rep.missing_information.noalias() += centred.transpose() * (wr.asDiagonal() * centred);
      }
      rep.score.noalias() += mean.transpose() * wc;
    });
  }
  // E[I_c | X] = −∂²Q(φ; q_θ)/∂φ² with the posterior held at θ: first differences of the
  // analytic ∇Q, or second differences of Q without analytic scores.
  if (analytic) {
    const Eigen::MatrixXd J = detail::central_jacobian(
        [&](const Eigen::VectorXd& p) { return ctx.expected_score(ctx.at(p, phi), R, P); }, phi, h1);
    rep.complete_information = -0.5 * (J + J.transpose());
  } else {
    rep.complete_information = -detail::central_hessian(
        [&](const Eigen::VectorXd& p) { return ctx.expected_complete(ctx.at(p, phi), R); }, phi, h2);
  }
  rep.observed_information = rep.complete_information - rep.missing_information;

  const Eigen::LLT<Eigen::MatrixXd> llt(rep.observed_information);
  rep.information_positive_definite = P > 0 && llt.info() == Eigen::Success;
  if (rep.information_positive_definite) {
    rep.covariance = llt.solve(Eigen::MatrixXd::Identity(P, P));
    rep.newton_gain = 0.5 * rep.gradient.dot(rep.covariance * rep.gradient);
  }
  for (index j = 0; j < P; ++j) {
    rep.standard_errors.push_back(
        {rep.names[static_cast<std::size_t>(j)], phi[j],
         rep.information_positive_definite ? std::sqrt(rep.covariance(j, j)) : verify_report::nan, false});
  }
  if (const index W = num_weight_coordinates(model, theta); W > 0) {
    const double var =
        rep.information_positive_definite ? rep.covariance.topLeftCorner(W, W).sum() : verify_report::nan;
    rep.standard_errors.push_back(
        {emkit::detail::concat("weight[", K - 1, "]"), th.weights[K - 1], std::sqrt(var), true});
  }

  // The Hessian of ℓ by second differences, against Louis.
  if (P <= options.hessian_max_coordinates) {
    rep.hessian = detail::central_hessian(ell, phi, h2);
    rep.hessian_agreement = (rep.observed_information + rep.hessian).norm() / rep.hessian.norm();
  }

  // The EM map's Jacobian; at a fixed point it equals I_c⁻¹ I_m (Dempster, Laird and Rubin), whose
  // eigenvalues are the fractions of missing information, real and in [0, 1).
  rep.em_jacobian = detail::central_jacobian(em_map, phi, h1);
  if (P > 0) {
    const Eigen::VectorXcd eig = Eigen::EigenSolver<Eigen::MatrixXd>(rep.em_jacobian, false).eigenvalues();
    rep.em_jacobian_eigenvalues = eig.cwiseAbs();
    std::sort(rep.em_jacobian_eigenvalues.begin(), rep.em_jacobian_eigenvalues.end(), std::greater<>());
    rep.missing_information_rate = rep.em_jacobian_eigenvalues[0];
    if (Eigen::LLT<Eigen::MatrixXd>(rep.complete_information).info() == Eigen::Success) {
      const Eigen::GeneralizedSelfAdjointEigenSolver<Eigen::MatrixXd> ges(
          rep.missing_information, rep.complete_information, Eigen::EigenvaluesOnly);
      rep.missing_information_rate_louis = ges.eigenvalues().maxCoeff();
    }
  }

  // The empirical rate. First φ*: EM from θ until its steps stop shrinking (rounding) — θ is
  // a fit converged only to a tolerance. Then EM from φ* + δ (δ a random direction,
  // `em_rate_perturbation` of each scale), recording e_{t+1}/e_t with e_t = ‖(φ_t − φ*)/scales‖.
  // Whenever e falls `em_rate_rescale`-fold it is scaled back to ‖δ‖ (power iteration), so
  // every ratio is measured in the linear regime and far above rounding, however fast EM is;
  // the rate is the geometric mean of the last `em_rate_window` ratios once they agree.
  if (P > 0) {
    Eigen::VectorXd star = phi;
    double previous = std::numeric_limits<double>::infinity();
    for (int t = 0; t < options.em_rate_max_steps; ++t) {
      const Eigen::VectorXd next = em_map(star);
      const double step = (next - star).cwiseQuotient(rep.scales).norm();
      ++rep.fixed_point_iterations;
      if (!(step < previous)) break;  // rounding: the steps stopped shrinking; keep the smaller one
      star = next;
      previous = step;
      if (step == 0.0) break;
    }
    rep.fixed_point = star;
    rep.fixed_point_distance = (star - phi).norm();

    random_engine rng = make_engine(options.seed);
    boost::random::normal_distribution<double> normal;
    Eigen::VectorXd u(P);
    for (index j = 0; j < P; ++j) u[j] = normal(rng);
    const Eigen::VectorXd delta = options.em_rate_perturbation * rep.scales.cwiseProduct(u / u.norm());
    const double size = options.em_rate_perturbation;  // ‖δ / scales‖
    Eigen::VectorXd current = star + delta;
    double error = size;
    auto& ratios = rep.em_rate_ratios;
    const auto window = static_cast<std::size_t>(options.em_rate_window);
    for (int t = 0; t < options.em_rate_max_steps; ++t) {
      Eigen::VectorXd next = em_map(current);
      const double next_error = (next - star).cwiseQuotient(rep.scales).norm();
      ratios.push_back(next_error / error);
      if (next_error == 0.0) break;
      if (ratios.size() >= window) {
        const auto tail = ratios.end() - static_cast<std::ptrdiff_t>(window);
        const auto [lo, hi] = std::minmax_element(tail, ratios.end());
        // Agreed; or every ratio at rounding level: EM reaches φ* in one step (K = 1, say).
        if (*hi - *lo <= options.em_rate_agreement * *hi || *hi < 1e-6) break;
      }
      // Back to ‖δ‖ once shrunk (or, away from a maximum, grown) by the factor: power iteration.
      if (next_error < size * options.em_rate_rescale || next_error > size / options.em_rate_rescale) {
        next = star + (next - star) * (size / next_error);
        error = size;
      } else {
        error = next_error;
      }
      current = std::move(next);
    }
    const std::size_t m = std::min(window, ratios.size());
    double log_sum = 0.0;
    for (std::size_t i = ratios.size() - m; i < ratios.size(); ++i) log_sum += std::log(ratios[i]);
    rep.em_rate = std::exp(log_sum / static_cast<double>(m));
  }
  return rep;
}

/// `verify` with every observation of weight 1.
template <HasParameterisation F>
[[nodiscard]] verify_report verify(const mixture<F>& model, const typename mixture<F>::params_type& theta, matrix_ref X,
                                   const verify_options& options = {}) {
  return verify(model, theta, X, Eigen::VectorXd::Ones(X.rows()), options);
}

}  // namespace emkit
