#pragma once
/// \file
/// `emkit plot clusters MODEL.json DATA | trace TRACE.csv | selection TABLE.csv -o OUT.png|.svg`:
/// pictures drawn by gnuplot (gnuplot.hpp) from scripts (plot_scripts.hpp).

#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <emkit/cli/model.hpp>

namespace emkit::cli {

struct plot_args {
  std::string kind;
  std::vector<std::string> inputs;
  std::string output;
  std::string delimiter = ",";
};

CLI::App* add_plot_command(CLI::App& app, plot_args& a);
void run_plot_command(const plot_args& a, std::ostream& out, const family_list& families);

}  // namespace emkit::cli
