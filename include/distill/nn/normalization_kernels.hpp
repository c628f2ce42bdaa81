#ifndef DISTILL_NN_NORMALIZATION_KERNELS_HPP
#define DISTILL_NN_NORMALIZATION_KERNELS_HPP

// The arithmetic of Normalization's passes, one group (a thread per plane) per call, shared by
// every backend: the CPU runs these functors over groups, a CUDA kernel launches them as they
// are. Accumulation is in double whatever the Scalar, in PartialSums (lanes.hpp); the
// per-element arithmetic multiplies by 1/σ, computed once per group, rather than dividing.

#include <cmath>

#include "distill/backend/lanes.hpp"
#include "distill/core/macros.hpp"
#include "distill/core/shape.hpp"

namespace distill {

/// Which elements are normalised together.
enum class NormGroups {
  kInstance,  ///< one group per (sample, channel): GroupNorm with one group per channel
  kBatch      ///< one group per channel over the whole batch: BatchNorm2d in training mode
};

namespace detail {

/// Where the elements of each group are: `blocks` contiguous H×W planes per group.
struct NormLayout {
  NormGroups groups;
  Shape s;
  Index channels;
  DISTILL_HOST_DEVICE bool instance() const { return groups == NormGroups::kInstance; }
  DISTILL_HOST_DEVICE Index group_count() const { return instance() ? s.n * s.c : s.c; }
  DISTILL_HOST_DEVICE Index channel_of(Index g) const { return instance() ? g % s.c : g; }
  DISTILL_HOST_DEVICE Index blocks() const { return instance() ? 1 : s.n; }
  DISTILL_HOST_DEVICE Index plane() const { return s.h * s.w; }
  /// Offset of block b of group g.
  DISTILL_HOST_DEVICE Index block_offset(Index g, Index b) const {
    return instance() ? g * plane() : (b * s.c + g) * plane();
  }
  DISTILL_HOST_DEVICE double inv_count() const { return 1.0 / double(blocks() * plane()); }
  /// Operations of one group, for the backend's scheduling.
  Index group_cost() const { return 4 * blocks() * plane(); }
};

/// μ and σ of group g, then y = γ·(x − μ)/σ + β.
template <class T>
struct NormForward {
  NormLayout l;
  double eps;
  const T* x;
  const T* w;
  T* y;
  double* mean;
  double* sigma;
  DISTILL_HOST_DEVICE void operator()(Index g) const { run(g, SerialLanes{}); }
  template <class Lanes>
  DISTILL_HOST_DEVICE void run(Index g, const Lanes& lanes) const {
    const Index nb = l.blocks(), m = l.plane();
    const double inv_count = l.inv_count();
    PartialSums<1, Lanes::kPartials> sums;
    for (Index b = 0; b < nb; ++b) {
      const T* p = x + l.block_offset(g, b);
      sums.add(lanes, m, [&](Index i, double* t) { t[0] = p[i]; });
    }
    const double mu = lanes.sum(sums.total(0)) * inv_count;
    PartialSums<1, Lanes::kPartials> squares;
    for (Index b = 0; b < nb; ++b) {
      const T* p = x + l.block_offset(g, b);
      squares.add(lanes, m, [&](Index i, double* t) {
        const double d = p[i] - mu;
        t[0] = d * d;
      });
    }
    const double ss = lanes.sum(squares.total(0));
    const double sg = std::sqrt(ss * inv_count + eps);
    if (lanes.index == 0) mean[g] = mu, sigma[g] = sg;
    const Index c = l.channel_of(g);
    const T scale = static_cast<T>(w[c] / sg);
    const T shift = static_cast<T>(w[l.channels + c] - w[c] * mu / sg);
    for (Index b = 0; b < nb; ++b) {
      const Index off = l.block_offset(g, b);
      const T* p = x + off;
      T* q = y + off;
      for (Index i = lanes.index; i < m; i += lanes.count) q[i] = p[i] * scale + shift;
    }
  }
};

/// Inference-mode batch norm of plane `plane` with running statistics.
template <class T>
struct NormInference {
  Shape s;
  Index channels;
  double eps;
  const double* running_mean;
  const double* running_var;
  const T* x;
  const T* w;
  T* y;
  DISTILL_HOST_DEVICE void operator()(Index plane) const {
    const Index c = plane % s.c, m = s.h * s.w;
    const double inv = 1.0 / std::sqrt(running_var[c] + eps);
    const T scale = static_cast<T>(w[c] * inv);
    const T shift = static_cast<T>(w[channels + c] - w[c] * running_mean[c] * inv);
    const T* p = x + plane * m;
    T* q = y + plane * m;
    for (Index i = 0; i < m; ++i) q[i] = p[i] * scale + shift;
  }
};

/// PyTorch's running statistics of channel c (momentum 0.1, unbiased variance).
struct NormRunningStats {
  double eps, count;
  const double* mean;
  const double* sigma;
  double* running_mean;
  double* running_var;
  DISTILL_HOST_DEVICE void operator()(Index c) const {
    const double momentum = 0.1, unbias = count > 1 ? count / (count - 1) : 1.0;
    const double var = sigma[c] * sigma[c] - eps;
    running_mean[c] = (1 - momentum) * running_mean[c] + momentum * mean[c];
    running_var[c] = (1 - momentum) * running_var[c] + momentum * var * unbias;
  }
};

/// Tangent of group g: σ̇ = mean(x̂·ẋ); x̂̇ = (ẋ − mean ẋ − x̂·σ̇)/σ; ẏ = γ̇x̂ + γx̂̇ + β̇.
/// A null x_dot or w_dot is zero.
template <class T>
struct NormTangent {
  NormLayout l;
  const T* x;
  const T* x_dot;
  const T* w;
  const T* w_dot;
  const double* mean;
  const double* sigma;
  T* y_dot;
  double* mean_x_dot;
  double* sigma_dot;
  DISTILL_HOST_DEVICE void operator()(Index g) const { run(g, SerialLanes{}); }
  template <class Lanes>
  DISTILL_HOST_DEVICE void run(Index g, const Lanes& lanes) const {
    const Index nb = l.blocks(), m = l.plane();
    const double inv_count = l.inv_count();
    const double mu = mean[g], sg = sigma[g], inv_sg = 1.0 / sg;
    const Index c = l.channel_of(g);
    double mxd = 0, sd = 0;
    if (x_dot) {
      PartialSums<2, Lanes::kPartials> sums;
      for (Index b = 0; b < nb; ++b) {
        const Index off = l.block_offset(g, b);
        const T* p = x + off;
        const T* pd = x_dot + off;
        sums.add(lanes, m, [&](Index i, double* t) {
          t[0] = pd[i];
          t[1] = (p[i] - mu) * pd[i];
        });
      }
      mxd = lanes.sum(sums.total(0)) * inv_count;
      sd = lanes.sum(sums.total(1)) * (inv_count / sg);
    }
    if (lanes.index == 0) mean_x_dot[g] = mxd, sigma_dot[g] = sd;
    const double gamma = w[c];
    const double gamma_dot = w_dot ? w_dot[c] : 0.0, beta_dot = w_dot ? w_dot[l.channels + c] : 0.0;
    for (Index b = 0; b < nb; ++b) {
      const Index off = l.block_offset(g, b);
      const T* p = x + off;
      const T* pd = x_dot ? x_dot + off : nullptr;
      T* q = y_dot + off;
      if (pd) {
        for (Index i = lanes.index; i < m; i += lanes.count) {
          const double xhat = (p[i] - mu) * inv_sg;
          const double xhat_dot = (double(pd[i]) - mxd - xhat * sd) * inv_sg;
          q[i] = static_cast<T>(gamma_dot * xhat + gamma * xhat_dot + beta_dot);
        }
      } else {
        for (Index i = lanes.index; i < m; i += lanes.count) {
          const double xhat = (p[i] - mu) * inv_sg;
          const double xhat_dot = (-mxd - xhat * sd) * inv_sg;
          q[i] = static_cast<T>(gamma_dot * xhat + gamma * xhat_dot + beta_dot);
        }
      }
    }
  }
};

/// Backward of group g: gγ, gβ partial sums, and gx = (a − mean a − x̂·mean(a·x̂))/σ with
/// a = γ·gy when gx is non-null.
template <class T>
struct NormBackward {
  NormLayout l;
  const T* x;
  const T* w;
  const T* gy;
  const double* mean;
  const double* sigma;
  T* gx;
  double* partial_gamma;
  double* partial_beta;
  DISTILL_HOST_DEVICE void operator()(Index g) const { run(g, SerialLanes{}); }
  template <class Lanes>
  DISTILL_HOST_DEVICE void run(Index g, const Lanes& lanes) const {
    const Index nb = l.blocks(), m = l.plane();
    const double inv_count = l.inv_count();
    const double mu = mean[g], sg = sigma[g];
    const double gamma = w[l.channel_of(g)];
    PartialSums<2, Lanes::kPartials> sums;
    for (Index b = 0; b < nb; ++b) {
      const Index off = l.block_offset(g, b);
      const T* p = x + off;
      const T* q = gy + off;
      sums.add(lanes, m, [&](Index i, double* t) {
        t[0] = q[i];
        t[1] = q[i] * (p[i] - mu);
      });
    }
    const double sum_gy = lanes.sum(sums.total(0));
    const double sum_gy_xhat = lanes.sum(sums.total(1)) / sg;
    if (lanes.index == 0) partial_gamma[g] = sum_gy_xhat, partial_beta[g] = sum_gy;
    if (!gx) return;
    const double mean_a = gamma * sum_gy * inv_count, mean_a_xhat = gamma * sum_gy_xhat * inv_count;
    // gx = (γ·gy − mean a − x̂·mean(a·x̂))/σ, expanded to A·gy + B·x + C with x̂ = (x − μ)/σ.
    const T A = static_cast<T>(gamma / sg);
    const T B = static_cast<T>(-mean_a_xhat / (sg * sg));
    const T C = static_cast<T>(-mean_a / sg + mu * mean_a_xhat / (sg * sg));
    for (Index b = 0; b < nb; ++b) {
      const Index off = l.block_offset(g, b);
      const T* p = x + off;
      const T* q = gy + off;
      T* r = gx + off;
      for (Index i = lanes.index; i < m; i += lanes.count) r[i] = A * q[i] + B * p[i] + C;
    }
  }
};

/// R-op of group g (docs/design.md §2): ȧ = γ̇·gy + γ·ġy; ġγ = Σ(ġy·x̂ + gy·x̂̇); ġβ = Σ ġy;
/// ġx = (ȧ − mean ȧ − x̂̇·mean(a·x̂) − x̂·mean(ȧ·x̂ + a·x̂̇))/σ − gx·σ̇/σ. Null x_dot, w_dot,
/// gy_dot are zero; a null gx_dot skips the input part.
template <class T>
struct NormBackwardTangent {
  NormLayout l;
  const T* x;
  const T* x_dot;
  const T* w;
  const T* w_dot;
  const T* gy;
  const T* gy_dot;
  const double* mean;
  const double* sigma;
  const double* mean_x_dot;
  const double* sigma_dot;
  T* gx_dot;
  double* partial_gamma;
  double* partial_beta;
  DISTILL_HOST_DEVICE void operator()(Index g) const { run(g, SerialLanes{}); }
  template <class Lanes>
  DISTILL_HOST_DEVICE void run(Index g, const Lanes& lanes) const {
    const Index nb = l.blocks(), m = l.plane();
    const double inv_count = l.inv_count();
    const Index c = l.channel_of(g);
    const double mu = mean[g], sg = sigma[g], inv_sg = 1.0 / sg, mxd = mean_x_dot[g], sd = sigma_dot[g];
    const double gamma = w[c], gamma_dot = w_dot ? w_dot[c] : 0.0;
    // First sweep: the sums every output element needs.
    PartialSums<5, Lanes::kPartials> sums;
    for (Index b = 0; b < nb; ++b) {
      const Index off = l.block_offset(g, b);
      const T* p = x + off;
      const T* pd = x_dot ? x_dot + off : nullptr;
      const T* q = gy + off;
      const T* qd = gy_dot ? gy_dot + off : nullptr;
      sums.add(lanes, m, [&](Index i, double* t) {
        const double xhat = (p[i] - mu) * inv_sg;
        const double xhat_dot = ((pd ? double(pd[i]) : 0.0) - mxd - xhat * sd) * inv_sg;
        const double gyi = q[i], gydi = qd ? double(qd[i]) : 0.0;
        t[0] = gyi;
        t[1] = gyi * xhat;
        t[2] = gydi;
        t[3] = gydi * xhat;
        t[4] = gyi * xhat_dot;
      });
    }
    const double s_gy = lanes.sum(sums.total(0));
    const double s_gy_xhat = lanes.sum(sums.total(1));
    const double s_gyd = lanes.sum(sums.total(2));
    const double s_gyd_xhat = lanes.sum(sums.total(3));
    const double s_gy_xhatd = lanes.sum(sums.total(4));
    if (lanes.index == 0) partial_gamma[g] = s_gyd_xhat + s_gy_xhatd, partial_beta[g] = s_gyd;  // ġγ, ġβ
    if (!gx_dot) return;
    // a = γ·gy, ȧ = γ̇·gy + γ·ġy.
    const double mean_a = gamma * s_gy * inv_count;
    const double mean_a_xhat = gamma * s_gy_xhat * inv_count;
    const double mean_adot = (gamma_dot * s_gy + gamma * s_gyd) * inv_count;
    const double mean_adot_xhat_plus_a_xhatdot =
        (gamma_dot * s_gy_xhat + gamma * s_gyd_xhat + gamma * s_gy_xhatd) * inv_count;
    for (Index b = 0; b < nb; ++b) {
      const Index off = l.block_offset(g, b);
      const T* p = x + off;
      const T* pd = x_dot ? x_dot + off : nullptr;
      const T* q = gy + off;
      const T* qd = gy_dot ? gy_dot + off : nullptr;
      T* r = gx_dot + off;
      for (Index i = lanes.index; i < m; i += lanes.count) {
        const double xhat = (p[i] - mu) * inv_sg;
        const double xhat_dot = ((pd ? double(pd[i]) : 0.0) - mxd - xhat * sd) * inv_sg;
        const double a = gamma * q[i];
        const double adot = gamma_dot * q[i] + gamma * (qd ? double(qd[i]) : 0.0);
        const double gxi = (a - mean_a - xhat * mean_a_xhat) * inv_sg;
        r[i] = static_cast<T>(
            ((adot - mean_adot - xhat_dot * mean_a_xhat - xhat * mean_adot_xhat_plus_a_xhatdot) - gxi * sd) * inv_sg);
      }
    }
  }
};

/// out[c] = Σ per_group over the groups of channel c, in group order.
template <class T>
struct NormReduceChannels {
  NormLayout l;
  const double* per_group;
  T* out;
  DISTILL_HOST_DEVICE void operator()(Index c) const {
    double acc = 0;
    const Index groups = l.group_count(), step = l.instance() ? l.s.c : groups;
    for (Index g = c; g < groups; g += step) acc += per_group[g];
    out[c] = static_cast<T>(acc);
  }
};

}  // namespace detail
}  // namespace distill

#endif  // DISTILL_NN_NORMALIZATION_KERNELS_HPP
