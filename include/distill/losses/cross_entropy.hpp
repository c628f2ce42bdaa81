#ifndef DISTILL_LOSSES_CROSS_ENTROPY_HPP
#define DISTILL_LOSSES_CROSS_ENTROPY_HPP

#include <algorithm>
#include <cmath>
#include <vector>

#include "distill/core/tensor.hpp"

namespace distill {

/// Softmax cross-entropy averaged over the batch, ℓ = −(1/B)·Σ_b Σ_k p_bk·log s_bk with
/// s = softmax(z), against hard labels (p one-hot) or soft labels given as logits u (p =
/// softmax(u), learned in DATM). Four passes (design §2), with l̇s = ż − ⟨s, ż⟩:
///   backward          gz = (s − p)/B;   gu = −(1/B)·p ⊙ (log s − ⟨p, log s⟩)
///   tangent           ℓ̇ = ⟨gz, ż⟩ + ⟨gu, u̇⟩
///   backward_tangent  ṡ = s ⊙ l̇s, ṗ = p ⊙ (u̇ − ⟨p, u̇⟩); ġz = (ṡ − ṗ)/B;
///                     ġu = −(1/B)·[ṗ ⊙ (log s − ⟨p, log s⟩) + p ⊙ (l̇s − ⟨ṗ, log s⟩ − ⟨p, l̇s⟩)]
/// label_mixed_product gives ∂/∂u ⟨∇θℓ, v⟩ = −(1/B)·p ⊙ (ż − ⟨p, ż⟩) for ż = J·v, which the
/// unrolled reverse sweep needs for learned labels. Logits are [B, K, 1, 1] views.
template <class Scalar>
class CrossEntropy {
 public:
  /// Hard labels in [0, K).
  Scalar forward(ConstView<Scalar> logits, const std::vector<int>& labels) {
    start(logits, "CrossEntropy::forward");
    DISTILL_CHECK(static_cast<Index>(labels.size()) == b_,
                  "CrossEntropy::forward: " << labels.size() << " labels for a batch of " << b_);
    soft_ = false;
    p_.assign(static_cast<std::size_t>(b_ * k_), 0.0);
    for (Index i = 0; i < b_; ++i) {
      DISTILL_CHECK(labels[i] >= 0 && labels[i] < k_,
                    "CrossEntropy::forward: label " << labels[i] << " of sample " << i
                                                    << " is outside [0, " << k_ << ")");
      p_[i * k_ + labels[i]] = 1.0;
    }
    return finish();
  }
  /// Soft labels as logits u, [B, K, 1, 1].
  Scalar forward(ConstView<Scalar> logits, ConstView<Scalar> label_logits) {
    start(logits, "CrossEntropy::forward");
    check_shape(logits.shape(), label_logits.shape(), "CrossEntropy::forward label logits");
    soft_ = true;
    p_.resize(static_cast<std::size_t>(b_ * k_));
    softmax(label_logits.data(), p_.data(), nullptr);
    return finish();
  }

  Scalar tangent(ConstView<Scalar> logits_dot, ConstView<Scalar> label_logits_dot = {}) const {
    check(logits_dot, "CrossEntropy::tangent logits tangent");
    double t = 0;
    for (Index i = 0; i < b_ * k_; ++i) t += (s_[i] - p_[i]) * logits_dot[i];
    if (soft_ && !label_logits_dot.empty()) {
      check(label_logits_dot, "CrossEntropy::tangent label tangent");
      for (Index r = 0; r < b_; ++r) {
        const double c = centre(&p_[r * k_], &log_s_[r * k_]);
        for (Index j = 0; j < k_; ++j)
          t -= p_[r * k_ + j] * (log_s_[r * k_ + j] - c) * label_logits_dot[r * k_ + j];
      }
    }
    return static_cast<Scalar>(t / double(b_));
  }

  void backward(MutableView<Scalar> g_logits, MutableView<Scalar> g_label_logits = {}) const {
    check(g_logits, "CrossEntropy::backward logits gradient");
    for (Index i = 0; i < b_ * k_; ++i) g_logits[i] = static_cast<Scalar>((s_[i] - p_[i]) / b_);
    if (g_label_logits.empty()) return;
    check(g_label_logits, "CrossEntropy::backward label gradient");
    if (!soft_) return g_label_logits.vec().setZero(), void();
    for (Index r = 0; r < b_; ++r) {
      const double c = centre(&p_[r * k_], &log_s_[r * k_]);
      for (Index j = 0; j < k_; ++j)
        g_label_logits[r * k_ + j] =
            static_cast<Scalar>(-p_[r * k_ + j] * (log_s_[r * k_ + j] - c) / b_);
    }
  }

