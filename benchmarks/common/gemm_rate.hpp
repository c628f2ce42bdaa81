#ifndef DISTILL_BENCHMARKS_COMMON_GEMM_RATE_HPP
#define DISTILL_BENCHMARKS_COMMON_GEMM_RATE_HPP

// The reference rate every benchmark figure is divided by, measured in the same run.

#include <benchmark/benchmark.h>

#include <algorithm>

#include <Eigen/Core>

#include "distill/core/timer.hpp"

namespace distill::bench {

/// GFLOP/s of an Eigen 1024³ single-precision GEMM on all threads (best of 5), measured once
/// per process.
inline double gemm_gflops() {
  static const double rate = [] {
    const Eigen::Index n = 1024;
    Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n), b = Eigen::MatrixXf::Random(n, n), c(n, n);
    c.noalias() = a * b;  // warm up
    double best = 0;
    for (int rep = 0; rep < 5; ++rep) {
      Timer t;
      for (int i = 0; i < 5; ++i) c.noalias() = a * b;
      best = std::max(best, 5 * 2.0 * double(n) * double(n) * double(n) / t.seconds() / 1e9);
    }
    benchmark::DoNotOptimize(c.data());
    return best;
  }();
  return rate;
}

}  // namespace distill::bench

#endif  // DISTILL_BENCHMARKS_COMMON_GEMM_RATE_HPP
