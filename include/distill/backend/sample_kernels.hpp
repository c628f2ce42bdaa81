#ifndef DISTILL_BACKEND_SAMPLE_KERNELS_HPP
#define DISTILL_BACKEND_SAMPLE_KERNELS_HPP

// The element arithmetic of a device backend's fill, gather and scatter (the CPU backend runs
// the same operations as plain loops; the tests compare the two).

#include "distill/core/macros.hpp"
#include "distill/core/shape.hpp"

namespace distill::detail {

template <class T>
struct FillValue {
  T value;
  T* dst;
  DISTILL_HOST_DEVICE void operator()(Index i) const { dst[i] = value; }
};

/// dst[j·s + e] = src[index[j]·s + e] for element i = j·s + e.
template <class T>
struct GatherSamples {
  Index sample_size;
  const Index* index;
  const T* src;
  T* dst;
  DISTILL_HOST_DEVICE void operator()(Index i) const {
    const Index j = i / sample_size, e = i % sample_size;
    dst[i] = src[index[j] * sample_size + e];
  }
};

/// dst[index[j]·s + e] += alpha·src[j·s + e] for every j < count in order, for element e of a
/// sample: repeated indices add up in the same order on every backend, without atomics.
template <class T>
struct ScatterAddSamples {
  Index sample_size, count;
  const Index* index;
  T alpha;
  const T* src;
  T* dst;
  DISTILL_HOST_DEVICE void operator()(Index e) const {
    for (Index j = 0; j < count; ++j) dst[index[j] * sample_size + e] += alpha * src[j * sample_size + e];
  }
};

}  // namespace distill::detail

#endif  // DISTILL_BACKEND_SAMPLE_KERNELS_HPP
