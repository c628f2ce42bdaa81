#ifndef DISTILL_NN_LINEAR_HPP
#define DISTILL_NN_LINEAR_HPP

#include "distill/backend/cpu/backend.hpp"
#include "distill/core/macros.hpp"
#include "distill/core/tensor.hpp"

namespace distill {
namespace detail {

/// y[i] += b[i mod out] over an N × out row-major block (the bias of every sample).
template <class T>
struct AddRowBias {
  Index out;
  const T* b;
  T* y;
  DISTILL_HOST_DEVICE void operator()(Index i) const { y[i] += b[i % out]; }
};

/// gb[o] = Σ_i gy[i·out + o] over the N samples (the bias gradient), in sample order.
template <class T>
struct SumRows {
  Index n, out;
  const T* gy;
  T* gb;
  DISTILL_HOST_DEVICE void operator()(Index o) const {
    T s = 0;
    for (Index i = 0; i < n; ++i) s += gy[i * out + o];
    gb[o] = s;
  }
};

}  // namespace detail

/// Fully connected layer y = x·Wᵀ + b (PyTorch nn.Linear). Input [N, F, ...] is read as N rows
/// of F = C·H·W features; output is [N, out, 1, 1]. Parameters: W [out, in] then b [out].
/// Bilinear in (x, W), so (docs/design.md §2): ẏ = ẋWᵀ + xẆᵀ + ḃ; gx = gy·W, gW = gyᵀ·x, gb = Σ gy;
/// ġx = ġy·W + gy·Ẇ, ġW = ġyᵀ·x + gyᵀ·ẋ, ġb = Σ ġy.
template <class Scalar, class Backend = cpu::Backend>
class Linear {
 public:
  using View = ConstView<Scalar, typename Backend::memory_space>;
  using MutView = MutableView<Scalar, typename Backend::memory_space>;

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

  void forward(View x, const Scalar* w, MutView y) const {
    check(x.shape(), "Linear::forward");
    check_shape(output_shape(x.shape()), y.shape(), "Linear::forward output");
    const Index n = x.shape().n;
    // Column-major: X is F×N, W is F×out, Y is out×N.
    Backend::gemm(Op::T, Op::N, out_, n, in_, Scalar(1), w, in_, x.data(), in_, Scalar(0),
              y.data(), out_);
    add_bias(w + weight_size(), y);
  }
  void tangent(View x, View x_dot, const Scalar* w, const Scalar* w_dot,
               MutView y_dot) const {
    check(x.shape(), "Linear::tangent");
    check_shape(output_shape(x.shape()), y_dot.shape(), "Linear::tangent output");
    const Index n = x.shape().n;
    Backend::fill(y_dot.size(), Scalar(0), y_dot.data());
    if (w_dot) {
      Backend::gemm(Op::T, Op::N, out_, n, in_, Scalar(1), w_dot, in_, x.data(), in_,
                Scalar(1), y_dot.data(), out_);
      add_bias(w_dot + weight_size(), y_dot);
    }
    if (!x_dot.empty()) {
      check_shape(x.shape(), x_dot.shape(), "Linear::tangent input tangent");
      Backend::gemm(Op::T, Op::N, out_, n, in_, Scalar(1), w, in_, x_dot.data(), in_,
                Scalar(1), y_dot.data(), out_);
    }
  }
  void backward(View x, const Scalar* w, View gy, MutView gx,
                Scalar* gw) const {
    check(x.shape(), "Linear::backward");
    check_shape(output_shape(x.shape()), gy.shape(), "Linear::backward output gradient");
    const Index n = x.shape().n;
    if (!gx.empty()) {
      check_shape(x.shape(), gx.shape(), "Linear::backward input gradient");
      Backend::gemm(Op::N, Op::N, in_, n, out_, Scalar(1), w, in_, gy.data(), out_,
                Scalar(0), gx.data(), in_);
    }
    if (gw) {
      Backend::gemm(Op::N, Op::T, in_, out_, n, Scalar(1), x.data(), in_, gy.data(), out_,
                Scalar(0), gw, in_);
      sum_rows(gy, gw + weight_size());
    }
  }
  void backward_tangent(View x, View x_dot, const Scalar* w,
                        const Scalar* w_dot, View gy, View gy_dot,
                        MutView gx_dot, Scalar* gw_dot) const {
    check(x.shape(), "Linear::backward_tangent");
    const Shape so = output_shape(x.shape());
    check_shape(so, gy.shape(), "Linear::backward_tangent output gradient");
    if (!gy_dot.empty())
      check_shape(so, gy_dot.shape(), "Linear::backward_tangent output gradient tangent");
    const Index n = x.shape().n;
    if (!gx_dot.empty()) {
      check_shape(x.shape(), gx_dot.shape(), "Linear::backward_tangent input gradient tangent");
      Backend::fill(gx_dot.size(), Scalar(0), gx_dot.data());
      if (!gy_dot.empty())
        Backend::gemm(Op::N, Op::N, in_, n, out_, Scalar(1), w, in_, gy_dot.data(), out_,
                  Scalar(1), gx_dot.data(), in_);
      if (w_dot)
        Backend::gemm(Op::N, Op::N, in_, n, out_, Scalar(1), w_dot, in_, gy.data(), out_,
                  Scalar(1), gx_dot.data(), in_);
    }
    if (gw_dot) {
      Backend::fill(param_count(), Scalar(0), gw_dot);
      if (!gy_dot.empty()) {
        Backend::gemm(Op::N, Op::T, in_, out_, n, Scalar(1), x.data(), in_, gy_dot.data(),
                  out_, Scalar(0), gw_dot, in_);
        sum_rows(gy_dot, gw_dot + weight_size());
      }
      if (!x_dot.empty()) {
        check_shape(x.shape(), x_dot.shape(), "Linear::backward_tangent input tangent");
        Backend::gemm(Op::N, Op::T, in_, out_, n, Scalar(1), x_dot.data(), in_, gy.data(),
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
  void add_bias(const Scalar* b, MutView y) const {
    Backend::for_each(y.shape().n * out_, detail::AddRowBias<Scalar>{out_, b, y.data()});
  }
  void sum_rows(View gy, Scalar* gb) const {
    Backend::for_each(out_, detail::SumRows<Scalar>{gy.shape().n, out_, gy.data(), gb});
  }

  Index in_ = 0, out_ = 0;
};

}  // namespace distill

#endif  // DISTILL_NN_LINEAR_HPP
