#ifndef DISTILL_DATA_CIFAR_IMPL_HPP
#define DISTILL_DATA_CIFAR_IMPL_HPP

#include <array>

#include "distill/data/cifar.hpp"
#include "distill/data/file_io.hpp"

namespace distill {
namespace detail {

// Records in a buffer, after checking it holds a whole, non-zero number of them.
inline std::size_t cifar_record_count(std::size_t size, CifarVariant variant,
                                      const std::string& name) {
  const std::size_t record = cifar_record_size(variant);
  DISTILL_CHECK(size > 0, name << ": empty file");
  DISTILL_CHECK(size % record == 0, name << ": file size " << size << " is not a multiple of the "
                                         << record << "-byte record");
  return size / record;
}

// Parses every record of `data` into `images` (count × 3072 values) and `labels` (count).
template <class Scalar>
void parse_cifar_into(const std::uint8_t* data, std::size_t count, CifarVariant variant,
                      const std::string& name, Scalar* images, int* labels) {
  std::array<Scalar, 256> scale{};  // pixel/255 computed once, bit-identical to dividing
  for (int p = 0; p < 256; ++p) scale[p] = Scalar(p) / Scalar(255);
  const std::size_t record = cifar_record_size(variant);
  const int classes = static_cast<int>(cifar_classes(variant));
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t* r = data + i * record;
    // The coarse label of CIFAR-100 is unused, but checking it catches a CIFAR-10 file (or
    // other data) read as CIFAR-100 whose size happens to be a multiple of 3,074.
    if (variant == CifarVariant::cifar100)
      DISTILL_CHECK(r[0] < 20, name << ": record " << i << ": coarse label " << int(r[0])
                                    << " is outside [0, 20)");
    const int label = r[record - kCifarPixelBytes - 1];
    DISTILL_CHECK(label < classes, name << ": record " << i << ": label " << label
                                        << " is outside [0, " << classes << ")");
    labels[i] = label;
    const std::uint8_t* pixels = r + (record - kCifarPixelBytes);
    Scalar* out = images + i * kCifarPixelBytes;
    for (std::size_t k = 0; k < kCifarPixelBytes; ++k) out[k] = scale[pixels[k]];
  }
}

// Reads and concatenates whole files in order. All files are checked before the images are
// allocated, so one pass over the output suffices and no partial dataset is ever built.
template <class Scalar>
Dataset<Scalar> read_cifar_files(const std::vector<std::string>& paths, CifarVariant variant) {
  std::vector<std::vector<std::uint8_t>> files;
  std::vector<std::size_t> counts;
  std::size_t total = 0;
  for (const std::string& path : paths) {
    files.push_back(read_file_bytes(path));
    counts.push_back(cifar_record_count(files.back().size(), variant, path));
    total += counts.back();
  }
  Dataset<Scalar> set;
  set.classes = cifar_classes(variant);
  set.images.resize(Shape(static_cast<Index>(total), 3, kCifarImageSide, kCifarImageSide));
  set.labels.resize(total);
  std::size_t first = 0;
  for (std::size_t f = 0; f < files.size(); ++f) {
    parse_cifar_into(files[f].data(), counts[f], variant, paths[f],
                     set.images.data() + first * kCifarPixelBytes, set.labels.data() + first);
    std::vector<std::uint8_t>().swap(files[f]);  // release each file once parsed
    first += counts[f];
  }
  return set;
}

}  // namespace detail

template <class Scalar>
Dataset<Scalar> parse_cifar(const std::uint8_t* data, std::size_t size, CifarVariant variant,
                            const std::string& name_for_errors) {
  const std::size_t count = detail::cifar_record_count(size, variant, name_for_errors);
  Dataset<Scalar> set;
  set.classes = cifar_classes(variant);
  set.images.resize(Shape(static_cast<Index>(count), 3, kCifarImageSide, kCifarImageSide));
  set.labels.resize(count);
  detail::parse_cifar_into(data, count, variant, name_for_errors, set.images.data(),
                           set.labels.data());
  return set;
}

template <class Scalar>
Dataset<Scalar> read_cifar_file(const std::string& path, CifarVariant variant) {
  return detail::read_cifar_files<Scalar>({path}, variant);
}

inline std::vector<std::string> read_class_names(const std::string& path, Index classes) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  std::vector<std::string> names;
  std::string line;
  const auto finish_line = [&] {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
      line.pop_back();
    if (!line.empty()) names.push_back(line);
    line.clear();
  };
  for (const std::uint8_t b : bytes) {
    if (b == '\n')
      finish_line();
    else
      line.push_back(static_cast<char>(b));
  }
  finish_line();
  DISTILL_CHECK(static_cast<Index>(names.size()) == classes,
                path << ": " << names.size() << " class names for " << classes << " classes");
  return names;
}

template <class Scalar>
DatasetSplits<Scalar> load_cifar10(const std::string& dir) {
  std::vector<std::string> train_files;
  for (int b = 1; b <= 5; ++b)
    train_files.push_back(detail::join_path(dir, "data_batch_" + std::to_string(b) + ".bin"));
  DatasetSplits<Scalar> splits;
  splits.train = detail::read_cifar_files<Scalar>(train_files, CifarVariant::cifar10);
  splits.test =
      read_cifar_file<Scalar>(detail::join_path(dir, "test_batch.bin"), CifarVariant::cifar10);
  const std::string names = detail::join_path(dir, "batches.meta.txt");
  if (regular_file_exists(names)) {
    splits.train.class_names = read_class_names(names, 10);
    splits.test.class_names = splits.train.class_names;
  }
  return splits;
}

template <class Scalar>
DatasetSplits<Scalar> load_cifar100(const std::string& dir) {
  DatasetSplits<Scalar> splits;
  splits.train =
      read_cifar_file<Scalar>(detail::join_path(dir, "train.bin"), CifarVariant::cifar100);
  splits.test = read_cifar_file<Scalar>(detail::join_path(dir, "test.bin"), CifarVariant::cifar100);
  const std::string names = detail::join_path(dir, "fine_label_names.txt");
  if (regular_file_exists(names)) {
    splits.train.class_names = read_class_names(names, 100);
    splits.test.class_names = splits.train.class_names;
  }
  return splits;
}

}  // namespace distill

#endif  // DISTILL_DATA_CIFAR_IMPL_HPP
