#ifndef DISTILL_DATA_IDX_HPP
#define DISTILL_DATA_IDX_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "distill/data/dataset.hpp"

namespace distill {

/// Magic numbers of the two IDX files of MNIST-style data sets: two zero bytes, the type byte
/// 0x08 (unsigned byte) and the number of dimensions.
inline constexpr std::uint32_t kIdxImagesMagic = 0x00000803;  ///< uint8 [N, rows, cols]
inline constexpr std::uint32_t kIdxLabelsMagic = 0x00000801;  ///< uint8 [N]

/// Largest decompressed size accepted from a gzip file, so a corrupt or hostile file cannot
/// exhaust memory (MNIST-style image files are tens of MB).
inline constexpr std::size_t kMaxIdxBytes = std::size_t(1) << 31;

/// An unsigned-byte IDX array: its dimensions (outermost first) and its values, row-major.
struct IdxArray {
  std::vector<std::size_t> dims;
  std::vector<std::uint8_t> values;

  /// Size of dimension 0: images or labels in the file.
  std::size_t count() const { return dims.empty() ? 0 : dims[0]; }
};

/// True when the buffer starts with the gzip magic bytes 0x1f 0x8b.
bool is_gzip(const std::uint8_t* data, std::size_t size);

/// Decompresses a gzip buffer (one or more members) with zlib. Throws distill::error starting
/// with `name_for_errors` for a truncated or corrupt stream, trailing bytes after it, or output
/// larger than `max_bytes`.
std::vector<std::uint8_t> gunzip(const std::uint8_t* data, std::size_t size,
                                 const std::string& name_for_errors,
                                 std::size_t max_bytes = kMaxIdxBytes);

/// Parses an IDX file held in memory, plain or gzip-compressed (detected by its magic bytes).
/// Only unsigned-byte data is supported. When `expected_dims` is 1 or 3 the magic must be that
/// of a label or an image file. The length must match the header exactly; errors start with
/// `name_for_errors` and name the magic, dimension or record at fault.
IdxArray parse_idx(const std::uint8_t* data, std::size_t size, const std::string& name_for_errors,
                   int expected_dims = 0);

/// Reads and parses one IDX file (plain or gzip); errors name the path.
IdxArray read_idx_file(const std::string& path, int expected_dims = 0);

/// Builds a data set from an image array [N, rows, cols] and a label array [N]: images
/// [N, 1, rows, cols] with values pixel/255, `classes` classes (every label must be below it).
template <class Scalar = float>
Dataset<Scalar> make_idx_dataset(const IdxArray& images, const IdxArray& labels, Index classes,
                                 const std::string& images_name, const std::string& labels_name);

/// Loads an MNIST-style data set from `dir`: train-images-idx3-ubyte, train-labels-idx1-ubyte,
/// t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each plain or with a .gz suffix (the plain
/// file wins when both exist). One channel; classes = largest training label + 1; the test set
/// must have the same image size and labels in range.
template <class Scalar = float>
DatasetSplits<Scalar> load_idx(const std::string& dir);

}  // namespace distill

#include "distill/data/idx_impl.hpp"

#endif  // DISTILL_DATA_IDX_HPP
