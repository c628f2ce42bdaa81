#ifndef DISTILL_LOSSES_CROSS_ENTROPY_HPP
#define DISTILL_LOSSES_CROSS_ENTROPY_HPP

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "distill/backend/cpu/backend.hpp"
#include "distill/core/tensor.hpp"
#include "distill/losses/cross_entropy_kernels.hpp"

namespace distill {

/// Softmax cross-entropy averaged over the batch, ℓ = −(1/B)·Σ_b Σ_k p_bk·log s_bk with
/// s = softmax(z), against hard labels (p one-hot) or soft labels given as logits u (p =
/// softmax(u), learned in DATM). Four passes (docs/design.md §2), with l̇s = ż − ⟨s, ż⟩:
///   backward          gz = (s − p)/B;   gu = −(1/B)·p ⊙ (log s − ⟨p, log s⟩)
///   tangent           ℓ̇ = ⟨gz, ż⟩ + ⟨gu, u̇⟩
///   backward_tangent  ṡ = s ⊙ l̇s, ṗ = p ⊙ (u̇ − ⟨p, u̇⟩); ġz = (ṡ − ṗ)/B;
///                     ġu = −(1/B)·[ṗ ⊙ (log s − ⟨p, log s⟩) + p ⊙ (l̇s − ⟨ṗ, log s⟩ − ⟨p, l̇s⟩)]
/// label_mixed_product gives ∂/∂u ⟨∇θℓ, v⟩ = −(1/B)·p ⊙ (ż − ⟨p, ż⟩) for ż = J·v, which the
/// unrolled reverse sweep needs for learned labels. Logits are [B, K, 1, 1] views.
template <class Scalar, class Backend = cpu::Backend>
class CrossEntropy {
  using Space = typename Backend::memory_space;
  using Probabilities = Tensor<double, Space>;

 public:
  using View = ConstView<Scalar, Space>;
  using MutView = MutableView<Scalar, Space>;

  /// Hard labels in [0, K).
  Scalar forward(View logits, const std::vector<int>& labels) {
    const Index b = logits.shape().n, k = logits.shape().sample_size();
    DISTILL_CHECK(static_cast<Index>(labels.size()) == b,
                  "CrossEntropy::forward: " << labels.size() << " labels for a batch of " << b);
    for (Index i = 0; i < b; ++i)
      DISTILL_CHECK(labels[i] >= 0 && labels[i] < k,
                    "CrossEntropy::forward: label " << labels[i] << " of sample " << i
                                                    << " is outside [0, " << k << ")");
    labels_.reserve(static_cast<std::size_t>(std::max<Index>(b, 1)));
    Backend::copy_from_host(b, labels.data(), labels_.data());
    raw_.resize(Shape(1, 1));
    evaluate_hard(logits, labels_.data(), raw_.data(), "CrossEntropy::forward");
    return downloaded_loss();
  }
  /// Soft labels as logits u, [B, K, 1, 1].
  Scalar forward(View logits, View label_logits) {
    raw_.resize(Shape(1, 1));
    evaluate_soft(logits, label_logits, raw_.data(), "CrossEntropy::forward");
    return downloaded_loss();
  }

  /// forward without the wait: hard labels already in the backend's memory (in [0, K); the
  /// caller checks them on the host), the loss's raw sum Σ p·log s written to raw_loss there.
  /// The loss is loss_from(raw, B). A loop of steps keeps its losses on the device this way.
  void evaluate(View logits, const int* labels, double* raw_loss) {
    evaluate_hard(logits, labels, raw_loss, "CrossEntropy::evaluate");
  }
  /// evaluate with soft labels as logits u, [B, K, 1, 1].
  void evaluate(View logits, View label_logits, double* raw_loss) {
    evaluate_soft(logits, label_logits, raw_loss, "CrossEntropy::evaluate");
  }
  /// The loss −(1/B)·Σ p·log s from evaluate's raw sum.
  static Scalar loss_from(double raw, Index batch) { return static_cast<Scalar>(-raw / double(batch)); }

  Scalar tangent(View logits_dot, View label_logits_dot = {}) const {
    check(logits_dot, "CrossEntropy::tangent logits tangent");
    const Index n = b_ * k_;
    double t = Backend::sum(n, detail::CeLogitTangentTerm<Scalar>{s_.data(), p_.data(), logits_dot.data()});
    if (soft_ && !label_logits_dot.empty()) {
      check(label_logits_dot, "CrossEntropy::tangent label tangent");
      t = Backend::sum(n, detail::CeLabelTangentTerm<Scalar>{k_, p_.data(), log_s_.data(), label_logits_dot.data()},
                       t);
    }
    return static_cast<Scalar>(t / double(b_));
  }

  void backward(MutView g_logits, MutView g_label_logits = {}) const {
    check(g_logits, "CrossEntropy::backward logits gradient");
    Backend::for_each(b_ * k_, detail::CeLogitGradient<Scalar>{b_, s_.data(), p_.data(), g_logits.data()});
    if (g_label_logits.empty()) return;
    check(g_label_logits, "CrossEntropy::backward label gradient");
    if (!soft_) return Backend::fill(g_label_logits.size(), Scalar(0), g_label_logits.data());
    Backend::for_each(b_, detail::CeLabelGradientRow<Scalar>{b_, k_, p_.data(), log_s_.data(), g_label_logits.data()},
                      4 * k_);
  }

