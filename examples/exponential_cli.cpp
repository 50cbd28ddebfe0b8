// The exponential family of exponential.hpp on the emkit command line: fit, predict, score,
// sample, info, select, verify and plot, with its own model files, from these three lines.
#include <emkit/cli/family.hpp>
#include <emkit/cli/main.hpp>

#include "exponential.hpp"

int main(int argc, char** argv) {
  emkit::cli::family_list families = emkit::cli::shipped_families();
  families.push_back(emkit::cli::family<exponential>("exponential", "exponential (rates of positive data)"));
  return emkit::cli::main(argc, argv, families);
}
