#pragma once
/// \file
/// The command line's files: reading the data, weights and initial means, and checking
/// output paths before any work is done. Every failure is an exception whose message is
/// one line naming the file (and, through `io::read_csv`, the line and column).

#include <unistd.h>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

#include <Eigen/Core>

#include <emkit/framework/data/csv_source.hpp>
#include <emkit/framework/data/npy_source.hpp>
#include <emkit/framework/error.hpp>
#include <emkit/framework/io/csv.hpp>
#include <emkit/framework/io/npy.hpp>
#include <emkit/framework/types.hpp>

namespace emkit::cli {

/// A command line that parsed but asks for something impossible or unsupported (an option
/// value out of range, an unknown family). The program exits with status 2, as for CLI11's
/// own parse errors.
class usage_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// How a path given on the command line is named in messages: "<stdin>" for "-",
/// control characters replaced by '?' so that a message stays on one line.
[[nodiscard]] inline std::string display_name(std::string_view path) {
  if (path == "-") return "<stdin>";
  std::string out(path);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return out;
}

/// `v` as the shortest text that reads back to it ("1.5", "-1", "0.1"), for messages.
[[nodiscard]] inline std::string number_text(double v) {
  char text[64];
  const auto [end, ec] = std::to_chars(text, text + sizeof text, v);
  return ec == std::errc() ? std::string(text, end) : detail::concat(v);
}

/// "1 row", "3 rows": `count` and `noun`, plural unless the count is 1.
[[nodiscard]] inline std::string counted(index count, std::string_view noun) {
  return std::to_string(count) + " " + std::string(noun) + (count == 1 ? "" : "s");
}

/// The whole of the file `path` ("-": standard input). Throws `data_error` naming the file
/// and the system's reason when it cannot be opened (or is a directory) or read.
[[nodiscard]] inline std::string read_file_text(const std::string& path) {
  const std::string name = display_name(path);
  const auto reason = [](int err) { return std::error_code(err, std::generic_category()).message(); };
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> owned(nullptr, &std::fclose);
  std::FILE* stream = stdin;
  if (path != "-") {
    owned.reset(std::fopen(path.c_str(), "rb"));
    if (!owned) throw data_error(name + ": cannot open file (" + reason(errno) + ")");
    stream = owned.get();
    struct stat info {};
    if (::fstat(::fileno(stream), &info) == 0 && S_ISDIR(info.st_mode)) {
      throw data_error(name + ": cannot open file (" + reason(EISDIR) + ")");
    }
  }
  std::string text;
  char buffer[1 << 16];
  while (true) {
    const std::size_t got = std::fread(buffer, 1, sizeof buffer, stream);
    text.append(buffer, got);
    if (got < sizeof buffer) {
      if (std::ferror(stream) != 0) throw data_error(name + ": cannot read file (" + reason(errno) + ")");
      if (std::feof(stream) != 0) break;
    }
  }
  return text;
}

/// The observations of a data file, with the line of the file each row came from, so that
/// a value the model rejects after parsing (a count that is not an integer, say) can be
/// named by line and column as the parser names its own errors.
struct data_file {
  /// From row `first_row` on, row n was on line `first_line + (n − first_row)` (until the
  /// next run): a new run starts only after a blank line, so there are few.
  struct line_run {
    index first_row = 0;
    std::size_t first_line = 0;
  };

  std::string path;  ///< as given ("-" for standard input)
  io::table table;   ///< the values (one row per observation) and the header, if any
  std::vector<line_run> runs;

