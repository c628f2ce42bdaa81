#ifndef DISTILL_BACKEND_CUDA_CONVOLUTION_HPP
#define DISTILL_BACKEND_CUDA_CONVOLUTION_HPP

#include "distill/backend/cuda/conv_cudnn.hpp"
#include "distill/backend/cuda/conv_direct.hpp"
#include "distill/backend/cuda/conv_gemm.hpp"

namespace distill::cuda {

/// How cuda::BasicBackend convolves: the policy's Convolution<T> provides cuDNN's three
/// primitives (forward, backward_data, backward_filter) over a sum of up to two terms.
namespace conv {
struct Cudnn {  ///< cuDNN, deterministic algorithms chosen once per shape (the default)
  static constexpr const char* name = "cudnn";
  template <class T>
  using Convolution = CudnnConvolution<T>;
};
struct Im2colGemm {  ///< im2col + cuBLAS GEMM, the CPU backend's layout
  static constexpr const char* name = "im2col_gemm";
  template <class T>
  using Convolution = GemmConvolution<T>;
};
struct Direct {  ///< one thread per output element: the reference for tests and benchmarks
  static constexpr const char* name = "direct";
  template <class T>
  using Convolution = DirectConvolution<T>;
};
}  // namespace conv

}  // namespace distill::cuda

#endif  // DISTILL_BACKEND_CUDA_CONVOLUTION_HPP
