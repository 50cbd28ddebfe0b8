// libFuzzer target (not yet fuzzed in CI; its corpus replays as the test fuzz_corpus.fit_fuzzer): the
// whole path from a CSV file to a fit. The bytes are read as CSV; the table (at most 64 rows and 4
// columns) is fitted by a Gaussian mixture (each covariance type) and by K-means. Each fit
// either throws an emkit::error or returns parameters, log-likelihood and objective that are
// all finite, with the monitor set to throw. This is the "never NaN" promise on arbitrary data.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string_view>

#include <emkit/emkit.hpp>
#include <emkit/framework/io/csv.hpp>

#include "fuzz_check.hpp"

namespace {

template <class Result>
void require_finite(const Result& r) {
  using emkit::fuzz::require;
  require(r.params.weights.allFinite(), "non-finite weights");
  require(std::isfinite(r.summary.log_likelihood), "non-finite log-likelihood");
  require(std::isfinite(r.summary.objective), "non-finite objective");
}

template <class Fitter, class Model>
void fit_or_error(const Fitter& f, const Model& model, const Eigen::MatrixXd& X, emkit::index K) {
  try {
    require_finite(f.fit(model, X, K));
  } catch (const emkit::monitor_violation& e) {
    emkit::fuzz::require(false, "the monitor found a violated EM identity", e.what());
  } catch (const emkit::error& e) {
    const std::string_view m = e.what();
    emkit::fuzz::require(m.find('\n') == std::string_view::npos, "the message is not one line", m);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const emkit::index K_wanted = 1 + data[0] % 3;
  emkit::io::table t;
  try {
    t = emkit::io::parse_csv(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1), "fuzz.csv");
  } catch (const emkit::error&) {
    return 0;
  }
  if (t.values.rows() > 64 || t.values.cols() > 4) return 0;
  // EMKIT_FIT_FUZZ_MAX_ABS=v skips tables with a value beyond ±v, to look past the known
  // overflow findings.
  static const double max_abs = std::getenv("EMKIT_FIT_FUZZ_MAX_ABS") ? std::atof(std::getenv("EMKIT_FIT_FUZZ_MAX_ABS"))
                                                                      : std::numeric_limits<double>::infinity();
  if (t.values.cwiseAbs().maxCoeff() > max_abs) return 0;
  const Eigen::MatrixXd& X = t.values;
  const emkit::index K = std::min<emkit::index>(K_wanted, X.rows());
  // EMKIT_FIT_FUZZ_RECORD=1 records monitor violations instead of failing on them, to look
  // for other findings past a known one.
  static const auto action =
      std::getenv("EMKIT_FIT_FUZZ_RECORD") ? emkit::monitor_action::record : emkit::monitor_action::raise;
  emkit::fitter<> f;
  f.options.max_iterations = 20;
  f.options.monitor.action = action;
  for (const auto c : {emkit::covariance_type::full, emkit::covariance_type::diagonal,
                       emkit::covariance_type::spherical, emkit::covariance_type::tied}) {
    fit_or_error(f, emkit::mixture<emkit::gaussian>{emkit::gaussian{.covariance = c}}, X, K);
  }
  emkit::kmeans_fitter<> km;
  km.options.max_iterations = 20;
  km.options.monitor.action = action;
  fit_or_error(km, emkit::kmeans_model(), X, K);
  return 0;
}
