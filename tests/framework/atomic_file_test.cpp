/// \file
/// Tests of emkit::io::write_file_atomically.

#include <emkit/framework/io/atomic_file.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using emkit::io::write_file_atomically;
using ::testing::HasSubstr;

/// A directory of its own for each test, removed afterwards.
class atomic_file_test : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    directory_ = fs::temp_directory_path() / ("emkit_atomic_file_test_" + std::to_string(::getpid()) + "_" +
                                              info->name() + "_" + std::to_string(counter++));
    fs::create_directories(directory_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::permissions(directory_, fs::perms::owner_all, fs::perm_options::add, ignored);
    fs::remove_all(directory_, ignored);
  }

  /// The names of the entries of `directory`, to prove no temporary was left behind.
  static std::vector<std::string> entries(const fs::path& directory) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(directory)) names.push_back(entry.path().filename().string());
    return names;
  }

  static std::string read(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  /// The message of the `emkit::error` that writing throws (fails the test if none).
  static std::string write_error(const fs::path& target, std::string_view contents) {
    try {
      write_file_atomically(target, contents);
    } catch (const emkit::error& e) {
      return e.what();
    }
    ADD_FAILURE() << "no emkit::error writing " << target;
    return {};
  }

  fs::path directory_;
};

TEST_F(atomic_file_test, creates_the_file_with_its_contents) {
  const fs::path target = directory_ / "out.json";
  const std::string contents = std::string("{\"a\": 1}\n\0binary\xff", 17);
  write_file_atomically(target, contents);
  EXPECT_EQ(read(target), contents);
  EXPECT_EQ(entries(directory_), std::vector<std::string>{"out.json"});
}

TEST_F(atomic_file_test, writes_empty_and_large_contents) {
  const fs::path empty = directory_ / "empty";
  write_file_atomically(empty, "");
  EXPECT_TRUE(fs::exists(empty));
  EXPECT_EQ(fs::file_size(empty), 0U);

  std::string large(5'000'000, 'x');
  for (std::size_t i = 0; i < large.size(); i += 4099) large[i] = static_cast<char>('a' + i % 26);
  const fs::path big = directory_ / "big";
  write_file_atomically(big, large);
  EXPECT_EQ(read(big), large);
}

TEST_F(atomic_file_test, overwrites_an_existing_file) {
  const fs::path target = directory_ / "out.txt";
  std::ofstream(target) << "old contents that are longer than the new ones\n";
  write_file_atomically(target, "new\n");
  EXPECT_EQ(read(target), "new\n");
  write_file_atomically(target, "newer\n");
  EXPECT_EQ(read(target), "newer\n");
  EXPECT_EQ(entries(directory_), std::vector<std::string>{"out.txt"});
}

TEST_F(atomic_file_test, new_file_mode_is_0644_less_umask) {
  const ::mode_t previous = ::umask(022);
  write_file_atomically(directory_ / "a", "a");
  ::umask(077);
  write_file_atomically(directory_ / "b", "b");
  ::umask(previous);
  struct stat a {};
  struct stat b {};
  ASSERT_EQ(::stat((directory_ / "a").c_str(), &a), 0);
  ASSERT_EQ(::stat((directory_ / "b").c_str(), &b), 0);
  EXPECT_EQ(a.st_mode & 0777, 0644U);
  EXPECT_EQ(b.st_mode & 0777, 0600U);
}

TEST_F(atomic_file_test, missing_directory_throws_and_leaves_nothing) {
  const fs::path missing = directory_ / "no_such_directory";
  const fs::path target = missing / "out.txt";
  const std::string message = write_error(target, "contents");
  EXPECT_THAT(message, HasSubstr(target.string()));
  EXPECT_THAT(message, HasSubstr("directory '" + missing.string() + "' does not exist"));
  EXPECT_FALSE(fs::exists(missing));
  EXPECT_TRUE(entries(directory_).empty());
}

TEST_F(atomic_file_test, parent_that_is_a_file_throws) {
  const fs::path file = directory_ / "plain";
  std::ofstream(file) << "x";
  const std::string message = write_error(file / "out.txt", "contents");
  EXPECT_THAT(message, HasSubstr((file / "out.txt").string()));
  EXPECT_THAT(message, HasSubstr("'" + file.string() + "' is not a directory"));
  EXPECT_EQ(entries(directory_), std::vector<std::string>{"plain"});

  const std::string deeper = write_error(file / "sub" / "out.txt", "contents");
  EXPECT_THAT(deeper, HasSubstr("directory '" + (file / "sub").string() + "' does not exist"));
}

TEST_F(atomic_file_test, target_that_is_a_directory_throws_and_leaves_no_temporary) {
  const fs::path target = directory_ / "sub";
  fs::create_directory(target);
  const std::string message = write_error(target, "contents");
  EXPECT_THAT(message, HasSubstr("cannot write '" + target.string() + "'"));
  EXPECT_THAT(message, HasSubstr("Is a directory"));
  EXPECT_TRUE(fs::is_directory(target));
  EXPECT_EQ(entries(directory_), std::vector<std::string>{"sub"});
}

TEST_F(atomic_file_test, path_without_file_name_throws) {
  EXPECT_THROW(write_file_atomically("", "x"), emkit::error);
  EXPECT_THROW(write_file_atomically(directory_.string() + "/", "x"), emkit::error);
  EXPECT_TRUE(entries(directory_).empty());
}

TEST_F(atomic_file_test, read_only_directory_leaves_target_unchanged) {
  if (::geteuid() == 0) GTEST_SKIP() << "root bypasses directory permissions";
  const fs::path target = directory_ / "out.txt";
  std::ofstream(target) << "old\n";
  fs::permissions(directory_, fs::perms::owner_read | fs::perms::owner_exec);
  const std::string message = write_error(target, "new\n");
  fs::permissions(directory_, fs::perms::owner_all);
  EXPECT_THAT(message, HasSubstr("cannot write '" + target.string() + "'"));
  EXPECT_THAT(message, HasSubstr("Permission denied"));
  EXPECT_EQ(read(target), "old\n");
  EXPECT_EQ(entries(directory_), std::vector<std::string>{"out.txt"});
}

}  // namespace
