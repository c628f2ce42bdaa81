#ifndef DISTILL_BENCHMARKS_COMMON_GEMM_RATE_HPP
#define DISTILL_BENCHMARKS_COMMON_GEMM_RATE_HPP

// The reference rate every benchmark figure is divided by, measured in the same run: the
// SGEMM of `distill bench` (bench::sgemm_gflops, 2048³ on all threads), once per process.

#include "distill/bench/flops.hpp"

namespace distill::bench {

inline double gemm_gflops() {
  static const double rate = sgemm_gflops();
  return rate;
}

}  // namespace distill::bench

#endif  // DISTILL_BENCHMARKS_COMMON_GEMM_RATE_HPP
