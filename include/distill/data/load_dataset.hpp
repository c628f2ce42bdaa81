#ifndef DISTILL_DATA_LOAD_DATASET_HPP
#define DISTILL_DATA_LOAD_DATASET_HPP

#include <string>

#include "distill/data/cifar.hpp"
#include "distill/data/idx.hpp"
#include "distill/data/image_folder.hpp"

namespace distill {

/// Loads a dataset by kind: "cifar10", "cifar100" (binary versions), "idx" (MNIST-style), or
/// "folder" for folders of images (load_image_folder), "folder:<N>" resizing each to N × N.
template <class Scalar = float>
DatasetSplits<Scalar> load_dataset(const std::string& kind, const std::string& dir) {
  if (kind == "cifar10") return load_cifar10<Scalar>(dir);
  if (kind == "cifar100") return load_cifar100<Scalar>(dir);
  if (kind == "idx") return load_idx<Scalar>(dir);
  if (kind == "folder") return load_image_folder<Scalar>(dir);
  if (kind.rfind("folder:", 0) == 0) {
    const std::string n = kind.substr(7);
    const bool digits = !n.empty() && n.size() <= 5 && n.find_first_not_of("0123456789") == std::string::npos;
    DISTILL_CHECK(digits && std::stol(n) > 0, "dataset '" << kind << "': expected folder:<size> with a positive size");
    return load_image_folder<Scalar>(dir, ImageFolderOptions{Index(std::stol(n))});
  }
  DISTILL_CHECK(false, "unknown dataset '" << kind << "' (expected cifar10, cifar100, idx, folder or folder:<size>)");
}

/// The dataset kind for a format and an optional resize: "folder" with size 64 is "folder:64".
inline std::string dataset_kind(const std::string& format, Index image_size) {
  if (image_size <= 0) return format;
  DISTILL_CHECK(format == "folder", "--image-size " << image_size << ": only folders of images are resized on load "
                                                    "(this dataset is '" << format << "')");
  return format + ":" + std::to_string(image_size);
}

}  // namespace distill

#endif  // DISTILL_DATA_LOAD_DATASET_HPP
