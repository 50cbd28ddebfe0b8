// Streaming a file source: the fit equals the in-memory fit of the same file bit for bit, for
// .npy and CSV, several families, every initialisation, 1 and 2 threads, N not a multiple of
// the chunk size; bad files are reported by row and column.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <emkit/emkit.hpp>
#include <emkit/framework/data/csv_source.hpp>
#include <emkit/framework/data/npy_source.hpp>
#include <emkit/framework/io/npy.hpp>

namespace {

namespace fs = std::filesystem;

fs::path temp_path(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("emkit_stream_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir / name;
}

/// A .npy file of X as float64 (C order), or Fortran order.
void write_npy(const fs::path& p, const Eigen::MatrixXd& X, bool fortran = false) {
  std::string header = "{'descr': '<f8', 'fortran_order': " + std::string(fortran ? "True" : "False") + ", 'shape': (" +
                       std::to_string(X.rows()) + ", " + std::to_string(X.cols()) + "), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::ofstream out(p, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const auto length = static_cast<std::uint16_t>(header.size());
  const char len[2] = {static_cast<char>(length & 0xff), static_cast<char>(length >> 8)};
  out.write(len, 2);
  out << header;
  if (fortran) {
    out.write(reinterpret_cast<const char*>(X.data()), static_cast<std::streamsize>(X.size() * sizeof(double)));
  } else {
    const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> R = X;
    out.write(reinterpret_cast<const char*>(R.data()), static_cast<std::streamsize>(R.size() * sizeof(double)));
  }
}

/// A CSV file of X (shortest round-trip text), with a header, a blank line and CRLF endings.
void write_csv(const fs::path& p, const Eigen::MatrixXd& X) {
  std::ofstream out(p, std::ios::binary);
  for (Eigen::Index j = 0; j < X.cols(); ++j) out << (j ? "," : "") << "x" << j;
  out << "\r\n\n";
  char text[64];
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    for (Eigen::Index j = 0; j < X.cols(); ++j) {
      const auto r = std::to_chars(text, text + sizeof text, X(i, j));
      out << (j ? "," : "") << std::string(text, r.ptr);
    }
    out << (i % 7 == 3 ? "\r\n" : "\n");
    if (i == 500) out << " \n";
  }
}

Eigen::MatrixXd blobs(Eigen::Index n, Eigen::Index d, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Eigen::MatrixXd X(n, d);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < d; ++j) X(i, j) = normal(rng) + 4.0 * static_cast<double>(i % 3) + 100.0 * (j == 0);
  return X;
}

Eigen::MatrixXd counts(Eigen::Index n, Eigen::Index d, unsigned seed) {
  std::mt19937_64 rng(seed);
  Eigen::MatrixXd X(n, d);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < d; ++j) {
      std::poisson_distribution<int> p(1.0 + 5.0 * static_cast<double>(i % 2) + static_cast<double>(j));
      X(i, j) = p(rng);
    }
  return X;
}

Eigen::MatrixXd binary(Eigen::Index n, Eigen::Index d, unsigned seed) {
  std::mt19937_64 rng(seed);
  Eigen::MatrixXd X(n, d);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < d; ++j) {
      std::bernoulli_distribution b(i % 2 ? 0.8 - 0.1 * static_cast<double>(j) : 0.2);
      X(i, j) = b(rng) ? 1.0 : 0.0;
    }
  return X;
}

// The parameters, compared exactly.
void expect_same(const emkit::gaussian_params& a, const emkit::gaussian_params& b) {
  EXPECT_TRUE(a.mean == b.mean);
  EXPECT_TRUE(a.covariance == b.covariance);
}
void expect_same(const emkit::poisson_params& a, const emkit::poisson_params& b) { EXPECT_TRUE(a.rates == b.rates); }
void expect_same(const emkit::bernoulli_params& a, const emkit::bernoulli_params& b) {
  EXPECT_TRUE(a.probabilities == b.probabilities);
}
void expect_same(const emkit::fixed_spherical_gaussian_params& a, const emkit::fixed_spherical_gaussian_params& b) {
  EXPECT_TRUE(a.mean == b.mean);
}

