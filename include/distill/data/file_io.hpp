#ifndef DISTILL_DATA_FILE_IO_HPP
#define DISTILL_DATA_FILE_IO_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace distill {

/// A read-only byte range; `write_file_atomic` writes a sequence of them back to back.
struct ByteRange {
  const void* data = nullptr;
  std::size_t size = 0;
};

/// The whole content of a regular file. Throws distill::error "<path>: missing file" when it
/// does not exist, and names the path and the system error for anything else.
std::vector<std::uint8_t> read_file_bytes(const std::string& path);

/// True when `path` names an existing regular file.
bool regular_file_exists(const std::string& path);

/// Writes `pieces` to `path` so that readers see either the old file or the complete new one:
/// the bytes go to `<path>.tmp.<pid>` in the same directory, are fsynced, and the temp file is
/// renamed over `path`. On any failure (a missing or read-only directory, a full disk) the temp
/// file is removed, an existing `path` is left untouched, and distill::error names the path and
/// the system error.
void write_file_atomic(const std::string& path, const std::vector<ByteRange>& pieces);

}  // namespace distill

#include "distill/data/file_io_impl.hpp"

#endif  // DISTILL_DATA_FILE_IO_HPP
