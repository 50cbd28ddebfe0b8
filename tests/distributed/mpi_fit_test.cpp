// Run by `mpirun -np 2`: each process fits with the MPI process group and checks that it holds
// the bits of the serial fit it also computes itself (Gaussian full and diagonal, Poisson,
// K-means), and that a failure in one process's rows is thrown by both.
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <emkit/emkit.hpp>
#include <emkit/framework/execution/mpi.hpp>

#include "support/data.hpp"
#include "support/fit_values.hpp"

namespace {

std::shared_ptr<const emkit::process_group> world() { return std::make_shared<emkit::mpi_process_group>(); }

TEST(Mpi, RunsOnTwoProcesses) { EXPECT_EQ(world()->size(), 2) << "run this test with mpirun -np 2"; }

template <class Fitter, class Model>
void expect_serial_bits(Fitter f, const Model& model, const Eigen::MatrixXd& X, emkit::index K) {
  const auto serial = emkit::testing::fit_values(f.fit(model, X, K));
  f.execution.processes = world();
  EXPECT_EQ(emkit::testing::fit_values(f.fit(model, X, K)), serial) << "process " << world()->rank();
}

TEST(Mpi, FitsAreTheSerialFitsBits) {
  const Eigen::MatrixXd X = emkit::testing::draw(emkit::testing::three_blobs(), 20011, 3);
  emkit::fitter<emkit::soft_estep, emkit::kmeans_plus_plus, emkit::threads> f;
  f.options.restarts = 2;
  f.execution.n = 1;
  for (auto type : {emkit::covariance_type::full, emkit::covariance_type::diagonal}) {
    emkit::gaussian family;
    family.covariance = type;
    expect_serial_bits(f, emkit::mixture<emkit::gaussian>{family}, X, 3);
  }
  expect_serial_bits(f, emkit::mixture<emkit::poisson>{}, (X.array().abs() * 4).floor().matrix().eval(), 3);
  emkit::fitter<emkit::hard_estep, emkit::kmeans_plus_plus, emkit::threads> hard;
  expect_serial_bits(hard, emkit::kmeans_model(), X, 3);
}

struct failing_mixture : emkit::mixture<emkit::gaussian> {
  void log_joint(const params_type& theta, emkit::matrix_ref X, emkit::matrix_ref C, emkit::matrix_out L) const {
    if ((X.array() > 1000).any()) throw emkit::numerical_error("the marked row");
    emkit::mixture<emkit::gaussian>::log_joint(theta, X, C, L);
  }
};

TEST(Mpi, AFailureInOneProcessIsThrownByBoth) {
  Eigen::MatrixXd X = emkit::testing::draw(emkit::testing::three_blobs(), 20000, 4);
  X(19990, 1) = 5000;  // in the last block: the second process's
  emkit::fitter<emkit::soft_estep, emkit::given_means, emkit::threads> f;
  f.init.means = X.topRows(2);
  f.execution.processes = world();
  try {
    (void)f.fit(failing_mixture{}, X, 2);
    ADD_FAILURE() << "no error on process " << world()->rank();
  } catch (const emkit::numerical_error& e) {
    EXPECT_THAT(e.what(),
                ::testing::HasSubstr(world()->rank() == 0 ? "process 1 of 2: the marked row" : "the marked row"));
  }
}

}  // namespace

int main(int argc, char** argv) {
  emkit::mpi_session mpi(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
