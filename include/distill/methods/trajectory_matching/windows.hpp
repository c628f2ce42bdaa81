#ifndef DISTILL_METHODS_TRAJECTORY_MATCHING_WINDOWS_HPP
#define DISTILL_METHODS_TRAJECTORY_MATCHING_WINDOWS_HPP

#include <algorithm>

#include "distill/core/error.hpp"
#include "distill/core/rng.hpp"
#include "distill/core/tensor.hpp"

namespace distill {

/// MTT's matching window: the start epoch of every iteration is uniform in
/// {0, …, max_start_epoch − 1}, the same at every iteration.
/// A window policy has `Index upper(Index iteration)` (exclusive bound of the start epoch),
/// `Index sample(Index iteration, Rng&)` and `Index max_start_epoch()` (the largest bound, so
/// the driver can check the experts are long enough).
class FixedWindow {
 public:
  explicit FixedWindow(Index max_start_epoch = 2, Index min_start_epoch = 0)
      : min_(min_start_epoch), max_(max_start_epoch) {
    DISTILL_CHECK(min_ >= 0 && max_ > min_, "FixedWindow: need 0 <= min_start_epoch < max_start_epoch (got "
                                                << min_ << ", " << max_ << ")");
  }
  Index min_start_epoch() const { return min_; }
  Index max_start_epoch() const { return max_; }
  Index upper(Index /*iteration*/) const { return max_; }
  Index sample(Index iteration, Rng& rng) const {
    return min_ + Index(rng.below(std::uint64_t(upper(iteration) - min_)));
  }

 private:
  Index min_, max_;
};

/// DATM's difficulty-aligned window with Sequential Generation: the exclusive upper bound of
/// the start epoch grows linearly from current_max_start_epoch at iteration 0 to
/// max_start_epoch at iteration expansion_end, U = min(T⁺, T + ⌊(T⁺ − T)·it / expansion_end⌋),
/// and the start epoch is uniform in {min_start_epoch, …, U − 1}. Early expert epochs carry
/// the easy patterns small sets can hold; the window admits later ones as the set matures.
class DifficultyAligned {
 public:
  DifficultyAligned(Index min_start_epoch, Index current_max_start_epoch, Index max_start_epoch,
                    Index expansion_end)
      : min_(min_start_epoch), current_(current_max_start_epoch), max_(max_start_epoch), end_(expansion_end) {
    DISTILL_CHECK(min_ >= 0 && current_ > min_ && max_ >= current_ && end_ > 0,
                  "DifficultyAligned: need 0 <= min_start_epoch < current_max_start_epoch <= max_start_epoch "
                  "and expansion_end > 0 (got "
                      << min_ << ", " << current_ << ", " << max_ << ", " << end_ << ")");
  }
  Index min_start_epoch() const { return min_; }
  Index max_start_epoch() const { return max_; }
  Index upper(Index iteration) const {
    return std::min(max_, current_ + (max_ - current_) * std::max<Index>(iteration, 0) / end_);
  }
  Index sample(Index iteration, Rng& rng) const {
    return min_ + Index(rng.below(std::uint64_t(upper(iteration) - min_)));
  }

 private:
  Index min_, current_, max_, end_;
};

}  // namespace distill

#endif  // DISTILL_METHODS_TRAJECTORY_MATCHING_WINDOWS_HPP
