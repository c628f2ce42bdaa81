#ifndef DISTILL_DATA_CIFAR_HPP
#define DISTILL_DATA_CIFAR_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "distill/data/dataset.hpp"

namespace distill {

/// Which of the two CIFAR "binary version" record layouts a file uses.
enum class CifarVariant {
  cifar10,   ///< 1 label byte (0–9), 3,072 pixel bytes
  cifar100,  ///< 1 coarse label byte, 1 fine label byte (0–99), 3,072 pixel bytes
};

/// Side of a CIFAR image; images are 3 × 32 × 32, stored as the R, G and B planes row-major.
inline constexpr Index kCifarImageSide = 32;
inline constexpr std::size_t kCifarPixelBytes = 3 * 32 * 32;

/// Bytes of one record: the label byte(s) followed by the 3,072 pixel bytes.
constexpr std::size_t cifar_record_size(CifarVariant variant) {
  return (variant == CifarVariant::cifar10 ? 1 : 2) + kCifarPixelBytes;
}
/// Number of classes: 10, or the 100 fine classes of CIFAR-100.
constexpr Index cifar_classes(CifarVariant variant) {
  return variant == CifarVariant::cifar10 ? 10 : 100;
}

/// Parses the records of one CIFAR binary file held in memory into images [N, 3, 32, 32] with
/// values pixel/255 in [0, 1] and labels (the fine labels of CIFAR-100). `name_for_errors`
/// starts every error message, e.g. "test_batch.bin: record 17: label 12 is outside [0, 10)".
/// class_names stay empty. Throws distill::error for an empty buffer, a size that is not a
/// whole number of records, or a label out of range.
template <class Scalar = float>
Dataset<Scalar> parse_cifar(const std::uint8_t* data, std::size_t size, CifarVariant variant,
                            const std::string& name_for_errors);

/// Reads one CIFAR binary file (e.g. data_batch_1.bin, test_batch.bin, train.bin); errors name
/// the path.
template <class Scalar = float>
Dataset<Scalar> read_cifar_file(const std::string& path, CifarVariant variant);

/// Reads class names, one a line (trailing spaces and CR removed, blank lines skipped).
/// Throws unless the file holds exactly `classes` names.
std::vector<std::string> read_class_names(const std::string& path, Index classes);

/// Loads CIFAR-10 from the directory of the binary version: data_batch_1.bin … data_batch_5.bin
/// (train, in that order) and test_batch.bin (test); class names from batches.meta.txt when
/// that file exists.
template <class Scalar = float>
DatasetSplits<Scalar> load_cifar10(const std::string& dir);

/// Loads CIFAR-100 (fine labels) from the directory of the binary version: train.bin and
/// test.bin; class names from fine_label_names.txt when that file exists.
template <class Scalar = float>
DatasetSplits<Scalar> load_cifar100(const std::string& dir);

}  // namespace distill

#include "distill/data/cifar_impl.hpp"

#endif  // DISTILL_DATA_CIFAR_HPP
