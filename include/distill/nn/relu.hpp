#ifndef DISTILL_NN_RELU_HPP
#define DISTILL_NN_RELU_HPP

#include "distill/core/parallel.hpp"
#include "distill/core/tensor.hpp"

namespace distill {

/// y = max(x, 0). Every pass is a mask by 1[x > 0]: ẏ = 1[x>0]·ẋ, gx = 1[x>0]·gy,
/// ġx = 1[x>0]·ġy (the second derivative is zero almost everywhere). No parameters.
template <class Scalar>
class Relu {
 public:
  Index param_count() const { return 0; }
  Shape output_shape(const Shape& in) const { return in; }

  void forward(ConstView<Scalar> x, MutableView<Scalar> y) const {
    check_shape(x.shape(), y.shape(), "Relu::forward output");
    apply(x, x, y);
  }
  void tangent(ConstView<Scalar> x, ConstView<Scalar> x_dot, MutableView<Scalar> y_dot) const {
    check_shape(x.shape(), y_dot.shape(), "Relu::tangent output");
    if (x_dot.empty()) return y_dot.vec().setZero(), void();
    check_shape(x.shape(), x_dot.shape(), "Relu::tangent input tangent");
    apply(x, x_dot, y_dot);
  }
  void backward(ConstView<Scalar> x, ConstView<Scalar> gy, MutableView<Scalar> gx) const {
    check_shape(x.shape(), gy.shape(), "Relu::backward output gradient");
    check_shape(x.shape(), gx.shape(), "Relu::backward input gradient");
    apply(x, gy, gx);
  }
  void backward_tangent(ConstView<Scalar> x, ConstView<Scalar> gy_dot,
                        MutableView<Scalar> gx_dot) const {
    check_shape(x.shape(), gx_dot.shape(), "Relu::backward_tangent input gradient tangent");
    if (gy_dot.empty()) return gx_dot.vec().setZero(), void();
    check_shape(x.shape(), gy_dot.shape(), "Relu::backward_tangent output gradient tangent");
    apply(x, gy_dot, gx_dot);
  }

 private:
  /// out = 1[mask > 0]·in, in chunks over threads. `in` and `out` may alias.
  static void apply(ConstView<Scalar> mask, ConstView<Scalar> in, MutableView<Scalar> out) {
    const Index n = mask.size(), block = 1 << 14, blocks = (n + block - 1) / block;
    parallel_for(blocks, [&](Index bi) {
      const Index begin = bi * block, end = std::min(n, begin + block);
      const Scalar* m = mask.data();
      const Scalar* a = in.data();
      Scalar* o = out.data();
      for (Index i = begin; i < end; ++i) o[i] = m[i] > Scalar(0) ? a[i] : Scalar(0);
    }, block);
  }
};

}  // namespace distill

#endif  // DISTILL_NN_RELU_HPP
