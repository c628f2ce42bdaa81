#ifndef DISTILL_CORE_PARALLEL_HPP
#define DISTILL_CORE_PARALLEL_HPP

#include <exception>
#include <mutex>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "distill/core/shape.hpp"

namespace distill {

/// Threads a parallel region started now would use.
inline int max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

/// Sets the number of threads for later parallel regions (no effect without OpenMP).
inline void set_threads(int n) {
#ifdef _OPENMP
  if (n > 0) omp_set_num_threads(n);
#else
  (void)n;
#endif
}

/// Index of the calling thread inside a parallel region (0 outside).
inline int thread_index() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

/// Below this many elementary operations a loop runs on the calling thread: starting a
/// parallel region and its barrier costs more than the work.
inline constexpr Index kParallelGrain = Index(1) << 15;

/// How parallel_for hands items to threads. Both are fixed functions of (n, thread count), so
/// item i always lands on the same thread.
enum class Schedule {
  kBlocked,  ///< thread t runs one contiguous range (OpenMP's schedule(static))
  kCyclic    ///< thread t runs items t, t + T, t + 2T, …: items sorted by decreasing cost
             ///< then balance across threads without the loop knowing the thread count
};

/// Runs f(i) for i in [0, n) across threads. `cost` estimates the operations of one item; small
/// loops (n·cost below kParallelGrain) run serially. The first exception thrown by any f is
/// rethrown on the calling thread after the loop (exceptions must not cross an OpenMP region).
template <class F>
void parallel_for(Index n, F&& f, Index cost = kParallelGrain, Schedule schedule = Schedule::kBlocked) {
  if (n <= 0) return;
#ifdef _OPENMP
  if (n == 1 || n * cost < kParallelGrain || omp_in_parallel()) {
    for (Index i = 0; i < n; ++i) f(i);
    return;
  }
  std::exception_ptr failure;
  std::mutex failure_mutex;
#pragma omp parallel
  {
    const Index t = omp_get_thread_num(), threads = omp_get_num_threads();
    Index begin = t, end = n, step = threads;
    if (schedule == Schedule::kBlocked) {
      // libgomp's static partition: the first n % T threads take one item more.
      const Index q = n / threads, r = n % threads;
      begin = t * q + (t < r ? t : r);
      end = begin + q + (t < r ? 1 : 0);
      step = 1;
    }
    for (Index i = begin; i < end; i += step) {
      try {
        f(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
#else
  (void)cost;
  (void)schedule;
  for (Index i = 0; i < n; ++i) f(i);
#endif
}

/// One object per thread (workspaces, partial sums), indexed by thread_index().
template <class T>
class PerThread {
 public:
  PerThread() : items_(static_cast<std::size_t>(max_threads())) {}
  T& local() { return items_[static_cast<std::size_t>(thread_index())]; }
  /// Grows to the current thread count (call outside parallel regions).
  void ensure_threads() {
    if (items_.size() < static_cast<std::size_t>(max_threads())) items_.resize(max_threads());
  }
  std::vector<T>& all() { return items_; }

 private:
  std::vector<T> items_;
};

}  // namespace distill

#endif  // DISTILL_CORE_PARALLEL_HPP
