#pragma once
/// \file
/// The threaded execution policy: deterministic, because blocks are fixed and merged in order.

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <emkit/framework/error.hpp>
#include <emkit/framework/execution/processes.hpp>
#include <emkit/framework/types.hpp>

namespace emkit {

/// Runs blocks on `n` threads (0: all hardware threads). Workers take blocks from a shared
/// counter; the result does not depend on which worker ran which block. With `processes`,
/// this process runs only its share of the blocks (`owned_blocks`), and the engine's
/// reduction exchanges the rest (processes.hpp).
struct threads {
  int n = 0;
  std::shared_ptr<const process_group> processes;  ///< null: this process runs every block

  [[nodiscard]] int count() const {
    check_option(n >= 0, "threads", "n", n, ">= 0 (0 means all cores)");
    return n > 0 ? n : std::max(1u, std::thread::hardware_concurrency());
  }

  template <class F>
  void for_each_block(index blocks, F&& f) const {
    if (processes) {
      const std::pair<index, index> share = owned_blocks(blocks, processes->rank(), processes->size());
      const index first = share.first;  // not a structured binding: clang 14 cannot capture those
      run_blocks(share.second - first, [&](index b) { f(first + b); });
    } else {
      run_blocks(blocks, f);
    }
  }

 private:
  template <class F>
  void run_blocks(index blocks, F&& f) const {
    const int workers = static_cast<int>(std::min<index>(count(), blocks));
    if (workers <= 1) {
      for (index b = 0; b < blocks; ++b) f(b);
      return;
    }
    std::atomic<index> next{0};
    std::exception_ptr failure;
    std::mutex failure_mutex;
    auto work = [&] {
      for (index b = next++; b < blocks; b = next++) {
        try {
          f(b);
        } catch (...) {
          std::lock_guard lock(failure_mutex);
          if (!failure) failure = std::current_exception();
          next = blocks;  // stop handing out work
        }
      }
    };
    {
      std::vector<std::jthread> pool;
      pool.reserve(workers - 1);
      for (int t = 1; t < workers; ++t) pool.emplace_back(work);
      work();
    }
    if (failure) std::rethrow_exception(failure);
  }
};

}  // namespace emkit
