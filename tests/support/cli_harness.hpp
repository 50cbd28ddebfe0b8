#pragma once
/// \file
/// What the command-line tests share: whole-file reads and writes, quoting for /bin/sh, and the
/// result of one run of the program.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace cli_harness {

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_text(const std::filesystem::path& p, std::string_view text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

/// `s` quoted for /bin/sh.
inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// What one run of the program did: its exit status and captured standard output and error.
struct run_result {
  int status = -1;  ///< the exit status; -1 if the program did not exit normally (a crash)
  std::string out;
  std::string err;
};

}  // namespace cli_harness
