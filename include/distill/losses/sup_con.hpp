#ifndef DISTILL_LOSSES_SUP_CON_HPP
#define DISTILL_LOSSES_SUP_CON_HPP

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "distill/backend/cpu/backend.hpp"
#include "distill/core/tensor.hpp"
#include "distill/losses/sup_con_kernels.hpp"

namespace distill {

inline Contrast parse_contrast(const std::string& s) {
  DISTILL_CHECK(s == "supcon" || s == "ntxent", "contrast '" << s << "': expected supcon or ntxent");
  return s == "supcon" ? Contrast::kSupCon : Contrast::kNtXent;
}

/// SupCon / NT-Xent on embeddings. Rows are V views of B samples, row v·B + b is view v of
/// sample b. Each row is L2-normalised (z = e/‖e‖), S = Z·Zᵀ/τ, and for every anchor i with at
/// least one positive, ℓ_i = −(1/|P_i|)·Σ_{p∈P_i} log softmax_{j≠i}(S_i)_p; the loss is the mean
/// over those anchors (N_a of them). With G = ∂L/∂S (G_ij = (softmax_ij − [j∈P_i]/|P_i|)/N_a):
///   backward          gZ = (G + Gᵀ)·Z/τ;  ge_i = (gZ_i − z_i⟨z_i, gZ_i⟩)/‖e_i‖
///   tangent           ż_i = (ė_i − z_i⟨z_i, ė_i⟩)/‖e_i‖;  Ṡ = (ŻZᵀ + ZŻᵀ)/τ;  L̇ = ⟨G, Ṡ⟩
///   backward_tangent  Ġ_ij = softmax_ij·(Ṡ_ij − Σ_k softmax_ik Ṡ_ik)/N_a;
///                     ġZ = ((Ġ + Ġᵀ)·Z + (G + Gᵀ)·Ż)/τ;
///                     ġe_i = (ġZ_i − ż_i⟨z_i, gZ_i⟩ − z_i(⟨ż_i, gZ_i⟩ + ⟨z_i, ġZ_i⟩))/‖e_i‖
///                            − ge_i·⟨z_i, ė_i⟩/‖e_i‖
/// Embeddings are [N, D, ...] views (D = C·H·W features per row).
template <class Scalar, class Backend = cpu::Backend>
class ContrastiveLoss {
  using Space = typename Backend::memory_space;
  using Matrix = Tensor<double, Space>;  // row-major [rows, cols] as Shape(rows, cols)

 public:
  using View = ConstView<Scalar, Space>;
  using MutView = MutableView<Scalar, Space>;

  explicit ContrastiveLoss(Contrast kind = Contrast::kSupCon, double temperature = 0.1,
                           Index views = 2)
      : kind_(kind), tau_(temperature), views_(views) {
    DISTILL_CHECK(temperature > 0, "ContrastiveLoss: temperature must be positive, got " << temperature);
    DISTILL_CHECK(views > 0, "ContrastiveLoss: views must be positive, got " << views);
  }
  Contrast kind() const { return kind_; }
  double temperature() const { return tau_; }
  Index views() const { return views_; }

  /// labels: one per sample (B) or one per row (N = V·B).
  Scalar forward(View embeddings, const std::vector<int>& labels);
  /// forward without the wait: `label_count` labels already in the backend's memory, `anchors`
  /// counted on the host by contrastive_anchors (nothing is read back to find them); writes the
  /// loss's raw sum Σ_i ℓ_i to out[0] and the number of zero embedding rows (which have no
  /// direction; forward refuses them, a caller of evaluate checks out[1]) to out[1], both in the
  /// backend's memory. The loss is out[0]/anchors.
  void evaluate(View embeddings, const int* labels, Index label_count, Index anchors, double* out);
  Scalar tangent(View embeddings_dot) const;
  void backward(MutView g_embeddings) const;
  void backward_tangent(View embeddings_dot, MutView g_embeddings_dot) const;

  /// Anchors with at least one positive in the last forward pass.
  Index anchors() const { return anchors_; }

