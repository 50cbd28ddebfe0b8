#pragma once
// The message of an expected exception, for tests that check what an error says. Kept apart
// from reliability_support.hpp so that tests of the file readers need not include all of emkit.
#include <exception>
#include <string>

#include <gtest/gtest.h>

namespace emkit::reliability {

/// The message of the `Error` that `f` throws; a test failure (naming what was thrown instead)
/// when it throws nothing or something else.
template <class Error, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected " << ::testing::internal::GetTypeName<Error>()
                  << ", got another exception: " << e.what();
    return {};
  }
  ADD_FAILURE() << "expected " << ::testing::internal::GetTypeName<Error>() << ", nothing was thrown";
  return {};
}

}  // namespace emkit::reliability
