#ifndef DISTILL_LOSSES_SUP_CON_KERNELS_HPP
#define DISTILL_LOSSES_SUP_CON_KERNELS_HPP

// The per-row arithmetic of ContrastiveLoss, shared by every backend. Z, Ż, gZ are N × D
// row-major in double; S, G, softmax are N × N. The similarity products are GEMMs of the
// backend, not here.

#include <cmath>

#include "distill/core/macros.hpp"
#include "distill/core/shape.hpp"

namespace distill {

/// Which pairs count as positives in a contrastive loss.
enum class Contrast {
  kSupCon,  ///< same label, any view, except the anchor itself (Khosla et al. 2020)
  kNtXent   ///< the other views of the same sample only (SimCLR, Chen et al. 2020)
};

namespace detail {

/// ‖e_i‖ and z_i = e_i/‖e_i‖ of row i (a zero row leaves norm 0 for the caller to report).
template <class T>
struct ConNormalizeRow {
  Index d;
  const T* e;
  double* z;
  double* norm;
  DISTILL_HOST_DEVICE void operator()(Index i) const {
    double ss = 0;
    for (Index k = 0; k < d; ++k) ss += double(e[i * d + k]) * e[i * d + k];
    const double r = std::sqrt(ss);
    norm[i] = r;
    for (Index k = 0; k < d; ++k) z[i * d + k] = r > 0 ? e[i * d + k] / r : 0.0;
  }
};

/// 1 for a zero row norm, else 0 (ContrastiveLoss counts the rows it cannot normalise).
struct ConZeroRow {
  const double* norm;
  DISTILL_HOST_DEVICE double operator()(Index i) const { return norm[i] > 0 ? 0.0 : 1.0; }
};

/// Anchor i of the loss: its softmax over j ≠ i, whether it has a positive, its loss term and
/// its row of G·N_a = softmax − [j ∈ P_i]/|P_i| (the 1/N_a is applied once N_a is known).
struct ConAnchorRow {
  Index n, batch, label_count;
  Contrast kind;
  const int* labels;
  const double* s;
  double* softmax;
  double* g;
  double* anchor;    ///< 1 or 0
  double* row_loss;  ///< 0 for rows without a positive
  DISTILL_HOST_DEVICE int label(Index i) const { return label_count == n ? labels[i] : labels[i % batch]; }
  DISTILL_HOST_DEVICE bool positive(Index i, Index j) const {
    if (i == j) return false;
    return kind == Contrast::kNtXent ? (i % batch == j % batch) : (label(i) == label(j));
  }
  DISTILL_HOST_DEVICE void operator()(Index i) const {
    const double* si = s + i * n;
    double m = -INFINITY;
    for (Index j = 0; j < n; ++j)
      if (j != i) m = si[j] > m ? si[j] : m;
    double sum = 0;
    for (Index j = 0; j < n; ++j)
      if (j != i) sum += std::exp(si[j] - m);
    const double lse = m + std::log(sum);
    Index positives = 0;
    double pos_sum = 0;
    for (Index j = 0; j < n; ++j) {
      softmax[i * n + j] = j == i ? 0.0 : std::exp(si[j] - lse);
      g[i * n + j] = 0;
      if (positive(i, j)) {
        ++positives;
        pos_sum += si[j] - lse;
      }
    }
    anchor[i] = positives > 0 ? 1.0 : 0.0;
    row_loss[i] = positives > 0 ? -pos_sum / double(positives) : 0.0;
    if (positives == 0) return;
    for (Index j = 0; j < n; ++j)
      if (j != i) g[i * n + j] = softmax[i * n + j] - (positive(i, j) ? 1.0 / double(positives) : 0.0);
  }
};

/// m = (a + aᵀ)·scale of an N × N matrix, element (i, j) = index i·N + j.
struct ConSymmetrize {
  Index n;
  double scale;
  const double* a;
  double* m;
  DISTILL_HOST_DEVICE void operator()(Index e) const {
    const Index i = e / n, j = e % n;
    m[e] = (a[i * n + j] + a[j * n + i]) * scale;
  }
};

/// ż_i = (ė_i − z_i⟨z_i, ė_i⟩)/‖e_i‖ of row i, and r_dot_i = ⟨z_i, ė_i⟩.
template <class T>
struct ConTangentRow {
  Index d;
  const double* z;
  const double* norm;
  const T* e_dot;
  double* z_dot;
  double* r_dot;
  DISTILL_HOST_DEVICE void operator()(Index i) const {
    double proj = 0;
    for (Index k = 0; k < d; ++k) proj += z[i * d + k] * double(e_dot[i * d + k]);
    r_dot[i] = proj;
    for (Index k = 0; k < d; ++k) z_dot[i * d + k] = (double(e_dot[i * d + k]) - proj * z[i * d + k]) / norm[i];
  }
};

/// ge_i = (gZ_i − z_i⟨z_i, gZ_i⟩)/‖e_i‖ of row i.
template <class T>
struct ConEmbeddingGradientRow {
  Index d;
  const double* z;
  const double* norm;
  const double* gz;
  T* ge;
  DISTILL_HOST_DEVICE void operator()(Index i) const {
    double proj = 0;
    for (Index k = 0; k < d; ++k) proj += z[i * d + k] * gz[i * d + k];
    for (Index k = 0; k < d; ++k) ge[i * d + k] = static_cast<T>((gz[i * d + k] - z[i * d + k] * proj) / norm[i]);
  }
};

/// Ġ_ij·N_a = softmax_ij·(Ṡ_ij − Σ_k softmax_ik Ṡ_ik) of anchor row i, zero for other rows.
struct ConGradientTangentRow {
  Index n;
  double inv_anchors;
  const double* anchor;
  const double* softmax;
  const double* s_dot;
  double* g_dot;
  DISTILL_HOST_DEVICE void operator()(Index i) const {
    for (Index j = 0; j < n; ++j) g_dot[i * n + j] = 0;
    if (anchor[i] == 0) return;
    double mean = 0;
    for (Index j = 0; j < n; ++j) mean += softmax[i * n + j] * s_dot[i * n + j];
    for (Index j = 0; j < n; ++j)
      if (j != i) g_dot[i * n + j] = softmax[i * n + j] * (s_dot[i * n + j] - mean) * inv_anchors;
  }
};

/// ġe_i = (ġZ_i − ż_i⟨z_i, gZ_i⟩ − z_i(⟨ż_i, gZ_i⟩ + ⟨z_i, ġZ_i⟩))/r − ge_i·ṙ/r, row i.
template <class T>
struct ConEmbeddingGradientTangentRow {
  Index d;
  const double* z;
  const double* z_dot;
  const double* norm;
  const double* r_dot;
  const double* gz;
  const double* gz_dot;
  T* ge_dot;
  DISTILL_HOST_DEVICE void operator()(Index i) const {
    const double r = norm[i];
    double z_gz = 0, zd_gz = 0, z_gzd = 0;
    for (Index k = 0; k < d; ++k) {
      z_gz += z[i * d + k] * gz[i * d + k];
      zd_gz += z_dot[i * d + k] * gz[i * d + k];
      z_gzd += z[i * d + k] * gz_dot[i * d + k];
    }
    for (Index k = 0; k < d; ++k) {
      const Index e = i * d + k;
      const double ge = (gz[e] - z[e] * z_gz) / r;
      ge_dot[e] = static_cast<T>((gz_dot[e] - z_dot[e] * z_gz - z[e] * (zd_gz + z_gzd)) / r - ge * r_dot[i] / r);
    }
  }
};

/// a_e /= divisor.
struct ConDivide {
  double divisor;
  double* a;
  DISTILL_HOST_DEVICE void operator()(Index e) const { a[e] /= divisor; }
};

/// a_e, for sums.
struct ConElement {
  const double* a;
  DISTILL_HOST_DEVICE double operator()(Index e) const { return a[e]; }
};

/// a_e·b_e, element e (for ⟨G, Ṡ⟩).
struct ConProductTerm {
  const double* a;
  const double* b;
  DISTILL_HOST_DEVICE double operator()(Index e) const { return a[e] * b[e]; }
};

}  // namespace detail
}  // namespace distill

#endif  // DISTILL_LOSSES_SUP_CON_KERNELS_HPP
