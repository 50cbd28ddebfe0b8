#pragma once
/// \file
/// Running gnuplot for `emkit plot`: the script and the picture go to a private temporary
/// directory, and the picture is then written to its destination atomically, so that a
/// failed or interrupted plot leaves no half-written file. The program is `gnuplot` on the
/// PATH, or the one named by the environment variable EMKIT_GNUPLOT.

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <emkit/framework/error.hpp>
#include <emkit/framework/io/atomic_file.hpp>

#include <emkit/cli/cli_files.hpp>
#include <emkit/cli/plot_scripts.hpp>

extern char** environ;

namespace emkit::cli {

/// The image format of an output path, from its extension: "png" or "svg" (any case).
/// Throws `usage_error` for another extension.
[[nodiscard]] inline std::string image_format(const std::string& path) {
  std::string extension = std::filesystem::path(path).extension().string();
  for (char& c : extension) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (extension == ".png") return "png";
  if (extension == ".svg") return "svg";
  throw usage_error("-o " + display_name(path) + ": " +
                    (extension.empty() ? std::string("has no extension") : "'" + display_name(extension) + "' is not") +
                    ", expected an image file name ending in .png or .svg");
}

/// The gnuplot program: $EMKIT_GNUPLOT when set and not empty, else "gnuplot" (looked up on the PATH).
[[nodiscard]] inline std::string gnuplot_program() {
  const char* given = std::getenv("EMKIT_GNUPLOT");
  return given != nullptr && *given != '\0' ? std::string(given) : std::string("gnuplot");
}

namespace plot_detail {

/// A directory of its own under the system's temporary directory, removed with everything in it.
class temporary_directory {
 public:
  temporary_directory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "emkit-plot-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw error("plot: cannot create a temporary directory (" +
                  std::error_code(errno, std::generic_category()).message() + ")");
    }
    path_ = pattern;
  }
  temporary_directory(const temporary_directory&) = delete;
  temporary_directory& operator=(const temporary_directory&) = delete;
  ~temporary_directory() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// The last line of `log` that is not blank (gnuplot's error message ends its output).
[[nodiscard]] inline std::string last_line(std::string_view log) {
  std::string_view line;
  std::size_t start = 0;
  while (start < log.size()) {
    std::size_t end = log.find('\n', start);
    if (end == std::string_view::npos) end = log.size();
    const std::string_view candidate = log.substr(start, end - start);
    if (candidate.find_first_not_of(" \t\r^") != std::string_view::npos) line = candidate;
    start = end + 1;
  }
  return std::string(line);
}

/// Runs `program script` with standard input from /dev/null and standard output and error
/// into `log`; returns its wait status. Throws `error` when the program cannot be started.
[[nodiscard]] inline int run_program(const std::string& program, const std::string& script, const std::string& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::vector<char*> argv{const_cast<char*>(program.c_str()), const_cast<char*>(script.c_str()), nullptr};
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    const std::string why =
        spawned == ENOENT ? std::string("not found") : std::error_code(spawned, std::generic_category()).message();
    throw error("plot: cannot run gnuplot '" + display_name(program) + "': " + why +
                " (install the Debian package gnuplot-nox, or set EMKIT_GNUPLOT to the gnuplot program)");
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw error("plot: waiting for gnuplot failed");
  }
  return status;
}

}  // namespace plot_detail

/// Draws `script` (a gnuplot script body without terminal or output) as a `width`×`height`
/// PNG or SVG, by the extension of `output`, and writes it to `output` atomically. Throws
/// `usage_error` for another extension, `error` when gnuplot cannot be run, fails (naming
/// its exit status and last message) or writes no picture.
inline void render_plot(const std::string& script, const std::string& output, int width, int height) {
  const std::string format = image_format(output);
  const std::string program = gnuplot_program();
  plot_detail::temporary_directory work;
  const std::string image = (work.path() / ("plot." + format)).string();
  const std::string script_path = (work.path() / "plot.gp").string();
  const std::string log = (work.path() / "gnuplot.log").string();
  const std::string size = std::to_string(width) + "," + std::to_string(height);
  const std::string terminal = format == "png"
                                   ? "set terminal pngcairo size " + size + " font \"sans,11\"\n"
                                   : "set terminal svg size " + size + " font \"sans,11\" background rgb \"white\"\n";
  io::write_file_atomically(script_path,
                            terminal + "set output " + gnuplot_quote(image) + "\n" + script + "unset output\n");

  const int status = plot_detail::run_program(program, script_path, log);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string message;
    try {
      message = plot_detail::last_line(read_file_text(log));
    } catch (const error&) {
    }
    const std::string how = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                              : "killed by signal " + std::to_string(WTERMSIG(status));
    throw error("plot: gnuplot '" + display_name(program) + "' failed (" + how + ")" +
                (message.empty() ? std::string() : ": " + message));
  }
  std::error_code ec;
  if (!std::filesystem::exists(image, ec) || std::filesystem::file_size(image, ec) == 0) {
    throw error("plot: gnuplot '" + display_name(program) + "' wrote no picture");
  }
  io::write_file_atomically(output, read_file_text(image));
}

}  // namespace emkit::cli