  void backward_tangent(View logits_dot, View label_logits_dot, MutView g_logits_dot,
                        MutView g_label_logits_dot = {}) const {
    check(logits_dot, "CrossEntropy::backward_tangent logits tangent");
    check(g_logits_dot, "CrossEntropy::backward_tangent logits gradient tangent");
    const bool has_u_dot = soft_ && !label_logits_dot.empty();
    if (has_u_dot) check(label_logits_dot, "CrossEntropy::backward_tangent label tangent");
    if (!g_label_logits_dot.empty())
      check(g_label_logits_dot, "CrossEntropy::backward_tangent label gradient tangent");
    scratch_a_.resize(shape_);
    scratch_b_.resize(shape_);
    Backend::for_each(b_,
                      detail::CeBackwardTangentRow<Scalar>{b_, k_, soft_, s_.data(), p_.data(), log_s_.data(),
                                                           logits_dot.data(),
                                                           has_u_dot ? label_logits_dot.data() : nullptr,
                                                           scratch_a_.data(), scratch_b_.data(),
                                                           g_logits_dot.data(), g_label_logits_dot.data()},
                      8 * k_);
  }

  /// h_u = ∂/∂u ⟨∇θℓ, v⟩ = −(1/B)·p ⊙ (ż − ⟨p, ż⟩), with ż the logits tangent for θ̇ = v.
  void label_mixed_product(View logits_dot, MutView h_u) const {
    check(logits_dot, "CrossEntropy::label_mixed_product logits tangent");
    check(h_u, "CrossEntropy::label_mixed_product output");
    Backend::for_each(b_, detail::CeLabelMixedRow<Scalar>{b_, k_, soft_, p_.data(), logits_dot.data(), h_u.data()},
                      4 * k_);
  }

  /// Softmax of the last forward's logits, row-major [B, K].
  const Probabilities& probabilities() const { return s_; }
  /// Target distribution p of the last forward, row-major [B, K].
  const Probabilities& targets() const { return p_; }

 private:
  void start(View logits, const char* what) {
    b_ = logits.shape().n;
    k_ = logits.shape().sample_size();
    shape_ = logits.shape();
    DISTILL_CHECK(b_ > 0 && k_ > 0, what << ": empty logits " << logits.shape());
    s_.resize(shape_);
    log_s_.resize(shape_);
    Backend::for_each(b_, detail::CeSoftmaxRow<Scalar>{k_, logits.data(), s_.data(), log_s_.data()}, 4 * k_);
  }
  void evaluate_hard(View logits, const int* labels, double* raw_loss, const char* what) {
    start(logits, what);
    soft_ = false;
    p_.resize(shape_);
    Backend::for_each(b_, detail::CeOneHotRow{k_, labels, p_.data()}, k_);
    Backend::sum_to(b_ * k_, detail::CeLossTerm{p_.data(), log_s_.data()}, raw_loss);
  }
  void evaluate_soft(View logits, View label_logits, double* raw_loss, const char* what) {
    start(logits, what);
    check_shape(logits.shape(), label_logits.shape(), (std::string(what) + " label logits").c_str());
    soft_ = true;
    p_.resize(shape_);
    Backend::for_each(b_, detail::CeSoftmaxRow<Scalar>{k_, label_logits.data(), p_.data(), nullptr}, 4 * k_);
    Backend::sum_to(b_ * k_, detail::CeLossTerm{p_.data(), log_s_.data()}, raw_loss);
  }
  Scalar downloaded_loss() const {
    double raw = 0;
    Backend::copy_to_host(1, raw_.data(), &raw);
    return loss_from(raw, b_);
  }
  template <class V>
  void check(const V& v, const char* what) const {
    DISTILL_CHECK(s_.size() > 0, what << ": call forward first");
    check_shape(shape_, v.shape(), what);
  }

  Index b_ = 0, k_ = 0;
  Shape shape_{};
  bool soft_ = false;
  Probabilities s_, log_s_, p_, raw_;
  detail::Buffer<int, Space> labels_;
  mutable Probabilities scratch_a_, scratch_b_;
};

/// Fraction of rows whose arg-max logit is the label.
template <class Scalar>
double accuracy(ConstView<Scalar> logits, const std::vector<int>& labels) {
  const Index b = logits.shape().n, k = logits.shape().sample_size();
  DISTILL_CHECK(static_cast<Index>(labels.size()) == b,
                "accuracy: " << labels.size() << " labels for " << b << " rows of logits");
  Index correct = 0;
  for (Index r = 0; r < b; ++r) {
    const Scalar* row = logits.data() + r * k;
    if (std::max_element(row, row + k) - row == labels[r]) ++correct;
  }
  return b ? double(correct) / double(b) : 0.0;
}

}  // namespace distill

#endif  // DISTILL_LOSSES_CROSS_ENTROPY_HPP
