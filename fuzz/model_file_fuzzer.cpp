// libFuzzer target: the command line's model-file loader, emkit::cli::load_text
// (<emkit/cli/model_file.hpp>), on arbitrary text. Anything it rejects is an emkit::error (never a
// JSON library exception) with a one-line message naming the file; a model it accepts answers
// predict_proba on a few rows with finite posteriors that sum to 1, and score_samples without NaN.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <emkit/emkit.hpp>

#include <emkit/cli/model.hpp>
#include <emkit/cli/model_file.hpp>

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using emkit::fuzz::require;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  emkit::cli::loaded_model loaded;
  try {
    loaded = emkit::cli::load_text(text, "fuzz.json");
  } catch (const emkit::error& e) {
    emkit::fuzz::check_message(e.what(), "fuzz.json");
    return 0;
  }
  const emkit::index K = emkit::cli::num_components(*loaded.model);
  const emkit::index D = emkit::cli::dimension(*loaded.model);
  require(K >= 1 && D >= 1, "a loaded model without components or columns");
  if (K * D > 100000) return 0;  // keep each input fast; the sizes were checked against the arrays
  // Rows every family accepts: zeros, and ones (counts and binary values included).
  Eigen::MatrixXd X(2, D);
  X.row(0).setZero();
  X.row(1).setOnes();
  const emkit::cli::fitted_model& f = *loaded.model;
  {
    {
      try {
        const Eigen::VectorXd s = f.score_samples(X);
        require(!s.array().isNaN().any(), "score_samples of a loaded model is NaN");
        // A row whose density underflows to 0 in every component (log density −∞) has no
        // posterior; predict_proba still gives NaN there (a known bug, docs/reliability.md,
        // Degenerate.APointFarFromEveryComponentHasAFiniteLogDensityUntilItOverflows).
        // Once it throws numerical_error instead, drop this condition.
        if (!s.allFinite()) return 0;
        const Eigen::MatrixXd R = f.predict_proba(X);
        require(R.allFinite(), "predict_proba of a loaded model is not finite");
        require(((R.rowwise().sum().array() - 1.0).abs() < 1e-9).all(), "posteriors that do not sum to 1");
      } catch (const emkit::error& e) {
        // A model may reject the rows (a product's Bernoulli block accepts 0 and 1 only, say).
        const std::string_view m = e.what();
        require(m.find('\n') == std::string_view::npos, "the message is not one line", m);
      }
    }
  }
  return 0;
}
