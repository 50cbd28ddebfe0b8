#pragma once
/// \file
/// The fixed cut of the rows into chunks and blocks that makes threaded fits deterministic.
///
/// A chunk (a few hundred rows) is the unit of the fused pass; a block is a fixed run of
/// chunks whose statistics are accumulated in order into one accumulator. Both depend
/// only on N and the chunk size, never on the thread count, and blocks are merged in
/// index order, so a fit is bit-for-bit the same for any number of threads.

#include <algorithm>

#include <emkit/framework/types.hpp>

namespace emkit {

/// The rows [begin, begin + rows) of one chunk.
struct row_range {
  index begin = 0;
  index rows = 0;
};

/// N rows cut into chunks of `chunk_rows` and blocks of `chunks_per_block` chunks.
struct row_blocks {
  index n = 0;
  index chunk_rows = 256;
  index chunks_per_block = 16;

  /// The cut used by the engine: blocks of at least 16 chunks, and at most 64 blocks, so that
  /// the per-block statistics held until the ordered merge stay a small fraction of the data
  /// (64·K·D² doubles for full covariances) however large N is. Depends on N and the chunk size only.
  [[nodiscard]] static row_blocks for_rows(index n, index chunk_rows) {
    constexpr index min_chunks_per_block = 16, max_blocks = 64;
    const index chunks = (n + chunk_rows - 1) / chunk_rows;
    return {n, chunk_rows, std::max(min_chunks_per_block, (chunks + max_blocks - 1) / max_blocks)};
  }

  [[nodiscard]] index block_rows() const { return chunk_rows * chunks_per_block; }
  [[nodiscard]] index num_blocks() const { return n == 0 ? 0 : (n + block_rows() - 1) / block_rows(); }

  /// Calls f(row_range) for each chunk of block b, in order.
  template <class F>
  void for_each_chunk(index b, F&& f) const {
    const index end = std::min(n, (b + 1) * block_rows());
    for (index begin = b * block_rows(); begin < end; begin += chunk_rows)
      f(row_range{begin, std::min(chunk_rows, end - begin)});
  }
};

}  // namespace emkit