  void backward_tangent(ConstView<Scalar> logits_dot, ConstView<Scalar> label_logits_dot,
                        MutableView<Scalar> g_logits_dot,
                        MutableView<Scalar> g_label_logits_dot = {}) const {
    check(logits_dot, "CrossEntropy::backward_tangent logits tangent");
    check(g_logits_dot, "CrossEntropy::backward_tangent logits gradient tangent");
    const bool has_u_dot = soft_ && !label_logits_dot.empty();
    if (has_u_dot) check(label_logits_dot, "CrossEntropy::backward_tangent label tangent");
    if (!g_label_logits_dot.empty())
      check(g_label_logits_dot, "CrossEntropy::backward_tangent label gradient tangent");
    std::vector<double>& ls_dot = scratch_a_;
    std::vector<double>& p_dot = scratch_b_;
    ls_dot.resize(static_cast<std::size_t>(k_));
    p_dot.resize(static_cast<std::size_t>(k_));
    for (Index r = 0; r < b_; ++r) {
      const double* s = &s_[r * k_];
      const double* p = &p_[r * k_];
      const double* ls = &log_s_[r * k_];
      double s_zd = 0, p_ud = 0;
      for (Index j = 0; j < k_; ++j) {
        s_zd += s[j] * logits_dot[r * k_ + j];
        if (has_u_dot) p_ud += p[j] * label_logits_dot[r * k_ + j];
      }
      for (Index j = 0; j < k_; ++j) {
        ls_dot[j] = logits_dot[r * k_ + j] - s_zd;
        p_dot[j] = has_u_dot ? p[j] * (label_logits_dot[r * k_ + j] - p_ud) : 0.0;
        g_logits_dot[r * k_ + j] = static_cast<Scalar>((s[j] * ls_dot[j] - p_dot[j]) / b_);
      }
      if (g_label_logits_dot.empty()) continue;
      if (!soft_) {
        for (Index j = 0; j < k_; ++j) g_label_logits_dot[r * k_ + j] = 0;
        continue;
      }
      double c = 0, pd_ls = 0, p_lsd = 0;
      for (Index j = 0; j < k_; ++j) {
        c += p[j] * ls[j];
        pd_ls += p_dot[j] * ls[j];
        p_lsd += p[j] * ls_dot[j];
      }
      for (Index j = 0; j < k_; ++j)
        g_label_logits_dot[r * k_ + j] = static_cast<Scalar>(
            -(p_dot[j] * (ls[j] - c) + p[j] * (ls_dot[j] - pd_ls - p_lsd)) / b_);
    }
  }

  /// h_u = ∂/∂u ⟨∇θℓ, v⟩ = −(1/B)·p ⊙ (ż − ⟨p, ż⟩), with ż the logits tangent for θ̇ = v.
  void label_mixed_product(ConstView<Scalar> logits_dot, MutableView<Scalar> h_u) const {
    check(logits_dot, "CrossEntropy::label_mixed_product logits tangent");
    check(h_u, "CrossEntropy::label_mixed_product output");
    for (Index r = 0; r < b_; ++r) {
      double pz = 0;
      for (Index j = 0; j < k_; ++j) pz += p_[r * k_ + j] * logits_dot[r * k_ + j];
      for (Index j = 0; j < k_; ++j)
        h_u[r * k_ + j] =
            soft_ ? static_cast<Scalar>(-p_[r * k_ + j] * (logits_dot[r * k_ + j] - pz) / b_) : 0;
    }
  }

  /// Softmax of the last forward's logits, row-major [B, K].
  const std::vector<double>& probabilities() const { return s_; }
  /// Target distribution p of the last forward, row-major [B, K].
  const std::vector<double>& targets() const { return p_; }

 private:
  void start(ConstView<Scalar> logits, const char* what) {
    b_ = logits.shape().n;
    k_ = logits.shape().sample_size();
    shape_ = logits.shape();
    DISTILL_CHECK(b_ > 0 && k_ > 0, what << ": empty logits " << logits.shape());
    s_.resize(static_cast<std::size_t>(b_ * k_));
    log_s_.resize(static_cast<std::size_t>(b_ * k_));
    softmax(logits.data(), s_.data(), log_s_.data());
  }
  Scalar finish() const {
    double loss = 0;
    for (Index i = 0; i < b_ * k_; ++i)
      if (p_[i] != 0) loss -= p_[i] * log_s_[i];
    return static_cast<Scalar>(loss / double(b_));
  }
  void softmax(const Scalar* z, double* s, double* log_s) const {
    for (Index r = 0; r < b_; ++r) {
      const Scalar* row = z + r * k_;
      const double m = *std::max_element(row, row + k_);
      double sum = 0;
      for (Index j = 0; j < k_; ++j) sum += std::exp(row[j] - m);
      const double lse = m + std::log(sum);
      for (Index j = 0; j < k_; ++j) {
        s[r * k_ + j] = std::exp(row[j] - lse);
        if (log_s) log_s[r * k_ + j] = row[j] - lse;
      }
    }
  }
  double centre(const double* p, const double* ls) const {
    double c = 0;
    for (Index j = 0; j < k_; ++j) c += p[j] * ls[j];
    return c;
  }
  template <class View>
  void check(const View& v, const char* what) const {
    DISTILL_CHECK(!s_.empty(), what << ": call forward first");
    check_shape(shape_, v.shape(), what);
  }

  Index b_ = 0, k_ = 0;
  Shape shape_{};
  bool soft_ = false;
  std::vector<double> s_, log_s_, p_;
  mutable std::vector<double> scratch_a_, scratch_b_;
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
