#ifndef DISTILL_NN_POOLING_HPP
#define DISTILL_NN_POOLING_HPP

#include <cstdint>

#include "distill/backend/cpu/backend.hpp"
#include "distill/core/macros.hpp"
#include "distill/core/tensor.hpp"

namespace distill {
namespace detail {

/// The planes of a k×k, stride-k pooling: input planes of ih×iw, output planes of oh×ow.
struct PoolGeometry {
  Index k, ih, iw, oh, ow;
  DISTILL_HOST_DEVICE Index in_plane() const { return ih * iw; }
  DISTILL_HOST_DEVICE Index out_plane() const { return oh * ow; }
  /// Where value e of a stack of planes of `plane` values with rows of `row` values lies, and
  /// for an input value the window (r / k, c / k) that covers it.
  struct Position {
    Index plane, offset, row, col;
  };
  DISTILL_HOST_DEVICE static Position position(Index e, Index plane, Index row) {
    const Index p = e / plane, offset = e - p * plane, r = offset / row;
    return {p, offset, r, offset - r * row};
  }
  DISTILL_HOST_DEVICE Position output(Index e) const { return position(e, out_plane(), ow); }
  DISTILL_HOST_DEVICE Position input(Index e) const { return position(e, in_plane(), iw); }
  /// The output value whose window holds input value e, or -1 where no window covers it.
  DISTILL_HOST_DEVICE Index window_of(const Position& in) const {
    const Index wr = in.row / k, wc = in.col / k;
    return wr < oh && wc < ow ? in.plane * out_plane() + wr * ow + wc : Index(-1);
  }
};

/// Average of every window of one plane.
template <class T>
struct AvgPoolPlane {
  PoolGeometry g;
  const T* x;
  T* y;
  DISTILL_HOST_DEVICE void operator()(Index plane) const {
    const T scale = T(1) / T(g.k * g.k);
    const T* in = x + plane * g.in_plane();
    T* out = y + plane * g.out_plane();
    if (g.k == 2) {
      // The general loop's additions in its order, with rows the compiler can vectorise.
      for (Index oh = 0; oh < g.oh; ++oh) {
        const T* r0 = in + 2 * oh * g.iw;
        const T* r1 = r0 + g.iw;
        T* o = out + oh * g.ow;
        for (Index ow = 0; ow < g.ow; ++ow) {
          T s = 0;
          s += r0[2 * ow];
          s += r0[2 * ow + 1];
          s += r1[2 * ow];
          s += r1[2 * ow + 1];
          o[ow] = s * scale;
        }
      }
      return;
    }
    for (Index oh = 0; oh < g.oh; ++oh)
      for (Index ow = 0; ow < g.ow; ++ow) {
        T s = 0;
        for (Index i = 0; i < g.k; ++i)
          for (Index j = 0; j < g.k; ++j) s += in[(oh * g.k + i) * g.iw + ow * g.k + j];
        out[oh * g.ow + ow] = s * scale;
      }
  }
};

/// The transpose of AvgPoolPlane: every window receives its output's gradient / k².
template <class T>
struct AvgUnpoolPlane {
  PoolGeometry g;
  const T* gy;
  T* gx;
  DISTILL_HOST_DEVICE void operator()(Index plane) const {
    const T scale = T(1) / T(g.k * g.k);
    T* in = gx + plane * g.in_plane();
    const T* out = gy + plane * g.out_plane();
    if (g.k == 2) {
      // Every window written once; only what no window covers is zeroed.
      for (Index oh = 0; oh < g.oh; ++oh) {
        T* r0 = in + 2 * oh * g.iw;
        T* r1 = r0 + g.iw;
        const T* o = out + oh * g.ow;
        for (Index ow = 0; ow < g.ow; ++ow) {
          const T v = o[ow] * scale;
          r0[2 * ow] = v;
          r0[2 * ow + 1] = v;
          r1[2 * ow] = v;
          r1[2 * ow + 1] = v;
        }
        for (Index c = 2 * g.ow; c < g.iw; ++c) r0[c] = r1[c] = T(0);
      }
      for (Index i = 2 * g.oh * g.iw; i < g.in_plane(); ++i) in[i] = T(0);
      return;
    }
    for (Index i = 0; i < g.in_plane(); ++i) in[i] = T(0);
    for (Index oh = 0; oh < g.oh; ++oh)
      for (Index ow = 0; ow < g.ow; ++ow) {
        const T v = out[oh * g.ow + ow] * scale;
        for (Index i = 0; i < g.k; ++i)
          for (Index j = 0; j < g.k; ++j) in[(oh * g.k + i) * g.iw + ow * g.k + j] = v;
      }
  }
};

/// Maximum of every window of one plane and where it is (the first maximum, as PyTorch).
template <class T>
struct MaxPoolPlane {
  PoolGeometry g;
  const T* x;
  T* y;
  std::int32_t* argmax;
  DISTILL_HOST_DEVICE void operator()(Index plane) const {
    const T* in = x + plane * g.in_plane();
    T* out = y + plane * g.out_plane();
    std::int32_t* arg = argmax + plane * g.out_plane();
    for (Index oh = 0; oh < g.oh; ++oh)
      for (Index ow = 0; ow < g.ow; ++ow) {
        Index best = oh * g.k * g.iw + ow * g.k;
        for (Index i = 0; i < g.k; ++i)
          for (Index j = 0; j < g.k; ++j) {
            const Index idx = (oh * g.k + i) * g.iw + ow * g.k + j;
            if (in[idx] > in[best]) best = idx;
          }
        out[oh * g.ow + ow] = in[best];
        arg[oh * g.ow + ow] = static_cast<std::int32_t>(best);
      }
  }
};

/// y = x[argmax] of one plane (the tangent of max pooling).
template <class T>
struct MaxGatherPlane {
  PoolGeometry g;
  const T* x;
  const std::int32_t* argmax;
  T* y;
  DISTILL_HOST_DEVICE void operator()(Index plane) const {
    const T* in = x + plane * g.in_plane();
    const std::int32_t* arg = argmax + plane * g.out_plane();
    T* out = y + plane * g.out_plane();
    for (Index i = 0; i < g.out_plane(); ++i) out[i] = in[arg[i]];
  }
};

/// gx[argmax] += gy of one plane, zero elsewhere (the transpose of MaxGatherPlane).
template <class T>
struct MaxScatterPlane {
  PoolGeometry g;
  const T* gy;
  const std::int32_t* argmax;
  T* gx;
  DISTILL_HOST_DEVICE void operator()(Index plane) const {
    T* in = gx + plane * g.in_plane();
    const std::int32_t* arg = argmax + plane * g.out_plane();
    const T* out = gy + plane * g.out_plane();
    for (Index i = 0; i < g.in_plane(); ++i) in[i] = T(0);
    for (Index i = 0; i < g.out_plane(); ++i) in[arg[i]] += out[i];
  }
};

// The same maps a value per thread, for device memory: a thread per output value (per input
// value for the transposes), so a warp reads and writes neighbouring addresses and every SM has
// work (a thread per plane is 12,800 threads at a CIFAR ConvNet's first layer). Each value is
// formed by the same operations in the same order as in the per-plane functors above, so both
// give the same bits (EmulatedDevice runs these against the CPU's per-plane ones).

/// Output value e of AvgPoolPlane.
template <class T>
struct AvgPoolElement {
  PoolGeometry g;
  const T* x;
  T* y;
  DISTILL_HOST_DEVICE void operator()(Index e) const {
    const T scale = T(1) / T(g.k * g.k);
    const PoolGeometry::Position o = g.output(e);
    const Index oh = o.row, ow = o.col;
    const T* in = x + o.plane * g.in_plane();
    T s = 0;
    for (Index i = 0; i < g.k; ++i)
      for (Index j = 0; j < g.k; ++j) s += in[(oh * g.k + i) * g.iw + ow * g.k + j];
    y[e] = s * scale;
  }
};

/// Input value e of AvgUnpoolPlane (zero in the rows and columns no window covers).
template <class T>
struct AvgUnpoolElement {
  PoolGeometry g;
  const T* gy;
  T* gx;
  DISTILL_HOST_DEVICE void operator()(Index e) const {
    const T scale = T(1) / T(g.k * g.k);
    const Index o = g.window_of(g.input(e));
    gx[e] = o >= 0 ? gy[o] * scale : T(0);
  }
};

/// Output value e of MaxPoolPlane and its arg-max (the index within the input plane).
template <class T>
struct MaxPoolElement {
  PoolGeometry g;
  const T* x;
  T* y;
  std::int32_t* argmax;
  DISTILL_HOST_DEVICE void operator()(Index e) const {
    const PoolGeometry::Position o = g.output(e);
    const Index oh = o.row, ow = o.col;
    const T* in = x + o.plane * g.in_plane();
    Index best = oh * g.k * g.iw + ow * g.k;
    for (Index i = 0; i < g.k; ++i)
      for (Index j = 0; j < g.k; ++j) {
        const Index idx = (oh * g.k + i) * g.iw + ow * g.k + j;
        if (in[idx] > in[best]) best = idx;
      }
    y[e] = in[best];
    argmax[e] = static_cast<std::int32_t>(best);
  }
};

/// Output value e of MaxGatherPlane.
template <class T>
struct MaxGatherElement {
  PoolGeometry g;
  const T* x;
  const std::int32_t* argmax;
  T* y;
  DISTILL_HOST_DEVICE void operator()(Index e) const {
    y[e] = x[g.output(e).plane * g.in_plane() + argmax[e]];
  }
};

/// Input value e of MaxScatterPlane: windows do not overlap (stride k), so at most one output
/// routes to it, added to zero as the per-plane loop adds it.
template <class T>
struct MaxScatterElement {
  PoolGeometry g;
  const T* gy;
  const std::int32_t* argmax;
  T* gx;
  DISTILL_HOST_DEVICE void operator()(Index e) const {
    const PoolGeometry::Position in = g.input(e);
    const Index o = g.window_of(in);
    T v = T(0);
    if (o >= 0 && argmax[o] == in.offset) v += gy[o];
    gx[e] = v;
  }
};

/// Runs a pooling map: a plane per item in host memory (the CPU's vectorised loops), a value per
/// item elsewhere.
template <class Backend, class PlaneF, class ElementF>
void run_pooling(Index planes, Index plane_cost, Index values, const PlaneF& per_plane, const ElementF& per_value) {
  if constexpr (kHostAccessible<typename Backend::memory_space>)
    Backend::for_each(planes, per_plane, plane_cost);
  else
    Backend::for_each(values, per_value);
}

}  // namespace detail

/// k×k average pooling with stride k (PyTorch AvgPool2d(k, k): trailing rows and columns that
/// do not fill a window are dropped). Linear in x, so the tangent is the forward map applied
/// to ẋ and both backward passes are its transpose applied to gy and ġy.
template <class Scalar, class Backend = cpu::Backend>
class AvgPool {
 public:
  using View = ConstView<Scalar, typename Backend::memory_space>;
  using MutView = MutableView<Scalar, typename Backend::memory_space>;

