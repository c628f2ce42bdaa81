#ifndef DISTILL_BACKEND_CUDA_BACKEND_HPP
#define DISTILL_BACKEND_CUDA_BACKEND_HPP

// Needs nvcc: the functions below launch kernels.

#include <string>
#include <utility>

#include "distill/backend/backend.hpp"
#include "distill/backend/cuda/blas.hpp"
#include "distill/backend/cuda/context.hpp"
#include "distill/backend/cuda/convolution.hpp"
#include "distill/backend/cuda/launch.hpp"
#include "distill/backend/cuda/memory.hpp"
#include "distill/backend/sample_kernels.hpp"

namespace distill::cuda {

/// How a per-group (per-plane) reduction runs: the functor as the CPU runs it, a thread per
/// group, or the tuned kernel, a block of lanes per group with warp-shuffle sums (for functors
/// written as run(g, lanes), the normalisation passes).
namespace groups {
struct Thread {
  static constexpr const char* name = "thread_per_group";
  static constexpr bool kBlock = false;
};
struct Block {
  static constexpr const char* name = "block_per_group";
  static constexpr bool kBlock = true;
};
}  // namespace groups

/// The CUDA backend: device memory from the context's pool, every loop a kernel launch of the
/// same host-device functor the CPU backend runs, cuBLAS for BLAS, a convolution policy
/// (conv::Cudnn, conv::Im2colGemm or conv::Direct) and a per-group policy (groups::Block or
/// groups::Thread). All work is queued on the context's stream; the functions that return a
/// number to the host (sum, dot, squared_norm) and copy_to_host wait for it, their `_to` forms
/// (sum_to, dot_to) do not. Uploads are fastest from page-locked memory (staging_space).
template <class ConvPolicy, class GroupPolicy = groups::Block>
struct BasicBackend {
  using memory_space = DeviceSpace;
  using staging_space = PinnedSpace;
  using conv_policy = ConvPolicy;
  using group_policy = GroupPolicy;
  static constexpr const char* name = "cuda";

  /// f(i) for i in [0, n) on the device (element-wise work).
  template <class F>
  static void for_each(Index n, const F& f) {
    launch_for_each(n, f);
  }
  /// f(i) for i in [0, n), each item `cost` operations (a plane, a row): a thread per item, or
  /// a block per item for functors written for lanes under groups::Block.
  template <class F>
  static void for_each(Index n, const F& f, Index /*cost*/) {
    if constexpr (GroupPolicy::kBlock && has_lanes<F>::value) {
      launch_for_each_group(n, f);
    } else {
      launch_for_each(n, f);
    }
  }
  /// init + Σ f(i) for i in [0, n), in double, by a fixed tree whose shape depends on n alone
  /// (deterministic; launch_sum: one block, or many and then one for large n).
  template <class F>
  static double sum(Index n, const F& f, double init = 0) {
    if (n <= 0) return init;
    const unsigned blocks = sum_blocks(n);
    DeviceArray<double> out(1 + (blocks > 1 ? blocks : 0));
    launch_sum(n, f, out.data(), out.data() + 1);
    double s = 0;
    copy_to_host(1, out.data(), &s);
    return init + s;
  }

  /// *out (device memory) = Σ f(i), by sum's tree; queued, nothing waits.
  template <class F>
  static void sum_to(Index n, const F& f, double* out) {
    if (n <= 0) return fill(1, 0.0, out);
    const unsigned blocks = sum_blocks(n);
    DeviceArray<double> partials(blocks > 1 ? blocks : 0);
    launch_sum(n, f, out, partials.data());
  }

  template <class T>
  static void copy(Index n, const T* src, T* dst) {
    DeviceSpace::copy(dst, src, std::size_t(n) * sizeof(T));
  }
  template <class T>
  static void copy_from_host(Index n, const T* host_src, T* dst) {
    if (n > 0)
      DISTILL_CUDA_CHECK(cudaMemcpyAsync(dst, host_src, std::size_t(n) * sizeof(T), cudaMemcpyHostToDevice,
                                         Context::current().stream()));
  }
  /// Waits for the copy: the host reads host_dst right after.
  template <class T>
  static void copy_to_host(Index n, const T* src, T* host_dst) {
    if (n <= 0) return;
    DISTILL_CUDA_CHECK(cudaMemcpyAsync(host_dst, src, std::size_t(n) * sizeof(T), cudaMemcpyDeviceToHost,
                                       Context::current().stream()));
    Context::current().synchronize();
  }
  template <class T>
  static void fill(Index n, T value, T* dst) {
    for_each(n, detail::FillValue<T>{value, dst});
  }
  /// `index` is device memory (an unroll uploads its whole plan of minibatches at once).
  template <class T>
  static void gather_samples(Index sample_size, const Index* index, Index count, const T* src, T* dst) {
    if (count <= 0) return;
    for_each(count * sample_size, detail::GatherSamples<T>{sample_size, index, src, dst});
  }
  template <class T>
  static void scatter_add_samples(Index sample_size, const Index* index, Index count, T alpha, const T* src,
                                  T* dst) {
    if (count <= 0) return;
    for_each(sample_size, detail::ScatterAddSamples<T>{sample_size, count, index, alpha, src, dst});
  }

  template <class T>
  static T dot(Index n, const T* x, const T* y) {
    return blas::dot(Context::current().cublas(), n, x, y);
  }
  /// *out (device memory) = ⟨x, y⟩ in cuBLAS's device pointer mode; queued, nothing waits.
  template <class T>
  static void dot_to(Index n, const T* x, const T* y, T* out) {
    blas::dot_to(Context::current().cublas(), n, x, y, out);
  }
  template <class T>
  static void axpy(Index n, T alpha, const T* x, T* y) {
    blas::axpy(Context::current().cublas(), n, alpha, x, y);
  }
  template <class T>
  static void scal(Index n, T alpha, T* x) {
    blas::scal(Context::current().cublas(), n, alpha, x);
  }
  /// Σ x² as dot(x, x) (cuBLAS's nrm2 returns the scaled square root instead).
  template <class T>
  static T squared_norm(Index n, const T* x) {
    return dot(n, x, x);
  }
  template <class T>
  static void gemm(Op op_a, Op op_b, Index m, Index n, Index k, T alpha, const T* a, Index lda, const T* b,
                   Index ldb, T beta, T* c, Index ldc) {
    if (m == 0 || n == 0) return;
    blas::gemm(Context::current().cublas(), op_a, op_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }

  template <class T>
  using Convolution = typename ConvPolicy::template Convolution<T>;

  /// Step graphs (Context::set_graphs): the unroll's steps run through run_step.
  static bool graphs() { return Context::current().graphs(); }
  template <class F>
  static void run_step(const std::string& key, F&& f) {
    Context::current().run_step(key, std::forward<F>(f));
  }
};

/// The default CUDA backend: cuDNN convolutions.
using Backend = BasicBackend<conv::Cudnn>;

}  // namespace distill::cuda

#endif  // DISTILL_BACKEND_CUDA_BACKEND_HPP
