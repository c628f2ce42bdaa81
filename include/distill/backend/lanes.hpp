#ifndef DISTILL_BACKEND_LANES_HPP
#define DISTILL_BACKEND_LANES_HPP

#include "distill/core/macros.hpp"
#include "distill/core/shape.hpp"

namespace distill::detail {

/// The lanes that compute one group (a plane, a sample) together. A group's functor is
/// written once as run(g, lanes): lane `index` of `count` takes every count-th element, and
/// `sum(v)` adds a value over the lanes (every lane gets the total). SerialLanes is one lane,
/// the thread-per-group kernel and the CPU; a CUDA backend's block-per-group kernel passes a
/// block of lanes with warp-shuffle sums (cuda::BlockLanes). `kPartials` is how many partial
/// sums a lane keeps (PartialSums): eight for one lane, whose one chain of additions would wait
/// on itself; one where many lanes already share the work.
struct SerialLanes {
  static constexpr Index index = 0, count = 1, kPartials = 8;
  DISTILL_HOST_DEVICE double sum(double v) const { return v; }
};

/// kTerms sums in double over the elements a lane takes, each kept as kPartials partial sums:
/// the lane's j-th element goes to partial j mod kPartials, and total() adds the partials
/// pairwise. The additions of one partial do not wait on the others', so a CPU core runs eight
/// as vectors instead of one latency-bound chain, and the order depends only on the element
/// count and the lanes, never on threads. add() may be called for several blocks of a group;
/// `terms(i, t)` writes element i's kTerms values into t.
template <int kTerms, Index kPartials>
struct PartialSums {
  static_assert(kPartials > 0 && (kPartials & (kPartials - 1)) == 0, "PartialSums: a power of two of partials");
  double acc[kTerms][kPartials] = {};
  Index next = 0;  ///< the partial the next element goes to

  template <class Lanes, class F>
  DISTILL_HOST_DEVICE void add(const Lanes& lanes, Index m, const F& terms) {
    Index i = lanes.index;
    // Elements one at a time until the next one starts a round of kPartials.
    for (; next != 0 && i < m; i += lanes.count) put(i, terms);
    const Index stride = lanes.count;
    for (; i + (kPartials - 1) * stride < m; i += kPartials * stride) {
      double t[kPartials][kTerms];
      for (Index j = 0; j < kPartials; ++j) terms(i + j * stride, t[j]);
      for (int k = 0; k < kTerms; ++k)
        for (Index j = 0; j < kPartials; ++j) acc[k][j] += t[j][k];
    }
    for (; i < m; i += stride) put(i, terms);
  }
  DISTILL_HOST_DEVICE double total(int k) const {
    double v[kPartials];
    for (Index j = 0; j < kPartials; ++j) v[j] = acc[k][j];
    for (Index w = kPartials; w > 1; w /= 2)
      for (Index j = 0; j < w / 2; ++j) v[j] = v[2 * j] + v[2 * j + 1];
    return v[0];
  }

 private:
  template <class F>
  DISTILL_HOST_DEVICE void put(Index i, const F& terms) {
    double t[kTerms];
    terms(i, t);
    for (int k = 0; k < kTerms; ++k) acc[k][next] += t[k];
    next = (next + 1) % kPartials;
  }
};

}  // namespace distill::detail

#endif  // DISTILL_BACKEND_LANES_HPP
