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

/// The rows per chunk of a fit of K components to D columns whose `chunk_rows` option is
/// `requested`: the option when it is positive, else (0, the default) about 16384 values per
/// chunk in the wider of the chunk's data (D columns) and its log-joint block (K columns):
/// 16384 / max(D, K) rows rounded down to a multiple of 256 and kept within [256, 4096]. That is
/// 1024 rows at D = 16, K = 8, and 256 (the earlier fixed default) once D or K reaches 33. A chunk
/// stays within the first-level caches' reach while the passes over it run, and its columns are
/// read in runs long enough to stream: at D = 16, K = 8, K-means took 2.8 ms per iteration of
/// 10⁵ rows in chunks of 1024 against 3.3 in chunks of 256 (1.55 against 1.87 on two threads,
/// the minimum of four interleaved runs); the Gaussian cases were as fast or faster. Depends on
/// D and K only, so the chunks, and a fit's bits, never depend on the thread count.
[[nodiscard]] inline index resolved_chunk_rows(index requested, index D, index K) {
  if (requested > 0) return requested;
  constexpr index values = 16384, step = 256, most = 4096;
  return std::clamp(values / std::max<index>({D, K, 1}) / step * step, step, most);
}

/// N rows cut into chunks of `chunk_rows` and blocks of `chunks_per_block` chunks.
struct row_blocks {
  index n = 0;
  index chunk_rows = 256;
  index chunks_per_block = 16;

  /// The cut used by the engine: blocks of 16 chunks or of the chunks in 4096 rows, whichever
  /// is fewer (so that two threads share 10⁵ rows in about 25 blocks whatever the chunk size),
  /// and at most 64 blocks, so that the per-block statistics held until the ordered merge stay
  /// a small fraction of the data (64·K·D² doubles for full covariances) however large N is.
  /// Depends on N and the chunk size only.
  [[nodiscard]] static row_blocks for_rows(index n, index chunk_rows) {
    constexpr index most_chunks_per_block = 16, block_rows = 4096, max_blocks = 64;
    const index chunks = (n + chunk_rows - 1) / chunk_rows;
    const index least = std::min(most_chunks_per_block, (block_rows + chunk_rows - 1) / chunk_rows);
    return {n, chunk_rows, std::max(least, (chunks + max_blocks - 1) / max_blocks)};
  }

  /// The cut of a fit of K components to n rows of D columns whose `chunk_rows` option is
  /// `requested` (0: by D and K, `resolved_chunk_rows`): every pass of a fit, its checks and its
  /// initialisation, batch or online, cuts the rows by this one rule.
  [[nodiscard]] static row_blocks for_fit(index n, index requested, index D, index K) {
    return for_rows(n, resolved_chunk_rows(requested, D, K));
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
