#pragma once
/// \file
/// `emkit select DATA --k 1..8 [--covariance full,diag] [--criterion bic|aic|icl|cv]`: fits a
/// model of one family (the first registered by default) for every K and, for a
/// family with --covariance, every covariance type; prints the table of ℓ, BIC, AIC, ICL and
/// the cross-validated log-likelihood, and writes the best model.

#include <cstdint>
#include <ostream>
#include <string>

#include <CLI/CLI.hpp>

#include <emkit/cli/model.hpp>

namespace emkit::cli {

struct select_args {
  std::string data;
  std::string ks = "1..8";
  std::string family;       ///< --family; empty: the first registered family
  std::string covariances;  ///< --covariance; empty: every value the family's --covariance takes
  int folds = 5;
  std::string criterion = "bic";
  int restarts = 1;
  std::uint64_t seed = 0;
  double tol = 1e-8;
  int max_iter = 1000;
  std::string reg_covar;  ///< --reg-covar as typed; empty: the family's default
  int threads = 0;
  std::string delimiter = ",";
  std::string output;
  std::string table;              ///< --table: the table as CSV
  std::string progress = "auto";  ///< --progress
};

CLI::App* add_select_command(CLI::App& app, select_args& a, const family_list& families);
void run_select_command(const select_args& a, std::ostream& out, const family_list& families);

}  // namespace emkit::cli
