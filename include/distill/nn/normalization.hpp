#ifndef DISTILL_NN_NORMALIZATION_HPP
#define DISTILL_NN_NORMALIZATION_HPP

#include <cmath>

#include "distill/backend/cpu/backend.hpp"
#include "distill/core/tensor.hpp"
#include "distill/nn/normalization_kernels.hpp"

namespace distill {

/// Per-channel affine normalisation, y = γ·(x − μ)/σ + β with σ = √(var + ε), statistics over
/// each group. The four passes follow docs/design.md §2 (m = elements per group, means over a
/// group):
///   tangent           σ̇ = mean(x̂·ẋ);  x̂̇ = (ẋ − mean ẋ − x̂·σ̇)/σ;  ẏ = γ̇x̂ + γx̂̇ + β̇
///   backward          gγ = Σ gy·x̂;  gβ = Σ gy;  a = γ·gy;  gx = (a − mean a − x̂·mean(a·x̂))/σ
///   backward_tangent  ȧ = γ̇·gy + γ·ġy;  ġγ = Σ(ġy·x̂ + gy·x̂̇);  ġβ = Σ ġy;
///                     ġx = (ȧ − mean ȧ − x̂̇·mean(a·x̂) − x̂·mean(ȧ·x̂ + a·x̂̇))/σ − gx·σ̇/σ
/// The cache keeps only per-group scalars (μ, σ, and after a tangent pass mean ẋ and σ̇);
/// x̂ and x̂̇ are recomputed from x and ẋ, which the caller keeps anyway.
/// Parameters: γ [C] then β [C].
template <class Scalar, class Backend = cpu::Backend>
class Normalization {
  using Space = typename Backend::memory_space;
  using Stats = Tensor<double, Space>;

 public:
  using View = ConstView<Scalar, Space>;
  using MutView = MutableView<Scalar, Space>;

  Normalization() = default;
  Normalization(Index channels, NormGroups groups, double eps = 1e-5)
      : channels_(channels), groups_(groups), eps_(eps) {}

  Index channels() const { return channels_; }
  Index param_count() const { return 2 * channels_; }
  NormGroups groups() const { return groups_; }
  Shape output_shape(const Shape& in) const { return in; }

  void forward(View x, const Scalar* w, MutView y);
  void tangent(View x, View x_dot, const Scalar* w, const Scalar* w_dot,
               MutView y_dot);
  void backward(View x, const Scalar* w, View gy, MutView gx,
                Scalar* gw);
  void backward_tangent(View x, View x_dot, const Scalar* w,
                        const Scalar* w_dot, View gy, View gy_dot,
                        MutView gx_dot, Scalar* gw_dot);

  /// Per-group mean and σ of the last forward pass (groups in (n, c) or c order).
  const Stats& mean() const { return mean_; }
  const Stats& sigma() const { return sigma_; }

  /// Batch norm keeps running statistics as PyTorch does (momentum 0.1, unbiased variance),
  /// updated by every training-mode forward. In inference mode (training == false) its
  /// forward normalises with them and the other passes are unavailable. Instance norm has no
  /// running statistics and behaves the same in both modes.
  void set_training(bool training) { training_ = training; }
  bool training() const { return training_; }
  const Stats& running_mean() const { return running_mean_; }
  const Stats& running_var() const { return running_var_; }
  void reset_running_stats() {
    running_mean_.resize(Shape(channels_, 1));
    running_var_.resize(Shape(channels_, 1));
    Backend::fill(channels_, 0.0, running_mean_.data());
    Backend::fill(channels_, 1.0, running_var_.data());
  }

 private:
  detail::NormLayout layout(const Shape& s) const { return {groups_, s, channels_}; }
  void check(const Shape& in, const char* what) const;
  /// out[c] = Σ of per_group over the groups of channel c (parameter gradients).
  void reduce_channels(const Shape& s, const Stats& per_group, Scalar* out) const {
    Backend::for_each(channels_, detail::NormReduceChannels<Scalar>{layout(s), per_group.data(), out});
  }
  void forward_inference(View x, const Scalar* w, MutView y) const;

  Index channels_ = 0;
  NormGroups groups_ = NormGroups::kInstance;
  double eps_ = 1e-5;
  bool training_ = true;
  Stats running_mean_, running_var_;
  Shape shape_{};
  Stats mean_, sigma_;            // forward cache
  Stats mean_x_dot_, sigma_dot_;  // tangent cache
  Stats partial_a_, partial_b_;   // per-group parameter-gradient partial sums
  bool has_forward_ = false, has_tangent_ = false;
};

/// GroupNorm with one group per channel (the "instancenorm" of the MTT ConvNet).
template <class Scalar, class Backend = cpu::Backend>
class InstanceNorm : public Normalization<Scalar, Backend> {
 public:
  InstanceNorm() = default;
  explicit InstanceNorm(Index channels, double eps = 1e-5)
      : Normalization<Scalar, Backend>(channels, NormGroups::kInstance, eps) {}
};

/// BatchNorm2d with training-mode batch statistics (biased variance, as PyTorch normalises).
template <class Scalar, class Backend = cpu::Backend>
class BatchNorm : public Normalization<Scalar, Backend> {
 public:
  BatchNorm() = default;
  explicit BatchNorm(Index channels, double eps = 1e-5)
      : Normalization<Scalar, Backend>(channels, NormGroups::kBatch, eps) {}
};

}  // namespace distill

#include "distill/nn/normalization_impl.hpp"

#endif  // DISTILL_NN_NORMALIZATION_HPP
