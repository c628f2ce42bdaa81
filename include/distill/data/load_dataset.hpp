#ifndef DISTILL_DATA_LOAD_DATASET_HPP
#define DISTILL_DATA_LOAD_DATASET_HPP

#include <string>
#include <vector>

#include "distill/data/cifar.hpp"
#include "distill/data/idx.hpp"
#include "distill/data/image_folder.hpp"

namespace distill {

/// A dataset format that load_dataset reads: its name (the CLI's --dataset) and its loader.
template <class Scalar>
struct DatasetFormat {
  const char* name;
  DatasetSplits<Scalar> (*load)(const std::string& dir);
};

/// The one list of dataset formats: CIFAR-10 and CIFAR-100 (binary versions), MNIST-style IDX
/// and folders of images (load_image_folder). A function template, so that the loaders are
/// compiled only where a format is loaded.
template <class Scalar = float>
const std::vector<DatasetFormat<Scalar>>& dataset_formats() {
  static const std::vector<DatasetFormat<Scalar>> formats = {
      {"cifar10", [](const std::string& dir) { return load_cifar10<Scalar>(dir); }},
      {"cifar100", [](const std::string& dir) { return load_cifar100<Scalar>(dir); }},
      {"idx", [](const std::string& dir) { return load_idx<Scalar>(dir); }},
      {"folder", [](const std::string& dir) { return load_image_folder<Scalar>(dir); }},
  };
  return formats;
}

/// The names of dataset_formats(), in order.
template <class Scalar = float>
std::vector<std::string> dataset_format_names() {
  std::vector<std::string> names;
  for (const auto& f : dataset_formats<Scalar>()) names.emplace_back(f.name);
  return names;
}

/// Loads a dataset by kind: a name of dataset_formats(), or "folder:<N>" for folders of images
/// resized to N × N on load.
template <class Scalar = float>
DatasetSplits<Scalar> load_dataset(const std::string& kind, const std::string& dir) {
  if (kind.rfind("folder:", 0) == 0) {
    const std::string n = kind.substr(7);
    const bool digits = !n.empty() && n.size() <= 5 && n.find_first_not_of("0123456789") == std::string::npos;
    DISTILL_CHECK(digits && std::stol(n) > 0, "dataset '" << kind << "': expected folder:<size> with a positive size");
    return load_image_folder<Scalar>(dir, ImageFolderOptions{Index(std::stol(n))});
  }
  std::string known;
  for (const auto& f : dataset_formats<Scalar>()) {
    if (kind == f.name) return f.load(dir);
    known += std::string(f.name) + ", ";
  }
  DISTILL_CHECK(false, "unknown dataset '" << kind << "' (expected " << known << "or folder:<size>)");
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
