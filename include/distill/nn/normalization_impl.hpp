#ifndef DISTILL_NN_NORMALIZATION_IMPL_HPP
#define DISTILL_NN_NORMALIZATION_IMPL_HPP

#include "distill/nn/normalization.hpp"

namespace distill {

template <class Scalar, class Backend>
void Normalization<Scalar, Backend>::check(const Shape& in, const char* what) const {
  DISTILL_CHECK(in.c == channels_, what << ": input " << in << " has " << in.c
                                        << " channels, the layer expects " << channels_);
  DISTILL_CHECK(in.plane() * layout(in).blocks() > 0, what << ": input " << in << " is empty");
}

template <class Scalar, class Backend>
void Normalization<Scalar, Backend>::forward(View x, const Scalar* w, MutView y) {
  check(x.shape(), "Normalization::forward");
  check_shape(x.shape(), y.shape(), "Normalization::forward output");
  if (groups_ == NormGroups::kBatch && !training_) {
    shape_ = Shape{};  // the other passes need training-mode statistics
    has_forward_ = has_tangent_ = false;
    forward_inference(x, w, y);
    return;
  }
  const Shape s = x.shape();
  shape_ = s;
  const detail::NormLayout l = layout(s);
  const Shape stats(l.group_count(), 1);
  mean_.resize(stats);
  sigma_.resize(stats);
  Backend::for_each(l.group_count(),
                    detail::NormForward<Scalar>{l, eps_, x.data(), w, y.data(), mean_.data(), sigma_.data()},
                    l.group_cost());
  has_forward_ = true;
  has_tangent_ = false;
  if (groups_ == NormGroups::kBatch) {
    if (running_mean_.size() != channels_) reset_running_stats();
    Backend::for_each(channels_,
                      detail::NormRunningStats{eps_, double(s.n * s.plane()), mean_.data(), sigma_.data(),
                                               running_mean_.data(), running_var_.data()});
  }
}

template <class Scalar, class Backend>
void Normalization<Scalar, Backend>::forward_inference(View x, const Scalar* w, MutView y) const {
  DISTILL_CHECK(running_mean_.size() == channels_,
                "Normalization::forward: inference mode needs running statistics; run a "
                "training-mode forward first");
  const Shape s = x.shape();
  Backend::for_each(s.n * s.c,
                    detail::NormInference<Scalar>{s, channels_, eps_, running_mean_.data(),
                                                  running_var_.data(), x.data(), w, y.data()},
                    s.plane());
}

template <class Scalar, class Backend>
void Normalization<Scalar, Backend>::tangent(View x, View x_dot, const Scalar* w, const Scalar* w_dot,
                                             MutView y_dot) {
  check(x.shape(), "Normalization::tangent");
  DISTILL_CHECK(shape_ == x.shape() && has_forward_,
                "Normalization::tangent: call forward on this input first");
  if (!x_dot.empty()) check_shape(x.shape(), x_dot.shape(), "Normalization::tangent input tangent");
  check_shape(x.shape(), y_dot.shape(), "Normalization::tangent output");
  const detail::NormLayout l = layout(x.shape());
  const Shape stats(l.group_count(), 1);
  mean_x_dot_.resize(stats);
  sigma_dot_.resize(stats);
  Backend::for_each(l.group_count(),
                    detail::NormTangent<Scalar>{l, x.data(), x_dot.data(), w, w_dot, mean_.data(),
                                                sigma_.data(), y_dot.data(), mean_x_dot_.data(),
                                                sigma_dot_.data()},
                    l.group_cost());
  has_tangent_ = true;
}

template <class Scalar, class Backend>
void Normalization<Scalar, Backend>::backward(View x, const Scalar* w, View gy, MutView gx, Scalar* gw) {
  check(x.shape(), "Normalization::backward");
  DISTILL_CHECK(shape_ == x.shape() && has_forward_,
                "Normalization::backward: call forward on this input first");
  check_shape(x.shape(), gy.shape(), "Normalization::backward output gradient");
  if (!gx.empty()) check_shape(x.shape(), gx.shape(), "Normalization::backward input gradient");
  const Shape s = x.shape();
  const detail::NormLayout l = layout(s);
  partial_a_.resize(Shape(l.group_count(), 1));
  partial_b_.resize(Shape(l.group_count(), 1));
  Backend::for_each(l.group_count(),
                    detail::NormBackward<Scalar>{l, x.data(), w, gy.data(), mean_.data(), sigma_.data(),
                                                 gx.data(), partial_a_.data(), partial_b_.data()},
                    l.group_cost());
  if (gw) {
    reduce_channels(s, partial_a_, gw);
    reduce_channels(s, partial_b_, gw + channels_);
  }
}

template <class Scalar, class Backend>
void Normalization<Scalar, Backend>::backward_tangent(View x, View x_dot, const Scalar* w,
                                                      const Scalar* w_dot, View gy, View gy_dot,
                                                      MutView gx_dot, Scalar* gw_dot) {
  check(x.shape(), "Normalization::backward_tangent");
  DISTILL_CHECK(shape_ == x.shape() && has_forward_ && has_tangent_,
                "Normalization::backward_tangent: call forward and tangent on this input first");
  check_shape(x.shape(), gy.shape(), "Normalization::backward_tangent output gradient");
  if (!gy_dot.empty())
    check_shape(x.shape(), gy_dot.shape(), "Normalization::backward_tangent output gradient tangent");
  if (!x_dot.empty()) check_shape(x.shape(), x_dot.shape(), "Normalization::backward_tangent input tangent");
  if (!gx_dot.empty())
    check_shape(x.shape(), gx_dot.shape(), "Normalization::backward_tangent input gradient tangent");
  const Shape s = x.shape();
  const detail::NormLayout l = layout(s);
  partial_a_.resize(Shape(l.group_count(), 1));
  partial_b_.resize(Shape(l.group_count(), 1));
  Backend::for_each(l.group_count(),
                    detail::NormBackwardTangent<Scalar>{l, x.data(), x_dot.data(), w, w_dot, gy.data(),
                                                        gy_dot.data(), mean_.data(), sigma_.data(),
                                                        mean_x_dot_.data(), sigma_dot_.data(),
                                                        gx_dot.data(), partial_a_.data(), partial_b_.data()},
                    l.group_cost());
  if (gw_dot) {
    reduce_channels(s, partial_a_, gw_dot);
    reduce_channels(s, partial_b_, gw_dot + channels_);
  }
}

}  // namespace distill

#endif  // DISTILL_NN_NORMALIZATION_IMPL_HPP
