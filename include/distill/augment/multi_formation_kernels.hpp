#ifndef DISTILL_AUGMENT_MULTI_FORMATION_KERNELS_HPP
#define DISTILL_AUGMENT_MULTI_FORMATION_KERNELS_HPP

// Multi-formation decoding and its transpose one element per call, the functors a backend's
// for_each runs (a GPU thread per value). Each value is the one decode_formation and
// decode_formation_vjp compute, by the same operations in the same order; the transpose is a
// gather (a stored pixel adds up the decoded pixels whose taps read it), so it needs no atomics.

#include <cmath>

#include "distill/core/macros.hpp"
#include "distill/core/shape.hpp"

namespace distill {
namespace formation {

/// One output coordinate's two source taps (PyTorch's half-pixel rule, clamped at the border).
struct Tap {
  Index i0, i1;
  double w0, w1;
};

/// The taps of output coordinate o when `in` samples are up-sampled to `out`.
DISTILL_HOST_DEVICE Tap tap(Index o, Index in, Index out) {
  const double scale = double(in) / double(out);
  const double s = (double(o) + 0.5) * scale - 0.5;
  const double src = 0.0 < s ? s : 0.0;
  const Index f = Index(std::floor(src));
  const Index i0 = f < in - 1 ? f : in - 1;
  const double w1 = src - double(i0);
  return {i0, i0 + 1 < in - 1 ? i0 + 1 : in - 1, 1 - w1, w1};
}

}  // namespace formation

namespace detail {

/// Decoded element i of [N·f², C, H, W] from the stored [N, C, H, W] (decode_formation).
template <class Scalar>
struct FormationDecodeElement {
  Shape s;  ///< the stored shape
  Index factor;
  const Scalar* stored;
  Scalar* decoded;
  DISTILL_HOST_DEVICE void operator()(Index i) const {
    const Index plane = s.h * s.w, sample = s.c * plane, th = s.h / factor, tw = s.w / factor;
    const Index d = i / sample, c = (i % sample) / plane, y = (i % plane) / s.w, x = i % s.w;
    const Index n = d / (factor * factor), a = (d / factor) % factor, b = d % factor;
    const Scalar* src = stored + n * sample + c * plane + (a * th) * s.w + b * tw;
    const formation::Tap v = formation::tap(y, th, s.h), u = formation::tap(x, tw, s.w);
    const Scalar* r0 = src + v.i0 * s.w;
    const Scalar* r1 = src + v.i1 * s.w;
    decoded[i] = Scalar(v.w0 * (u.w0 * r0[u.i0] + u.w1 * r0[u.i1]) + v.w1 * (u.w0 * r1[u.i0] + u.w1 * r1[u.i1]));
  }
};

/// Stored element i of the gradient [N, C, H, W] from the decoded gradient (decode_formation_vjp):
/// the decoded pixels of its tile whose taps include it, added in the order of the CPU scatter
/// (row, column, then the corners (i0, i0), (i0, i1), (i1, i0), (i1, i1)).
template <class Scalar>
struct FormationDecodeVjpElement {
  Shape s;  ///< the stored shape
  Index factor;
  const Scalar* grad_decoded;
  Scalar* grad_stored;
  DISTILL_HOST_DEVICE void operator()(Index i) const {
    const Index plane = s.h * s.w, sample = s.c * plane, th = s.h / factor, tw = s.w / factor;
    const Index n = i / sample, c = (i % sample) / plane, Y = (i % plane) / s.w, X = i % s.w;
    const Index a = Y / th, r = Y % th, b = X / tw, q = X % tw;
    const Scalar* g = grad_decoded + ((n * factor + a) * factor + b) * sample + c * plane;
    // The output rows whose taps reach source row r lie in [(r − 1)·f, (r + 2)·f), and so for
    // the columns (the taps are checked below; the range only bounds the search).
    const Index f = factor;
    const Index y0 = (r - 1) * f > 0 ? (r - 1) * f : 0, y1 = (r + 2) * f < s.h ? (r + 2) * f : s.h;
    const Index x0 = (q - 1) * f > 0 ? (q - 1) * f : 0, x1 = (q + 2) * f < s.w ? (q + 2) * f : s.w;
    Scalar acc = 0;
    for (Index y = y0; y < y1; ++y) {
      const formation::Tap v = formation::tap(y, th, s.h);
      if (v.i0 != r && v.i1 != r) continue;
      for (Index x = x0; x < x1; ++x) {
        const formation::Tap u = formation::tap(x, tw, s.w);
        const double gy = g[y * s.w + x];
        if (v.i0 == r && u.i0 == q) acc += Scalar(gy * v.w0 * u.w0);
        if (v.i0 == r && u.i1 == q) acc += Scalar(gy * v.w0 * u.w1);
        if (v.i1 == r && u.i0 == q) acc += Scalar(gy * v.w1 * u.w0);
        if (v.i1 == r && u.i1 == q) acc += Scalar(gy * v.w1 * u.w1);
      }
    }
    grad_stored[i] = acc;
  }
};

}  // namespace detail
}  // namespace distill

#endif  // DISTILL_AUGMENT_MULTI_FORMATION_KERNELS_HPP
