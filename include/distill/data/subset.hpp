#ifndef DISTILL_DATA_SUBSET_HPP
#define DISTILL_DATA_SUBSET_HPP

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "distill/data/dataset.hpp"
#include "distill/data/sampling.hpp"

namespace distill {

/// Keeps the first `limit` samples of `data` (all of them when limit ≤ 0 or beyond its size):
/// short expert runs on part of a training set.
template <class Scalar>
void keep_first(Dataset<Scalar>& data, Index limit) {
  if (limit <= 0 || limit >= data.size()) return;
  Tensor<Scalar> images(Shape(limit, data.channels(), data.height(), data.width()));
  std::copy(data.images.data(), data.images.data() + images.size(), images.data());
  data.images = std::move(images);
  data.labels.resize(static_cast<std::size_t>(limit));
}

/// `per_class` random real samples of every class, class-major, drawn from (seed, stream):
/// the random-real-images baseline takes a fresh draw (stream) per evaluation network.
template <class Scalar>
Dataset<Scalar> random_real_subset(const Dataset<Scalar>& data, Index per_class, std::uint64_t seed,
                                   std::uint64_t stream) {
  DISTILL_CHECK(per_class > 0, "random real images: images per class must be positive, got " << per_class);
  const auto idx = random_per_class(data, per_class, seed, stream);
  Dataset<Scalar> out;
  out.classes = data.classes;
  out.class_names = data.class_names;
  gather_samples(data.images.cview(), idx, 0, Index(idx.size()), out.images);
  for (Index i : idx) out.labels.push_back(data.labels[i]);
  return out;
}

}  // namespace distill

#endif  // DISTILL_DATA_SUBSET_HPP
