#ifndef DISTILL_AUGMENT_DSA_IMPL_HPP
#define DISTILL_AUGMENT_DSA_IMPL_HPP

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "distill/augment/dsa.hpp"

namespace distill {

inline const char* dsa_op_name(DsaOp op) {
  switch (op) {
    case DsaOp::kColor:
      return "color";
    case DsaOp::kCrop:
      return "crop";
    case DsaOp::kCutout:
      return "cutout";
    case DsaOp::kFlip:
      return "flip";
    case DsaOp::kScale:
      return "scale";
    case DsaOp::kRotate:
      return "rotate";
  }
  return "unknown";
}

inline std::vector<DsaOp> dsa_ops_from_strategy(const std::string& strategy) {
  std::vector<DsaOp> ops;
  if (strategy.empty() || strategy == "none" || strategy == "None") return ops;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = strategy.find('_', start);
    const std::string name =
        strategy.substr(start, end == std::string::npos ? std::string::npos : end - start);
    bool found = false;
    for (DsaOp op : {DsaOp::kColor, DsaOp::kCrop, DsaOp::kCutout, DsaOp::kFlip, DsaOp::kScale,
                     DsaOp::kRotate}) {
      if (name == dsa_op_name(op)) {
        ops.push_back(op);
        found = true;
        break;
      }
    }
    DISTILL_CHECK(found, "dsa_ops_from_strategy: unknown op '"
                             << name << "' in \"" << strategy
                             << "\" (known: color, crop, cutout, flip, scale, rotate)");
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return ops;
}

namespace detail {

/// Per-thread workspace for chained ops; it only grows, so steady-state calls do not allocate.
template <class Scalar>
Scalar* dsa_scratch(Index n) {
  thread_local std::vector<Scalar> buffer;
  if (static_cast<Index>(buffer.size()) < n) buffer.resize(static_cast<std::size_t>(n));
  return buffer.data();
}

/// Element i of torch.linspace(−1, 1, n) (affine_grid's base grid with align_corners=True),
/// computed as PyTorch does, from the nearer end, so the grid is exactly symmetric; 0 when
/// n = 1, as affine_grid's linspace_from_neg_one. `step` is 2/(n − 1), hoisted by the caller.
inline double dsa_base_coordinate(Index i, Index n, double step) {
  if (n <= 1) return 0.0;
  return i < n / 2 ? -1.0 + step * double(i) : 1.0 - step * double(n - 1 - i);
}

inline std::string dsa_draw_shape(const DsaDraw& d) {
  std::ostringstream os;
  if (d.shared)
    os << "[any, " << d.shape.c << ", " << d.shape.h << ", " << d.shape.w << "] (shared)";
  else
    os << d.shape;
  return os.str();
}

// Brightness → saturation → contrast. Saturation S = s·I + (1 − s)·M_c and contrast
// K = k·I + (1 − k)·M with M_c, M the (symmetric) channel-mean and sample-mean projections,
// so the transpose of K·S is S·K: contrast first, then saturation. The shift passes through
// S and K unchanged (both fix constants), which is why only the forward pass adds it.
template <class Scalar>
void dsa_color(const Scalar* src, Scalar* dst, Index c, Index plane, const DsaSampleParams& p,
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
void dsa_crop(const Scalar* src, Scalar* dst, Index c, Index h, Index w, Index dy, Index dx) {
  const Index w0 = std::max<Index>(0, -dx), w1 = std::min<Index>(w, w - dx);
  for (Index ch = 0; ch < c; ++ch)
    for (Index oh = 0; oh < h; ++oh) {
      Scalar* row = dst + (ch * h + oh) * w;
      const Index sh = oh + dy;
      if (sh < 0 || sh >= h || w0 >= w1) {
        std::fill(row, row + w, Scalar(0));
        continue;
      }
      const Scalar* srow = src + (ch * h + sh) * w;
      std::fill(row, row + w0, Scalar(0));
      std::copy(srow + w0 + dx, srow + w1 + dx, row + w0);
      std::fill(row + w1, row + w, Scalar(0));
    }
}

/// Zeroes rows [cy − ch/2, cy − ch/2 + ch) and columns [cx − cw/2, cx − cw/2 + cw), clipped:
/// the reference clamps every index of the square into the image, which zeroes exactly the
/// clipped rectangle. A mask multiply, so it is its own transpose.
template <class Scalar>
void dsa_cutout(const Scalar* src, Scalar* dst, Index c, Index h, Index w, Index cut_h, Index cut_w,
                Index cy, Index cx) {
  std::copy(src, src + c * h * w, dst);
  const Index r0 = std::max<Index>(0, cy - cut_h / 2),
              r1 = std::min<Index>(h, cy - cut_h / 2 + cut_h);
  const Index c0 = std::max<Index>(0, cx - cut_w / 2),
              c1 = std::min<Index>(w, cx - cut_w / 2 + cut_w);
  if (r0 >= r1 || c0 >= c1) return;
  for (Index ch = 0; ch < c; ++ch)
    for (Index r = r0; r < r1; ++r) {
      Scalar* row = dst + (ch * h + r) * w;
      std::fill(row + c0, row + c1, Scalar(0));
    }
}

/// A permutation that is its own inverse, hence its own transpose.
template <class Scalar>
void dsa_flip(const Scalar* src, Scalar* dst, Index c, Index h, Index w, bool flip) {
  if (!flip) {
    std::copy(src, src + c * h * w, dst);
    return;
  }
  for (Index r = 0; r < c * h; ++r) {
    const Scalar* srow = src + r * w;
    Scalar* row = dst + r * w;
    for (Index ow = 0; ow < w; ++ow) row[ow] = srow[w - 1 - ow];
  }
}

/// affine_grid(θ = [[a0, a1, 0], [a2, a3, 0]], align_corners=True) followed by bilinear
/// grid_sample with zero padding: a gather with fixed weights (forward, tangent) or the
/// matching scatter (transpose). Corner order (nw, ne, sw, se) and weight formulas follow
/// PyTorch's CPU kernel; coordinates are computed in double for both scalar types.
template <class Scalar>
void dsa_affine(const Scalar* src, Scalar* dst, Index c, Index h, Index w, const double (&a)[4],
                bool transpose) {
  const Index plane = h * w;
  if (transpose) std::fill(dst, dst + c * plane, Scalar(0));
  const double step_y = h > 1 ? 2.0 / double(h - 1) : 0.0;
  const double step_x = w > 1 ? 2.0 / double(w - 1) : 0.0;
  for (Index oh = 0; oh < h; ++oh) {
    const double yn = dsa_base_coordinate(oh, h, step_y);
    for (Index ow = 0; ow < w; ++ow) {
      const double xn = dsa_base_coordinate(ow, w, step_x);
      const double gx = a[0] * xn + a[1] * yn, gy = a[2] * xn + a[3] * yn;
      // Clamping to [−2, size + 1] changes nothing (all four corners are outside either way)
      // and keeps hand-set extreme parameters inside Index's range for the floor below.
      const double ix = std::min(std::max((gx + 1) / 2 * double(w - 1), -2.0), double(w) + 1);
      const double iy = std::min(std::max((gy + 1) / 2 * double(h - 1), -2.0), double(h) + 1);
      // floor by truncation: std::floor is a library call without SSE4.1.
      const Index x0 = Index(ix) - (double(Index(ix)) > ix),
                  y0 = Index(iy) - (double(Index(iy)) > iy);
      const double fx = double(x0), fy = double(y0);
      // Corners nw, ne, sw, se. One outside the image gets a clamped (readable) index and a
      // zero value, not just a zero weight, so inf or NaN outside the footprint stays
      // outside, as PyTorch gathers zeros there.
      const bool in_x0 = x0 >= 0 && x0 < w, in_x1 = x0 + 1 >= 0 && x0 + 1 < w;
      const bool in_y0 = y0 >= 0 && y0 < h, in_y1 = y0 + 1 >= 0 && y0 + 1 < h;
      const bool v_nw = in_x0 && in_y0, v_ne = in_x1 && in_y0, v_sw = in_x0 && in_y1,
                 v_se = in_x1 && in_y1;
      const Index i_nw = v_nw ? y0 * w + x0 : 0, i_ne = v_ne ? y0 * w + x0 + 1 : 0,
                  i_sw = v_sw ? (y0 + 1) * w + x0 : 0, i_se = v_se ? (y0 + 1) * w + x0 + 1 : 0;
      const Scalar w_nw = Scalar((fx + 1 - ix) * (fy + 1 - iy)),
                   w_ne = Scalar((ix - fx) * (fy + 1 - iy)),
                   w_sw = Scalar((fx + 1 - ix) * (iy - fy)), w_se = Scalar((ix - fx) * (iy - fy));
      const Index o = oh * w + ow;
      if (!transpose) {
        for (Index ch = 0; ch < c; ++ch) {
          const Scalar* in = src + ch * plane;
          const Scalar a_nw = v_nw ? in[i_nw] : Scalar(0), a_ne = v_ne ? in[i_ne] : Scalar(0),
                       a_sw = v_sw ? in[i_sw] : Scalar(0), a_se = v_se ? in[i_se] : Scalar(0);
          dst[ch * plane + o] = a_nw * w_nw + a_ne * w_ne + a_sw * w_sw + a_se * w_se;
        }
      } else {
        for (Index ch = 0; ch < c; ++ch) {
          const Scalar g = src[ch * plane + o];
          Scalar* out = dst + ch * plane;
          if (v_nw) out[i_nw] += w_nw * g;
          if (v_ne) out[i_ne] += w_ne * g;
          if (v_sw) out[i_sw] += w_sw * g;
          if (v_se) out[i_se] += w_se * g;
        }
      }
    }
  }
}

template <class Scalar>
void dsa_apply(DsaOp op, const DsaDraw& d, const DsaSampleParams& p, const Scalar* src, Scalar* dst,
               bool with_shift, bool transpose) {
  const Index c = d.shape.c, h = d.shape.h, w = d.shape.w;
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
    case DsaOp::kScale: {
      const double a[4] = {p.scale_x, 0.0, 0.0, p.scale_y};
      dsa_affine(src, dst, c, h, w, a, transpose);
      return;
    }
    case DsaOp::kRotate: {
      // The reference builds θ = [[cos t, sin(−t), 0], [sin t, cos t, 0]].
      const double cs = std::cos(p.rotate), sn = std::sin(p.rotate);
      const double a[4] = {cs, -sn, sn, cs};
      dsa_affine(src, dst, c, h, w, a, transpose);
      return;
    }
  }
}

}  // namespace detail

template <class Scalar>
Dsa<Scalar>::Dsa(DsaConfig config) : config_(std::move(config)) {
  const DsaConfig& k = config_;
  DISTILL_CHECK(k.prob_flip >= 0 && k.prob_flip <= 1,
                "Dsa: prob_flip must lie in [0, 1], got " << k.prob_flip);
  DISTILL_CHECK(k.ratio_scale >= 1, "Dsa: ratio_scale must be at least 1, got " << k.ratio_scale);
  DISTILL_CHECK(k.ratio_rotate >= 0 && k.ratio_crop_pad >= 0 && k.ratio_cutout >= 0 &&
                    k.brightness >= 0 && k.saturation >= 0 && k.contrast >= 0,
                "Dsa: ratios must be non-negative (rotate "
                    << k.ratio_rotate << ", crop_pad " << k.ratio_crop_pad << ", cutout "
                    << k.ratio_cutout << ", brightness " << k.brightness << ", saturation "
                    << k.saturation << ", contrast " << k.contrast << ")");
  if (k.mode == DsaMode::kAll) {
    // One parameter set per op and sample: a repeated op would replay the same parameters,
    // whereas the reference draws afresh, so a repeat is refused rather than silently wrong.
    for (std::size_t i = 0; i < k.ops.size(); ++i)
      for (std::size_t j = 0; j < i; ++j)
        DISTILL_CHECK(k.ops[i] != k.ops[j],
                      "Dsa: op '" << dsa_op_name(k.ops[i]) << "' is listed twice in mode kAll");
  }
}

template <class Scalar>
DsaDraw Dsa<Scalar>::draw(Index batch, Index channels, Index height, Index width,
                          std::uint64_t seed, bool shared) const {
  const Shape shape(batch, channels, height, width);
  DISTILL_CHECK(batch > 0 && channels > 0 && height > 0 && width > 0,
                "Dsa::draw: invalid batch shape " << shape);
  const DsaConfig& k = config_;
  DsaDraw d;
  d.shape = shape;
  d.shared = shared;
  if (k.mode == DsaMode::kAll) {
    d.ops = k.ops;
  } else if (!k.ops.empty()) {
    Rng rng(seed, 0);
    d.ops.push_back(k.ops[std::size_t(rng.below(k.ops.size()))]);
  }
  // int(size·ratio + 0.5), as the reference rounds.
  const Index shift_h = Index(double(height) * k.ratio_crop_pad + 0.5);
  const Index shift_w = Index(double(width) * k.ratio_crop_pad + 0.5);
  d.cutout_h = Index(double(height) * k.ratio_cutout + 0.5);
  d.cutout_w = Index(double(width) * k.ratio_cutout + 0.5);
  const double scale_lo = 1.0 / k.ratio_scale;
  const double max_angle = k.ratio_rotate / 180.0 * 3.14159265358979323846;

  d.samples.resize(shared ? 1 : std::size_t(batch));
  for (std::size_t i = 0; i < d.samples.size(); ++i) {
    Rng rng(seed, std::uint64_t(i) + 1);
    DsaSampleParams& p = d.samples[i];
    p.brightness = (rng.uniform() - 0.5) * k.brightness;
    p.saturation = rng.uniform() * k.saturation;
    p.contrast = rng.uniform() + k.contrast;
    p.crop_dy = Index(rng.below(std::uint64_t(2 * shift_h + 1))) - shift_h;
    p.crop_dx = Index(rng.below(std::uint64_t(2 * shift_w + 1))) - shift_w;
    // randint(0, size + (1 − side % 2)): for an even side the centre may sit one past the edge.
    p.cutout_cy = Index(rng.below(std::uint64_t(height + 1 - d.cutout_h % 2)));
    p.cutout_cx = Index(rng.below(std::uint64_t(width + 1 - d.cutout_w % 2)));
    p.flip = rng.uniform() < k.prob_flip;
    p.scale_x = rng.uniform() * (k.ratio_scale - scale_lo) + scale_lo;
    p.scale_y = rng.uniform() * (k.ratio_scale - scale_lo) + scale_lo;
    p.rotate = (rng.uniform() - 0.5) * 2 * max_angle;
  }
  return d;
}

template <class Scalar>
void Dsa<Scalar>::forward(const DsaDraw& draw, ConstView<Scalar> x, MutableView<Scalar> y) const {
  DISTILL_CHECK(!x.empty() || y.size() == 0, "Dsa::forward: x is an empty view");
  run(Pass::kForward, draw, x, y, "Dsa::forward");
}

template <class Scalar>
void Dsa<Scalar>::tangent(const DsaDraw& draw, ConstView<Scalar> x_dot,
                          MutableView<Scalar> y_dot) const {
  run(Pass::kTangent, draw, x_dot, y_dot, "Dsa::tangent");
}

template <class Scalar>
void Dsa<Scalar>::backward(const DsaDraw& draw, ConstView<Scalar> gy,
                           MutableView<Scalar> gx) const {
  run(Pass::kBackward, draw, gy, gx, "Dsa::backward");
}

template <class Scalar>
void Dsa<Scalar>::run(Pass pass, const DsaDraw& draw, ConstView<Scalar> in, MutableView<Scalar> out,
                      const char* what) const {
  const Shape s = out.shape();
  DISTILL_CHECK(in.empty() || in.shape() == s,
                what << ": input " << in.shape() << " and output " << s << " differ");
  DISTILL_CHECK(draw.fits(s), what << ": batch " << s << " does not fit the draw, made for "
                                   << detail::dsa_draw_shape(draw));
  DISTILL_CHECK(draw.samples.size() == (draw.shared ? 1u : std::size_t(draw.shape.n)),
                what << ": the draw holds " << draw.samples.size() << " parameter sets for "
                     << detail::dsa_draw_shape(draw));
  if (s.size() == 0) return;
  DISTILL_CHECK(!out.empty(), what << ": the output view " << s << " is empty");
  if (in.empty()) {
    std::fill(out.data(), out.data() + s.size(), Scalar(0));
    return;
  }

  const Index sample = s.sample_size();
  const Index k = Index(draw.ops.size());
  const bool aliased = in.data() == out.data();
  const bool with_shift = pass == Pass::kForward;
  const bool transpose = pass == Pass::kBackward;
  parallel_for(
      s.n,
      [&](Index i) {
        const DsaSampleParams& p = draw.params(i);
        const Scalar* src = in.sample(i);
        Scalar* dst = out.sample(i);
        if (k == 0) {
          if (!aliased) std::copy(src, src + sample, dst);
          return;
        }
        // Ping-pong through two scratch samples so that no op reads the buffer it writes; the
        // last op writes straight into the output.
        Scalar* s0 = nullptr;
        Scalar* s1 = nullptr;
        if (aliased || k > 1) {
          s0 = detail::dsa_scratch<Scalar>(2 * sample);
          s1 = s0 + sample;
        }
        if (aliased) {
          std::copy(src, src + sample, s0);
          src = s0;
        }
        for (Index j = 0; j < k; ++j) {
          const DsaOp op = draw.ops[std::size_t(transpose ? k - 1 - j : j)];
          Scalar* target = j == k - 1 ? dst : (src == s0 ? s1 : s0);
          detail::dsa_apply(op, draw, p, src, target, with_shift, transpose);
          src = target;
        }
      },
      sample);
}

}  // namespace distill

#endif  // DISTILL_AUGMENT_DSA_IMPL_HPP
