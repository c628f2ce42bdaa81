#ifndef DISTILL_BACKEND_LANES_HPP
#define DISTILL_BACKEND_LANES_HPP

#include "distill/core/macros.hpp"
#include "distill/core/shape.hpp"

namespace distill::detail {

/// The lanes that compute one group (a plane, a sample) together. A group's functor is
/// written once as run(g, lanes): lane `index` of `count` takes every count-th element, and
/// `sum(v)` adds a value over the lanes (every lane gets the total). SerialLanes is one lane,
/// the thread-per-group kernel and the CPU; a CUDA backend's block-per-group kernel passes a
/// block of lanes with warp-shuffle sums (cuda::BlockLanes). With one lane the additions run in
/// the same order as a plain loop.
struct SerialLanes {
  static constexpr Index index = 0, count = 1;
  DISTILL_HOST_DEVICE double sum(double v) const { return v; }
};

}  // namespace distill::detail

#endif  // DISTILL_BACKEND_LANES_HPP
