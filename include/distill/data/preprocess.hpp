#ifndef DISTILL_DATA_PREPROCESS_HPP
#define DISTILL_DATA_PREPROCESS_HPP

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "distill/data/zca.hpp"
#include "distill/core/error.hpp"
#include "distill/core/parallel.hpp"
#include "distill/core/tensor.hpp"

namespace distill {

/// Per-channel affine normalisation x ← (x − mean[c]) / stddev[c], torchvision's
/// transforms.Normalize. Statistics are kept in double as plain vectors (one value per channel)
/// so they can be stored beside a data set and re-applied to its test set.
struct ChannelNormalization {
  std::vector<double> mean, stddev;

  Index channels() const { return static_cast<Index>(mean.size()); }

  /// Per-channel mean and standard deviation over all pixels of all images ([N, C, H, W]),
  /// in double. The deviation is the population one (divide by N·H·W), as numpy's std; the
  /// difference from the unbiased one is negligible at image-set sizes.
  template <class Scalar>
  static ChannelNormalization fit(ConstView<Scalar> images);

  /// x ← (x − mean[c]) / stddev[c], in place.
  template <class Scalar>
  void apply(MutableView<Scalar> images) const;
  /// x ← x·stddev[c] + mean[c], in place.
  template <class Scalar>
  void invert(MutableView<Scalar> images) const;

  /// Throws unless there is one finite mean and one positive finite deviation per channel of
  /// `images_shape`.
  void validate(const Shape& images_shape, const char* what) const;

 private:
  /// Runs `op(x, c)` on every channel plane x (an Eigen array map) of channel c, in parallel.
  template <class Scalar, class Op>
  void for_each_plane(MutableView<Scalar> images, const char* what, Op op) const;
};

/// The normalisation every CIFAR-10 distillation code uses (torchvision's customary values,
/// as in MTT's utils.get_dataset): mean (0.4914, 0.4822, 0.4465), std (0.2023, 0.1994, 0.2010).
/// The std values are not the global pixel deviations of CIFAR-10 (about 0.247, 0.243, 0.261);
/// they are kept because published results were obtained with them.
inline ChannelNormalization cifar10_mean_std() {
  return {{0.4914, 0.4822, 0.4465}, {0.2023, 0.1994, 0.2010}};
}

/// Which preprocessing a data set went through.
enum class PreprocessKind {
  kNone,       ///< pixels in [0, 1] as read
  kNormalize,  ///< per-channel mean/std (ChannelNormalization)
  kZca         ///< ZCA whitening (ZcaWhitening), on [0, 1] pixels without normalisation (MTT)
};

/// "none", "normalize" or "zca": the name stored with expert and synthetic sets.
inline const char* to_string(PreprocessKind kind) {
  switch (kind) {
    case PreprocessKind::kNone:
      return "none";
    case PreprocessKind::kNormalize:
      return "normalize";
    case PreprocessKind::kZca:
      return "zca";
  }
  return "unknown";
}

/// Inverse of to_string(PreprocessKind); throws on any other name.
inline PreprocessKind parse_preprocess_kind(const std::string& name) {
  for (PreprocessKind k : {PreprocessKind::kNone, PreprocessKind::kNormalize, PreprocessKind::kZca})
    if (name == to_string(k)) return k;
  DISTILL_CHECK(false, "unknown preprocessing '" << name << "' (expected none, normalize or zca)");
  return PreprocessKind::kNone;
}

/// What was done to the images of a data set, with its parameters: stored with every expert
/// and synthetic set and re-applied to the test set at evaluation, since a network trained in
/// one space must be tested in the same one. A plain value; only the member matching `kind` is
/// used. Copying a ZCA preprocessing copies two D×D matrices (36 MB each in float for CIFAR).
template <class Scalar>
struct Preprocessing {
  PreprocessKind kind = PreprocessKind::kNone;
  ChannelNormalization normalization;  ///< used when kind == kNormalize
  ZcaWhitening<Scalar> zca;            ///< used when kind == kZca

  static Preprocessing none() { return {}; }
  static Preprocessing normalize(ChannelNormalization n) {
    Preprocessing p;
    p.kind = PreprocessKind::kNormalize;
    p.normalization = std::move(n);
    return p;
  }
  static Preprocessing whiten(ZcaWhitening<Scalar> z) {
    DISTILL_CHECK(z.fitted(), "Preprocessing::whiten: the ZCA transform is not fitted");
    Preprocessing p;
    p.kind = PreprocessKind::kZca;
    p.zca = std::move(z);
    return p;
  }

