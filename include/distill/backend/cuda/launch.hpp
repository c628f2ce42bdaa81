#ifndef DISTILL_BACKEND_CUDA_LAUNCH_HPP
#define DISTILL_BACKEND_CUDA_LAUNCH_HPP

// The CUDA-only half of "one arithmetic, two devices": launching a host-device functor over an
// index range, and the warp and block reductions. Needs nvcc.

#include <algorithm>
#include <type_traits>
#include <utility>

#include "distill/backend/cuda/context.hpp"
#include "distill/core/macros.hpp"
#include "distill/core/shape.hpp"

namespace distill::cuda {

/// Threads per block of the element-wise and block-per-group kernels.
inline constexpr int kBlock = 256;
/// Threads per block of the sums.
inline constexpr int kSumBlock = 1024;

namespace kernels {

/// f(i) for every i in [0, n), a grid-stride loop.
template <class F>
__global__ void __launch_bounds__(kBlock) for_each(Index n, F f) {
  const Index stride = Index(blockDim.x) * gridDim.x;
  for (Index i = Index(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) f(i);
}

/// Σ of v over the warp, by xor shuffles (every lane gets the sum; the order is fixed).
template <class T>
__device__ inline T warp_sum(T v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

/// Σ of v over the block (blockDim.x a multiple of 32, at most 1024); the result is valid in
/// thread 0. A fixed tree: the same inputs always give the same bits.
template <class T>
__device__ inline T block_sum(T v) {
  __shared__ T partial[32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  v = warp_sum(v);
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  const int warps = blockDim.x / 32;
  v = threadIdx.x < warps ? partial[threadIdx.x] : T(0);
  if (warp == 0) v = warp_sum(v);
  __syncthreads();  // partial may be reused by a following call
  return v;
}

/// The lanes of a block-per-group kernel (see detail::SerialLanes): thread t of the block is
/// lane t, and sum() is the block tree, broadcast to every thread.
struct BlockLanes {
  static constexpr Index kPartials = 1;  // the block's lanes already share a group
  Index index, count;
  DISTILL_HOST_DEVICE double sum(double v) const {
#ifdef __CUDA_ARCH__
    __shared__ double total;
    v = block_sum(v);
    if (threadIdx.x == 0) total = v;
    __syncthreads();
    v = total;
    __syncthreads();  // total may be reused by the next sum
#endif
    return v;
  }
};

/// f.run(g, lanes) for every group g, a block per group (the tuned per-plane reduction).
template <class F>
__global__ void __launch_bounds__(kBlock) for_each_group(Index n, F f) {
  for (Index g = blockIdx.x; g < n; g += gridDim.x) f.run(g, BlockLanes{Index(threadIdx.x), Index(blockDim.x)});
}

/// partial[b] = Σ f(i) in double over the items of block b of the grid: thread t of block b
/// adds i = b·T + t, then i + G·T, … (T threads, G blocks), and the block tree adds the threads.
/// Deterministic (no atomics): the order depends on G, which sum_blocks takes from n alone.
template <class F>
__global__ void __launch_bounds__(kSumBlock) sum_partials(Index n, F f, double* partial) {
  double s = 0;
  const Index stride = Index(gridDim.x) * kSumBlock;
  for (Index i = Index(blockIdx.x) * kSumBlock + threadIdx.x; i < n; i += stride) s += double(f(i));
  s = block_sum(s);
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

/// *out = Σ x[i] over [0, n) in one block, in the order of sum_partials: the second pass. (A
/// template, as every kernel in a header: a plain __global__ function would be defined again in
/// every translation unit.)
template <class T>
__global__ void __launch_bounds__(kSumBlock) sum_values(Index n, const T* x, double* out) {
  double s = 0;
  for (Index i = threadIdx.x; i < n; i += kSumBlock) s += x[i];
  s = block_sum(s);
  if (threadIdx.x == 0) *out = s;
}

/// out[o] = Σ_(n, q) x[(n·planes + o)·P + q]: a block per channel o, threads striding over the
/// batch's planes, the block tree at the end (deterministic). The bias gradient of a conv.
template <class T>
__global__ void __launch_bounds__(kBlock) plane_sum(Index batch, Index planes, Index P, const T* x, T* out) {
  const Index o = blockIdx.x;
  double s = 0;
  for (Index e = threadIdx.x; e < batch * P; e += blockDim.x) s += double(x[((e / P) * planes + o) * P + e % P]);
  s = block_sum(s);
  if (threadIdx.x == 0) out[o] = T(s);
}

}  // namespace kernels

/// Blocks for n items of kBlock threads, capped (the loop strides over the rest).
inline unsigned grid_for(Index n) {
  const Index blocks = (n + kBlock - 1) / kBlock;
  return unsigned(std::max<Index>(1, std::min<Index>(blocks, Index(1) << 16)));
}

/// Blocks of the first pass of a sum over n items: one per 16 blocks' worth of items, at most
/// 1,024. A function of n alone, so a sum adds its values in the same order on every GPU.
inline unsigned sum_blocks(Index n) {
  constexpr Index kItemsPerBlock = Index(16) * kSumBlock;
  return unsigned(std::min<Index>(1024, std::max<Index>(1, (n + kItemsPerBlock - 1) / kItemsPerBlock)));
}

/// *out (device memory) = Σ f(i) for i in [0, n), in double: one block for up to 16,384 items,
/// else a pass of sum_blocks(n) blocks and one block over their partial sums.
template <class F>
void launch_sum(Index n, const F& f, double* out, double* partials) {
  const unsigned blocks = sum_blocks(n);
  if (blocks == 1) {
    kernels::sum_partials<<<1, kSumBlock, 0, Context::current().stream()>>>(n, f, out);
    DISTILL_CUDA_CHECK_LAUNCH("sum");
    return;
  }
  kernels::sum_partials<<<blocks, kSumBlock, 0, Context::current().stream()>>>(n, f, partials);
  DISTILL_CUDA_CHECK_LAUNCH("sum (partials)");
  kernels::sum_values<<<1, kSumBlock, 0, Context::current().stream()>>>(Index(blocks), partials, out);
  DISTILL_CUDA_CHECK_LAUNCH("sum (total)");
}

/// Runs f(i) for i in [0, n) on the current context's stream.
template <class F>
void launch_for_each(Index n, const F& f) {
  if (n <= 0) return;
  kernels::for_each<<<grid_for(n), kBlock, 0, Context::current().stream()>>>(n, f);
  DISTILL_CUDA_CHECK_LAUNCH("for_each");
}

/// Whether F is written for lanes (F::run(g, lanes)): then a block per group computes it.
template <class F, class = void>
struct has_lanes : std::false_type {};
template <class F>
struct has_lanes<F, std::void_t<decltype(std::declval<const F&>().run(Index{}, std::declval<const kernels::BlockLanes&>()))>>
    : std::true_type {};

/// f.run(g, lanes) for g in [0, n), a block of kBlock lanes per group.
template <class F>
void launch_for_each_group(Index n, const F& f) {
  if (n <= 0) return;
  const unsigned blocks = unsigned(std::min<Index>(n, Index(1) << 20));
  kernels::for_each_group<<<blocks, kBlock, 0, Context::current().stream()>>>(n, f);
  DISTILL_CUDA_CHECK_LAUNCH("for_each_group");
}

/// out[o] = Σ over the batch and pixels of channel o of NCHW x (kernels::plane_sum).
template <class T>
void launch_plane_sum(Index batch, Index planes, Index P, const T* x, T* out) {
  if (planes <= 0) return;
  kernels::plane_sum<<<unsigned(planes), kBlock, 0, Context::current().stream()>>>(batch, planes, P, x, out);
  DISTILL_CUDA_CHECK_LAUNCH("plane_sum");
}

}  // namespace distill::cuda

#endif  // DISTILL_BACKEND_CUDA_LAUNCH_HPP
