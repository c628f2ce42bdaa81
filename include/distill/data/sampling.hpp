#ifndef DISTILL_DATA_SAMPLING_HPP
#define DISTILL_DATA_SAMPLING_HPP

// Reproducible selections of samples: every draw is a pure function of (seed, stream).

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "distill/core/rng.hpp"
#include "distill/core/tensor.hpp"
#include "distill/data/dataset.hpp"

namespace distill {

/// A random permutation of [0, n) that depends only on (seed, stream).
inline std::vector<Index> random_permutation(Index n, std::uint64_t seed, std::uint64_t stream) {
  std::vector<Index> p(static_cast<std::size_t>(n));
  std::iota(p.begin(), p.end(), Index(0));
  Rng rng(seed, stream);
  for (Index i = n - 1; i > 0; --i) std::swap(p[i], p[rng.below(static_cast<std::uint64_t>(i + 1))]);
  return p;
}

/// Copies samples `index[first … first+count)` of `src` into `dst` (resized to [count, …]).
template <class Scalar>
void gather_samples(ConstView<Scalar> src, const std::vector<Index>& index, Index first, Index count,
                    Tensor<Scalar>& dst) {
  const Shape s = src.shape();
  dst.resize({count, s.c, s.h, s.w});
  const Index n = s.sample_size();
  for (Index j = 0; j < count; ++j)
    std::copy(src.sample(index[first + j]), src.sample(index[first + j]) + n, dst.data() + j * n);
}

/// `per_class` random samples of every class, drawn from (seed, stream), class-major order.
template <class Scalar>
std::vector<Index> random_per_class(const Dataset<Scalar>& data, Index per_class, std::uint64_t seed,
                                    std::uint64_t stream = 0) {
  const auto by_class = data.indices_by_class();
  std::vector<Index> picked;
  for (Index c = 0; c < data.classes; ++c) {
    const auto& pool = by_class[c];
    DISTILL_CHECK(static_cast<Index>(pool.size()) >= per_class,
                  "class " << c << " has " << pool.size() << " images, fewer than the " << per_class
                           << " requested per class");
    const auto order = random_permutation(static_cast<Index>(pool.size()), seed,
                                          stream * 1000 + static_cast<std::uint64_t>(c));
    for (Index j = 0; j < per_class; ++j) picked.push_back(pool[order[j]]);
  }
  return picked;
}

}  // namespace distill

#endif  // DISTILL_DATA_SAMPLING_HPP
