#pragma once
/// \file
/// A NumPy .npy file as a data source: row r is at a fixed byte offset, read on every pass.

#include <algorithm>
#include <cstdint>
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
#include <emkit/framework/io/npy.hpp>

namespace emkit {

/// The rows of a .npy file (what `io::parse_npy` reads: 1-D or 2-D, float64, float32,
/// integers or bool, either byte order, C or Fortran order), read chunk by chunk with `pread`
/// and converted to double exactly as `io::parse_npy` converts them, so a streamed fit equals
/// the fit of the loaded file bit for bit. Memory: the header, plus the optional weights.
///
/// The constructor reads and checks the header and the file's size (the messages of
/// `io::parse_npy`); `read` throws `data_error` naming the file, the 1-based row and column
/// and the element of a NaN or infinite value ("data.npy: row 5, column 2 (element 10): value
/// nan is not finite"). `weights`, if not empty, holds one weight per row in memory.
class npy_source {
 public:
  explicit npy_source(const std::filesystem::path& file, Eigen::VectorXd weights = {})
      : file_(std::make_unique<detail::file_reader>(file)), weights_{std::move(weights)} {
    const std::string& name = file_->name();
    const auto fail = [&](const std::string& what) -> void { throw data_error(name + ": " + what); };
    // The fixed prefix says how long the header is; then the header itself.
    std::string head(static_cast<std::size_t>(std::min<std::uint64_t>(file_->size(), 12)), '\0');
    file_->read_at(0, head.size(), head.data());
    if (head.size() >= 12 && std::string_view(head).substr(0, 6) == io::detail::npy_magic) {
      const std::size_t length_bytes = static_cast<unsigned char>(head[6]) == 1 ? 2 : 4;
      std::size_t header_length = 0;
      for (std::size_t i = 0; i < length_bytes; ++i)
        header_length |= static_cast<std::size_t>(static_cast<unsigned char>(head[8 + i])) << (8 * i);
      const std::uint64_t wanted = std::min<std::uint64_t>(file_->size(), 8 + length_bytes + header_length);
      head.resize(static_cast<std::size_t>(wanted));
      file_->read_at(0, head.size(), head.data());
    }
    layout_ = io::detail::parse_npy_layout(head, file_->size(), name, fail);
    weights_.check(rows(), name);
  }

  /// Replaces the weights (one per row, held in memory: 8 bytes a row; empty: all 1). Throws
  /// `shape_error` naming the file when there is not one per row.
  void set_weights(Eigen::VectorXd weights) {
    detail::file_weights w{std::move(weights)};
    w.check(rows(), name());
    weights_ = std::move(w);
  }

  [[nodiscard]] index rows() const { return static_cast<index>(layout_.rows); }
  [[nodiscard]] index cols() const { return static_cast<index>(layout_.cols); }
  [[nodiscard]] const std::string& name() const { return file_->name(); }

  /// Reads the rows of `r` into X and their weights into w.
  void read(row_range r, matrix_out X, vector_out w) const {
    const std::size_t size = layout_.dtype.size;
    const auto begin = static_cast<std::uint64_t>(r.begin);
    const auto n = static_cast<std::size_t>(r.rows);
    const std::uint64_t cols = layout_.cols;
    const auto stride = static_cast<std::size_t>(X.outerStride());
    std::vector<unsigned char> bytes;
    const auto fail = [&](std::uint64_t row, std::uint64_t col, std::uint64_t element, double value) {
      throw data_error(name() + ": " + io::detail::npy_not_finite_text(row, col, element, value));
    };
    if (!layout_.column_major) {
      bytes.resize(n * cols * size);
      file_->read_at(layout_.data_offset + begin * cols * size, bytes.size(), bytes.data());
      const auto not_finite = [&](std::size_t k, double value) {
        fail(begin + k / cols, k % cols, begin * cols + k, value);
      };
      io::detail::npy_dispatch(layout_.dtype, [&]<class T, bool Swap>() {
        io::detail::npy_convert<T, Swap>(bytes.data(), n, cols, false, X.data(), not_finite, stride);
      });
    } else {
      bytes.resize(n * size);
      for (std::uint64_t c = 0; c < cols; ++c) {
        file_->read_at(layout_.data_offset + (c * layout_.rows + begin) * size, bytes.size(), bytes.data());
        const auto not_finite = [&](std::size_t k, double value) {
          fail(begin + k, c, c * layout_.rows + begin + k, value);
        };
        io::detail::npy_dispatch(layout_.dtype, [&]<class T, bool Swap>() {
          io::detail::npy_convert<T, Swap>(bytes.data(), n, 1, true, X.data() + c * stride, not_finite, n);
        });
      }
    }
    weights_.read(r, w);
  }

 private:
  std::unique_ptr<detail::file_reader> file_;
  detail::file_weights weights_;
  io::detail::npy_layout layout_;
};

}  // namespace emkit
