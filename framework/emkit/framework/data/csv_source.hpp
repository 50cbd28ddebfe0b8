#pragma once
/// \file
/// A CSV file as a data source: one validating scan records where each chunk starts; every
/// pass then reads and parses a chunk's bytes with `pread`.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include <emkit/framework/data/data_source.hpp>
#include <emkit/framework/data/file_reader.hpp>
#include <emkit/framework/data/file_weights.hpp>
#include <emkit/framework/error.hpp>
#include <emkit/framework/io/csv.hpp>

namespace emkit {

/// The rows of a CSV file, by the rules of `io::parse_csv` (delimiter, blank lines, CRLF, a
/// byte-order mark, a first line that is not numeric as the header), with the same number
/// parser, so every value is the double `io::read_csv` reads and a streamed fit equals the fit
/// of the loaded file bit for bit.
///
/// The constructor scans the whole file once in blocks of 1 MiB, checking every value (the
/// messages of `io::parse_csv`, naming the file, line, column and token) and recording the
/// byte offset and line of every `index_rows`-th data row: 16 bytes per `index_rows` rows, plus
/// the optional weights (8 bytes a row). `read` then reads from the recorded offset at or
/// before the range's first row; ranges that start at a multiple of `index_rows` (the
/// engine's chunks, when `index_rows` is its `chunk_rows`) need no skipping.
class csv_source {
 public:
  explicit csv_source(const std::filesystem::path& file, const io::csv_options& options = {}, index index_rows = 256,
                      Eigen::VectorXd weights = {})
      : file_(std::make_unique<detail::file_reader>(file)),
        delimiter_(options.delimiter),
        index_rows_(index_rows),
        weights_{std::move(weights)} {
    options.validate();
    check_option(index_rows >= 1, "csv_source", "index_rows", index_rows, ">= 1");
    scan();
    weights_.check(rows_, name());
  }

  /// Replaces the weights (one per row, held in memory: 8 bytes a row; empty: all 1). Throws
  /// `shape_error` naming the file when there is not one per row.
  void set_weights(Eigen::VectorXd weights) {
    detail::file_weights w{std::move(weights)};
    w.check(rows(), name());
    weights_ = std::move(w);
  }

  [[nodiscard]] index rows() const { return rows_; }
  [[nodiscard]] index cols() const { return static_cast<index>(columns_); }
  [[nodiscard]] const std::string& name() const { return file_->name(); }
  /// The trimmed column names of the header line; empty when the file has none.
  [[nodiscard]] const std::vector<std::string>& header() const { return header_; }

  /// The 1-based line of the file that row `row` (0-based) is on.
  [[nodiscard]] std::size_t line_of(index row) const {
    std::size_t found = 0;
    for_rows_of({row, 1}, [&](index, std::string_view, std::size_t line) { found = line; });
    return found;
  }

  /// Reads the rows of `r` into X and their weights into w.
  void read(row_range r, matrix_out X, vector_out w) const {
    const auto stride = static_cast<std::size_t>(X.outerStride());
    const std::string& source = name();
    const auto fail = [&](const std::string& what) -> void { throw data_error(source + ": " + what); };
    for_rows_of(r, [&](index row, std::string_view line, std::size_t line_number) {
      const auto count = static_cast<std::size_t>(std::count(line.begin(), line.end(), delimiter_)) + 1;
      if (count != columns_) fail(io::detail::csv_count_text(line_number, count, columns_, reference_line_));
      io::detail::parse_csv_fields(line, delimiter_, line_number, X.data() + (row - r.begin), stride, fail);
    });
    weights_.read(r, w);
  }

 private:
  struct mark {
    std::uint64_t offset = 0;  ///< byte offset of the line of data row k·index_rows
    std::size_t line = 0;      ///< its 1-based line number
  };