template <class R>
void expect_same_fit(const R& a, const R& b) {
  ASSERT_EQ(a.params.size(), b.params.size());
  EXPECT_TRUE(a.params.weights == b.params.weights);
  for (std::size_t k = 0; k < a.params.components.size(); ++k)
    expect_same(a.params.components[k], b.params.components[k]);
  EXPECT_EQ(a.summary.log_likelihood, b.summary.log_likelihood);
  EXPECT_EQ(a.summary.objective, b.summary.objective);
  EXPECT_EQ(a.summary.iterations, b.summary.iterations);
  EXPECT_EQ(a.summary.restart_objectives, b.summary.restart_objectives);
  ASSERT_EQ(a.summary.trace.size(), b.summary.trace.size());
  for (std::size_t t = 0; t < a.summary.trace.size(); ++t) {
    EXPECT_EQ(a.summary.trace[t].log_likelihood, b.summary.trace[t].log_likelihood) << "iteration " << t;
    EXPECT_EQ(a.summary.trace[t].objective, b.summary.trace[t].objective) << "iteration " << t;
  }
}

/// Fits the file both ways (in memory after io::read_table, and streamed) and compares.
template <emkit::EStepPolicy E, class I, class M>
void check_stream_equals_memory(const M& model, const Eigen::MatrixXd& X, emkit::index K, I init, int threads,
                                const std::string& tag) {
  SCOPED_TRACE(tag + ", threads " + std::to_string(threads));
  emkit::fitter<E, I, emkit::threads> f;
  f.init = init;
  f.execution.n = threads;
  f.options.chunk_rows = 64;
  f.options.max_iterations = 15;
  f.options.relative_tolerance = 0;
  f.options.restarts = 2;
  f.options.seed = 11;
  const fs::path npy = temp_path(tag + ".npy"), csv = temp_path(tag + ".csv");
  write_npy(npy, X);
  write_csv(csv, X);
  const Eigen::MatrixXd from_npy = emkit::io::read_table(npy).values;
  const Eigen::MatrixXd from_csv = emkit::io::read_table(csv).values;
  ASSERT_TRUE(from_npy == X);
  ASSERT_TRUE(from_csv == X);
  emkit::fitter<E, I, emkit::threads> serial = f;
  serial.execution.n = 1;
  const auto memory = serial.fit(model, X, K);
  expect_same_fit(memory, f.fit(model, emkit::npy_source(npy), K));
  expect_same_fit(memory, f.fit(model, emkit::csv_source(csv, {}, f.options.chunk_rows), K));
  // A CSV index that does not match the chunks (reads skip rows) gives the same rows.
  expect_same_fit(memory, f.fit(model, emkit::csv_source(csv, {}, 100), K));
}

constexpr emkit::index N = 1037;  // 16 chunks of 64 and 13 rows: two blocks, a short last chunk

TEST(Stream, GaussianFullEveryInitEqualsMemory) {
  const Eigen::MatrixXd X = blobs(N, 3, 1);
  const emkit::mixture<emkit::gaussian> model{emkit::gaussian{.covariance = emkit::covariance_type::full}};
  for (int threads : {1, 2}) {
    check_stream_equals_memory<emkit::soft_estep>(model, X, 3, emkit::kmeans_plus_plus{}, threads, "full_kpp");
    check_stream_equals_memory<emkit::soft_estep>(model, X, 3, emkit::random_rows{}, threads, "full_rows");
    check_stream_equals_memory<emkit::soft_estep>(model, X, 3, emkit::random_responsibility_init{}, threads,
                                                  "full_resp");
    Eigen::MatrixXd means(3, 3);
    means << 100, 0, 0, 104, 4, 4, 108, 8, 8;
    check_stream_equals_memory<emkit::soft_estep>(model, X, 3, emkit::given_means{means}, threads, "full_given");
  }
}

TEST(Stream, GaussianDiagonalEqualsMemory) {
  const emkit::mixture<emkit::gaussian> model{emkit::gaussian{.covariance = emkit::covariance_type::diagonal}};
  for (int threads : {1, 2})
    check_stream_equals_memory<emkit::soft_estep>(model, blobs(N, 2, 2), 4, emkit::kmeans_plus_plus{}, threads, "diag");
}

TEST(Stream, PoissonEqualsMemory) {
  const emkit::mixture<emkit::poisson> model{emkit::poisson{}};
  for (int threads : {1, 2}) {
    check_stream_equals_memory<emkit::soft_estep>(model, counts(N, 3, 3), 2, emkit::kmeans_plus_plus{}, threads,
                                                  "poisson_kpp");
    check_stream_equals_memory<emkit::soft_estep>(model, counts(N, 3, 3), 2, emkit::random_rows{}, threads,
                                                  "poisson_rows");
  }
}

TEST(Stream, BernoulliEqualsMemory) {
  const emkit::mixture<emkit::bernoulli> model{emkit::bernoulli{}};
  for (int threads : {1, 2})
    check_stream_equals_memory<emkit::soft_estep>(model, binary(N, 5, 4), 2, emkit::random_responsibility_init{},
                                                  threads, "bernoulli");
}

