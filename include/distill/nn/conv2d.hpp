#ifndef DISTILL_NN_CONV2D_HPP
#define DISTILL_NN_CONV2D_HPP

#include "distill/backend/backend.hpp"
#include "distill/backend/cpu/backend.hpp"
#include "distill/core/tensor.hpp"

namespace distill {

/// k×k convolution, stride 1, zero padding, with bias (PyTorch's nn.Conv2d).
///
/// Parameters are one slice of a flat vector: the weight [out, in, k, k] then the bias [out].
/// Convolution is bilinear in input and weight, so each of the four passes (docs/design.md §2) is
/// one or two calls of the backend's three primitives, each over a sum of two terms (conv_backward
/// makes the backward passes' two calls one sweep where the backend can):
///   forward           y  = conv(x, W) + b
///   tangent           ẏ  = conv(x, Ẇ) + conv(ẋ, W) + ḃ
///   backward          gW = filter(x, gy),  gb = Σ gy,  gx = data(gy, W)
///   backward_tangent  ġW = filter(x, ġy) + filter(ẋ, gy),  ġb = Σ ġy,  ġx = data(gy, Ẇ) + data(ġy, W)
/// The backend's Convolution object holds the workspaces, so steady-state calls do not
/// allocate.
///
/// Optional arguments: an empty tangent view means a zero tangent; an empty gradient view or a
/// null parameter-gradient pointer means "not wanted" and skips that work.
template <class Scalar, class Backend = cpu::Backend>
class Conv2d {
 public:
  using View = ConstView<Scalar, typename Backend::memory_space>;
  using MutView = MutableView<Scalar, typename Backend::memory_space>;

  Conv2d() = default;
  Conv2d(Index in_channels, Index out_channels, Index kernel = 3, Index padding = 1)
      : in_(in_channels), out_(out_channels), k_(kernel), pad_(padding) {
    DISTILL_CHECK(in_ > 0 && out_ > 0 && k_ > 0 && pad_ >= 0,
                  "Conv2d: invalid configuration in=" << in_ << " out=" << out_ << " kernel=" << k_
                                                      << " padding=" << pad_);
  }

  Index in_channels() const { return in_; }
  Index out_channels() const { return out_; }
  Index kernel() const { return k_; }
  Index padding() const { return pad_; }
  Index weight_size() const { return out_ * in_ * k_ * k_; }
  Index param_count() const { return weight_size() + out_; }
  Shape output_shape(const Shape& in) const {
    return {in.n, out_, in.h + 2 * pad_ - k_ + 1, in.w + 2 * pad_ - k_ + 1};
  }

  void forward(View x, const Scalar* w, MutView y) {
    const ConvProblem p = problem(x.shape(), "Conv2d::forward");
    check_shape(output_shape(x.shape()), y.shape(), "Conv2d::forward output");
    engine_.forward(p, {{x.data(), w}}, w + weight_size(), y.data());
  }
  void tangent(View x, View x_dot, const Scalar* w, const Scalar* w_dot, MutView y_dot) {
    const ConvProblem p = problem(x.shape(), "Conv2d::tangent");
    if (!x_dot.empty()) check_shape(x.shape(), x_dot.shape(), "Conv2d::tangent input tangent");
    check_shape(output_shape(x.shape()), y_dot.shape(), "Conv2d::tangent output");
    engine_.forward(p, {{x.data(), w_dot}, {x_dot.data(), w}}, w_dot ? w_dot + weight_size() : nullptr,
                    y_dot.data());
  }
  void backward(View x, const Scalar* w, View gy, MutView gx, Scalar* gw) {
    const ConvProblem p = problem(x.shape(), "Conv2d::backward");
    check_shape(output_shape(x.shape()), gy.shape(), "Conv2d::backward output gradient");
    if (!gx.empty()) check_shape(x.shape(), gx.shape(), "Conv2d::backward input gradient");
    conv_backward(engine_, p, {{x.data(), gy.data()}}, gy.data(), gw, gw ? gw + weight_size() : nullptr,
                  {{gy.data(), w}}, gx.empty() ? nullptr : gx.data());
  }
  void backward_tangent(View x, View x_dot, const Scalar* w, const Scalar* w_dot, View gy,
                        View gy_dot, MutView gx_dot, Scalar* gw_dot) {
    const ConvProblem p = problem(x.shape(), "Conv2d::backward_tangent");
    const Shape out_shape = output_shape(x.shape());
    check_shape(out_shape, gy.shape(), "Conv2d::backward_tangent output gradient");
    if (!gy_dot.empty())
      check_shape(out_shape, gy_dot.shape(), "Conv2d::backward_tangent output gradient tangent");
    if (!x_dot.empty()) check_shape(x.shape(), x_dot.shape(), "Conv2d::backward_tangent input tangent");
    if (!gx_dot.empty())
      check_shape(x.shape(), gx_dot.shape(), "Conv2d::backward_tangent input gradient tangent");
    conv_backward(engine_, p, {{x.data(), gy_dot.data()}, {x_dot.data(), gy.data()}}, gy_dot.data(), gw_dot,
                  gw_dot ? gw_dot + weight_size() : nullptr, {{gy.data(), w_dot}, {gy_dot.data(), w}},
                  gx_dot.empty() ? nullptr : gx_dot.data());
  }

 private:
  ConvProblem problem(const Shape& in, const char* what) const {
    DISTILL_CHECK(in.c == in_, what << ": input " << in << " has " << in.c
                                    << " channels, the layer expects " << in_);
    DISTILL_CHECK(in.h + 2 * pad_ >= k_ && in.w + 2 * pad_ >= k_,
                  what << ": input " << in << " is smaller than the " << k_ << "x" << k_ << " kernel");
    return {{in.c, in.h, in.w, k_, pad_}, in.n, out_};
  }

  Index in_ = 0, out_ = 0, k_ = 3, pad_ = 1;
  typename Backend::template Convolution<Scalar> engine_;
};

}  // namespace distill

#endif  // DISTILL_NN_CONV2D_HPP
