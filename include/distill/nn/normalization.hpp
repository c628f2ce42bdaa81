#ifndef DISTILL_NN_NORMALIZATION_HPP
#define DISTILL_NN_NORMALIZATION_HPP

#include <cmath>
#include <vector>

#include "distill/core/parallel.hpp"
#include "distill/core/tensor.hpp"

namespace distill {

/// Which elements are normalised together.
enum class NormGroups {
  kInstance,  ///< one group per (sample, channel): GroupNorm with one group per channel
  kBatch      ///< one group per channel over the whole batch: BatchNorm2d in training mode
};

/// Per-channel affine normalisation, y = γ·(x − μ)/σ + β with σ = √(var + ε), statistics over
/// each group. The four passes follow design §2 (m = elements per group, means over a group):
///   tangent           σ̇ = mean(x̂·ẋ);  x̂̇ = (ẋ − mean ẋ − x̂·σ̇)/σ;  ẏ = γ̇x̂ + γx̂̇ + β̇
///   backward          gγ = Σ gy·x̂;  gβ = Σ gy;  a = γ·gy;  gx = (a − mean a − x̂·mean(a·x̂))/σ
///   backward_tangent  ȧ = γ̇·gy + γ·ġy;  ġγ = Σ(ġy·x̂ + gy·x̂̇);  ġβ = Σ ġy;
///                     ġx = (ȧ − mean ȧ − x̂̇·mean(a·x̂) − x̂·mean(ȧ·x̂ + a·x̂̇))/σ − gx·σ̇/σ
/// The cache keeps only per-group scalars (μ, σ, and after a tangent pass mean ẋ and σ̇);
/// x̂ and x̂̇ are recomputed from x and ẋ, which the caller keeps anyway.
/// Parameters: γ [C] then β [C].
template <class Scalar>
class Normalization {
 public:
  Normalization() = default;
  Normalization(Index channels, NormGroups groups, double eps = 1e-5)
      : channels_(channels), groups_(groups), eps_(eps) {}

  Index channels() const { return channels_; }
  Index param_count() const { return 2 * channels_; }
  NormGroups groups() const { return groups_; }
  Shape output_shape(const Shape& in) const { return in; }

  void forward(ConstView<Scalar> x, const Scalar* w, MutableView<Scalar> y);
  void tangent(ConstView<Scalar> x, ConstView<Scalar> x_dot, const Scalar* w, const Scalar* w_dot,
               MutableView<Scalar> y_dot);
  void backward(ConstView<Scalar> x, const Scalar* w, ConstView<Scalar> gy, MutableView<Scalar> gx,
                Scalar* gw);
  void backward_tangent(ConstView<Scalar> x, ConstView<Scalar> x_dot, const Scalar* w,
                        const Scalar* w_dot, ConstView<Scalar> gy, ConstView<Scalar> gy_dot,
                        MutableView<Scalar> gx_dot, Scalar* gw_dot);

  /// Per-group mean and σ of the last forward pass (groups in (n, c) or c order).
  const std::vector<double>& mean() const { return mean_; }
  const std::vector<double>& sigma() const { return sigma_; }

  /// Batch norm keeps running statistics as PyTorch does (momentum 0.1, unbiased variance),
  /// updated by every training-mode forward. In inference mode (training == false) its
  /// forward normalises with them and the other passes are unavailable. Instance norm has no
  /// running statistics and behaves the same in both modes.
  void set_training(bool training) { training_ = training; }
  bool training() const { return training_; }
  const std::vector<double>& running_mean() const { return running_mean_; }
  const std::vector<double>& running_var() const { return running_var_; }
  void reset_running_stats() {
    running_mean_.assign(static_cast<std::size_t>(channels_), 0.0);
    running_var_.assign(static_cast<std::size_t>(channels_), 1.0);
  }

 private:
  Index group_count(const Shape& s) const { return groups_ == NormGroups::kInstance ? s.n * s.c : s.c; }
  Index channel_of(const Shape& s, Index g) const {
    return groups_ == NormGroups::kInstance ? g % s.c : g;
  }
  Index blocks(const Shape& s) const { return groups_ == NormGroups::kInstance ? 1 : s.n; }
  /// Offset of block b of group g; each block is one contiguous H×W plane.
  Index block_offset(const Shape& s, Index g, Index b) const {
    return groups_ == NormGroups::kInstance ? g * s.plane() : (b * s.c + g) * s.plane();
  }
  void check(const Shape& in, const char* what) const;
  void reduce_channels(const Shape& s, const std::vector<double>& per_group, Scalar* out) const;

  void forward_inference(ConstView<Scalar> x, const Scalar* w, MutableView<Scalar> y) const;
  void update_running_stats(const Shape& s);

  Index channels_ = 0;
  NormGroups groups_ = NormGroups::kInstance;
  double eps_ = 1e-5;
  bool training_ = true;
  std::vector<double> running_mean_, running_var_;
  Shape shape_{};
  std::vector<double> mean_, sigma_;          // forward cache
  std::vector<double> mean_x_dot_, sigma_dot_;  // tangent cache
  std::vector<double> partial_a_, partial_b_;   // per-group parameter-gradient partial sums
};

/// GroupNorm with one group per channel (the "instancenorm" of the MTT ConvNet).
template <class Scalar>
class InstanceNorm : public Normalization<Scalar> {
 public:
  InstanceNorm() = default;
  explicit InstanceNorm(Index channels, double eps = 1e-5)
      : Normalization<Scalar>(channels, NormGroups::kInstance, eps) {}
};

/// BatchNorm2d with training-mode batch statistics (biased variance, as PyTorch normalises).
template <class Scalar>
class BatchNorm : public Normalization<Scalar> {
 public:
  BatchNorm() = default;
  explicit BatchNorm(Index channels, double eps = 1e-5)
      : Normalization<Scalar>(channels, NormGroups::kBatch, eps) {}
};

}  // namespace distill

#include "distill/nn/normalization_impl.hpp"

#endif  // DISTILL_NN_NORMALIZATION_HPP