  /// The 1-based line of the file that row `row` (0-based) of `table.values` came from.
  [[nodiscard]] std::size_t line_of(index row) const {
    std::size_t r = 0;
    while (r + 1 < runs.size() && runs[r + 1].first_row <= row) ++r;
    if (runs.empty()) return static_cast<std::size_t>(row) + 1;
    return runs[r].first_line + static_cast<std::size_t>(row - runs[r].first_row);
  }
};

/// The runs of `data_file::runs` for `text`, by the rules of `io::parse_csv` (a leading
/// byte-order mark ignored, LF or CRLF lines, blank lines skipped, the first non-blank line
/// a header when the parse found one).
[[nodiscard]] inline std::vector<data_file::line_run> data_row_lines(std::string_view text, bool has_header) {
  constexpr std::string_view bom = "\xEF\xBB\xBF";
  if (text.substr(0, bom.size()) == bom) text.remove_prefix(bom.size());
  std::vector<data_file::line_run> runs;
  bool header_pending = has_header;
  index row = 0;
  std::size_t line = 0;
  for (std::size_t position = 0; position < text.size();) {
    ++line;
    std::size_t end = text.find('\n', position);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view content = text.substr(position, end - position);
    position = end + 1;
    if (content.find_first_not_of(" \t\r") == std::string_view::npos) continue;  // blank
    if (header_pending) {
      header_pending = false;
      continue;
    }
    if (runs.empty() || runs.back().first_line + static_cast<std::size_t>(row - runs.back().first_row) != line) {
      runs.push_back({row, line});
    }
    ++row;
  }
  return runs;
}

/// The observations in the data file `path` ("-": standard input), one row each, as
/// `io::read_table` reads them: a NumPy .npy file (it starts with "\x93NUMPY" or its name
/// ends in .npy; float64, float32 or integer, C or Fortran order) or else CSV with
/// `options` (a first line that is not numeric is the header). The file is read once (so
/// standard input works for both). Throws `data_error` naming the file, line and column of
/// a missing file, a ragged row, a token that is not a number, NaN or infinity (for .npy,
/// the row and column). For a .npy file `line_of(row)` is the row, counted from 1.
[[nodiscard]] inline data_file read_data(const std::string& path, const io::csv_options& options = {}) {
  options.validate();
  const std::string text = read_file_text(path);
  const std::string source = path == "-" ? std::string("<stdin>") : path;
  data_file out;
  out.path = path;
  std::string extension = std::filesystem::path(path).extension().string();
  for (char& c : extension) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (std::string_view(text).substr(0, io::detail::npy_magic.size()) == io::detail::npy_magic ||
      (path != "-" && extension == ".npy")) {
    out.table = io::parse_npy(text, source);
    return out;
  }
  out.table = io::parse_csv(text, source, options);
  out.runs = data_row_lines(text, !out.table.header.empty());
  return out;
}

/// A data file streamed from disk (`emkit fit --stream`): a .npy or CSV source read chunk by
/// chunk on every pass, never loaded whole.
struct stream_file {
  std::string path;
  std::variant<npy_source, csv_source> source;

