#ifndef DISTILL_LOSSES_SUP_CON_HPP
#define DISTILL_LOSSES_SUP_CON_HPP

#include <cmath>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "distill/core/tensor.hpp"

namespace distill {

/// Which pairs count as positives in a contrastive loss.
enum class Contrast {
  kSupCon,  ///< same label, any view, except the anchor itself (Khosla et al. 2020)
  kNtXent   ///< the other views of the same sample only (SimCLR, Chen et al. 2020)
};

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
template <class Scalar>
class ContrastiveLoss {
 public:
  using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic>;

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
  Scalar forward(ConstView<Scalar> embeddings, const std::vector<int>& labels);
  Scalar tangent(ConstView<Scalar> embeddings_dot) const;
  void backward(MutableView<Scalar> g_embeddings) const;
  void backward_tangent(ConstView<Scalar> embeddings_dot, MutableView<Scalar> g_embeddings_dot) const;

  /// Anchors with at least one positive in the last forward pass.
  Index anchors() const { return anchors_; }

 private:
  Mat load(ConstView<Scalar> v, const char* what) const {
    DISTILL_CHECK(n_ > 0, what << ": call forward first");
    check_shape(shape_, v.shape(), what);
    Mat m(n_, d_);
    for (Index i = 0; i < n_; ++i)
      for (Index k = 0; k < d_; ++k) m(i, k) = v[i * d_ + k];
    return m;
  }
  Mat tangent_z(const Mat& e_dot) const {
    Mat zd(n_, d_);
    for (Index i = 0; i < n_; ++i) {
      const double proj = z_.row(i).dot(e_dot.row(i));
      zd.row(i) = (e_dot.row(i) - proj * z_.row(i)) / norm_[i];
    }
    return zd;
  }
  Mat grad_z() const { return (g_ + g_.transpose()) * z_ / tau_; }

