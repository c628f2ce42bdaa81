#ifndef DISTILL_BACKEND_CONV_KERNELS_HPP
#define DISTILL_BACKEND_CONV_KERNELS_HPP

// The per-element arithmetic of a device backend's convolutions, one functor call per output
// element (no atomics, so every result is deterministic):
//  - the unfold/fold and plane moves of im2col + GEMM, in the layout of cpu::Convolution: a
//    chunk of `count` images unfolds into a (count·P) × K column-major matrix (P output pixels,
//    K = C·k·k taps), and the GEMM's output (count·P) × out is restacked into NCHW planes;
//  - the direct convolution, the reference that the tests and benchmarks compare the fast
//    paths with. It accumulates in double.
// The CPU test suite runs these through cpu::Backend and compares them with cpu::Convolution.

#include "distill/backend/backend.hpp"
#include "distill/core/macros.hpp"

namespace distill::detail {

/// col[tap·ld + j·P + q] = image j's input under tap (c, kh, kw) at output pixel q (0 outside).
template <class T>
struct Im2colElement {
  ConvGeometry g;
  Index ld;    ///< count·P
  const T* x;  ///< the chunk's first image
  T* col;
  DISTILL_HOST_DEVICE void operator()(Index i) const {
    const Index P = g.patches(), wo = g.out_width(), k = g.kernel;
    const Index tap = i / ld, r = i % ld, j = r / P, q = r % P;
    const Index c = tap / (k * k), kh = (tap / k) % k, kw = tap % k;
    const Index ih = q / wo + kh - g.padding, iw = q % wo + kw - g.padding;
    const bool inside = ih >= 0 && ih < g.height && iw >= 0 && iw < g.width;
    col[i] = inside ? x[j * g.image_size() + (c * g.height + ih) * g.width + iw] : T(0);
  }
};

/// Input element i of a batch of NCHW images: image n, channel c, row h, column w.
struct InputElement {
  Index n, c, h, w;
  DISTILL_HOST_DEVICE InputElement(const ConvGeometry& g, Index i)
      : n(i / g.image_size()), c(i % g.image_size() / (g.height * g.width)), h(i / g.width % g.height),
        w(i % g.width) {}
};

/// Calls f(kh, kw, q) for every tap (kh, kw) whose output pixel q = oh·wo + ow reads input pixel
/// (h, w), kh then kw ascending: the transpose of im2col's gather, which col2im and the direct
/// backward-data convolution both sum over in this order.
template <class F>
DISTILL_HOST_DEVICE void for_each_reading_output(const ConvGeometry& g, Index h, Index w, F&& f) {
  const Index ho = g.out_height(), wo = g.out_width(), k = g.kernel;
  for (Index kh = 0; kh < k; ++kh) {
    const Index oh = h + g.padding - kh;
    if (oh < 0 || oh >= ho) continue;
    for (Index kw = 0; kw < k; ++kw) {
      const Index ow = w + g.padding - kw;
      if (ow < 0 || ow >= wo) continue;
      f(kh, kw, oh * wo + ow);
    }
  }
}

/// gx = col2im(gcol) for input element i of the chunk: Σ over (kh, kw), in cpu::col2im's order.
template <class T>
struct Col2imElement {
  ConvGeometry g;
  Index ld;
  const T* gcol;
  T* gx;  ///< the chunk's first image
  DISTILL_HOST_DEVICE void operator()(Index i) const {
    const Index P = g.patches(), k = g.kernel;
    const InputElement e(g, i);
    T s = 0;
    for_each_reading_output(g, e.h, e.w, [&](Index kh, Index kw, Index q) {
      s += gcol[((e.c * k + kh) * k + kw) * ld + e.n * P + q];
    });
    gx[i] = s;
  }
};

/// dst[o·ld + j·P + q] = src[(j·planes + o)·P + q]: NCHW planes of a chunk stacked per channel.
template <class T>
struct StackPlanes {
  Index P, planes, ld;
  const T* src;
  T* dst;
  DISTILL_HOST_DEVICE void operator()(Index i) const {
    const Index o = i / ld, r = i % ld, j = r / P, q = r % P;
    dst[i] = src[(j * planes + o) * P + q];
  }
};

/// y[(j·planes + o)·P + q] = src[o·ld + j·P + q] + bias[o] (bias may be null): the inverse of
/// StackPlanes, with the convolution's bias.
template <class T>
struct UnstackPlanesBias {
  Index P, planes, ld;
  const T* src;
  const T* bias;
  T* y;
  DISTILL_HOST_DEVICE void operator()(Index i) const {
    const Index j = i / (planes * P), o = (i / P) % planes, q = i % P;
    y[i] = src[o * ld + j * P + q] + (bias ? bias[o] : T(0));
  }
};

/// y[i] += bias[o] for element i of NCHW planes of P pixels (o = (i / P) mod planes).
template <class T>
struct AddPlaneBias {
  Index P, planes;
  const T* bias;
  T* y;
  DISTILL_HOST_DEVICE void operator()(Index i) const { y[i] += bias[(i / P) % planes]; }
};

/// Up to two (a, b) operand pairs of a convolution primitive, as plain pointers (a null `a`
/// or `b` drops the pair), so the functors below stay trivially copyable for a kernel launch.
template <class T>
struct ConvPairs {
  const T* a[2] = {nullptr, nullptr};
  const T* b[2] = {nullptr, nullptr};
  ConvPairs() = default;
  explicit ConvPairs(const ConvSum<T>& s) {
    for (int t = 0; t < 2; ++t)
      if (s.terms[t].present()) a[t] = s.terms[t].a, b[t] = s.terms[t].b;
  }
  DISTILL_HOST_DEVICE bool has(int t) const { return a[t] != nullptr; }
};

/// Direct convolution, forward: y[n, o, oh, ow] = Σ_pairs Σ_(c, kh, kw) x·W + bias[o].
template <class T>
struct DirectConvForward {
  ConvGeometry g;
  Index out;
  ConvPairs<T> pairs;  ///< (x, W)
  const T* bias;
  T* y;
  DISTILL_HOST_DEVICE void operator()(Index i) const {
    const Index P = g.patches(), wo = g.out_width(), k = g.kernel;
    const Index n = i / (out * P), o = (i / P) % out, oh = (i % P) / wo, ow = i % wo;
    double s = 0;
    for (int t = 0; t < 2; ++t) {
      if (!pairs.has(t)) continue;
      const T* x = pairs.a[t] + n * g.image_size();
      const T* w = pairs.b[t] + o * g.taps();
      for (Index c = 0; c < g.channels; ++c)
        for (Index kh = 0; kh < k; ++kh) {
          const Index ih = oh + kh - g.padding;
          if (ih < 0 || ih >= g.height) continue;
          for (Index kw = 0; kw < k; ++kw) {
            const Index iw = ow + kw - g.padding;
            if (iw < 0 || iw >= g.width) continue;
            s += double(x[(c * g.height + ih) * g.width + iw]) * double(w[(c * k + kh) * k + kw]);
          }
        }
    }
    y[i] = T(s + (bias ? double(bias[o]) : 0.0));
  }
};

/// Direct convolution, backward data: gx[n, c, ih, iw] = Σ_pairs Σ_(o, kh, kw) gy·W.
template <class T>
struct DirectConvBackwardData {
  ConvGeometry g;
  Index out;
  ConvPairs<T> pairs;  ///< (gy, W)
  T* gx;
  DISTILL_HOST_DEVICE void operator()(Index i) const {
    const Index P = g.patches(), k = g.kernel;
    const InputElement e(g, i);
    double s = 0;
    for (int t = 0; t < 2; ++t) {
      if (!pairs.has(t)) continue;
      const T* gy = pairs.a[t] + e.n * out * P;
      for (Index o = 0; o < out; ++o) {
        const T* w = pairs.b[t] + o * g.taps() + e.c * k * k;
        for_each_reading_output(g, e.h, e.w, [&](Index kh, Index kw, Index q) {
          s += double(gy[o * P + q]) * double(w[kh * k + kw]);
        });
      }
    }
    gx[i] = T(s);
  }
};

/// Direct convolution, backward filter: for i < W, gW[o, c, kh, kw] = Σ_pairs Σ_(n, oh, ow) x·gy;
/// for W ≤ i < W + out, gb[o] = Σ_(n, q) bias_source[n, o, q] (0 without a source).
template <class T>
struct DirectConvBackwardFilter {
  ConvGeometry g;
  Index out, batch;
  ConvPairs<T> pairs;  ///< (x, gy)
  const T* bias_source;
  T* gw;
  T* gb;
  DISTILL_HOST_DEVICE void operator()(Index i) const {
    const Index P = g.patches(), wo = g.out_width(), k = g.kernel, W = out * g.taps();
    double s = 0;
    if (i >= W) {
      const Index o = i - W;
      if (bias_source)
        for (Index n = 0; n < batch; ++n)
          for (Index q = 0; q < P; ++q) s += double(bias_source[(n * out + o) * P + q]);
      gb[o] = T(s);
      return;
    }
    const Index o = i / g.taps(), tap = i % g.taps();
    const Index c = tap / (k * k), kh = (tap / k) % k, kw = tap % k;
    for (int t = 0; t < 2; ++t) {
      if (!pairs.has(t)) continue;
      for (Index n = 0; n < batch; ++n) {
        const T* x = pairs.a[t] + n * g.image_size() + c * g.height * g.width;
        const T* gy = pairs.b[t] + (n * out + o) * P;
        for (Index q = 0; q < P; ++q) {
          const Index ih = q / wo + kh - g.padding, iw = q % wo + kw - g.padding;
          if (ih < 0 || ih >= g.height || iw < 0 || iw >= g.width) continue;
          s += double(x[ih * g.width + iw]) * double(gy[q]);
        }
      }
    }
    gw[i] = T(s);
  }
};

}  // namespace distill::detail

#endif  // DISTILL_BACKEND_CONV_KERNELS_HPP