  [[nodiscard]] index rows() const {
    return std::visit([](const auto& s) { return s.rows(); }, source);
  }
  [[nodiscard]] index cols() const {
    return std::visit([](const auto& s) { return s.cols(); }, source);
  }
  /// The CSV header's column names; empty for .npy.
  [[nodiscard]] std::vector<std::string> header() const {
    if (const auto* csv = std::get_if<csv_source>(&source)) return csv->header();
    return {};
  }
  /// Sets one weight per row, held in memory (8 bytes a row).
  void set_weights(Eigen::VectorXd w) {
    std::visit([&](auto& s) { s.set_weights(std::move(w)); }, source);
  }
  /// The 1-based line (CSV) or row (.npy) of the file that row `row` (0-based) is on.
  [[nodiscard]] std::size_t line_of(index row) const {
    if (const auto* csv = std::get_if<csv_source>(&source)) return csv->line_of(row);
    return static_cast<std::size_t>(row) + 1;
  }
};

/// Whether `path` is read as .npy: it starts with the .npy magic string or its name ends in
/// .npy (any case), the rule of `read_data`. Throws `data_error` when it cannot be opened.
[[nodiscard]] inline bool is_npy_file(const std::string& path) {
  std::string extension = std::filesystem::path(path).extension().string();
  for (char& c : extension) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (extension == ".npy") return true;
  const detail::file_reader file(path);
  std::string head(static_cast<std::size_t>(std::min<std::uint64_t>(file.size(), io::detail::npy_magic.size())), '\0');
  file.read_at(0, head.size(), head.data());
  return head == io::detail::npy_magic;
}

/// Opens the data file `path` for streaming: a .npy file (by `read_data`'s rule) or CSV, with
/// a CSV index every `chunk_rows` rows (the fit's chunks) and unit weights (see
/// `stream_file::set_weights`). The CSV file is scanned and checked once here. Throws
/// `data_error` as `npy_source` and `csv_source` do; standard input cannot be streamed.
[[nodiscard]] inline stream_file open_stream(const std::string& path, index chunk_rows) {
  if (path == "-")
    throw data_error("<stdin>: standard input cannot be streamed (--stream reads the file on every pass)");
  using source_type = std::variant<npy_source, csv_source>;
  if (is_npy_file(path)) return {path, source_type(std::in_place_type<npy_source>, path)};
  return {path, source_type(std::in_place_type<csv_source>, path, io::csv_options{}, chunk_rows)};
}

/// The single-column CSV file `path` (a header is allowed) of one `noun` per row of the data.
/// Throws `data_error` naming both files and both counts when it has another number of rows
/// than `rows`, or more than one column.
[[nodiscard]] inline data_file read_per_row_column(const std::string& path, const std::string& data_path, index rows,
                                                   std::string_view noun) {
  data_file f = read_data(path);
  const io::table& t = f.table;
  const std::string name = display_name(path);
  if (t.values.cols() != 1) {
    throw data_error(detail::concat(name, ": has ", counted(t.values.cols(), "column"),
                                    ", expected a single column of ", noun, "s (one per row of ",
                                    display_name(data_path), ")"));
  }
  if (t.values.rows() != rows) {
    throw data_error(detail::concat(name, ": has ", counted(t.values.rows(), noun), ", but ", display_name(data_path),
                                    " has ", counted(rows, "row"), " (one ", noun, " per row expected)"));
  }
  return f;
}

/// One component in [0, K) per row of the data (`emkit fit --init-labels`; what `emkit
/// predict` writes), from the single-column CSV file `path`. Throws `data_error` as
/// `read_per_row_column`, and naming the line of a label that is not an integer in [0, K).
[[nodiscard]] inline std::shared_ptr<const Eigen::VectorX<index>> read_labels(const std::string& path,
                                                                              const std::string& data_path, index rows,
                                                                              index K) {
  const data_file f = read_per_row_column(path, data_path, rows, "label");
  const auto v = f.table.values.col(0);
  auto labels = std::make_shared<Eigen::VectorX<index>>(rows);
  for (index n = 0; n < rows; ++n) {
    if (!(v[n] >= 0 && v[n] < static_cast<double>(K) && v[n] == std::floor(v[n]))) {
      throw data_error(detail::concat(display_name(path), ": line ", f.line_of(n), ": ", number_text(v[n]),
                                      " is not a component in 0..", K - 1, " (K = ", K, ")"));
    }
    (*labels)[n] = static_cast<index>(v[n]);
  }
  return labels;
}

/// One non-negative weight per row of the data, from the single-column CSV file `path`
/// (a header is allowed). Throws `data_error` naming both files and both counts when the
/// number of weights is not `rows`, and naming the row of a negative weight.
[[nodiscard]] inline Eigen::VectorXd read_weights(const std::string& path, const std::string& data_path, index rows) {
  const std::string name = display_name(path);
  Eigen::VectorXd w = read_per_row_column(path, data_path, rows, "weight").table.values.col(0);
  double total = 0.0;
  for (index n = 0; n < w.size(); ++n) {
    if (!(w[n] >= 0)) {
      throw data_error(detail::concat(name, ": weight ", n + 1, " is ", w[n], ", expected a number >= 0"));
    }
    total += w[n];
  }
  if (!(total > 0)) throw data_error(detail::concat(name, ": all weights are zero, expected a positive total"));
  return w;
}

/// The K×D initial means in the CSV file `path` (a header is allowed). Throws `data_error`
/// naming the file and both shapes when it is not K rows of D columns.
[[nodiscard]] inline Eigen::MatrixXd read_means(const std::string& path, index K, index D,
                                                const std::string& data_path) {
  io::table t = io::read_csv(path);
  if (t.values.rows() != K || t.values.cols() != D) {
    throw data_error(detail::concat(display_name(path), ": has ", counted(t.values.rows(), "row"), " and ",
                                    counted(t.values.cols(), "column"), ", expected K = ", K,
                                    " rows (one mean per component) and D = ", D, " columns (as in ",
                                    display_name(data_path), ")"));
  }
  return std::move(t.values);
}

/// Checks, before any work, that `path` (given as `option`) can be written: its directory
/// exists, is a directory and is writable, and `path` itself is not a directory. Throws
/// `emkit::error` naming the option and the path otherwise.
inline void check_output_path(std::string_view option, const std::string& path) {
  namespace fs = std::filesystem;
  const std::string name = display_name(path);
  const auto fail = [&](const std::string& what) -> void {
    throw error(detail::concat(option, " ", name, ": ", what));
  };
  if (path.empty()) fail("the path is empty");
  std::error_code ec;
  const fs::path target(path);
  if (fs::is_directory(target, ec)) fail("is a directory, expected a file name");
  const fs::path directory = target.has_parent_path() ? target.parent_path() : fs::path(".");
  const fs::file_status status = fs::status(directory, ec);
  if (!fs::exists(status)) fail("directory '" + display_name(directory.string()) + "' does not exist");
  if (!fs::is_directory(status)) fail("'" + display_name(directory.string()) + "' is not a directory");
  if (::access(directory.c_str(), W_OK | X_OK) != 0) {
    fail("directory '" + display_name(directory.string()) + "' is not writable");
  }
}

/// Whether two paths name the same file, existing or not ("-" names no file).
[[nodiscard]] inline bool same_file(const std::string& a, const std::string& b) {
  namespace fs = std::filesystem;
  if (a == "-" || b == "-" || a.empty() || b.empty()) return false;
  std::error_code ec;
  if (fs::equivalent(a, b, ec) && !ec) return true;
  const fs::path ca = fs::weakly_canonical(a, ec);
  if (ec) return false;
  const fs::path cb = fs::weakly_canonical(b, ec);
  return !ec && ca == cb;
}

}  // namespace emkit::cli
