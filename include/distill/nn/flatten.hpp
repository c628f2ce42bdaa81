#ifndef DISTILL_NN_FLATTEN_HPP
#define DISTILL_NN_FLATTEN_HPP

#include "distill/core/tensor.hpp"

namespace distill {

/// [N, C, H, W] → [N, C·H·W, 1, 1]. Contiguous NCHW memory is already in PyTorch's flatten
/// order, so all four passes are the identity on memory and return reshaped views.
struct Flatten {
  static Shape output_shape(const Shape& in) { return {in.n, in.sample_size(), 1, 1}; }
  /// forward and tangent (the map is linear).
  template <class T, class Space>
  static TensorView<T, Space> forward(TensorView<T, Space> x) {
    return x.reshaped(output_shape(x.shape()));
  }
  /// backward and backward_tangent: gy reshaped back to the input shape.
  template <class T, class Space>
  static TensorView<T, Space> backward(TensorView<T, Space> gy, const Shape& input_shape) {
    DISTILL_CHECK(gy.shape() == output_shape(input_shape),
                  "Flatten::backward: gradient " << gy.shape() << " does not match input "
                                                 << input_shape);
    return gy.reshaped(input_shape);
  }
};

}  // namespace distill

#endif  // DISTILL_NN_FLATTEN_HPP
