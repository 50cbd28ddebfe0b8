#pragma once
/// \file
/// The one check of the rows of a fit: every fit, batch or online, of a matrix or of a file
/// streamed in chunks, checks its data by `check_source` (the online fitter's `run` checks each
/// mini-batch it is served by the same pass, `detail::check_rows`).

#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <emkit/framework/concepts/latent_model.hpp>
#include <emkit/framework/data/chunk_buffer.hpp>
#include <emkit/framework/data/data_source.hpp>
#include <emkit/framework/engine/check_data.hpp>
#include <emkit/framework/engine/pass.hpp>
#include <emkit/framework/error.hpp>
#include <emkit/framework/execution/reflect.hpp>
#include <emkit/framework/execution/row_blocks.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

namespace detail {

/// The first data error of a checking pass: the row it is on and its message, and the fields
/// of its entry when it is about one value (`data_error::entry`), so that they survive the
/// merge across threads and processes.
struct first_data_error {
  std::optional<std::pair<index, std::string>> error;
  index column = -1;  ///< the entry's column; −1: the error has no entry
  double value = 0.0;
  std::string where;
  std::string expected;
  double weight = 0.0;
  EMKIT_REFLECT(error, column, value, where, expected, weight);

  first_data_error& operator+=(const first_data_error& o) {
    if (!error && o.error) {  // blocks merge in order: the earliest row wins
      error = o.error;
      column = o.column;
      value = o.value;
      where = o.where;
      expected = o.expected;
    }
    weight += o.weight;
    return *this;
  }

  /// Records `e`, found on row `row` of the data.
  void set(index row, const data_error& e) {
    error.emplace(row, e.what());
    if (e.entry()) column = e.entry()->column, value = e.entry()->value, where = e.where(), expected = e.expected();
  }

  /// The error to throw: with its entry when it had one.
  [[nodiscard]] data_error to_error() const {
    if (column >= 0) return data_error(where, {error->first, column, value}, expected);
    return data_error(error->second);
  }
};

/// One checking pass over the rows [0, blocks.n) of `source`, cut by `blocks` and run by
/// `execution`: finite values, finite non-negative weights, `model.validate_data` on every
/// chunk. Throws `data_error` for the earliest bad row, whichever thread finds it, naming it as
/// row `first + n` of the data (`first`: where the source's rows start in the data), and as
/// the source's `read` throws. Returns the sum of the weights (not checked here: a mini-batch
/// may weigh 0, the data may not).
template <class M, DataSource S, class Exec>
double check_rows(const M& model, const S& source, const Exec& execution, const row_blocks& blocks, index first,
                  std::string_view where) {
  const first_data_error found = reduce_chunks<first_data_error>(
      execution, blocks, [] { return first_data_error{}; },
      [&](row_range r, first_data_error& acc) {
        if (acc.error) return;
        chunk_buffer buffer;
        std::optional<chunk_view> read;
        try {
          read.emplace(buffer.read(source, r));
        } catch (const data_error& e) {  // a value the source cannot read: ordered like the rest
          acc.set(first + r.begin, e);
          return;
        }
        const chunk_view& v = *read;
        for (index n = 0; n < r.rows; ++n) {
          const index row = first + r.begin + n;
          for (index j = 0; j < v.X.cols(); ++j) {
            if (!std::isfinite(v.X(n, j))) {
              acc.set(row, non_finite(where, row, j, v.X(n, j)));
              return;
            }
          }
          if (!std::isfinite(v.w[n]) || v.w[n] < 0) {
            acc.error.emplace(row, bad_weight_text(where, row, v.w[n]));
            return;
          }
          acc.weight += v.w[n];
        }
        try {
          model.validate_data(v.X);
        } catch (const data_error&) {
          for (index n = 0; n < r.rows; ++n) {  // the row, and its message as one row gives it
            try {
              model.validate_data(v.X.middleRows(n, 1));
            } catch (const data_error& e) {  // a one-row check: its entry's row is 0
              const index row = first + r.begin + n;
              acc.set(row, e.entry() ? e.moved(row, 0) : data_error(concat("row ", row, ": ", e.what())));
              return;
            }
          }
          throw;
        }
      });
  if (found.error) throw found.to_error();
  return found.weight;
}

}  // namespace detail

/// The checks of the data of every fit, in memory or streamed, batch or online, as one pass
/// over the chunks of `source` (cut by `blocks`, run by `execution`): at least one row and one
/// column (`shape_error`); finite values, finite non-negative weights and data in the model's
/// support (`model.validate_data`), else `data_error` naming the earliest bad row of the source
/// ("fit: X(123456, 2) = nan, ...", "poisson: X(7, 0) = 1.5, ..."); a positive sum of weights
/// (`invalid_option`). `where` names the caller in the messages.
template <LatentModel M, DataSource S, class Exec>
void check_source(const M& model, const S& source, const row_blocks& blocks, const Exec& execution,
                  std::string_view where) {
  check_shape(source.rows() >= 1, where, "X.rows()", source.rows(), ">= 1 observation");
  check_shape(source.cols() >= 1, where, "X.cols()", source.cols(), ">= 1 column");
  const double weight = detail::check_rows(model, source, execution, blocks, 0, where);
  check_option(weight > 0, where, "sum of weights", weight, "> 0");
}

}  // namespace emkit
