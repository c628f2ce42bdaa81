#ifndef DISTILL_AUGMENT_DSA_HPP
#define DISTILL_AUGMENT_DSA_HPP

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "distill/augment/dsa_ops.hpp"
#include "distill/core/parallel.hpp"
#include "distill/core/rng.hpp"
#include "distill/core/tensor.hpp"

namespace distill {

/// How the listed ops are used on each call.
enum class DsaMode {
  kSingle,  ///< reference aug_mode "S": one family drawn uniformly per call
  kAll      ///< reference aug_mode "M": every listed op, in list order
};

/// The reference name of an op ("color", "crop", "cutout", "flip", "scale", "rotate").
inline const char* dsa_op_name(DsaOp op);

/// Parses a reference strategy string such as "color_crop_cutout_flip_scale_rotate"; "" and
/// "none" give an empty list (no augmentation). Throws distill::error on an unknown name.
inline std::vector<DsaOp> dsa_ops_from_strategy(const std::string& strategy);

/// Hyperparameters of DSA; the defaults are the reference ParamDiffAug and the strategy
/// "color_crop_cutout_flip_scale_rotate" in mode "S".
struct DsaConfig {
  std::vector<DsaOp> ops = {DsaOp::kColor, DsaOp::kCrop,  DsaOp::kCutout,
                            DsaOp::kFlip,  DsaOp::kScale, DsaOp::kRotate};
  DsaMode mode = DsaMode::kSingle;
  double prob_flip = 0.5;         ///< flip when u < prob_flip
  double ratio_scale = 1.2;       ///< sx, sy ~ U(1/ratio, ratio)
  double ratio_rotate = 15.0;     ///< angle ~ U(−ratio, ratio) degrees
  double ratio_crop_pad = 0.125;  ///< shift bound int(size·ratio + 0.5) pixels
  double ratio_cutout = 0.5;      ///< cutout side int(size·ratio + 0.5) pixels
  double brightness = 1.0;        ///< shift (u − 0.5)·brightness
  double saturation = 2.0;        ///< factor u·saturation
  double contrast = 0.5;          ///< factor u + contrast
};

/// One stored draw: which ops run, in which order, and the per-sample parameters. Applying the
/// same draw again replays exactly the same transform. A shared draw ("Siamese", the reference
/// batchmode) holds one parameter set used by every sample, and applies to any batch size with
/// the channels, height and width it was drawn for.
struct DsaDraw {
  Shape shape{};  ///< the batch shape passed to Dsa::draw
  bool shared = false;
  std::vector<DsaOp> ops;                ///< applied in this order (empty: identity)
  Index cutout_h = 0, cutout_w = 0;      ///< cutout side lengths for this image size
  std::vector<DsaSampleParams> samples;  ///< one per sample, or one when shared
  /// A copy of `samples` in a backend's memory made by BatchDsa::stage (valid until that
  /// BatchDsa stages again), or null: BatchDsa then uploads `samples` with each pass.
  const DsaSampleParams* staged = nullptr;

