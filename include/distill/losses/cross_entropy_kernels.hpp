#ifndef DISTILL_LOSSES_CROSS_ENTROPY_KERNELS_HPP
#define DISTILL_LOSSES_CROSS_ENTROPY_KERNELS_HPP

// The per-row arithmetic of CrossEntropy's passes over [B, K] logits, shared by every backend.
// Probabilities, log-probabilities and targets are kept in double.

#include <cmath>

#include "distill/core/macros.hpp"
#include "distill/core/shape.hpp"

namespace distill::detail {

/// s = softmax(z) and log s of row r (log_s may be null), shifted by the row maximum.
template <class T>
struct CeSoftmaxRow {
  Index k;
  const T* z;
  double* s;
  double* log_s;
  DISTILL_HOST_DEVICE void operator()(Index r) const {
    const T* row = z + r * k;
    double m = row[0];
    for (Index j = 1; j < k; ++j) m = row[j] > m ? double(row[j]) : m;
    double sum = 0;
    for (Index j = 0; j < k; ++j) sum += std::exp(row[j] - m);
    const double lse = m + std::log(sum);
    for (Index j = 0; j < k; ++j) {
      s[r * k + j] = std::exp(row[j] - lse);
      if (log_s) log_s[r * k + j] = row[j] - lse;
    }
  }
};

/// p of row r is one-hot at labels[r].
struct CeOneHotRow {
  Index k;
  const int* labels;
  double* p;
  DISTILL_HOST_DEVICE void operator()(Index r) const {
    for (Index j = 0; j < k; ++j) p[r * k + j] = 0.0;
    p[r * k + labels[r]] = 1.0;
  }
};

/// ⟨p, log s⟩ of one row.
DISTILL_HOST_DEVICE double ce_centre(Index k, const double* p, const double* ls) {
  double c = 0;
  for (Index j = 0; j < k; ++j) c += p[j] * ls[j];
  return c;
}

/// p·log s of element i, 0 where p = 0 (so that 0·log 0 is 0).
struct CeLossTerm {
  const double* p;
  const double* log_s;
  DISTILL_HOST_DEVICE double operator()(Index i) const { return p[i] != 0 ? p[i] * log_s[i] : 0.0; }
};

/// (s − p)·ż of element i.
template <class T>
struct CeLogitTangentTerm {
  const double* s;
  const double* p;
  const T* z_dot;
  DISTILL_HOST_DEVICE double operator()(Index i) const { return (s[i] - p[i]) * z_dot[i]; }
};

/// −p·(log s − ⟨p, log s⟩)·u̇ of element i (soft labels).
template <class T>
struct CeLabelTangentTerm {
  Index k;
  const double* p;
  const double* log_s;
  const T* u_dot;
  DISTILL_HOST_DEVICE double operator()(Index i) const {
    const Index r = i / k;
    const double c = ce_centre(k, p + r * k, log_s + r * k);
    return -(p[i] * (log_s[i] - c) * u_dot[i]);
  }
};

/// gz = (s − p)/B, element i.
template <class T>
struct CeLogitGradient {
  Index b;
  const double* s;
  const double* p;
  T* gz;
  DISTILL_HOST_DEVICE void operator()(Index i) const { gz[i] = static_cast<T>((s[i] - p[i]) / b); }
};

/// gu = −(1/B)·p ⊙ (log s − ⟨p, log s⟩), row r (soft labels).
template <class T>
struct CeLabelGradientRow {
  Index b, k;
  const double* p;
  const double* log_s;
  T* gu;
  DISTILL_HOST_DEVICE void operator()(Index r) const {
    const double c = ce_centre(k, p + r * k, log_s + r * k);
    for (Index j = 0; j < k; ++j) gu[r * k + j] = static_cast<T>(-p[r * k + j] * (log_s[r * k + j] - c) / b);
  }
};

/// R-op of row r (see CrossEntropy): ġz, and ġu when gu_dot is non-null. u_dot may be null
/// (zero); ls_dot and p_dot are [B, K] scratch.
template <class T>
struct CeBackwardTangentRow {
  Index b, k;
  bool soft;
  const double* s_all;
  const double* p_all;
  const double* ls_all;
  const T* z_dot;
  const T* u_dot;
  double* ls_dot_all;
  double* p_dot_all;
  T* gz_dot;
  T* gu_dot;
  DISTILL_HOST_DEVICE void operator()(Index r) const {
    const double* s = s_all + r * k;
    const double* p = p_all + r * k;
    const double* ls = ls_all + r * k;
    double* ls_dot = ls_dot_all + r * k;
    double* p_dot = p_dot_all + r * k;
    const bool has_u_dot = soft && u_dot;
    double s_zd = 0, p_ud = 0;
    for (Index j = 0; j < k; ++j) {
      s_zd += s[j] * z_dot[r * k + j];
      if (has_u_dot) p_ud += p[j] * u_dot[r * k + j];
    }
    for (Index j = 0; j < k; ++j) {
      ls_dot[j] = z_dot[r * k + j] - s_zd;
      p_dot[j] = has_u_dot ? p[j] * (u_dot[r * k + j] - p_ud) : 0.0;
      gz_dot[r * k + j] = static_cast<T>((s[j] * ls_dot[j] - p_dot[j]) / b);
    }
    if (!gu_dot) return;
    if (!soft) {
      for (Index j = 0; j < k; ++j) gu_dot[r * k + j] = 0;
      return;
    }
    double c = 0, pd_ls = 0, p_lsd = 0;
    for (Index j = 0; j < k; ++j) {
      c += p[j] * ls[j];
      pd_ls += p_dot[j] * ls[j];
      p_lsd += p[j] * ls_dot[j];
    }
    for (Index j = 0; j < k; ++j)
      gu_dot[r * k + j] = static_cast<T>(-(p_dot[j] * (ls[j] - c) + p[j] * (ls_dot[j] - pd_ls - p_lsd)) / b);
  }
};

/// h_u = −(1/B)·p ⊙ (ż − ⟨p, ż⟩), row r (zero for hard labels).
template <class T>
struct CeLabelMixedRow {
  Index b, k;
  bool soft;
  const double* p;
  const T* z_dot;
  T* h_u;
  DISTILL_HOST_DEVICE void operator()(Index r) const {
    double pz = 0;
    for (Index j = 0; j < k; ++j) pz += p[r * k + j] * z_dot[r * k + j];
    for (Index j = 0; j < k; ++j)
      h_u[r * k + j] = soft ? static_cast<T>(-p[r * k + j] * (z_dot[r * k + j] - pz) / b) : T(0);
  }
};

}  // namespace distill::detail

#endif  // DISTILL_LOSSES_CROSS_ENTROPY_KERNELS_HPP