TEST(Stream, KMeansEqualsMemory) {
  for (int threads : {1, 2}) {
    check_stream_equals_memory<emkit::hard_estep>(emkit::kmeans_model(), blobs(N, 2, 5), 3, emkit::kmeans_plus_plus{},
                                                  threads, "kmeans_kpp");
    check_stream_equals_memory<emkit::hard_estep>(emkit::kmeans_model(), blobs(N, 2, 5), 3, emkit::random_rows{},
                                                  threads, "kmeans_rows");
  }
}

TEST(Stream, WeightsInMemoryEqualMemoryFit) {
  const Eigen::MatrixXd X = blobs(N, 2, 6);
  Eigen::VectorXd w(N);
  for (emkit::index n = 0; n < N; ++n) w[n] = static_cast<double>(n % 4);  // zeros included
  const fs::path npy = temp_path("weights.npy");
  write_npy(npy, X, /*fortran=*/true);
  emkit::fitter<emkit::soft_estep, emkit::kmeans_plus_plus, emkit::threads> f;
  f.execution.n = 2;
  f.options.max_iterations = 10;
  const emkit::mixture<emkit::gaussian> model{emkit::gaussian{}};
  expect_same_fit(f.fit(model, X, 3, w), f.fit(model, emkit::npy_source(npy, w), 3));
}

TEST(RowBlocks, DefaultChunksFollowTheWiderOfDataAndLogJointAndBlocksStayBalanced) {
  using emkit::resolved_chunk_rows;
  EXPECT_EQ(resolved_chunk_rows(100, 16, 8), 100);  // an explicit size is kept
  EXPECT_EQ(resolved_chunk_rows(0, 16, 8), 1024);   // 16384 values in rows of 16
  EXPECT_EQ(resolved_chunk_rows(0, 32, 8), 512);
  EXPECT_EQ(resolved_chunk_rows(0, 24, 3), 512);   // 682 rounded down to a multiple of 256
  EXPECT_EQ(resolved_chunk_rows(0, 33, 8), 256);   // 496 rounded down
  EXPECT_EQ(resolved_chunk_rows(0, 16, 64), 256);  // the log-joint block is the wider
  EXPECT_EQ(resolved_chunk_rows(0, 2, 256), 256);
  EXPECT_EQ(resolved_chunk_rows(0, 2, 3), 4096);    // at most 4096
  EXPECT_EQ(resolved_chunk_rows(0, 5000, 2), 256);  // at least 256
  // Blocks: 16 chunks, or the chunks of 4096 rows when that is fewer; at most 64 blocks.
  EXPECT_EQ(emkit::row_blocks::for_rows(100000, 256).chunks_per_block, 16);
  EXPECT_EQ(emkit::row_blocks::for_rows(100000, 1024).chunks_per_block, 4);
  EXPECT_EQ(emkit::row_blocks::for_rows(100000, 1024).num_blocks(), 25);
  EXPECT_EQ(emkit::row_blocks::for_rows(1000, 8).chunks_per_block, 16);
  EXPECT_EQ(emkit::row_blocks::for_rows(10000000, 1024).num_blocks(), 64);
}

