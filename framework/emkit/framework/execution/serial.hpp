#pragma once
/// \file
/// The serial execution policy.

#include <emkit/framework/types.hpp>

namespace emkit {

/// Runs the blocks one after another on the calling thread.
struct serial {
  template <class F>
  void for_each_block(index blocks, F&& f) const {
    for (index b = 0; b < blocks; ++b) f(b);
  }
};

}  // namespace emkit