 private:
  void check(const Shape& s, const char* what) const {
    DISTILL_CHECK(n_ > 0, what << ": call forward first");
    check_shape(shape_, s, what);
  }
  /// ż (and ṙ = ⟨z, ė⟩) into z_dot_, r_dot_; Ṡ into s_dot_.
  void tangent_similarities(View e_dot) const {
    z_dot_.resize(Shape(n_, d_));
    r_dot_.resize(Shape(n_, 1));
    Backend::for_each(n_, detail::ConTangentRow<Scalar>{d_, z_.data(), norm_.data(), e_dot.data(), z_dot_.data(),
                                                        r_dot_.data()},
                      4 * d_);
    s_dot_.resize(Shape(n_, n_));
    Backend::gemm(Op::T, Op::N, n_, n_, d_, 1.0 / tau_, z_dot_.data(), d_, z_.data(), d_, 0.0, s_dot_.data(), n_);
    Backend::gemm(Op::T, Op::N, n_, n_, d_, 1.0 / tau_, z_.data(), d_, z_dot_.data(), d_, 1.0, s_dot_.data(), n_);
  }
  /// gZ = (G + Gᵀ)·Z/τ into gz_ (and G + Gᵀ into g_sym_).
  void gradient_z() const {
    g_sym_.resize(Shape(n_, n_));
    Backend::for_each(n_ * n_, detail::ConSymmetrize{n_, 1.0, g_.data(), g_sym_.data()});
    gz_.resize(Shape(n_, d_));
    Backend::gemm(Op::N, Op::N, d_, n_, n_, 1.0 / tau_, z_.data(), d_, g_sym_.data(), n_, 0.0, gz_.data(), d_);
  }