  /// Calls f(line, offset) for every line of the bytes [begin, end) of the file, without its
  /// '\n' (a '\r' before it stays), reading blocks of `block` bytes.
  template <class F>
  void for_each_line(std::uint64_t begin, std::uint64_t end, std::size_t block, F&& f) const {
    std::string buffer;
    std::uint64_t buffer_offset = begin;  // file offset of buffer[0]
    for (std::uint64_t at = begin; at < end;) {
      const auto count = static_cast<std::size_t>(std::min<std::uint64_t>(block, end - at));
      const std::size_t kept = buffer.size();
      buffer.resize(kept + count);
      file_->read_at(at, count, buffer.data() + kept);
      at += count;
      std::size_t start = 0;
      while (true) {
        const auto* newline = static_cast<const char*>(std::memchr(buffer.data() + start, '\n', buffer.size() - start));
        if (newline == nullptr) break;
        const auto length = static_cast<std::size_t>(newline - (buffer.data() + start));
        f(std::string_view(buffer.data() + start, length), buffer_offset + start);
        start += length + 1;
      }
      buffer.erase(0, start);
      buffer_offset += start;
    }
    if (!buffer.empty()) f(std::string_view(buffer), buffer_offset);
  }

  /// The one validating scan: the rules and messages of `io::parse_csv`.
  void scan() {
    const std::string& source = name();
    const auto fail = [&](const std::string& what) -> void { throw data_error(source + ": " + what); };
    constexpr std::string_view bom = "\xEF\xBB\xBF";
    std::uint64_t begin = 0;
    if (file_->size() >= bom.size()) {
      char first[3];
      file_->read_at(0, 3, first);
      if (std::string_view(first, 3) == bom) begin = bom.size();
    }
    std::size_t line_number = 0;
    std::vector<double> scratch;
    for_each_line(begin, file_->size(), std::size_t{1} << 20, [&](std::string_view line, std::uint64_t offset) {
      ++line_number;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (io::detail::trim(line, delimiter_).empty()) return;
      const auto count = static_cast<std::size_t>(std::count(line.begin(), line.end(), delimiter_)) + 1;
      if (columns_ == 0) {
        columns_ = count;
        reference_line_ = line_number;
        scratch.resize(count);
        if (io::detail::is_header_line(line, delimiter_)) {
          header_ = io::detail::csv_header_names(line, delimiter_);
          return;
        }
      }
      if (count != columns_) fail(io::detail::csv_count_text(line_number, count, columns_, reference_line_));
      io::detail::parse_csv_fields(line, delimiter_, line_number, scratch.data(), 1, fail);
      if (rows_ % index_rows_ == 0) marks_.push_back({offset, line_number});
      ++rows_;
    });
    if (rows_ == 0) fail("no data rows");
  }

  /// Calls f(row, line, line_number) for the data rows of `r`, in order (lines without '\r').
  template <class F>
  void for_rows_of(row_range r, F&& f) const {
    const auto first_mark = static_cast<std::size_t>(r.begin / index_rows_);
    const auto last_mark = static_cast<std::size_t>((r.begin + r.rows - 1) / index_rows_);
    const std::uint64_t end = last_mark + 1 < marks_.size() ? marks_[last_mark + 1].offset : file_->size();
    index row = static_cast<index>(first_mark) * index_rows_;
    std::size_t line_number = marks_[first_mark].line - 1;
    for_each_line(marks_[first_mark].offset, end, std::size_t{1} << 20, [&](std::string_view line, std::uint64_t) {
      ++line_number;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (io::detail::trim(line, delimiter_).empty()) return;
      if (row >= r.begin && row < r.begin + r.rows) f(row, line, line_number);
      ++row;
    });
    if (row < r.begin + r.rows) {
      throw data_error(name() + ": has fewer data rows than when it was scanned (did it change?)");
    }
  }

  std::unique_ptr<detail::file_reader> file_;
  char delimiter_;
  index index_rows_;
  detail::file_weights weights_;
  std::vector<std::string> header_;
  std::size_t columns_ = 0;
  std::size_t reference_line_ = 0;
  index rows_ = 0;
  std::vector<mark> marks_;
};

}  // namespace emkit
