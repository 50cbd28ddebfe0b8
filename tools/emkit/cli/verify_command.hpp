#pragma once
/// \file
/// `emkit verify MODEL.json DATA [--json]`: EM theory checked numerically at a saved model
/// (`emkit::verify`, <emkit/models/verify/verify.hpp>): the gradient norm, the fixed-point
/// residual, standard errors by Louis' identity against a finite-difference Hessian, the
/// empirical EM rate and the fraction of missing information. Every family with a
/// parameterisation; a family without one is refused with a clear error.

#include <cmath>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include <CLI/CLI.hpp>

#include <emkit/cli/cli_files.hpp>
#include <emkit/cli/model.hpp>

namespace emkit::cli {

struct verify_args {
  std::string model;
  std::string data;
  std::string weights;
  std::string delimiter = ",";
  bool json = false;
  index hessian_max_coordinates = 200;  ///< add_verify_command sets verify_options{}'s default
  std::uint64_t seed = 0;
};

CLI::App* add_verify_command(CLI::App& app, verify_args& a);
void run_verify_command(const verify_args& a, std::ostream& out, const family_list& families);

}  // namespace emkit::cli
