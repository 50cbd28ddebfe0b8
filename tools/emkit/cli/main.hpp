#pragma once
/// \file
/// `emkit::cli::main`: the whole `emkit` command line — fit, predict, score, sample, info,
/// select, verify and plot, with model files — over a list of families. The `emkit` program
/// is `return emkit::cli::main(argc, argv, emkit::cli::shipped_families());`; a program with a
/// family of its own adds it to the list (<emkit/cli/family.hpp>):
///
///     families.push_back(emkit::cli::family<exponential>("exponential"));
///
/// Exit status: 0 on success (and for --help, --version); 2 for a command line that cannot be
/// parsed or asks for something invalid; 1 for bad data, files that cannot be read or written,
/// and numerical failures. Every error is one line on standard error beginning "emkit: error: ".

#include <emkit/cli/model.hpp>

namespace emkit::cli {

/// Runs the command line `argv` with `families` (the first is the default of --family).
int main(int argc, char** argv, const family_list& families);

}  // namespace emkit::cli
