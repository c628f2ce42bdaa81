#ifndef DISTILL_DATA_LOAD_DATASET_HPP
#define DISTILL_DATA_LOAD_DATASET_HPP

#include <string>

#include "distill/data/cifar.hpp"
#include "distill/data/idx.hpp"

namespace distill {

/// Loads a dataset by kind: "cifar10", "cifar100" (binary versions) or "idx" (MNIST-style).
template <class Scalar = float>
DatasetSplits<Scalar> load_dataset(const std::string& kind, const std::string& dir) {
  if (kind == "cifar10") return load_cifar10<Scalar>(dir);
  if (kind == "cifar100") return load_cifar100<Scalar>(dir);
  if (kind == "idx") return load_idx<Scalar>(dir);
  DISTILL_CHECK(false, "unknown dataset '" << kind << "' (expected cifar10, cifar100 or idx)");
}

}  // namespace distill

#endif  // DISTILL_DATA_LOAD_DATASET_HPP
