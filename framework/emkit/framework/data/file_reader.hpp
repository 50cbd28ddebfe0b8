#pragma once
/// \file
/// A read-only file read at explicit offsets (`pread`), which threads may share.

#include <fcntl.h>
#include <unistd.h>

#include <sys/stat.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include <emkit/framework/error.hpp>
#include <emkit/framework/io/csv.hpp>

namespace emkit::detail {

/// An open file descriptor, closed on destruction; reads take an offset and so share no
/// file position (safe from several threads at once).
class file_reader {
 public:
  /// Opens `file`; throws `data_error` naming it and the system's reason when it cannot be
  /// opened or is a directory. '-' (standard input) cannot be read at offsets and is refused.
  explicit file_reader(const std::filesystem::path& file) : name_(io::detail::printable_name(file.string())) {
    if (file == "-") throw data_error("<stdin>: standard input cannot be streamed (it cannot be read twice)");
    fd_ = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw data_error(name_ + ": cannot open file (" + io::detail::errno_text(errno) + ")");
    struct stat info {};
    if (::fstat(fd_, &info) != 0 || S_ISDIR(info.st_mode)) {
      const int err = S_ISDIR(info.st_mode) ? EISDIR : errno;
      ::close(fd_);
      throw data_error(name_ + ": cannot open file (" + io::detail::errno_text(err) + ")");
    }
    size_ = static_cast<std::uint64_t>(info.st_size);
  }
  file_reader(const file_reader&) = delete;
  file_reader& operator=(const file_reader&) = delete;
  ~file_reader() { ::close(fd_); }

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] std::uint64_t size() const { return size_; }

  /// Reads exactly `count` bytes at `offset` into `out`; throws `data_error` naming the file
  /// when the system fails or the file ends early (it changed since it was opened).
  void read_at(std::uint64_t offset, std::size_t count, void* out) const {
    auto* p = static_cast<char*>(out);
    while (count > 0) {
      const ::ssize_t got = ::pread(fd_, p, count, static_cast<::off_t>(offset));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) throw data_error(name_ + ": cannot read file (" + io::detail::errno_text(errno) + ")");
      if (got == 0) {
        throw data_error(name_ + ": the file ended at byte " + std::to_string(offset) +
                         ", before the data it held when it was opened (did it change?)");
      }
      p += got;
      offset += static_cast<std::uint64_t>(got);
      count -= static_cast<std::size_t>(got);
    }
  }

 private:
  std::string name_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

}  // namespace emkit::detail