  explicit AvgPool(Index kernel = 2) : k_(kernel) {
    DISTILL_CHECK(k_ > 0, "AvgPool: kernel must be positive, got " << k_);
  }
  Index kernel() const { return k_; }
  Index param_count() const { return 0; }
  Shape output_shape(const Shape& in) const { return {in.n, in.c, in.h / k_, in.w / k_}; }

  void forward(View x, MutView y) const {
    check_shape(output_shape(x.shape()), y.shape(), "AvgPool::forward output");
    pool(x, y);
  }
  void tangent(View x_dot, MutView y_dot) const {
    check_shape(output_shape(x_dot.shape()), y_dot.shape(), "AvgPool::tangent output");
    pool(x_dot, y_dot);
  }
  void backward(View gy, MutView gx) const {
    check_shape(output_shape(gx.shape()), gy.shape(), "AvgPool::backward output gradient");
    const Shape si = gx.shape();
    const detail::PoolGeometry g = geometry(si);
    detail::run_pooling<Backend>(si.n * si.c, si.plane(), si.size(), detail::AvgUnpoolPlane<Scalar>{g, gy.data(), gx.data()},
                                 detail::AvgUnpoolElement<Scalar>{g, gy.data(), gx.data()});
  }
  /// The backward map is linear in gy and independent of x: ġx = poolᵀ(ġy).
  void backward_tangent(View gy_dot, MutView gx_dot) const { backward(gy_dot, gx_dot); }