  Contrast kind_;
  double tau_;
  Index views_;
  Shape shape_{};
  Index n_ = 0, d_ = 0, anchors_ = 0;
  Matrix z_, norm_, s_, softmax_, g_, anchor_, row_loss_, result_;
  detail::Buffer<int, Space> labels_;
  mutable Matrix z_dot_, r_dot_, s_dot_, g_dot_, g_sym_, g_dot_sym_, gz_, gz_dot_;
};


/// The anchors of ContrastiveLoss on `rows` rows of `views` views (rows with at least one
/// positive: another view of the same sample for NT-Xent, another row with the same label for
/// SupCon), from the host labels (one per sample or one per row). Throws when there are none.
inline Index contrastive_anchors(Contrast kind, const std::vector<int>& labels, Index rows, Index views) {
  const Index batch = rows / views, nl = static_cast<Index>(labels.size());
  DISTILL_CHECK(kind == Contrast::kNtXent || nl == batch || nl == rows,
                "ContrastiveLoss: " << nl << " labels for " << batch << " samples in " << views << " views");
  Index anchors = 0;
  if (kind == Contrast::kNtXent) {
    anchors = views > 1 ? rows : 0;
  } else {
    const auto label = [&](Index i) { return nl == rows ? labels[i] : labels[i % batch]; };
    std::vector<int> sorted(static_cast<std::size_t>(rows));
    for (Index i = 0; i < rows; ++i) sorted[i] = label(i);
    std::sort(sorted.begin(), sorted.end());
    for (Index i = 0; i < rows; ++i) {
      const auto range = std::equal_range(sorted.begin(), sorted.end(), label(i));
      if (range.second - range.first > 1) ++anchors;
    }
  }
  DISTILL_CHECK(anchors > 0, "ContrastiveLoss: no anchor has a positive pair (need "
                                 << (kind == Contrast::kNtXent ? "two or more views" : "two rows with the same label")
                                 << ")");
  return anchors;
}

template <class Scalar, class Backend>
Scalar ContrastiveLoss<Scalar, Backend>::forward(View embeddings, const std::vector<int>& labels) {
  const Shape s = embeddings.shape();
  DISTILL_CHECK(s.n > 0 && s.sample_size() > 0, "ContrastiveLoss::forward: empty embeddings " << s);
  DISTILL_CHECK(s.n % views_ == 0, "ContrastiveLoss::forward: " << s.n << " rows are not " << views_
                                                                << " views of equal batches");
  const Index anchors = contrastive_anchors(kind_, labels, s.n, views_);
  labels_.reserve(std::max<std::size_t>(1, labels.size()));
  Backend::copy_from_host(Index(labels.size()), labels.data(), labels_.data());
  result_.resize(Shape(2, 1));
  evaluate(embeddings, labels_.data(), Index(labels.size()), anchors, result_.data());
  double out[2] = {0, 0};
  Backend::copy_to_host(2, result_.data(), out);
  DISTILL_CHECK(out[1] == 0, "ContrastiveLoss::forward: " << out[1] << " embedding rows are zero");
  return static_cast<Scalar>(out[0] / double(anchors_));
}

template <class Scalar, class Backend>
void ContrastiveLoss<Scalar, Backend>::evaluate(View embeddings, const int* labels, Index label_count,
                                                Index anchors, double* out) {
  shape_ = embeddings.shape();
  n_ = shape_.n;
  d_ = shape_.sample_size();
  DISTILL_CHECK(n_ > 0 && d_ > 0, "ContrastiveLoss::evaluate: empty embeddings " << shape_);
  DISTILL_CHECK(n_ % views_ == 0, "ContrastiveLoss::evaluate: " << n_ << " rows are not "
                                                                << views_ << " views of equal batches");
  DISTILL_CHECK(anchors > 0 && anchors <= n_, "ContrastiveLoss::evaluate: " << anchors << " anchors for "
                                                                            << n_ << " rows");
  const Index b = n_ / views_;
  anchors_ = anchors;
  z_.resize(Shape(n_, d_));
  norm_.resize(Shape(n_, 1));
  Backend::for_each(n_, detail::ConNormalizeRow<Scalar>{d_, embeddings.data(), z_.data(), norm_.data()}, 4 * d_);
  Backend::sum_to(n_, detail::ConZeroRow{norm_.data()}, out + 1);
  s_.resize(Shape(n_, n_));
  Backend::gemm(Op::T, Op::N, n_, n_, d_, 1.0 / tau_, z_.data(), d_, z_.data(), d_, 0.0, s_.data(), n_);
  softmax_.resize(Shape(n_, n_));
  g_.resize(Shape(n_, n_));
  anchor_.resize(Shape(n_, 1));
  row_loss_.resize(Shape(n_, 1));
  Backend::for_each(n_,
                    detail::ConAnchorRow{n_, b, label_count, kind_, labels, s_.data(), softmax_.data(), g_.data(),
                                         anchor_.data(), row_loss_.data()},
                    8 * n_);
  Backend::for_each(n_ * n_, detail::ConDivide{double(anchors_), g_.data()});
  Backend::sum_to(n_, detail::ConElement{row_loss_.data()}, out);
}

template <class Scalar, class Backend>
Scalar ContrastiveLoss<Scalar, Backend>::tangent(View embeddings_dot) const {
  check(embeddings_dot.shape(), "ContrastiveLoss::tangent");
  tangent_similarities(embeddings_dot);
  return static_cast<Scalar>(Backend::sum(n_ * n_, detail::ConProductTerm{g_.data(), s_dot_.data()}));
}

template <class Scalar, class Backend>
void ContrastiveLoss<Scalar, Backend>::backward(MutView g_embeddings) const {
  DISTILL_CHECK(n_ > 0, "ContrastiveLoss::backward: call forward first");
  check_shape(shape_, g_embeddings.shape(), "ContrastiveLoss::backward gradient");
  gradient_z();
  Backend::for_each(n_, detail::ConEmbeddingGradientRow<Scalar>{d_, z_.data(), norm_.data(), gz_.data(),
                                                                g_embeddings.data()},
                    4 * d_);
}

template <class Scalar, class Backend>
void ContrastiveLoss<Scalar, Backend>::backward_tangent(View embeddings_dot, MutView g_embeddings_dot) const {
  check(embeddings_dot.shape(), "ContrastiveLoss::backward_tangent");
  check_shape(shape_, g_embeddings_dot.shape(), "ContrastiveLoss::backward_tangent output");
  tangent_similarities(embeddings_dot);
  g_dot_.resize(Shape(n_, n_));
  Backend::for_each(n_,
                    detail::ConGradientTangentRow{n_, 1.0 / double(anchors_), anchor_.data(), softmax_.data(),
                                                  s_dot_.data(), g_dot_.data()},
                    4 * n_);
  gradient_z();
  g_dot_sym_.resize(Shape(n_, n_));
  Backend::for_each(n_ * n_, detail::ConSymmetrize{n_, 1.0, g_dot_.data(), g_dot_sym_.data()});
  gz_dot_.resize(Shape(n_, d_));
  Backend::gemm(Op::N, Op::N, d_, n_, n_, 1.0 / tau_, z_.data(), d_, g_dot_sym_.data(), n_, 0.0, gz_dot_.data(), d_);
  Backend::gemm(Op::N, Op::N, d_, n_, n_, 1.0 / tau_, z_dot_.data(), d_, g_sym_.data(), n_, 1.0, gz_dot_.data(), d_);
  Backend::for_each(n_,
                    detail::ConEmbeddingGradientTangentRow<Scalar>{d_, z_.data(), z_dot_.data(), norm_.data(),
                                                                   r_dot_.data(), gz_.data(), gz_dot_.data(),
                                                                   g_embeddings_dot.data()},
                    6 * d_);
}

}  // namespace distill

#endif  // DISTILL_LOSSES_SUP_CON_HPP
