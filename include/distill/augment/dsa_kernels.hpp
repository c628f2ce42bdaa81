#ifndef DISTILL_AUGMENT_DSA_KERNELS_HPP
#define DISTILL_AUGMENT_DSA_KERNELS_HPP

// The DSA ops over a whole batch, one output element (or pixel) per call: the functors a
// backend's for_each runs, so a GPU computes each output value with a thread of its own.
// Every value is the one dsa_ops.hpp computes per sample, by the same operations in the same
// order, so the CPU tests can demand equality to the bit; the transpose of the bilinear
// resampling, a scatter there, is a gather here (each input pixel adds up the output pixels
// that read it, in the scatter's order), so no thread writes another's value and nothing needs
// atomics.

#include <cmath>

#include "distill/augment/dsa_ops.hpp"
#include "distill/backend/lanes.hpp"
#include "distill/core/macros.hpp"
#include "distill/core/shape.hpp"

namespace distill::detail {

/// A batch's geometry and where its per-sample parameters are (one set when shared), in the
/// memory the functors run in.
struct DsaBatch {
  DsaGeometry g;
  const DsaSampleParams* params;
  bool shared;
  DISTILL_HOST_DEVICE const DsaSampleParams& at(Index n) const { return params[shared ? 0 : n]; }
  DISTILL_HOST_DEVICE Index plane() const { return g.h * g.w; }
  DISTILL_HOST_DEVICE Index sample() const { return g.c * g.h * g.w; }
};

/// dsa_crop per element i of [N, C, H, W]; the transpose shifts back.
template <class Scalar>
struct DsaCropElement {
  DsaBatch b;
  bool transpose;
  const Scalar* src;
  Scalar* dst;
  DISTILL_HOST_DEVICE void operator()(Index i) const {
    const Index h = b.g.h, w = b.g.w, plane = b.plane(), sample = b.sample();
    const Index n = i / sample, e = i % sample, ch = e / plane, q = e % plane;
    const DsaSampleParams& p = b.at(n);
    const Index sh = q / w + (transpose ? -p.crop_dy : p.crop_dy);
    const Index sw = q % w + (transpose ? -p.crop_dx : p.crop_dx);
    dst[i] = sh >= 0 && sh < h && sw >= 0 && sw < w ? src[n * sample + ch * plane + sh * w + sw] : Scalar(0);
  }
};

/// dsa_cutout per element (its own transpose).
template <class Scalar>
struct DsaCutoutElement {
  DsaBatch b;
  const Scalar* src;
  Scalar* dst;
  DISTILL_HOST_DEVICE void operator()(Index i) const {
    const Index h = b.g.h, w = b.g.w, q = i % b.plane();
    const DsaSampleParams& p = b.at(i / b.sample());
    const Index r = q / w, col = q % w;
    const Index r0 = dsa_max<Index>(0, p.cutout_cy - b.g.cutout_h / 2),
                r1 = dsa_min<Index>(h, p.cutout_cy - b.g.cutout_h / 2 + b.g.cutout_h);
    const Index c0 = dsa_max<Index>(0, p.cutout_cx - b.g.cutout_w / 2),
                c1 = dsa_min<Index>(w, p.cutout_cx - b.g.cutout_w / 2 + b.g.cutout_w);
    dst[i] = r >= r0 && r < r1 && col >= c0 && col < c1 ? Scalar(0) : src[i];
  }
};

/// dsa_flip per element (its own transpose).
template <class Scalar>
struct DsaFlipElement {
  DsaBatch b;
  const Scalar* src;
  Scalar* dst;
  DISTILL_HOST_DEVICE void operator()(Index i) const {
    const Index w = b.g.w, ow = i % w;
    dst[i] = b.at(i / b.sample()).flip ? src[i - ow + (w - 1 - ow)] : src[i];
  }
};

/// The saturation half of dsa_color per pixel j = n·H·W + q: y = (x + shift − m)·s + m, m the
/// channel mean of x + shift at the pixel (the shift only in the forward pass).
template <class Scalar>
struct DsaSaturatePixel {
  DsaBatch b;
  bool with_shift;
  const Scalar* src;
  Scalar* dst;
  DISTILL_HOST_DEVICE void operator()(Index j) const {
    const Index plane = b.plane(), c = b.g.c, n = j / plane, q = j % plane;
    const DsaSampleParams& p = b.at(n);
    const Scalar add = with_shift ? Scalar(p.brightness) : Scalar(0), sat = Scalar(p.saturation);
    const Scalar* in = src + n * b.sample() + q;
    Scalar* out = dst + n * b.sample() + q;
    Scalar m = 0;
    for (Index ch = 0; ch < c; ++ch) m += in[ch * plane] + add;
    m /= Scalar(c);
    for (Index ch = 0; ch < c; ++ch) out[ch * plane] = (in[ch * plane] + add - m) * sat + m;
  }
};

/// mean[n] = the mean of sample n in double, rounded to Scalar: the μ of dsa_color's contrast.
/// Written for lanes (a block per sample on a GPU); one lane adds in index order as the CPU.
template <class Scalar>
struct DsaSampleMean {
  Index sample;
  const Scalar* src;
  Scalar* mean;
  DISTILL_HOST_DEVICE void operator()(Index n) const { run(n, SerialLanes{}); }
  template <class Lanes>
  DISTILL_HOST_DEVICE void run(Index n, const Lanes& lanes) const {
    const Scalar* in = src + n * sample;
    double sum = 0;
    for (Index i = lanes.index; i < sample; i += lanes.count) sum += double(in[i]);
    sum = lanes.sum(sum);
    if (lanes.index == 0) mean[n] = Scalar(sum / double(sample));
  }
};

/// The contrast half of dsa_color per element: y = (x − μ)·k + μ with μ from DsaSampleMean.
template <class Scalar>
struct DsaContrastElement {
  DsaBatch b;
  const Scalar* mean;
  const Scalar* src;
  Scalar* dst;
  DISTILL_HOST_DEVICE void operator()(Index i) const {
    const Index n = i / b.sample();
    const Scalar mu = mean[n], con = Scalar(b.at(n).contrast);
    dst[i] = (src[i] - mu) * con + mu;
  }
};

/// The forward (and tangent) bilinear resampling of dsa_affine per output pixel j = n·H·W + o,
/// every channel: scale or rotate, as `op` says.
template <class Scalar>
struct DsaAffinePixel {
  DsaBatch b;
  DsaOp op;
  const Scalar* src;
  Scalar* dst;
  DISTILL_HOST_DEVICE void operator()(Index j) const {
    const Index h = b.g.h, w = b.g.w, plane = b.plane(), n = j / plane, o = j % plane;
    double a[4];
    dsa_affine_matrix(op, b.at(n), a);
    const double step_y = h > 1 ? 2.0 / double(h - 1) : 0.0, step_x = w > 1 ? 2.0 / double(w - 1) : 0.0;
    const DsaAffineTaps t = dsa_affine_taps(o / w, o % w, h, w, a, step_y, step_x);
    const Scalar w_nw = Scalar(t.weight[0]), w_ne = Scalar(t.weight[1]), w_sw = Scalar(t.weight[2]),
                 w_se = Scalar(t.weight[3]);
    for (Index ch = 0; ch < b.g.c; ++ch) {
      const Scalar* in = src + n * b.sample() + ch * plane;
      const Scalar a_nw = t.valid[0] ? in[t.index[0]] : Scalar(0), a_ne = t.valid[1] ? in[t.index[1]] : Scalar(0),
                   a_sw = t.valid[2] ? in[t.index[2]] : Scalar(0), a_se = t.valid[3] ? in[t.index[3]] : Scalar(0);
      dst[n * b.sample() + ch * plane + o] = a_nw * w_nw + a_ne * w_ne + a_sw * w_sw + a_se * w_se;
    }
  }
};

/// The rectangle of output pixels [row0, row1] × [col0, col1] whose bilinear footprint can
/// include input pixel (y, x) under θ: the preimage under θ of the open box of sampling points
/// (x − 1, x + 1) × (y − 1, y + 1), widened by a pixel against rounding. A singular θ, or an
/// image one pixel high or wide, gives the whole image (the gather is then exact but slow).
struct DsaPixelRange {
  Index row0, row1, col0, col1;
};

DISTILL_HOST_DEVICE DsaPixelRange dsa_affine_preimage(Index y, Index x, Index h, Index w, const double (&a)[4]) {
  const DsaPixelRange all{0, h - 1, 0, w - 1};
  const double det = a[0] * a[3] - a[1] * a[2];
  if (h <= 1 || w <= 1 || !(std::abs(det) > 1e-9)) return all;
  // Sampling point (ix, iy) ↔ grid (gx, gy) = (2·ix/(W − 1) − 1, 2·iy/(H − 1) − 1) = θ·(xn, yn),
  // and output pixel (ow, oh) ↔ (xn, yn) = (ow·2/(W − 1) − 1, oh·2/(H − 1) − 1).
  double lo_x = 1e300, hi_x = -1e300, lo_y = 1e300, hi_y = -1e300;
  for (int k = 0; k < 4; ++k) {
    const double ix = double(x) + ((k & 1) ? 1.0 : -1.0), iy = double(y) + ((k & 2) ? 1.0 : -1.0);
    const double gx = 2.0 * ix / double(w - 1) - 1.0, gy = 2.0 * iy / double(h - 1) - 1.0;
    const double xn = (a[3] * gx - a[1] * gy) / det, yn = (a[0] * gy - a[2] * gx) / det;
    const double ow = (xn + 1.0) * double(w - 1) / 2.0, oh = (yn + 1.0) * double(h - 1) / 2.0;
    lo_x = dsa_min(lo_x, ow), hi_x = dsa_max(hi_x, ow), lo_y = dsa_min(lo_y, oh), hi_y = dsa_max(hi_y, oh);
  }
  if (!(hi_x - lo_x < 4.0 * double(w) && hi_y - lo_y < 4.0 * double(h))) return all;  // inf, NaN, huge
  const auto clamp = [](double v, Index top) {
    return Index(dsa_min(dsa_max(v, 0.0), double(top)));
  };
  return {clamp(std::floor(lo_y) - 1, h - 1), clamp(std::ceil(hi_y) + 1, h - 1), clamp(std::floor(lo_x) - 1, w - 1),
          clamp(std::ceil(hi_x) + 1, w - 1)};
}

/// The transpose of DsaAffinePixel per input element i of [N, C, H, W]: the sum of w·g over the
/// output pixels whose taps include it, in the order (row, column, corner) in which dsa_affine's
/// scatter adds them, so the value is the scatter's to the bit.
template <class Scalar>
struct DsaAffineTransposeElement {
  DsaBatch b;
  DsaOp op;
  const Scalar* src;
  Scalar* dst;
  DISTILL_HOST_DEVICE void operator()(Index i) const {
    const Index h = b.g.h, w = b.g.w, plane = b.plane(), sample = b.sample();
    const Index n = i / sample, ch = (i % sample) / plane, t = i % plane;
    double a[4];
    dsa_affine_matrix(op, b.at(n), a);
    const double step_y = h > 1 ? 2.0 / double(h - 1) : 0.0, step_x = w > 1 ? 2.0 / double(w - 1) : 0.0;
    const DsaPixelRange r = dsa_affine_preimage(t / w, t % w, h, w, a);
    const Scalar* g = src + n * sample + ch * plane;
    Scalar acc = 0;
    for (Index oh = r.row0; oh <= r.row1; ++oh)
      for (Index ow = r.col0; ow <= r.col1; ++ow) {
        const DsaAffineTaps taps = dsa_affine_taps(oh, ow, h, w, a, step_y, step_x);
        for (int k = 0; k < 4; ++k)
          if (taps.valid[k] && taps.index[k] == t) acc += Scalar(taps.weight[k]) * g[oh * w + ow];
      }
    dst[i] = acc;
  }
};

}  // namespace distill::detail

#endif  // DISTILL_AUGMENT_DSA_KERNELS_HPP
