#pragma once
/// \file
/// Neumaier's compensated summation: the error of a sum of N terms stays O(ε), not O(N·ε).

#include <cmath>

#include <emkit/framework/execution/reflect.hpp>

namespace emkit {

/// A running sum with Neumaier compensation, mergeable with `+=` like every emkit statistic.
class compensated_sum {
 public:
  /// Adds one term.
  compensated_sum& operator+=(double x) noexcept {
    const double t = sum_ + x;
    // Keep the low-order bits that the addition dropped, whichever operand was larger.
    compensation_ += std::abs(sum_) >= std::abs(x) ? (sum_ - t) + x : (x - t) + sum_;
    sum_ = t;
    return *this;
  }

  /// Merges another running sum, keeping both compensations.
  compensated_sum& operator+=(const compensated_sum& other) noexcept {
    *this += other.sum_;
    compensation_ += other.compensation_;
    return *this;
  }

  /// The compensated value of the sum.
  [[nodiscard]] double value() const noexcept { return sum_ + compensation_; }

 private:
  double sum_ = 0.0;
  double compensation_ = 0.0;

 public:
  EMKIT_REFLECT(sum_, compensation_);  // exchanged between processes (flatten.hpp)
};

}  // namespace emkit