 private:
  detail::PoolGeometry geometry(const Shape& in) const {
    return {k_, in.h, in.w, in.h / k_, in.w / k_};
  }
  void pool(View x, MutView y) const {
    const Shape si = x.shape();
    const detail::PoolGeometry g = geometry(si);
    detail::run_pooling<Backend>(si.n * si.c, si.plane(), y.size(), detail::AvgPoolPlane<Scalar>{g, x.data(), y.data()},
                                 detail::AvgPoolElement<Scalar>{g, x.data(), y.data()});
  }

  Index k_;
};

/// k×k max pooling with stride k. The forward pass records the arg-max of every window (the
/// first maximum, as PyTorch does); all other passes are gathers or scatters through it.
template <class Scalar, class Backend = cpu::Backend>
class MaxPool {
 public:
  using View = ConstView<Scalar, typename Backend::memory_space>;
  using MutView = MutableView<Scalar, typename Backend::memory_space>;

  explicit MaxPool(Index kernel = 2) : k_(kernel) {
    DISTILL_CHECK(k_ > 0, "MaxPool: kernel must be positive, got " << k_);
  }
  Index kernel() const { return k_; }
  Index param_count() const { return 0; }
  Shape output_shape(const Shape& in) const { return {in.n, in.c, in.h / k_, in.w / k_}; }

