#pragma once
/// \file
/// A `process_group` whose "processes" are threads of one program: `all_gather` meets at a
/// barrier. It exercises the engine's exchange of block statistics (flattened, gathered, merged
/// in block order) without MPI; the conformance suite uses it to check that a fit spread over
/// processes gives the same bits as one. Needs nothing but the standard library and emkit.
#include <barrier>
#include <cstddef>
#include <functional>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include <emkit/framework/execution/processes.hpp>

namespace emkit::testing {

/// What the P members of one group share: a slot per member and a barrier.
struct shared_exchange {
  explicit shared_exchange(int size) : slots(static_cast<std::size_t>(size)), meet(size) {}
  std::vector<std::vector<double>> slots;
  std::barrier<> meet;
};

/// Member `rank` of a group of threads.
class thread_process_group final : public process_group {
 public:
  thread_process_group(std::shared_ptr<shared_exchange> shared, int rank) : shared_(std::move(shared)), rank_(rank) {}
  [[nodiscard]] int rank() const override { return rank_; }
  [[nodiscard]] int size() const override { return static_cast<int>(shared_->slots.size()); }
  [[nodiscard]] std::vector<std::vector<double>> all_gather(const std::vector<double>& mine) const override {
    shared_->slots[static_cast<std::size_t>(rank_)] = mine;
    shared_->meet.arrive_and_wait();  // every slot written
    std::vector<std::vector<double>> all = shared_->slots;
    shared_->meet.arrive_and_wait();  // every slot read before anyone writes the next round
    return all;
  }

 private:
  std::shared_ptr<shared_exchange> shared_;
  int rank_;
};

/// Runs f(group), f taking a `std::shared_ptr<const process_group>`, on `size` threads, one per
/// member, and returns their results in rank order.
template <class F>
auto run_as_processes(int size, F&& f) {
  using result = decltype(f(std::shared_ptr<const process_group>{}));
  auto shared = std::make_shared<shared_exchange>(size);
  std::vector<result> results(static_cast<std::size_t>(size));
  std::vector<std::jthread> members;
  for (int r = 0; r < size; ++r) {
    members.emplace_back(
        [&, r] { results[static_cast<std::size_t>(r)] = f(std::make_shared<thread_process_group>(shared, r)); });
  }
  members.clear();  // joins
  return results;
}

}  // namespace emkit::testing