  Contrast kind_;
  double tau_;
  Index views_;
  Shape shape_{};
  Index n_ = 0, d_ = 0, anchors_ = 0;
  Mat z_, softmax_, g_;
  std::vector<double> norm_;
  std::vector<char> anchor_;
};

template <class Scalar>
Scalar ContrastiveLoss<Scalar>::forward(ConstView<Scalar> embeddings, const std::vector<int>& labels) {
  shape_ = embeddings.shape();
  n_ = shape_.n;
  d_ = shape_.sample_size();
  DISTILL_CHECK(n_ > 0 && d_ > 0, "ContrastiveLoss::forward: empty embeddings " << shape_);
  DISTILL_CHECK(n_ % views_ == 0, "ContrastiveLoss::forward: " << n_ << " rows are not "
                                                               << views_ << " views of equal batches");
  const Index b = n_ / views_;
  const Index nl = static_cast<Index>(labels.size());
  DISTILL_CHECK(kind_ == Contrast::kNtXent || nl == b || nl == n_,
                "ContrastiveLoss::forward: " << nl << " labels for " << b << " samples in " << views_
                                             << " views");
  auto label = [&](Index i) { return nl == n_ ? labels[i] : labels[i % b]; };
  auto positive = [&](Index i, Index j) {
    if (i == j) return false;
    return kind_ == Contrast::kNtXent ? (i % b == j % b) : (label(i) == label(j));
  };

  z_.resize(n_, d_);
  norm_.assign(static_cast<std::size_t>(n_), 0.0);
  for (Index i = 0; i < n_; ++i) {
    double ss = 0;
    for (Index k = 0; k < d_; ++k) ss += double(embeddings[i * d_ + k]) * embeddings[i * d_ + k];
    DISTILL_CHECK(ss > 0, "ContrastiveLoss::forward: embedding row " << i << " is zero");
    norm_[i] = std::sqrt(ss);
    for (Index k = 0; k < d_; ++k) z_(i, k) = embeddings[i * d_ + k] / norm_[i];
  }
  const Mat s = z_ * z_.transpose() / tau_;
  softmax_.setZero(n_, n_);
  g_.setZero(n_, n_);
  anchor_.assign(static_cast<std::size_t>(n_), 0);
  anchors_ = 0;
  std::vector<double> row_loss(static_cast<std::size_t>(n_), 0.0);
  for (Index i = 0; i < n_; ++i) {
    double m = -INFINITY;
    for (Index j = 0; j < n_; ++j)
      if (j != i) m = std::max(m, s(i, j));
    double sum = 0;
    for (Index j = 0; j < n_; ++j)
      if (j != i) sum += std::exp(s(i, j) - m);
    const double lse = m + std::log(sum);
    Index positives = 0;
    double pos_sum = 0;
    for (Index j = 0; j < n_; ++j) {
      if (j == i) continue;
      softmax_(i, j) = std::exp(s(i, j) - lse);
      if (positive(i, j)) {
        ++positives;
        pos_sum += s(i, j) - lse;
      }
    }
    if (positives == 0) continue;
    anchor_[i] = 1;
    ++anchors_;
    row_loss[i] = -pos_sum / double(positives);
    for (Index j = 0; j < n_; ++j)
      if (j != i) g_(i, j) = softmax_(i, j) - (positive(i, j) ? 1.0 / double(positives) : 0.0);
  }
  DISTILL_CHECK(anchors_ > 0, "ContrastiveLoss::forward: no anchor has a positive pair (need "
                                  << (kind_ == Contrast::kNtXent ? "two or more views"
                                                                 : "two rows with the same label")
                                  << ")");
  g_ /= double(anchors_);
  double loss = 0;
  for (double l : row_loss) loss += l;
  return static_cast<Scalar>(loss / double(anchors_));
}

template <class Scalar>
Scalar ContrastiveLoss<Scalar>::tangent(ConstView<Scalar> embeddings_dot) const {
  const Mat zd = tangent_z(load(embeddings_dot, "ContrastiveLoss::tangent"));
  const Mat sd = (zd * z_.transpose() + z_ * zd.transpose()) / tau_;
  return static_cast<Scalar>((g_.array() * sd.array()).sum());
}

template <class Scalar>
void ContrastiveLoss<Scalar>::backward(MutableView<Scalar> g_embeddings) const {
  DISTILL_CHECK(n_ > 0, "ContrastiveLoss::backward: call forward first");
  check_shape(shape_, g_embeddings.shape(), "ContrastiveLoss::backward gradient");
  const Mat gz = grad_z();
  for (Index i = 0; i < n_; ++i) {
    const double proj = z_.row(i).dot(gz.row(i));
    for (Index k = 0; k < d_; ++k)
      g_embeddings[i * d_ + k] = static_cast<Scalar>((gz(i, k) - z_(i, k) * proj) / norm_[i]);
  }
}

template <class Scalar>
void ContrastiveLoss<Scalar>::backward_tangent(ConstView<Scalar> embeddings_dot,
                                               MutableView<Scalar> g_embeddings_dot) const {
  const Mat ed = load(embeddings_dot, "ContrastiveLoss::backward_tangent");
  check_shape(shape_, g_embeddings_dot.shape(), "ContrastiveLoss::backward_tangent output");
  const Mat zd = tangent_z(ed);
  const Mat sd = (zd * z_.transpose() + z_ * zd.transpose()) / tau_;
  Mat gd = Mat::Zero(n_, n_);
  for (Index i = 0; i < n_; ++i) {
    if (!anchor_[i]) continue;
    double mean = 0;
    for (Index j = 0; j < n_; ++j) mean += softmax_(i, j) * sd(i, j);
    for (Index j = 0; j < n_; ++j)
      if (j != i) gd(i, j) = softmax_(i, j) * (sd(i, j) - mean);
  }
  gd /= double(anchors_);
  const Mat gz = grad_z();
  const Mat gzd = ((gd + gd.transpose()) * z_ + (g_ + g_.transpose()) * zd) / tau_;
  for (Index i = 0; i < n_; ++i) {
    const double r = norm_[i];
    const double z_gz = z_.row(i).dot(gz.row(i));
    const double zd_gz = zd.row(i).dot(gz.row(i));
    const double z_gzd = z_.row(i).dot(gzd.row(i));
    const double r_dot = z_.row(i).dot(ed.row(i));
    for (Index k = 0; k < d_; ++k) {
      const double ge = (gz(i, k) - z_(i, k) * z_gz) / r;
      g_embeddings_dot[i * d_ + k] = static_cast<Scalar>(
          (gzd(i, k) - zd(i, k) * z_gz - z_(i, k) * (zd_gz + z_gzd)) / r - ge * r_dot / r);
    }
  }
}

}  // namespace distill

#endif  // DISTILL_LOSSES_SUP_CON_HPP
