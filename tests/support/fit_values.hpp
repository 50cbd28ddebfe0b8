#pragma once
// Every fitted number of a mixture as one vector, to compare two fits bit for bit.
#include <vector>

#include <emkit/emkit.hpp>

namespace emkit::testing {

/// The weights, then each component's parameters, then the trace of the objective.
template <class Params>
std::vector<double> fit_values(const fit_result<mixture_params<Params>>& r) {
  std::vector<double> v(r.params.weights.data(), r.params.weights.data() + r.params.weights.size());
  auto add = [&](const auto& m) { v.insert(v.end(), m.data(), m.data() + m.size()); };
  for (const Params& p : r.params.components) {
    if constexpr (requires { p.mean; }) add(p.mean);
    if constexpr (requires { p.covariance; }) add(p.covariance);
    if constexpr (requires { p.rates; }) add(p.rates);
    if constexpr (requires { p.probabilities; }) add(p.probabilities);
  }
  for (const iteration_record& rec : r.summary.trace) v.push_back(rec.objective);
  return v;
}

}  // namespace emkit::testing