  const DsaSampleParams& params(Index n) const { return samples[shared ? 0 : std::size_t(n)]; }
  /// Whether a batch of this shape can be transformed with this draw.
  bool fits(const Shape& s) const {
    return s.c == shape.c && s.h == shape.h && s.w == shape.w && (shared || s.n == shape.n);
  }
  bool operator==(const DsaDraw& o) const {
    return shape == o.shape && shared == o.shared && ops == o.ops && cutout_h == o.cutout_h &&
           cutout_w == o.cutout_w && samples == o.samples;
  }
  bool operator!=(const DsaDraw& o) const { return !(*this == o); }
};

namespace detail {
/// Whether an augmentation module can stage a vector of its draws (BatchDsa::stage).
template <class Augment, class Draws, class = void>
struct CanStage : std::false_type {};
template <class Augment, class Draws>
struct CanStage<Augment, Draws, std::void_t<decltype(std::declval<const Augment&>().stage(std::declval<Draws&>()))>>
    : std::true_type {};
}  // namespace detail

/// Differentiable Siamese Augmentation (Zhao & Bilen, "Dataset Condensation with
/// Differentiable Siamese Augmentation", ICML 2021), with the ops, parameter ranges and
/// sampling of the reference DSA code (DC/DSA/MTT utils.py, ops after DiffAugment, Zhao et al.
/// 2020). Every op is affine in the image for fixed random parameters, so the module offers
/// the passes of a linear layer: `forward` (y = A·x + b), `tangent` (ẏ = A·ẋ; the brightness
/// shift b drops out) and `backward` (gx = Aᵀ·gy).
///
/// Randomness is separated from the passes: `draw` turns (shape, seed) into a DsaDraw, which
/// all three passes take, so the forward and backward of one augmented step (or two batches
/// under one shared draw) see the same transform. Draws come from distill::Rng: the family
/// from stream 0 of the seed and sample i's parameters from stream i + 1, so a draw is a pure
/// function of (config, shape, seed, shared), independent of the thread count, and sample 0 of
/// a per-sample draw equals the parameters of the shared draw with the same seed.
///
/// Geometric ops follow PyTorch's affine_grid + grid_sample(bilinear, zeros,
/// align_corners=True): output pixel (h, w) has normalised coordinates (xₙ, yₙ) =
/// (linspace(−1, 1, W)[w], linspace(−1, 1, H)[h]) (0 for a size of 1), samples the input at
/// (gx, gy) = θ·(xₙ, yₙ, 1), i.e. pixel (ix, iy) = ((gx + 1)/2·(W − 1), (gy + 1)/2·(H − 1)), and
/// interpolates bilinearly with zero outside the image.
///
/// Passes parallelise over samples; they allocate nothing except, when a draw chains several
/// ops or x and y are the same memory, a per-thread buffer of two samples that is kept between
/// calls. Inputs and outputs may be the same tensor but must not partially overlap.
///
/// @tparam Scalar float or double.
template <class Scalar>
class Dsa {
 public:
  Dsa() : Dsa(DsaConfig{}) {}
  explicit Dsa(DsaConfig config);
  /// No ops: y = x (runs without augmentation).
  static Dsa identity() {
    DsaConfig none;
    none.ops.clear();
    return Dsa(std::move(none));
  }

  const DsaConfig& config() const { return config_; }
  /// No ops listed: every pass is y = x (callers may skip the copy, as for IdentityAugment).
  bool is_identity() const { return config_.ops.empty(); }

  /// Draws the op(s) and per-sample parameters for a batch [batch, channels, height, width].
  /// The same arguments always give the same draw. With `shared`, every sample gets the
  /// parameters of sample 0 and the draw applies to batches of any size.
  DsaDraw draw(Index batch, Index channels, Index height, Index width, std::uint64_t seed,
               bool shared = false) const;
  DsaDraw draw(const Shape& shape, std::uint64_t seed, bool shared = false) const {
    return draw(shape.n, shape.c, shape.h, shape.w, seed, shared);
  }

  /// y = A·x + b.
  void forward(const DsaDraw& draw, ConstView<Scalar> x, MutableView<Scalar> y) const;
  /// ẏ = A·ẋ; an empty ẋ stands for zero.
  void tangent(const DsaDraw& draw, ConstView<Scalar> x_dot, MutableView<Scalar> y_dot) const;
  /// gx = Aᵀ·gy (the vector–Jacobian product); an empty gy stands for zero.
  void backward(const DsaDraw& draw, ConstView<Scalar> gy, MutableView<Scalar> gx) const;

 private:
  enum class Pass { kForward, kTangent, kBackward };
  void run(Pass pass, const DsaDraw& draw, ConstView<Scalar> in, MutableView<Scalar> out,
           const char* what) const;

  DsaConfig config_;
};

}  // namespace distill

#include "distill/augment/dsa_impl.hpp"

#endif  // DISTILL_AUGMENT_DSA_HPP
