#ifndef DISTILL_NN_LINEAR_HPP
#define DISTILL_NN_LINEAR_HPP

#include "distill/backend/cpu/gemm.hpp"
#include "distill/core/tensor.hpp"

namespace distill {

/// Fully connected layer y = x·Wᵀ + b (PyTorch nn.Linear). Input [N, F, ...] is read as N rows
/// of F = C·H·W features; output is [N, out, 1, 1]. Parameters: W [out, in] then b [out].
/// Bilinear in (x, W), so (design §2): ẏ = ẋWᵀ + xẆᵀ + ḃ; gx = gy·W, gW = gyᵀ·x, gb = Σ gy;
/// ġx = ġy·W + gy·Ẇ, ġW = ġyᵀ·x + gyᵀ·ẋ, ġb = Σ ġy.
template <class Scalar>
class Linear {
 public:
  Linear() = default;
  Linear(Index in_features, Index out_features) : in_(in_features), out_(out_features) {
    DISTILL_CHECK(in_ > 0 && out_ > 0,
                  "Linear: invalid configuration in=" << in_ << " out=" << out_);
  }
  Index in_features() const { return in_; }
  Index out_features() const { return out_; }
  Index weight_size() const { return in_ * out_; }
  Index param_count() const { return weight_size() + out_; }
  Shape output_shape(const Shape& in) const { return {in.n, out_, 1, 1}; }

  void forward(ConstView<Scalar> x, const Scalar* w, MutableView<Scalar> y) const {
    check(x.shape(), "Linear::forward");
    check_shape(output_shape(x.shape()), y.shape(), "Linear::forward output");
    const Index n = x.shape().n;
    // Column-major: X is F×N, W is F×out, Y is out×N.
    cpu::gemm(cpu::Op::T, cpu::Op::N, out_, n, in_, Scalar(1), w, in_, x.data(), in_, Scalar(0),
              y.data(), out_);
    add_bias(w + weight_size(), y);
  }
  void tangent(ConstView<Scalar> x, ConstView<Scalar> x_dot, const Scalar* w, const Scalar* w_dot,
               MutableView<Scalar> y_dot) const {
    check(x.shape(), "Linear::tangent");
    check_shape(output_shape(x.shape()), y_dot.shape(), "Linear::tangent output");
    const Index n = x.shape().n;
    y_dot.vec().setZero();
    if (w_dot) {
      cpu::gemm(cpu::Op::T, cpu::Op::N, out_, n, in_, Scalar(1), w_dot, in_, x.data(), in_,
                Scalar(1), y_dot.data(), out_);
      add_bias(w_dot + weight_size(), y_dot);
    }
    if (!x_dot.empty()) {
      check_shape(x.shape(), x_dot.shape(), "Linear::tangent input tangent");
      cpu::gemm(cpu::Op::T, cpu::Op::N, out_, n, in_, Scalar(1), w, in_, x_dot.data(), in_,
                Scalar(1), y_dot.data(), out_);
    }
  }
  void backward(ConstView<Scalar> x, const Scalar* w, ConstView<Scalar> gy, MutableView<Scalar> gx,
                Scalar* gw) const {
    check(x.shape(), "Linear::backward");
    check_shape(output_shape(x.shape()), gy.shape(), "Linear::backward output gradient");
    const Index n = x.shape().n;
    if (!gx.empty()) {
      check_shape(x.shape(), gx.shape(), "Linear::backward input gradient");
      cpu::gemm(cpu::Op::N, cpu::Op::N, in_, n, out_, Scalar(1), w, in_, gy.data(), out_,
                Scalar(0), gx.data(), in_);
    }
    if (gw) {
      cpu::gemm(cpu::Op::N, cpu::Op::T, in_, out_, n, Scalar(1), x.data(), in_, gy.data(), out_,
                Scalar(0), gw, in_);
      sum_rows(gy, gw + weight_size());
    }
  }
  void backward_tangent(ConstView<Scalar> x, ConstView<Scalar> x_dot, const Scalar* w,
                        const Scalar* w_dot, ConstView<Scalar> gy, ConstView<Scalar> gy_dot,
                        MutableView<Scalar> gx_dot, Scalar* gw_dot) const {
    check(x.shape(), "Linear::backward_tangent");
    const Shape so = output_shape(x.shape());
    check_shape(so, gy.shape(), "Linear::backward_tangent output gradient");
    if (!gy_dot.empty())
      check_shape(so, gy_dot.shape(), "Linear::backward_tangent output gradient tangent");
    const Index n = x.shape().n;
    if (!gx_dot.empty()) {
      check_shape(x.shape(), gx_dot.shape(), "Linear::backward_tangent input gradient tangent");
      gx_dot.vec().setZero();
      if (!gy_dot.empty())
        cpu::gemm(cpu::Op::N, cpu::Op::N, in_, n, out_, Scalar(1), w, in_, gy_dot.data(), out_,
                  Scalar(1), gx_dot.data(), in_);
      if (w_dot)
        cpu::gemm(cpu::Op::N, cpu::Op::N, in_, n, out_, Scalar(1), w_dot, in_, gy.data(), out_,
                  Scalar(1), gx_dot.data(), in_);
    }
    if (gw_dot) {
      std::fill(gw_dot, gw_dot + param_count(), Scalar(0));
      if (!gy_dot.empty()) {
        cpu::gemm(cpu::Op::N, cpu::Op::T, in_, out_, n, Scalar(1), x.data(), in_, gy_dot.data(),
                  out_, Scalar(0), gw_dot, in_);
        sum_rows(gy_dot, gw_dot + weight_size());
      }
      if (!x_dot.empty()) {
        check_shape(x.shape(), x_dot.shape(), "Linear::backward_tangent input tangent");
        cpu::gemm(cpu::Op::N, cpu::Op::T, in_, out_, n, Scalar(1), x_dot.data(), in_, gy.data(),
                  out_, Scalar(1), gw_dot, in_);
      }
    }
  }

 private:
  void check(const Shape& in, const char* what) const {
    DISTILL_CHECK(in.sample_size() == in_, what << ": input " << in << " has "
                                                << in.sample_size() << " features per sample, the layer expects "
                                                << in_);
  }
  void add_bias(const Scalar* b, MutableView<Scalar> y) const {
    for (Index i = 0; i < y.shape().n; ++i)
      for (Index o = 0; o < out_; ++o) y[i * out_ + o] += b[o];
  }
  void sum_rows(ConstView<Scalar> gy, Scalar* gb) const {
    for (Index o = 0; o < out_; ++o) gb[o] = 0;
    for (Index i = 0; i < gy.shape().n; ++i)
      for (Index o = 0; o < out_; ++o) gb[o] += gy[i * out_ + o];
  }

  Index in_ = 0, out_ = 0;
};

}  // namespace distill

#endif  // DISTILL_NN_LINEAR_HPP