  /// From pixels in [0, 1] to the preprocessed space, in place.
  void apply(MutableView<Scalar> images) const {
    switch (kind) {
      case PreprocessKind::kNone:
        return;
      case PreprocessKind::kNormalize:
        return normalization.apply(images);
      case PreprocessKind::kZca:
        return zca.apply(images);
    }
  }
  /// Whether clamp_to_pixel_range applies: the image of the pixel box [0, 1] is a box only
  /// without whitening (ZCA mixes pixels).
  bool has_pixel_box() const { return kind != PreprocessKind::kZca; }
  /// Clamps preprocessed images to the image of pixels in [0, 1], per channel, in place
  /// (TGDD keeps its synthetic pixels in [0, 1]).
  void clamp_to_pixel_range(MutableView<Scalar> images) const {
    DISTILL_CHECK(has_pixel_box(), "clamp_to_pixel_range: ZCA-whitened images have no per-pixel range");
    const Shape s = images.shape();
    if (kind == PreprocessKind::kNormalize) normalization.validate(s, "clamp_to_pixel_range");
    for (Index c = 0; c < s.c; ++c) {
      const double lo = kind == PreprocessKind::kNormalize ? -normalization.mean[c] / normalization.stddev[c] : 0.0;
      const double hi =
          kind == PreprocessKind::kNormalize ? (1 - normalization.mean[c]) / normalization.stddev[c] : 1.0;
      for (Index n = 0; n < s.n; ++n) {
        Scalar* p = images.sample(n) + c * s.plane();
        for (Index i = 0; i < s.plane(); ++i) p[i] = std::min(std::max(p[i], Scalar(lo)), Scalar(hi));
      }
    }
  }
  /// Back to pixel space (e.g. to write pictures), in place. Values may leave [0, 1].
  void invert(MutableView<Scalar> images) const {
    switch (kind) {
      case PreprocessKind::kNone:
        return;
      case PreprocessKind::kNormalize:
        return normalization.invert(images);
      case PreprocessKind::kZca:
        return zca.invert(images);
    }
  }
};

// ---------------------------------------------------------------------------------------------

inline void ChannelNormalization::validate(const Shape& images_shape, const char* what) const {
  DISTILL_CHECK(mean.size() == stddev.size(),
                what << ": " << mean.size() << " means but " << stddev.size() << " deviations");
  DISTILL_CHECK(channels() == images_shape.c, what << ": normalisation has " << channels()
                                                   << " channels, images " << images_shape);
  for (std::size_t c = 0; c < mean.size(); ++c)
    DISTILL_CHECK(std::isfinite(mean[c]) && std::isfinite(stddev[c]) && stddev[c] > 0,
                  what << ": channel " << c << " has mean " << mean[c] << " and deviation "
                       << stddev[c] << " (the deviation must be positive)");
}

template <class Scalar>
ChannelNormalization ChannelNormalization::fit(ConstView<Scalar> images) {
  const Shape s = images.shape();
  DISTILL_CHECK(!images.empty() && s.size() > 0,
                "ChannelNormalization::fit: no pixels in images " << s);
  const Index planes = s.n * s.c, plane = s.plane();
  // One double sum per (sample, channel) plane, then a fixed-order reduction over samples: the
  // result does not depend on the thread count, and the deviation is taken around the mean
  // (two passes) rather than from E[x²] − E[x]², which cancels.
  Eigen::ArrayXd sums(planes);
  parallel_for(
      planes,
      [&](Index p) {
        sums[p] = Eigen::Map<const Eigen::Array<Scalar, Eigen::Dynamic, 1>>(
                      images.data() + p * plane, plane)
                      .template cast<double>()
                      .sum();
      },
      plane);
  const double count = double(s.n) * double(plane);
  ChannelNormalization out;
  out.mean.assign(static_cast<std::size_t>(s.c), 0.0);
  out.stddev.assign(static_cast<std::size_t>(s.c), 0.0);
  for (Index n = 0; n < s.n; ++n)
    for (Index c = 0; c < s.c; ++c) out.mean[c] += sums[n * s.c + c];
  for (double& m : out.mean) m /= count;
  parallel_for(
      planes,
      [&](Index p) {
        const double m = out.mean[static_cast<std::size_t>(p % s.c)];
        sums[p] = (Eigen::Map<const Eigen::Array<Scalar, Eigen::Dynamic, 1>>(
                       images.data() + p * plane, plane)
                       .template cast<double>() -
                   m)
                      .square()
                      .sum();
      },
      2 * plane);
  for (Index n = 0; n < s.n; ++n)
    for (Index c = 0; c < s.c; ++c) out.stddev[c] += sums[n * s.c + c];
  for (double& v : out.stddev) v = std::sqrt(v / count);
  return out;
}

template <class Scalar, class Op>
void ChannelNormalization::for_each_plane(MutableView<Scalar> images, const char* what, Op op) const {
  validate(images.shape(), what);
  const Shape s = images.shape();
  const Index plane = s.plane();
  parallel_for(
      s.n * s.c,
      [&](Index p) {
        Eigen::Map<Eigen::Array<Scalar, Eigen::Dynamic, 1>> x(images.data() + p * plane, plane);
        op(x, static_cast<std::size_t>(p % s.c));
      },
      plane);
}

template <class Scalar>
void ChannelNormalization::apply(MutableView<Scalar> images) const {
  for_each_plane(images, "ChannelNormalization::apply", [this](auto& x, std::size_t c) {
    x = (x - Scalar(mean[c])) * Scalar(1.0 / stddev[c]);
  });
}

template <class Scalar>
void ChannelNormalization::invert(MutableView<Scalar> images) const {
  for_each_plane(images, "ChannelNormalization::invert",
                 [this](auto& x, std::size_t c) { x = x * Scalar(stddev[c]) + Scalar(mean[c]); });
}

}  // namespace distill

#endif  // DISTILL_DATA_PREPROCESS_HPP
