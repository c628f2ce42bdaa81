#ifndef DISTILL_AUGMENT_DSA_OPS_HPP
#define DISTILL_AUGMENT_DSA_OPS_HPP

// The arithmetic of every DSA op on one sample, forward and transpose: host-device functions
// that the CPU passes run per sample and a GPU kernel can run per sample as they are.

#include <cmath>

#include "distill/core/macros.hpp"
#include "distill/core/shape.hpp"

namespace distill {

/// One family of differentiable siamese augmentation (the keys of the reference AUGMENT_FNS).
enum class DsaOp {
  kColor,   ///< brightness → saturation → contrast, one uniform each per sample
  kCrop,    ///< integer translation with zero fill ("crop" after padding)
  kCutout,  ///< a zeroed rectangle of about half the image side
  kFlip,    ///< horizontal flip with probability prob_flip
  kScale,   ///< independent x and y scaling through affine_grid + bilinear grid_sample
  kRotate   ///< rotation through affine_grid + bilinear grid_sample
};

/// The random parameters of one sample, for every op (a sample carries all of them so that
/// its parameters do not depend on which family a call picked). Plain data: tests and callers
/// may set fields by hand, e.g. the identity is the default-constructed value with the cutout
/// moved off the image.
struct DsaSampleParams {
  double brightness = 0;  ///< added to every element
  double saturation = 1;  ///< y = (x − m)·saturation + m, m = mean over channels of the pixel
  double contrast = 1;    ///< y = (x − μ)·contrast + μ, μ = mean over C, H, W of the sample
  Index crop_dy = 0;      ///< y(h, w) = x(h + crop_dy, w + crop_dx), zero outside the image
  Index crop_dx = 0;
  Index cutout_cy = 0;  ///< centre row; rows [cy − ch/2, cy − ch/2 + ch) ∩ [0, H) are zeroed
  Index cutout_cx = 0;  ///< centre column, same rule with cw and W
  bool flip = false;    ///< y(h, w) = x(h, W − 1 − w)
  double scale_x = 1;   ///< affine θ = [[scale_x, 0, 0], [0, scale_y, 0]]
  double scale_y = 1;
  double rotate = 0;  ///< radians; θ = [[cos, −sin, 0], [sin, cos, 0]]

