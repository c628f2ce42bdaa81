#ifndef DISTILL_CORE_TIMER_HPP
#define DISTILL_CORE_TIMER_HPP

#include <chrono>

namespace distill {

/// Wall-clock stopwatch on the steady clock.
class Timer {
 public:
  Timer() : start_(clock::now()) {}
  void reset() { start_ = clock::now(); }
  double seconds() const { return std::chrono::duration<double>(clock::now() - start_).count(); }

 private:
  using clock = std::chrono::steady_clock;
  clock::time_point start_;
};

}  // namespace distill

#endif  // DISTILL_CORE_TIMER_HPP
