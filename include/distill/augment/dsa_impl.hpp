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

inline std::string dsa_draw_shape(const DsaDraw& d) {
  std::ostringstream os;
  if (d.shared)
    os << "[any, " << d.shape.c << ", " << d.shape.h << ", " << d.shape.w << "] (shared)";
  else
    os << d.shape;
  return os.str();
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

namespace detail {

/// The checks of every DSA pass, on any device: whether the views fit each other and the
/// draw. Returns false when there is nothing to do (an empty batch).
inline bool dsa_check_pass(const DsaDraw& draw, const Shape& in, bool in_empty, const Shape& s, bool out_empty,
                           const char* what) {
  DISTILL_CHECK(in_empty || in == s, what << ": input " << in << " and output " << s << " differ");
  DISTILL_CHECK(draw.fits(s), what << ": batch " << s << " does not fit the draw, made for " << dsa_draw_shape(draw));
  DISTILL_CHECK(draw.samples.size() == (draw.shared ? 1u : std::size_t(draw.shape.n)),
                what << ": the draw holds " << draw.samples.size() << " parameter sets for " << dsa_draw_shape(draw));
  if (s.size() == 0) return false;
  DISTILL_CHECK(!out_empty, what << ": the output view " << s << " is empty");
  return true;
}

}  // namespace detail

template <class Scalar>
void Dsa<Scalar>::run(Pass pass, const DsaDraw& draw, ConstView<Scalar> in, MutableView<Scalar> out,
                      const char* what) const {
  const Shape s = out.shape();
  if (!detail::dsa_check_pass(draw, in.shape(), in.empty(), s, out.empty(), what)) return;
  if (in.empty()) {
    std::fill(out.data(), out.data() + s.size(), Scalar(0));
    return;
  }

  const Index sample = s.sample_size();
  const Index k = Index(draw.ops.size());
  const bool aliased = in.data() == out.data();
  const bool with_shift = pass == Pass::kForward;
  const bool transpose = pass == Pass::kBackward;
  const detail::DsaGeometry geometry{draw.shape.c, draw.shape.h, draw.shape.w, draw.cutout_h, draw.cutout_w};
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
          detail::dsa_apply(op, geometry, p, src, target, with_shift, transpose);
          src = target;
        }
      },
      sample);
}

}  // namespace distill

#endif  // DISTILL_AUGMENT_DSA_IMPL_HPP
