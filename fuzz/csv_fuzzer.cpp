// libFuzzer target: emkit::io::parse_csv on arbitrary bytes. A table it returns has at least
// one row and one column, only finite values, and no header or a header of one name per
// column; anything it rejects is a data_error with a one-line message naming the source.
// The first byte picks the delimiter (so that ';', tab and space are fuzzed too).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <emkit/framework/io/csv.hpp>

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using emkit::fuzz::require;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  emkit::io::csv_options options;
  if (!text.empty() && (text.front() == ';' || text.front() == '\t' || text.front() == ' ')) {
    options.delimiter = text.front();
    text.remove_prefix(1);
  }
  try {
    const emkit::io::table t = emkit::io::parse_csv(text, "fuzz.csv", options);
    require(t.values.rows() >= 1 && t.values.cols() >= 1, "a table without rows or columns");
    require(t.values.allFinite(), "a non-finite value in the table");
    require(t.header.empty() || static_cast<Eigen::Index>(t.header.size()) == t.values.cols(),
            "a header whose length differs from the number of columns");
  } catch (const emkit::data_error& e) {
    emkit::fuzz::check_message(e.what(), "fuzz.csv");
  }
  return 0;
}
