#ifndef DISTILL_DATA_DIRECTORIES_HPP
#define DISTILL_DATA_DIRECTORIES_HPP

#include <filesystem>
#include <string>
#include <system_error>

#include "distill/core/error.hpp"

namespace distill {

/// Creates the output directory `dir` with every missing parent (`runs/a/b` on a fresh
/// clone); an existing directory is fine. Fails with the path and the reason, on one line.
inline void create_directories(const std::string& dir) {
  DISTILL_CHECK(!dir.empty(), "output directory: empty path");
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(fs::path(dir), ec);
  // create_directories reports an existing non-directory with an error code too; ask directly
  // so the message says which it was.
  if (fs::is_directory(fs::path(dir))) return;
  DISTILL_CHECK(!fs::exists(fs::path(dir)), dir << ": exists and is not a directory");
  DISTILL_CHECK(false, dir << ": cannot create the directory: " << ec.message());
}

/// Creates the directory a file will be written into (nothing for a bare file name).
inline void create_parent_directories(const std::string& file) {
  const std::filesystem::path parent = std::filesystem::path(file).parent_path();
  if (!parent.empty()) create_directories(parent.string());
}

}  // namespace distill

#endif  // DISTILL_DATA_DIRECTORIES_HPP