  void forward(View x, MutView y) {
    const Shape si = x.shape(), so = output_shape(si);
    check_shape(so, y.shape(), "MaxPool::forward output");
    in_shape_ = si;
    argmax_.reserve(static_cast<std::size_t>(so.size()));
    const detail::PoolGeometry g = geometry(si);
    detail::run_pooling<Backend>(si.n * si.c, si.plane(), so.size(),
                                 detail::MaxPoolPlane<Scalar>{g, x.data(), y.data(), argmax_.data()},
                                 detail::MaxPoolElement<Scalar>{g, x.data(), y.data(), argmax_.data()});
  }
  void tangent(View x_dot, MutView y_dot) const {
    check_cached(x_dot.shape(), "MaxPool::tangent");
    check_shape(output_shape(in_shape_), y_dot.shape(), "MaxPool::tangent output");
    const Shape si = in_shape_;
    const detail::PoolGeometry g = geometry(si);
    detail::run_pooling<Backend>(si.n * si.c, si.plane(), y_dot.size(),
                                 detail::MaxGatherPlane<Scalar>{g, x_dot.data(), argmax_.data(), y_dot.data()},
                                 detail::MaxGatherElement<Scalar>{g, x_dot.data(), argmax_.data(), y_dot.data()});
  }
  void backward(View gy, MutView gx) const {
    check_cached(gx.shape(), "MaxPool::backward");
    check_shape(output_shape(in_shape_), gy.shape(), "MaxPool::backward output gradient");
    const Shape si = in_shape_;
    const detail::PoolGeometry g = geometry(si);
    detail::run_pooling<Backend>(si.n * si.c, si.plane(), si.size(),
                                 detail::MaxScatterPlane<Scalar>{g, gy.data(), argmax_.data(), gx.data()},
                                 detail::MaxScatterElement<Scalar>{g, gy.data(), argmax_.data(), gx.data()});
  }
  /// Piecewise linear: the routing is fixed by the forward arg-max, so ġx = route(ġy).
  void backward_tangent(View gy_dot, MutView gx_dot) const { backward(gy_dot, gx_dot); }

 private:
  detail::PoolGeometry geometry(const Shape& in) const {
    return {k_, in.h, in.w, in.h / k_, in.w / k_};
  }
  void check_cached(const Shape& in, const char* what) const {
    DISTILL_CHECK(in == in_shape_ && argmax_.capacity() > 0,
                  what << ": input " << in << " does not match the last forward input " << in_shape_);
  }

  Index k_;
  Shape in_shape_{};
  detail::Buffer<std::int32_t, typename Backend::memory_space> argmax_;
};

}  // namespace distill

#endif  // DISTILL_NN_POOLING_HPP
