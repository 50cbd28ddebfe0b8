#pragma once
/// \file
/// What the command-line tests share: whole-file reads and writes, quoting for /bin/sh, and the
/// result of one run of the program.

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>

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

/// Runs `binary args...` through /bin/sh with standard input from `stdin_file` and
/// `environment` ("NAME=value ...") before the command; captures standard output and error
/// through two files in `dir`, removed afterwards.
inline run_result run_program(const std::string& binary, const std::vector<std::string>& args,
                              const std::filesystem::path& dir, const std::string& stdin_file = "/dev/null",
                              const std::string& environment = "") {
  const std::string out_file = (dir / ".stdout").string(), err_file = (dir / ".stderr").string();
  std::string command = environment;
  const auto append = [&command](std::string_view prefix, const std::string& word) {
    command.append(prefix);
    command.append(shell_quote(word));
  };
  append(" ", binary);
  for (const std::string& a : args) append(" ", a);
  append(" <", stdin_file);
  append(" >", out_file);
  append(" 2>", err_file);
  const int raw = std::system(command.c_str());
  run_result r;
  if (raw != -1 && WIFEXITED(raw) && WEXITSTATUS(raw) < 128) r.status = WEXITSTATUS(raw);
  r.out = read_text(out_file);
  r.err = read_text(err_file);
  std::filesystem::remove(out_file);
  std::filesystem::remove(err_file);
  return r;
}

/// A test fixture with a fresh scratch directory per test, removed after it.
class scratch_dir_test : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "emkit-cli-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  /// `name` inside the scratch directory.
  [[nodiscard]] std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
};

}  // namespace cli_harness
