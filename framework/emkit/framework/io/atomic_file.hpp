#pragma once
/// \file
/// Replacing a file atomically, so that readers and crashes see either the old
/// contents or the new, never a partial write.

#include <emkit/framework/error.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace emkit::io {

namespace detail {

/// Distinguishes the temporary files of concurrent writes from one process.
inline std::atomic<unsigned long> atomic_write_counter{0};

/// `strerror(err)` without its thread-safety problem.
inline std::string system_reason(int err) { return std::error_code(err, std::generic_category()).message(); }

/// Closes `fd` (if open) and removes `temporary`, keeping `errno` for the message.
inline void discard_temporary(int& fd, const std::string& temporary) {
  const int saved = errno;
  if (fd >= 0) ::close(fd);
  fd = -1;
  ::unlink(temporary.c_str());
  errno = saved;
}

}  // namespace detail

/// Writes `contents` to `target` atomically: a temporary file in the same directory, flushed and fsync'ed, then renamed
/// over target. On any failure the temporary is removed, target is left untouched, and emkit::error is thrown naming
/// the target path and the reason.
///
/// The temporary is named `<target>.tmp.<pid>.<counter>` and created exclusively
/// with mode 0644 less the umask; the new file does not inherit the old file's
/// mode or owner. A symbolic link at `target` is replaced, not followed. After
/// the rename the directory is fsync'ed on a best-effort basis (its failure is
/// not reported, since the new contents are then already in place).
inline void write_file_atomically(const std::filesystem::path& target, std::string_view contents) {
  const std::string target_name = target.string();
  const auto fail = [&](const std::string& what, int err) -> void {
    throw error("write_file_atomically: cannot write '" + target_name + "': " + what +
                (err != 0 ? " (" + detail::system_reason(err) + ")" : std::string()));
  };
  if (target.empty() || !target.has_filename()) fail("the path names no file", 0);
  const std::filesystem::path directory = target.has_parent_path() ? target.parent_path() : ".";

  std::string temporary;
  int fd = -1;
  for (int attempt = 0;; ++attempt) {
    temporary = target_name + ".tmp." + std::to_string(::getpid()) + "." +
                std::to_string(detail::atomic_write_counter.fetch_add(1, std::memory_order_relaxed));
    fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) break;
    const int err = errno;
    if (err == EINTR || (err == EEXIST && attempt < 100)) continue;  // EEXIST: a stale temporary of an old pid
    if (err == ENOENT || err == ENOTDIR) {
      struct stat info {};
      const int found = ::stat(directory.c_str(), &info);
      if (found != 0 && (errno == ENOENT || errno == ENOTDIR)) {
        fail("directory '" + directory.string() + "' does not exist", 0);
      }
      if (found == 0 && !S_ISDIR(info.st_mode)) fail("'" + directory.string() + "' is not a directory", 0);
    }
    fail("cannot create temporary file '" + temporary + "'", err);
  }

  const char* data = contents.data();
  std::size_t left = contents.size();
  while (left > 0) {
    // Linux writes at most about 2 GiB per call; larger requests just come back short.
    const ::ssize_t written = ::write(fd, data, std::min<std::size_t>(left, std::size_t{1} << 30));
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      if (written == 0) errno = EIO;
      const int err = errno;
      detail::discard_temporary(fd, temporary);
      fail("writing temporary file '" + temporary + "' failed", err);
    }
    data += written;
    left -= static_cast<std::size_t>(written);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    detail::discard_temporary(fd, temporary);
    fail("flushing temporary file '" + temporary + "' to disk failed", err);
  }
  // On Linux the descriptor is released even when close reports an error, which
  // may be a deferred write error: the temporary is then not trustworthy.
  const int closed = ::close(fd);
  fd = -1;
  if (closed != 0) {
    const int err = errno;
    detail::discard_temporary(fd, temporary);
    fail("closing temporary file '" + temporary + "' failed", err);
  }
  if (::rename(temporary.c_str(), target.c_str()) != 0) {
    const int err = errno;
    detail::discard_temporary(fd, temporary);
    fail("renaming temporary file '" + temporary + "' over it failed", err);
  }

  // Make the rename itself durable.
  const int directory_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory_fd >= 0) {
    ::fsync(directory_fd);
    ::close(directory_fd);
  }
}

}  // namespace emkit::io
