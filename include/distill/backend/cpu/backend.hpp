#ifndef DISTILL_BACKEND_CPU_BACKEND_HPP
#define DISTILL_BACKEND_CPU_BACKEND_HPP

#include <algorithm>

#include <Eigen/Core>

#include "distill/backend/backend.hpp"
#include "distill/backend/cpu/convolution.hpp"
#include "distill/backend/cpu/gemm.hpp"
#include "distill/core/memory.hpp"
#include "distill/core/parallel.hpp"

namespace distill::cpu {

/// The CPU backend: host memory, OpenMP loops and Eigen's GEMM. Every pass of the network runs
/// through these functions, so a second backend (CUDA) replaces them and nothing above.
struct Backend {
  using memory_space = HostSpace;
  static constexpr const char* name = "cpu";

  /// f(i) for i in [0, n), element-wise work: contiguous blocks spread over threads, each a
  /// plain loop the compiler vectorises. f must not throw.
  template <class F>
  static void for_each(Index n, const F& f) {
    constexpr Index kBlock = Index(1) << 14;
    const Index blocks = (n + kBlock - 1) / kBlock;
    parallel_for(blocks, [&](Index bi) {
      const F body = f;
      const Index begin = bi * kBlock, end = std::min(n, begin + kBlock);
      for (Index i = begin; i < end; ++i) body(i);
    }, kBlock);
  }
  /// f(i) for i in [0, n) where each item is a unit of `cost` operations (a plane, a row):
  /// one item per thread at a time, serial when the whole loop is small.
  template <class F>
  static void for_each(Index n, const F& f, Index cost) {
    parallel_for(n, [&](Index i) { f(i); }, cost);
  }

  template <class T>
  static void copy(Index n, const T* src, T* dst) {
    std::copy(src, src + n, dst);
  }
  /// Copies between host memory and the backend's memory space (here both are host memory).
  template <class T>
  static void copy_from_host(Index n, const T* host_src, T* dst) {
    std::copy(host_src, host_src + n, dst);
  }
  template <class T>
  static void copy_to_host(Index n, const T* src, T* host_dst) {
    std::copy(src, src + n, host_dst);
  }
  /// init + Σ f(i) for i in [0, n), added in index order (deterministic on every backend).
  template <class F>
  static double sum(Index n, const F& f, double init = 0) {
    for (Index i = 0; i < n; ++i) init += f(i);
    return init;
  }
  /// *out = Σ f(i), as sum(n, f) adds it.
  template <class F>
  static void sum_to(Index n, const F& f, double* out) {
    *out = sum(n, f);
  }
  template <class T>
  static void fill(Index n, T value, T* dst) {
    std::fill(dst, dst + n, value);
  }
  /// dst[j] = src[index[j]] for whole samples of sample_size values, j < count (the indices in
  /// the backend's memory, as the samples).
  template <class T>
  static void gather_samples(Index sample_size, const Index* index, Index count, const T* src, T* dst) {
    for (Index j = 0; j < count; ++j)
      std::copy(src + index[j] * sample_size, src + (index[j] + 1) * sample_size, dst + j * sample_size);
  }
  /// dst[index[j]] += alpha·src[j] for whole samples, j < count, in order (indices may repeat).
  template <class T>
  static void scatter_add_samples(Index sample_size, const Index* index, Index count, T alpha,
                                  const T* src, T* dst) {
    for (Index j = 0; j < count; ++j) {
      T* out = dst + index[j] * sample_size;
      const T* in = src + j * sample_size;
      for (Index e = 0; e < sample_size; ++e) out[e] += alpha * in[e];
    }
  }

  template <class T>
  static T dot(Index n, const T* x, const T* y) {
    return Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>(x, n).dot(
        Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>(y, n));
  }
  template <class T>
  static void dot_to(Index n, const T* x, const T* y, T* out) {
    *out = dot(n, x, y);
  }
  /// y += alpha·x.
  template <class T>
  static void axpy(Index n, T alpha, const T* x, T* y) {
    Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>(y, n) +=
        alpha * Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>(x, n);
  }
  /// x = alpha·x.
  template <class T>
  static void scal(Index n, T alpha, T* x) {
    Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>(x, n) *= alpha;
  }
  template <class T>
  static T squared_norm(Index n, const T* x) {
    return Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>(x, n).squaredNorm();
  }

  /// C = alpha·op(A)·op(B) + beta·C, column-major (cpu::gemm).
  template <class T>
  static void gemm(Op op_a, Op op_b, Index m, Index n, Index k, T alpha, const T* a, Index lda,
                   const T* b, Index ldb, T beta, T* c, Index ldc) {
    cpu::gemm(op_a, op_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }

  template <class T>
  using Convolution = cpu::Convolution<T>;
};

static_assert(BackendChecks<Backend>::check(), "cpu::Backend must satisfy the backend contract");

}  // namespace distill::cpu

#endif  // DISTILL_BACKEND_CPU_BACKEND_HPP