  bool operator==(const DsaSampleParams& o) const {
    return brightness == o.brightness && saturation == o.saturation && contrast == o.contrast &&
           crop_dy == o.crop_dy && crop_dx == o.crop_dx && cutout_cy == o.cutout_cy &&
           cutout_cx == o.cutout_cx && flip == o.flip && scale_x == o.scale_x &&
           scale_y == o.scale_y && rotate == o.rotate;
  }
  bool operator!=(const DsaSampleParams& o) const { return !(*this == o); }
};

namespace detail {

template <class T>
DISTILL_HOST_DEVICE T dsa_min(T a, T b) {
  return b < a ? b : a;
}
template <class T>
DISTILL_HOST_DEVICE T dsa_max(T a, T b) {
  return a < b ? b : a;
}

/// The image size and cutout side lengths a draw applies to.
struct DsaGeometry {
  Index c, h, w, cutout_h, cutout_w;
};

/// Element i of torch.linspace(−1, 1, n) (affine_grid's base grid with align_corners=True),
/// computed as PyTorch does, from the nearer end, so the grid is exactly symmetric; 0 when
/// n = 1, as affine_grid's linspace_from_neg_one. `step` is 2/(n − 1), hoisted by the caller.
DISTILL_HOST_DEVICE double dsa_base_coordinate(Index i, Index n, double step) {
  if (n <= 1) return 0.0;
  return i < n / 2 ? -1.0 + step * double(i) : 1.0 - step * double(n - 1 - i);
}

// Brightness → saturation → contrast. Saturation S = s·I + (1 − s)·M_c and contrast
// K = k·I + (1 − k)·M with M_c, M the (symmetric) channel-mean and sample-mean projections,
// so the transpose of K·S is S·K: contrast first, then saturation. The shift passes through
// S and K unchanged (both fix constants), which is why only the forward pass adds it.
template <class Scalar>
DISTILL_HOST_DEVICE void dsa_color(const Scalar* src, Scalar* dst, Index c, Index plane, const DsaSampleParams& p,
               bool with_shift, bool transpose) {
  const Scalar shift = with_shift ? Scalar(p.brightness) : Scalar(0);
  const Scalar sat = Scalar(p.saturation), con = Scalar(p.contrast);
  const Index n = c * plane;
  auto saturate = [&](const Scalar* in, Scalar add) {
    for (Index q = 0; q < plane; ++q) {
      Scalar m = 0;
      for (Index ch = 0; ch < c; ++ch) m += in[ch * plane + q] + add;
      m /= Scalar(c);
      for (Index ch = 0; ch < c; ++ch) {
        const Index i = ch * plane + q;
        dst[i] = (in[i] + add - m) * sat + m;
      }
    }
  };
  auto contrast = [&](const Scalar* in) {
    double sum = 0;
    for (Index i = 0; i < n; ++i) sum += double(in[i]);
    const Scalar mu = Scalar(sum / double(n));
    for (Index i = 0; i < n; ++i) dst[i] = (in[i] - mu) * con + mu;
  };
  if (!transpose) {
    saturate(src, shift);
    contrast(dst);
  } else {
    contrast(src);
    saturate(dst, Scalar(0));
  }
}

/// y(h, w) = x(h + dy, w + dx), zero where the source lies outside the image. Its transpose is
/// the same map with (−dy, −dx).
template <class Scalar>
DISTILL_HOST_DEVICE void dsa_crop(const Scalar* src, Scalar* dst, Index c, Index h, Index w, Index dy, Index dx) {
  const Index w0 = dsa_max<Index>(0, -dx), w1 = dsa_min<Index>(w, w - dx);
  for (Index ch = 0; ch < c; ++ch)
    for (Index oh = 0; oh < h; ++oh) {
      Scalar* row = dst + (ch * h + oh) * w;
      const Index sh = oh + dy;
      if (sh < 0 || sh >= h || w0 >= w1) {
        for (Index q = 0; q < w; ++q) row[q] = Scalar(0);
        continue;
      }
      const Scalar* srow = src + (ch * h + sh) * w;
      for (Index q = 0; q < w0; ++q) row[q] = Scalar(0);
      for (Index q = w0; q < w1; ++q) row[q] = srow[q + dx];
      for (Index q = w1; q < w; ++q) row[q] = Scalar(0);
    }
}

/// Zeroes rows [cy − ch/2, cy − ch/2 + ch) and columns [cx − cw/2, cx − cw/2 + cw), clipped:
/// the reference clamps every index of the square into the image, which zeroes exactly the
/// clipped rectangle. A mask multiply, so it is its own transpose.
template <class Scalar>
DISTILL_HOST_DEVICE void dsa_cutout(const Scalar* src, Scalar* dst, Index c, Index h, Index w, Index cut_h, Index cut_w,
                Index cy, Index cx) {
  for (Index i = 0; i < c * h * w; ++i) dst[i] = src[i];
  const Index r0 = dsa_max<Index>(0, cy - cut_h / 2),
              r1 = dsa_min<Index>(h, cy - cut_h / 2 + cut_h);
  const Index c0 = dsa_max<Index>(0, cx - cut_w / 2),
              c1 = dsa_min<Index>(w, cx - cut_w / 2 + cut_w);
  if (r0 >= r1 || c0 >= c1) return;
  for (Index ch = 0; ch < c; ++ch)
    for (Index r = r0; r < r1; ++r) {
      Scalar* row = dst + (ch * h + r) * w;
      for (Index q = c0; q < c1; ++q) row[q] = Scalar(0);
    }
}

/// A permutation that is its own inverse, hence its own transpose.
template <class Scalar>
DISTILL_HOST_DEVICE void dsa_flip(const Scalar* src, Scalar* dst, Index c, Index h, Index w, bool flip) {
  if (!flip) {
    for (Index i = 0; i < c * h * w; ++i) dst[i] = src[i];
    return;
  }
  for (Index r = 0; r < c * h; ++r) {
    const Scalar* srow = src + r * w;
    Scalar* row = dst + r * w;
    for (Index ow = 0; ow < w; ++ow) row[ow] = srow[w - 1 - ow];
  }
}

/// The four bilinear corners (nw, ne, sw, se) that output pixel (oh, ow) of an H×W image reads
/// under affine_grid(θ = [[a0, a1, 0], [a2, a3, 0]], align_corners=True) + grid_sample(bilinear,
/// zeros): plane offsets, whether each corner lies inside the image, and the weights. Corner
/// order and weight formulas follow PyTorch's CPU kernel; coordinates are in double for both
/// scalar types. The forward gather, the CPU's transpose scatter and the device's transpose
/// gather all take their corners from here, so they agree to the bit.
struct DsaAffineTaps {
  Index index[4];
  bool valid[4];
  double weight[4];
};

/// (xn, yn) are the output pixel's base-grid coordinates (dsa_base_coordinate), which a caller
/// looping over rows computes once per row.
DISTILL_HOST_DEVICE DsaAffineTaps dsa_affine_taps_at(double xn, double yn, Index h, Index w, const double (&a)[4]) {
  const double gx = a[0] * xn + a[1] * yn, gy = a[2] * xn + a[3] * yn;
  // Clamping to [−2, size + 1] changes nothing (all four corners are outside either way)
  // and keeps hand-set extreme parameters inside Index's range for the floor below.
  const double ix = dsa_min(dsa_max((gx + 1) / 2 * double(w - 1), -2.0), double(w) + 1);
  const double iy = dsa_min(dsa_max((gy + 1) / 2 * double(h - 1), -2.0), double(h) + 1);
  // floor by truncation: std::floor is a library call without SSE4.1.
  const Index x0 = Index(ix) - (double(Index(ix)) > ix), y0 = Index(iy) - (double(Index(iy)) > iy);
  const double fx = double(x0), fy = double(y0);
  // A corner outside the image gets a clamped (readable) index and a zero value, not just a
  // zero weight, so inf or NaN outside the footprint stays outside, as PyTorch gathers zeros.
  const bool in_x0 = x0 >= 0 && x0 < w, in_x1 = x0 + 1 >= 0 && x0 + 1 < w;
  const bool in_y0 = y0 >= 0 && y0 < h, in_y1 = y0 + 1 >= 0 && y0 + 1 < h;
  DsaAffineTaps t;
  t.valid[0] = in_x0 && in_y0;
  t.valid[1] = in_x1 && in_y0;
  t.valid[2] = in_x0 && in_y1;
  t.valid[3] = in_x1 && in_y1;
  t.index[0] = t.valid[0] ? y0 * w + x0 : 0;
  t.index[1] = t.valid[1] ? y0 * w + x0 + 1 : 0;
  t.index[2] = t.valid[2] ? (y0 + 1) * w + x0 : 0;
  t.index[3] = t.valid[3] ? (y0 + 1) * w + x0 + 1 : 0;
  t.weight[0] = (fx + 1 - ix) * (fy + 1 - iy);
  t.weight[1] = (ix - fx) * (fy + 1 - iy);
  t.weight[2] = (fx + 1 - ix) * (iy - fy);
  t.weight[3] = (ix - fx) * (iy - fy);
  return t;
}

/// The taps of output pixel (oh, ow); `step_y`, `step_x` are 2/(H − 1) and 2/(W − 1) (0 for a
/// size of 1), hoisted by the caller.
DISTILL_HOST_DEVICE DsaAffineTaps dsa_affine_taps(Index oh, Index ow, Index h, Index w, const double (&a)[4],
                                                  double step_y, double step_x) {
  return dsa_affine_taps_at(dsa_base_coordinate(ow, w, step_x), dsa_base_coordinate(oh, h, step_y), h, w, a);
}

/// The 2×2 matrix θ of a scale or rotate draw (the reference builds rotation as
/// [[cos t, sin(−t)], [sin t, cos t]]); false for the other ops.
DISTILL_HOST_DEVICE bool dsa_affine_matrix(DsaOp op, const DsaSampleParams& p, double (&a)[4]) {
  if (op == DsaOp::kScale) {
    a[0] = p.scale_x, a[1] = 0.0, a[2] = 0.0, a[3] = p.scale_y;
    return true;
  }
  if (op == DsaOp::kRotate) {
    const double cs = std::cos(p.rotate), sn = std::sin(p.rotate);
    a[0] = cs, a[1] = -sn, a[2] = sn, a[3] = cs;
    return true;
  }
  return false;
}

/// affine_grid + bilinear grid_sample with zero padding on one sample: a gather with fixed
/// weights (forward, tangent) or the matching scatter (transpose).
template <class Scalar>
DISTILL_HOST_DEVICE void dsa_affine(const Scalar* src, Scalar* dst, Index c, Index h, Index w, const double (&a)[4],
                bool transpose) {
  const Index plane = h * w;
  if (transpose)
    for (Index i = 0; i < c * plane; ++i) dst[i] = Scalar(0);
  const double step_y = h > 1 ? 2.0 / double(h - 1) : 0.0;
  const double step_x = w > 1 ? 2.0 / double(w - 1) : 0.0;
  for (Index oh = 0; oh < h; ++oh) {
    const double yn = dsa_base_coordinate(oh, h, step_y);
    for (Index ow = 0; ow < w; ++ow) {
      const DsaAffineTaps t = dsa_affine_taps_at(dsa_base_coordinate(ow, w, step_x), yn, h, w, a);
      const Scalar w_nw = Scalar(t.weight[0]), w_ne = Scalar(t.weight[1]), w_sw = Scalar(t.weight[2]),
                   w_se = Scalar(t.weight[3]);
      const Index o = oh * w + ow;
      if (!transpose) {
        for (Index ch = 0; ch < c; ++ch) {
          const Scalar* in = src + ch * plane;
          const Scalar a_nw = t.valid[0] ? in[t.index[0]] : Scalar(0),
                       a_ne = t.valid[1] ? in[t.index[1]] : Scalar(0),
                       a_sw = t.valid[2] ? in[t.index[2]] : Scalar(0),
                       a_se = t.valid[3] ? in[t.index[3]] : Scalar(0);
          dst[ch * plane + o] = a_nw * w_nw + a_ne * w_ne + a_sw * w_sw + a_se * w_se;
        }
      } else {
        for (Index ch = 0; ch < c; ++ch) {
          const Scalar g = src[ch * plane + o];
          Scalar* out = dst + ch * plane;
          if (t.valid[0]) out[t.index[0]] += w_nw * g;
          if (t.valid[1]) out[t.index[1]] += w_ne * g;
          if (t.valid[2]) out[t.index[2]] += w_sw * g;
          if (t.valid[3]) out[t.index[3]] += w_se * g;
        }
      }
    }
  }
}

template <class Scalar>
DISTILL_HOST_DEVICE void dsa_apply(DsaOp op, const DsaGeometry& d, const DsaSampleParams& p, const Scalar* src,
                                   Scalar* dst, bool with_shift, bool transpose) {
  const Index c = d.c, h = d.h, w = d.w;
  switch (op) {
    case DsaOp::kColor:
      dsa_color(src, dst, c, h * w, p, with_shift, transpose);
      return;
    case DsaOp::kCrop:
      if (transpose)
        dsa_crop(src, dst, c, h, w, -p.crop_dy, -p.crop_dx);
      else
        dsa_crop(src, dst, c, h, w, p.crop_dy, p.crop_dx);
      return;
    case DsaOp::kCutout:
      dsa_cutout(src, dst, c, h, w, d.cutout_h, d.cutout_w, p.cutout_cy, p.cutout_cx);
      return;
    case DsaOp::kFlip:
      dsa_flip(src, dst, c, h, w, p.flip);
      return;
    case DsaOp::kScale:
    case DsaOp::kRotate: {
      double a[4];
      dsa_affine_matrix(op, p, a);
      dsa_affine(src, dst, c, h, w, a, transpose);
      return;
    }
  }
}

}  // namespace detail
}  // namespace distill

#endif  // DISTILL_AUGMENT_DSA_OPS_HPP
