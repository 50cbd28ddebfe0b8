#pragma once
// What every fuzz target asserts about an error: it is an emkit::error (never another
// exception type, which would escape the target and be reported as a crash), and its message
// is one printable line that starts with the name of the input.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace emkit::fuzz {

/// Aborts (a finding) with `why` and the message when `ok` is false.
inline void require(bool ok, const char* why, std::string_view message = {}) {
  if (ok) return;
  const std::string text(message);
  std::fprintf(stderr, "fuzz invariant violated: %s\n  message: %s\n", why, text.c_str());
  std::abort();
}

/// An error message must start with `source` followed by ": " and be a single line.
inline void check_message(std::string_view message, std::string_view source) {
  require(message.substr(0, source.size()) == source && message.substr(source.size(), 2) == ": ",
          "the message does not start with the input's name", message);
  require(message.find('\n') == std::string_view::npos, "the message is not one line", message);
}

}  // namespace emkit::fuzz
