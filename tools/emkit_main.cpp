// The emkit program: the command line over the shipped families.
#include <emkit/cli/main.hpp>

int main(int argc, char** argv) { return emkit::cli::main(argc, argv, emkit::cli::shipped_families()); }
