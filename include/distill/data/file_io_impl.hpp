#ifndef DISTILL_DATA_FILE_IO_IMPL_HPP
#define DISTILL_DATA_FILE_IO_IMPL_HPP

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "distill/core/error.hpp"
#include "distill/data/file_io.hpp"

namespace distill {
namespace detail {

inline std::string errno_text(int err) { return std::strerror(err); }

// Closes a descriptor on scope exit unless released; keeps every error path leak-free.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  /// Closes now and reports the result: close can be the first to report a failed write-back.
  int close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

inline void write_all(int fd, const void* data, std::size_t size, const std::string& what) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ::ssize_t n = ::write(fd, p, size);
    const int err = n < 0 ? errno : ENOSPC;  // a write of 0 bytes means no space was left
    if (n < 0 && err == EINTR) continue;
    DISTILL_CHECK(n > 0, what << ": write failed: " << errno_text(err));
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}

inline std::string join_path(const std::string& dir, const std::string& file) {
  if (dir.empty()) return file;
  return dir.back() == '/' ? dir + file : dir + "/" + file;
}

inline std::string parent_directory(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// After the rename the new directory entry itself must reach the disk; failures here do not
// undo a completed write, so they are ignored (some file systems refuse fsync on directories).
inline void sync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

inline void write_temp_file(const std::string& temp, const std::vector<ByteRange>& pieces) {
  FileDescriptor fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  int err = errno;
  DISTILL_CHECK(fd.get() >= 0, temp << ": cannot create: " << errno_text(err));
  for (const ByteRange& piece : pieces) write_all(fd.get(), piece.data, piece.size, temp);
  const int synced = ::fsync(fd.get());
  err = errno;
  DISTILL_CHECK(synced == 0, temp << ": fsync failed: " << errno_text(err));
  const int closed = fd.close();
  err = errno;
  DISTILL_CHECK(closed == 0, temp << ": close failed: " << errno_text(err));
}

}  // namespace detail

inline std::vector<std::uint8_t> read_file_bytes(const std::string& path) {
  detail::FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    const int err = errno;
    DISTILL_CHECK(err != ENOENT, path << ": missing file");
    DISTILL_CHECK(false, path << ": cannot open: " << detail::errno_text(err));
  }
  struct ::stat st {};
  const int stat_rc = ::fstat(fd.get(), &st);
  const int stat_err = errno;
  DISTILL_CHECK(stat_rc == 0, path << ": cannot stat: " << detail::errno_text(stat_err));
  DISTILL_CHECK(S_ISREG(st.st_mode), path << ": not a regular file");
  // The size from fstat is only a hint: read until end of file in case the file changes.
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(st.st_size) + 1);
  std::size_t used = 0;
  for (;;) {
    if (used == bytes.size()) bytes.resize(bytes.size() * 2);
    const ::ssize_t n = ::read(fd.get(), bytes.data() + used, bytes.size() - used);
    const int err = errno;
    if (n < 0 && err == EINTR) continue;
    DISTILL_CHECK(n >= 0, path << ": read failed: " << detail::errno_text(err));
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  bytes.resize(used);
  return bytes;
}

inline bool regular_file_exists(const std::string& path) {
  struct ::stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

inline void write_file_atomic(const std::string& path, const std::vector<ByteRange>& pieces) {
  DISTILL_CHECK(!path.empty(), "write_file_atomic: empty path");
  const std::string temp = path + ".tmp." + std::to_string(static_cast<long>(::getpid()));
  try {
    detail::write_temp_file(temp, pieces);
    const int renamed = ::rename(temp.c_str(), path.c_str());
    const int err = errno;
    DISTILL_CHECK(renamed == 0,
                  path << ": cannot rename " << temp << " over it: " << detail::errno_text(err));
  } catch (...) {
    ::unlink(temp.c_str());
    throw;
  }
  detail::sync_directory(detail::parent_directory(path));
}

}  // namespace distill

#endif  // DISTILL_DATA_FILE_IO_IMPL_HPP
