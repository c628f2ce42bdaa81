#ifndef DISTILL_NN_RELU_HPP
#define DISTILL_NN_RELU_HPP

#include "distill/backend/cpu/backend.hpp"
#include "distill/core/macros.hpp"
#include "distill/core/tensor.hpp"

namespace distill {
namespace detail {

/// out = 1[mask > 0]·in, element i. `in` and `out` may alias (the backward pass runs in place).
template <class T>
struct ReluMask {
  const T* mask;
  const T* in;
  T* out;
  DISTILL_HOST_DEVICE void operator()(Index i) const { out[i] = mask[i] > T(0) ? in[i] : T(0); }
};

}  // namespace detail

/// y = max(x, 0). Every pass is a mask by 1[x > 0]: ẏ = 1[x>0]·ẋ, gx = 1[x>0]·gy,
/// ġx = 1[x>0]·ġy (the second derivative is zero almost everywhere). No parameters.
template <class Scalar, class Backend = cpu::Backend>
class Relu {
 public:
  using View = ConstView<Scalar, typename Backend::memory_space>;
  using MutView = MutableView<Scalar, typename Backend::memory_space>;

  Index param_count() const { return 0; }
  Shape output_shape(const Shape& in) const { return in; }

  void forward(View x, MutView y) const {
    check_shape(x.shape(), y.shape(), "Relu::forward output");
    apply(x, x, y);
  }
  void tangent(View x, View x_dot, MutView y_dot) const {
    check_shape(x.shape(), y_dot.shape(), "Relu::tangent output");
    if (x_dot.empty()) return Backend::fill(y_dot.size(), Scalar(0), y_dot.data());
    check_shape(x.shape(), x_dot.shape(), "Relu::tangent input tangent");
    apply(x, x_dot, y_dot);
  }
  void backward(View x, View gy, MutView gx) const {
    check_shape(x.shape(), gy.shape(), "Relu::backward output gradient");
    check_shape(x.shape(), gx.shape(), "Relu::backward input gradient");
    apply(x, gy, gx);
  }
  void backward_tangent(View x, View gy_dot, MutView gx_dot) const {
    check_shape(x.shape(), gx_dot.shape(), "Relu::backward_tangent input gradient tangent");
    if (gy_dot.empty()) return Backend::fill(gx_dot.size(), Scalar(0), gx_dot.data());
    check_shape(x.shape(), gy_dot.shape(), "Relu::backward_tangent output gradient tangent");
    apply(x, gy_dot, gx_dot);
  }

 private:
  static void apply(View mask, View in, MutView out) {
    Backend::for_each(mask.size(), detail::ReluMask<Scalar>{mask.data(), in.data(), out.data()});
  }
};

}  // namespace distill

#endif  // DISTILL_NN_RELU_HPP
