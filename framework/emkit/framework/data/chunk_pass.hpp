#pragma once
/// \file
/// Passes over the chunks of a data source, for code that needs the data but not all of it at
/// once (the initialisation policies): a reduction run by the engine's execution policy and a
/// serial scan in row order.

#include <algorithm>
#include <utility>

#include <emkit/framework/data/chunk_buffer.hpp>
#include <emkit/framework/data/data_source.hpp>
#include <emkit/framework/execution/row_blocks.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

/// The chunks of `source` cut by `blocks`, with `Reduce` deciding how a reduction runs:
/// `reduce(make, body)` must call body(range, acc) for every chunk, accumulating each block
/// in order into its own `make()` and merging the blocks with `+=` in block order (the engine
/// passes `detail::reduce_chunks` on its execution policy; `serial_reduce` does the same on
/// one thread), so a result does not depend on the thread count.
template <DataSource S, class Reduce>
class chunk_pass {
 public:
  chunk_pass(const S& source, row_blocks blocks, Reduce reduce)
      : source_(source), blocks_(blocks), reduce_(std::move(reduce)) {}

  /// The rows the pass covers: [0, blocks().n) of the source (all of them in a batch fit; the
  /// initialisation rows of an online fit).
  [[nodiscard]] index rows() const { return blocks_.n; }
  [[nodiscard]] index cols() const { return source_.cols(); }
  [[nodiscard]] const row_blocks& blocks() const { return blocks_; }

  /// Σ over chunks of body(range, X, w, acc), merged as `Reduce` merges.
  template <class Make, class Body>
  [[nodiscard]] auto reduce(Make&& make, Body&& body) const {
    return reduce_(make, [&](row_range r, auto& acc) {
      chunk_buffer buffer;
      const chunk_view v = buffer.read(source_, r);
      body(r, v.X, v.w, acc);
    });
  }

  /// Calls body(range, X, w) for the chunks in row order on this thread until it returns false.
  template <class Body>
  void scan(Body&& body) const {
    chunk_buffer buffer;
    for (index begin = 0; begin < blocks_.n; begin += blocks_.chunk_rows) {
      const row_range r{begin, std::min(blocks_.chunk_rows, blocks_.n - begin)};
      const chunk_view v = buffer.read(source_, r);
      if (!body(r, v.X, v.w)) return;
    }
  }

 private:
  const S& source_;
  row_blocks blocks_;
  Reduce reduce_;
};

/// The reduction of `chunk_pass` on the calling thread: blocks in order, each into its own
/// accumulator, merged in block order (as `detail::reduce_chunks` merges them).
struct serial_reduce {
  row_blocks blocks;

  template <class Make, class Body>
  auto operator()(Make&& make, Body&& body) const {
    auto total = make();
    for (index b = 0; b < blocks.num_blocks(); ++b) {
      auto acc = make();
      blocks.for_each_chunk(b, [&](row_range r) { body(r, acc); });
      total += acc;
    }
    return total;
  }
};

}  // namespace emkit
