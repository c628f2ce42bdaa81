#ifndef DISTILL_NN_POOLING_HPP
#define DISTILL_NN_POOLING_HPP

#include <cstdint>
#include <vector>

#include "distill/core/parallel.hpp"
#include "distill/core/tensor.hpp"

namespace distill {

/// k×k average pooling with stride k (PyTorch AvgPool2d(k, k): trailing rows and columns that
/// do not fill a window are dropped). Linear in x, so the tangent is the forward map applied
/// to ẋ and both backward passes are its transpose applied to gy and ġy.
template <class Scalar>
class AvgPool {
 public:
  explicit AvgPool(Index kernel = 2) : k_(kernel) {
    DISTILL_CHECK(k_ > 0, "AvgPool: kernel must be positive, got " << k_);
  }
  Index kernel() const { return k_; }
  Index param_count() const { return 0; }
  Shape output_shape(const Shape& in) const { return {in.n, in.c, in.h / k_, in.w / k_}; }

  void forward(ConstView<Scalar> x, MutableView<Scalar> y) const {
    check_shape(output_shape(x.shape()), y.shape(), "AvgPool::forward output");
    pool(x, y);
  }
  void tangent(ConstView<Scalar> x_dot, MutableView<Scalar> y_dot) const {
    check_shape(output_shape(x_dot.shape()), y_dot.shape(), "AvgPool::tangent output");
    pool(x_dot, y_dot);
  }
  void backward(ConstView<Scalar> gy, MutableView<Scalar> gx) const {
    check_shape(output_shape(gx.shape()), gy.shape(), "AvgPool::backward output gradient");
    unpool(gy, gx);
  }
  /// The backward map is linear in gy and independent of x: ġx = poolᵀ(ġy).
  void backward_tangent(ConstView<Scalar> gy_dot, MutableView<Scalar> gx_dot) const {
    backward(gy_dot, gx_dot);
  }

 private:
  void pool(ConstView<Scalar> x, MutableView<Scalar> y) const {
    const Shape si = x.shape(), so = y.shape();
    const Scalar scale = Scalar(1) / Scalar(k_ * k_);
    parallel_for(si.n * si.c, [&](Index plane) {
      const Scalar* in = x.data() + plane * si.plane();
      Scalar* out = y.data() + plane * so.plane();
      for (Index oh = 0; oh < so.h; ++oh)
        for (Index ow = 0; ow < so.w; ++ow) {
          Scalar s = 0;
          for (Index i = 0; i < k_; ++i)
            for (Index j = 0; j < k_; ++j) s += in[(oh * k_ + i) * si.w + ow * k_ + j];
          out[oh * so.w + ow] = s * scale;
        }
    }, si.plane());
  }
  void unpool(ConstView<Scalar> gy, MutableView<Scalar> gx) const {
    const Shape si = gx.shape(), so = gy.shape();
    const Scalar scale = Scalar(1) / Scalar(k_ * k_);
    parallel_for(si.n * si.c, [&](Index plane) {
      Scalar* in = gx.data() + plane * si.plane();
      const Scalar* out = gy.data() + plane * so.plane();
      std::fill(in, in + si.plane(), Scalar(0));
      for (Index oh = 0; oh < so.h; ++oh)
        for (Index ow = 0; ow < so.w; ++ow) {
          const Scalar v = out[oh * so.w + ow] * scale;
          for (Index i = 0; i < k_; ++i)
            for (Index j = 0; j < k_; ++j) in[(oh * k_ + i) * si.w + ow * k_ + j] = v;
        }
    }, si.plane());
  }

  Index k_;
};

/// k×k max pooling with stride k. The forward pass records the arg-max of every window (the
/// first maximum, as PyTorch does); all other passes are gathers or scatters through it.
template <class Scalar>
class MaxPool {
 public:
  explicit MaxPool(Index kernel = 2) : k_(kernel) {
    DISTILL_CHECK(k_ > 0, "MaxPool: kernel must be positive, got " << k_);
  }
  Index kernel() const { return k_; }
  Index param_count() const { return 0; }
  Shape output_shape(const Shape& in) const { return {in.n, in.c, in.h / k_, in.w / k_}; }

  void forward(ConstView<Scalar> x, MutableView<Scalar> y) {
    const Shape si = x.shape(), so = output_shape(si);
    check_shape(so, y.shape(), "MaxPool::forward output");
    in_shape_ = si;
    argmax_.resize(static_cast<std::size_t>(so.size()));
    parallel_for(si.n * si.c, [&](Index plane) {
      const Scalar* in = x.data() + plane * si.plane();
      Scalar* out = y.data() + plane * so.plane();
      std::int32_t* arg = argmax_.data() + plane * so.plane();
      for (Index oh = 0; oh < so.h; ++oh)
        for (Index ow = 0; ow < so.w; ++ow) {
          Index best = oh * k_ * si.w + ow * k_;
          for (Index i = 0; i < k_; ++i)
            for (Index j = 0; j < k_; ++j) {
              const Index idx = (oh * k_ + i) * si.w + ow * k_ + j;
              if (in[idx] > in[best]) best = idx;
            }
          out[oh * so.w + ow] = in[best];
          arg[oh * so.w + ow] = static_cast<std::int32_t>(best);
        }
    }, si.plane());
  }
  void tangent(ConstView<Scalar> x_dot, MutableView<Scalar> y_dot) const {
    check_cached(x_dot.shape(), "MaxPool::tangent");
    check_shape(output_shape(in_shape_), y_dot.shape(), "MaxPool::tangent output");
    const Shape si = in_shape_, so = y_dot.shape();
    parallel_for(si.n * si.c, [&](Index plane) {
      const Scalar* in = x_dot.data() + plane * si.plane();
      const std::int32_t* arg = argmax_.data() + plane * so.plane();
      Scalar* out = y_dot.data() + plane * so.plane();
      for (Index i = 0; i < so.plane(); ++i) out[i] = in[arg[i]];
    }, si.plane());
  }
  void backward(ConstView<Scalar> gy, MutableView<Scalar> gx) const {
    check_cached(gx.shape(), "MaxPool::backward");
    check_shape(output_shape(in_shape_), gy.shape(), "MaxPool::backward output gradient");
    const Shape si = in_shape_, so = gy.shape();
    parallel_for(si.n * si.c, [&](Index plane) {
      Scalar* in = gx.data() + plane * si.plane();
      const std::int32_t* arg = argmax_.data() + plane * so.plane();
      const Scalar* out = gy.data() + plane * so.plane();
      std::fill(in, in + si.plane(), Scalar(0));
      for (Index i = 0; i < so.plane(); ++i) in[arg[i]] += out[i];
    }, si.plane());
  }
  /// Piecewise linear: the routing is fixed by the forward arg-max, so ġx = route(ġy).
  void backward_tangent(ConstView<Scalar> gy_dot, MutableView<Scalar> gx_dot) const {
    backward(gy_dot, gx_dot);
  }

 private:
  void check_cached(const Shape& in, const char* what) const {
    DISTILL_CHECK(in == in_shape_ && !argmax_.empty(),
                  what << ": input " << in << " does not match the last forward input "
                       << in_shape_);
  }

  Index k_;
  Shape in_shape_{};
  std::vector<std::int32_t> argmax_;
};

}  // namespace distill

#endif  // DISTILL_NN_POOLING_HPP