TEST(Stream, MatrixOverloadOfInitEqualsThePass) {
  // The policies' matrix overloads are the pass over a fit's default chunks on one thread.
  const Eigen::MatrixXd X = blobs(N, 2, 7);
  const Eigen::VectorXd w = Eigen::VectorXd::Ones(N);
  emkit::random_engine a = emkit::make_engine(3, 0), b = emkit::make_engine(3, 0);
  const auto direct = std::get<emkit::nearest_centers>(emkit::kmeans_plus_plus{}.initialize(X, w, 4, a)).centers;
  const emkit::memory_source source(X, w);
  const emkit::row_blocks blocks = emkit::row_blocks::for_fit(N, 0, X.cols(), 4);
  const emkit::chunk_pass pass(source, blocks, emkit::serial_reduce{blocks});
  const auto via_pass = std::get<emkit::nearest_centers>(emkit::kmeans_plus_plus{}.initialize(pass, 4, b)).centers;
  EXPECT_TRUE(direct == via_pass);
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const emkit::error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Stream, BadFilesNameRowAndColumn) {
  const Eigen::MatrixXd X = blobs(300, 2, 8);
  // Truncated .npy: the header promises more rows than the file has.
  const fs::path truncated = temp_path("truncated.npy");
  write_npy(truncated, X);
  fs::resize_file(truncated, fs::file_size(truncated) - 12);
  EXPECT_EQ(error_of([&] { emkit::npy_source s(truncated); }), error_of([&] { (void)emkit::io::read_npy(truncated); }));
  EXPECT_NE(error_of([&] { emkit::npy_source s(truncated); }).find("expected 600 values"), std::string::npos);
  // A NaN in a .npy file: row 201, column 2 (1-based), found when the chunk is read.
  Eigen::MatrixXd Y = X;
  Y(200, 1) = std::numeric_limits<double>::quiet_NaN();
  const fs::path nan_npy = temp_path("nan.npy");
  write_npy(nan_npy, Y);
  emkit::fitter<> f;
  const emkit::mixture<emkit::gaussian> model{emkit::gaussian{}};
  const std::string nan_error = error_of([&] { (void)f.fit(model, emkit::npy_source(nan_npy), 2); });
  EXPECT_NE(nan_error.find("row 201, column 2 (element 402): value nan is not finite"), std::string::npos) << nan_error;
  // Two bad values in different blocks: the earlier is reported, whichever thread reads first.
  Eigen::MatrixXd Z = blobs(6000, 2, 10);
  Z(100, 0) = std::numeric_limits<double>::infinity();
  Z(5000, 1) = std::numeric_limits<double>::quiet_NaN();
  const fs::path two_bad = temp_path("two_bad.npy");
  write_npy(two_bad, Z);
  emkit::fitter<emkit::soft_estep, emkit::kmeans_plus_plus, emkit::threads> t;
  t.execution.n = 2;
  t.options.chunk_rows = 64;
  for (int repeat = 0; repeat < 5; ++repeat) {
    EXPECT_THAT(error_of([&] { (void)t.fit(model, emkit::npy_source(two_bad), 2); }),
                ::testing::HasSubstr("row 101, column 1 (element 201): value inf is not finite"));
  }
  // A bad CSV cell: the scan names the line and column as read_csv does.
  const fs::path bad_csv = temp_path("bad.csv");
  std::ofstream(bad_csv) << "1,2\n3,4\n5,abc\n7,8\n";
  const std::string csv_error = error_of([&] { emkit::csv_source s(bad_csv); });
  EXPECT_EQ(csv_error, error_of([&] { (void)emkit::io::read_csv(bad_csv); }));
  EXPECT_NE(csv_error.find("line 3, column 2: 'abc' is not a number"), std::string::npos) << csv_error;
  const fs::path ragged = temp_path("ragged.csv");
  std::ofstream(ragged) << "1,2\n3,4\n5\n";
  EXPECT_EQ(error_of([&] { emkit::csv_source s(ragged); }), error_of([&] { (void)emkit::io::read_csv(ragged); }));
  // A value outside the family's support: the message of the in-memory fit, with the row of the file.
  Eigen::MatrixXd C = counts(700, 3, 9);
  C(650, 2) = 1.5;
  const fs::path bad_counts = temp_path("counts.npy");
  write_npy(bad_counts, C);
  emkit::fitter<emkit::soft_estep, emkit::kmeans_plus_plus, emkit::threads> g;
  g.execution.n = 2;
  g.options.chunk_rows = 64;
  const emkit::mixture<emkit::poisson> poisson{emkit::poisson{}};
  const std::string streamed = error_of([&] { (void)g.fit(poisson, emkit::npy_source(bad_counts), 2); });
  EXPECT_EQ(streamed, error_of([&] { (void)g.fit(poisson, C, 2); }));
  EXPECT_NE(streamed.find("X(650, 2) = 1.5"), std::string::npos) << streamed;
  // Standard input cannot be streamed; weights must match the rows.
  EXPECT_NE(error_of([] { emkit::npy_source s("-"); }).find("cannot be streamed"), std::string::npos);
  EXPECT_NE(error_of([&] { emkit::npy_source s(nan_npy, Eigen::VectorXd::Ones(3)); }).find("weights.size()"),
            std::string::npos);
}

TEST(Stream, CsvLineOfRow) {
  const fs::path p = temp_path("lines.csv");
  std::ofstream(p) << "a,b\n\n1,2\n3,4\n\n\n5,6\n";
  const emkit::csv_source s(p, {}, 2);
  EXPECT_EQ(s.rows(), 3);
  EXPECT_EQ(s.line_of(0), 3u);
  EXPECT_EQ(s.line_of(1), 4u);
  EXPECT_EQ(s.line_of(2), 7u);
  EXPECT_EQ(s.header(), (std::vector<std::string>{"a", "b"}));
}

}  // namespace
