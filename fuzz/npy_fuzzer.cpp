// libFuzzer target: emkit::io::parse_npy on arbitrary bytes. A table it returns has at least
// one row and one column and only finite values; anything it rejects is a data_error with a
// one-line message naming the source. A hostile shape must not allocate more than the data
// holds (libFuzzer's -malloc_limit_mb reports it if it does).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <emkit/framework/io/npy.hpp>

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using emkit::fuzz::require;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const emkit::io::table t = emkit::io::parse_npy(bytes, "fuzz.npy");
    require(t.values.rows() >= 1 && t.values.cols() >= 1, "a table without rows or columns");
    require(t.values.allFinite(), "a non-finite value in the table");
    require(t.header.empty(), "a .npy table with column names");
    require(static_cast<std::size_t>(t.values.size()) <= size, "more values than bytes");
  } catch (const emkit::data_error& e) {
    emkit::fuzz::check_message(e.what(), "fuzz.npy");
  }
  return 0;
}
