#ifndef DISTILL_BACKEND_CUDA_CONV_DIRECT_HPP
#define DISTILL_BACKEND_CUDA_CONV_DIRECT_HPP

#include "distill/backend/conv_kernels.hpp"
#include "distill/backend/cuda/launch.hpp"

namespace distill::cuda {

/// The reference convolution: one thread per output element of each primitive, accumulating
/// in double (detail::DirectConv*, which the CPU suite checks against cpu::Convolution). Slow;
/// the parity tests and benchmarks compare the fast paths with it.
template <class T>
class DirectConvolution {
 public:
  void forward(const ConvProblem& p, ConvSum<T> terms, const T* bias, T* y) {
    launch_for_each(p.batch * p.out_channels * p.g.patches(),
                    detail::DirectConvForward<T>{p.g, p.out_channels, detail::ConvPairs<T>(terms), bias, y});
  }
  void backward_data(const ConvProblem& p, ConvSum<T> terms, T* gx) {
    launch_for_each(p.batch * p.g.image_size(),
                    detail::DirectConvBackwardData<T>{p.g, p.out_channels, detail::ConvPairs<T>(terms), gx});
  }
  void backward_filter(const ConvProblem& p, ConvSum<T> terms, const T* bias_source, T* gw, T* gb) {
    launch_for_each(p.weight_size() + (gb ? p.out_channels : 0),
                    detail::DirectConvBackwardFilter<T>{p.g, p.out_channels, p.batch, detail::ConvPairs<T>(terms),
                                                        bias_source, gw, gb});
  }
};

}  // namespace distill::cuda

#endif  // DISTILL_BACKEND_CUDA_CONV_DIRECT_HPP
