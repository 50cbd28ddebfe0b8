#pragma once
/// \file
/// ExecutionPolicy: how the blocks of a pass are run (serially, on threads, later on ranks).
///
/// The policy only schedules; the engine fixes what each block computes and the order in
/// which block results merge, so every policy gives the same bits.

#include <concepts>
#include <functional>

#include <emkit/framework/types.hpp>

namespace emkit {

/// `for_each_block(B, f)` calls f(b) exactly once for every b in [0, B), in any order and on
/// any thread, and returns when all calls have returned, rethrowing the first exception. A
/// policy with a non-null member `processes` (a `process_group`) calls f only for this
/// process's `owned_blocks`, and the engine exchanges the other blocks' results (processes.hpp).
template <class P>
concept ExecutionPolicy = std::copyable<P> && requires(const P& p, index blocks, const std::function<void(index)>& f) {
  p.for_each_block(blocks, f);
};

}  // namespace emkit
