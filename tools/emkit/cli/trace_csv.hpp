#pragma once
/// \file
/// The per-iteration trace of a fit as CSV: a header, then one row per `iteration_record`
/// (iteration 0 is the initial parameters), every double with 17 significant digits so that
/// it reads back exactly, NaN written as "nan".

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <emkit/framework/engine/iteration_record.hpp>

namespace emkit::cli {

/// The columns of a trace file, in order.
inline constexpr const char* trace_header =
    "iteration,log_likelihood,objective,q,entropy,elbo,kl,estep_gap,change,seconds,reseeded";

/// `v` with 17 significant digits ("nan", "inf", "-inf" for the non-finite).
[[nodiscard]] inline std::string format_double(double v) {
  if (std::isnan(v)) return "nan";
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

/// The trace as CSV text: `trace_header`, then one line per record; `reseeded` is 0 or 1.
[[nodiscard]] inline std::string trace_csv(const std::vector<iteration_record>& trace) {
  std::string out = trace_header;
  out += '\n';
  for (const iteration_record& r : trace) {
    out += std::to_string(r.iteration);
    for (double v : {r.log_likelihood, r.objective, r.q, r.entropy, r.elbo, r.kl, r.estep_gap, r.change, r.seconds}) {
      out += ',';
      out += format_double(v);
    }
    out += r.reseeded ? ",1\n" : ",0\n";
  }
  return out;
}

}  // namespace emkit::cli
