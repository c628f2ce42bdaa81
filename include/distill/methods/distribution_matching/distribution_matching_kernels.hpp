#ifndef DISTILL_METHODS_DISTRIBUTION_MATCHING_DISTRIBUTION_MATCHING_KERNELS_HPP
#define DISTILL_METHODS_DISTRIBUTION_MATCHING_DISTRIBUTION_MATCHING_KERNELS_HPP

// The arithmetic of distribution matching's mean embeddings, shared by every backend. The
// embeddings are rows × d row-major; each functor runs once per feature c (or per element).

#include "distill/core/macros.hpp"
#include "distill/core/shape.hpp"

namespace distill::detail {

/// acc[c] += Σ_i x[i·d + c] / divisor, adding rows in order (divisor 1: a plain sum).
template <class T>
struct DmAccumulateRows {
  Index rows, d;
  T divisor;
  const T* x;
  T* acc;
  DISTILL_HOST_DEVICE void operator()(Index c) const {
    T a = acc[c];
    for (Index i = 0; i < rows; ++i) a += x[i * d + c] / divisor;
    acc[c] = a;
  }
};

/// y[c] = −x[c] / divisor (divisor 1: the negation).
template <class T>
struct DmNegateDivide {
  T divisor;
  const T* x;
  T* y;
  DISTILL_HOST_DEVICE void operator()(Index c) const { y[c] = -(x[c] / divisor); }
};

/// g[i·d + c] = scale·v[c] for every row i: the same gradient for every synthetic embedding.
template <class T>
struct DmBroadcastRow {
  Index d;
  T scale;
  const T* v;
  T* g;
  DISTILL_HOST_DEVICE void operator()(Index i) const { g[i] = scale * v[i % d]; }
};

}  // namespace distill::detail

#endif  // DISTILL_METHODS_DISTRIBUTION_MATCHING_DISTRIBUTION_MATCHING_KERNELS_HPP
