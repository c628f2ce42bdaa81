#ifndef DISTILL_NN_NORMALIZATION_IMPL_HPP
#define DISTILL_NN_NORMALIZATION_IMPL_HPP

#include <algorithm>

#include "distill/nn/normalization.hpp"

namespace distill {

template <class Scalar>
void Normalization<Scalar>::check(const Shape& in, const char* what) const {
  DISTILL_CHECK(in.c == channels_, what << ": input " << in << " has " << in.c
                                        << " channels, the layer expects " << channels_);
  DISTILL_CHECK(in.plane() * blocks(in) > 0, what << ": input " << in << " is empty");
}

template <class Scalar>
void Normalization<Scalar>::reduce_channels(const Shape& s, const std::vector<double>& per_group,
                                            Scalar* out) const {
  std::vector<double> acc(static_cast<std::size_t>(channels_), 0.0);
  const Index groups = group_count(s);
  for (Index g = 0; g < groups; ++g) acc[channel_of(s, g)] += per_group[g];
  for (Index c = 0; c < channels_; ++c) out[c] = static_cast<Scalar>(acc[c]);
}

template <class Scalar>
void Normalization<Scalar>::forward(ConstView<Scalar> x, const Scalar* w, MutableView<Scalar> y) {
  check(x.shape(), "Normalization::forward");
  check_shape(x.shape(), y.shape(), "Normalization::forward output");
  if (groups_ == NormGroups::kBatch && !training_) {
    shape_ = Shape{};  // the other passes need training-mode statistics
    mean_.clear();
    forward_inference(x, w, y);
    return;
  }
  const Shape s = x.shape();
  shape_ = s;
  const Index groups = group_count(s), nb = blocks(s), m = s.plane();
  const double inv_count = 1.0 / double(nb * m);
  mean_.resize(groups);
  sigma_.resize(groups);
  parallel_for(groups, [&](Index g) {
    double sum = 0;
    for (Index b = 0; b < nb; ++b) {
      const Scalar* p = x.data() + block_offset(s, g, b);
      for (Index i = 0; i < m; ++i) sum += p[i];
    }
    const double mu = sum * inv_count;
    double ss = 0;
    for (Index b = 0; b < nb; ++b) {
      const Scalar* p = x.data() + block_offset(s, g, b);
      for (Index i = 0; i < m; ++i) {
        const double d = p[i] - mu;
        ss += d * d;
      }
    }
    const double sigma = std::sqrt(ss * inv_count + eps_);
    mean_[g] = mu;
    sigma_[g] = sigma;
    const Index c = channel_of(s, g);
    const Scalar scale = static_cast<Scalar>(w[c] / sigma);
    const Scalar shift = static_cast<Scalar>(w[channels_ + c] - w[c] * mu / sigma);
    for (Index b = 0; b < nb; ++b) {
      const Index off = block_offset(s, g, b);
      const Scalar* p = x.data() + off;
      Scalar* q = y.data() + off;
      for (Index i = 0; i < m; ++i) q[i] = p[i] * scale + shift;
    }
  }, 4 * nb * m);
  if (groups_ == NormGroups::kBatch) update_running_stats(s);
}

template <class Scalar>
void Normalization<Scalar>::update_running_stats(const Shape& s) {
  if (static_cast<Index>(running_mean_.size()) != channels_) reset_running_stats();
  const double momentum = 0.1, count = double(s.n * s.plane());
  const double unbias = count > 1 ? count / (count - 1) : 1.0;
  for (Index c = 0; c < channels_; ++c) {
    const double var = sigma_[c] * sigma_[c] - eps_;
    running_mean_[c] = (1 - momentum) * running_mean_[c] + momentum * mean_[c];
    running_var_[c] = (1 - momentum) * running_var_[c] + momentum * var * unbias;
  }
}

template <class Scalar>
void Normalization<Scalar>::forward_inference(ConstView<Scalar> x, const Scalar* w,
                                              MutableView<Scalar> y) const {
  DISTILL_CHECK(static_cast<Index>(running_mean_.size()) == channels_,
                "Normalization::forward: inference mode needs running statistics; run a "
                "training-mode forward first");
  const Shape s = x.shape();
  parallel_for(s.n * s.c, [&](Index plane) {
    const Index c = plane % s.c;
    const double inv = 1.0 / std::sqrt(running_var_[c] + eps_);
    const Scalar scale = static_cast<Scalar>(w[c] * inv);
    const Scalar shift = static_cast<Scalar>(w[channels_ + c] - w[c] * running_mean_[c] * inv);
    const Scalar* p = x.data() + plane * s.plane();
    Scalar* q = y.data() + plane * s.plane();
    for (Index i = 0; i < s.plane(); ++i) q[i] = p[i] * scale + shift;
  }, s.plane());
}

template <class Scalar>
void Normalization<Scalar>::tangent(ConstView<Scalar> x, ConstView<Scalar> x_dot, const Scalar* w,
                                    const Scalar* w_dot, MutableView<Scalar> y_dot) {
  check(x.shape(), "Normalization::tangent");
  DISTILL_CHECK(shape_ == x.shape() && !mean_.empty(),
                "Normalization::tangent: call forward on this input first");
  if (!x_dot.empty()) check_shape(x.shape(), x_dot.shape(), "Normalization::tangent input tangent");
  check_shape(x.shape(), y_dot.shape(), "Normalization::tangent output");
  const Shape s = x.shape();
  const Index groups = group_count(s), nb = blocks(s), m = s.plane();
  const double inv_count = 1.0 / double(nb * m);
  mean_x_dot_.assign(groups, 0.0);
  sigma_dot_.assign(groups, 0.0);
  parallel_for(groups, [&](Index g) {
    const double mu = mean_[g], sigma = sigma_[g];
    const Index c = channel_of(s, g);
    double mxd = 0, sd = 0;
    if (!x_dot.empty()) {
      for (Index b = 0; b < nb; ++b) {
        const Index off = block_offset(s, g, b);
        const Scalar* p = x.data() + off;
        const Scalar* pd = x_dot.data() + off;
        for (Index i = 0; i < m; ++i) {
          mxd += pd[i];
          sd += (p[i] - mu) * pd[i];
        }
      }
      mxd *= inv_count;
      sd *= inv_count / sigma;
    }
    mean_x_dot_[g] = mxd;
    sigma_dot_[g] = sd;
    const double gamma = w[c];
    const double gamma_dot = w_dot ? w_dot[c] : 0.0, beta_dot = w_dot ? w_dot[channels_ + c] : 0.0;
    for (Index b = 0; b < nb; ++b) {
      const Index off = block_offset(s, g, b);
      const Scalar* p = x.data() + off;
      const Scalar* pd = x_dot.empty() ? nullptr : x_dot.data() + off;
      Scalar* q = y_dot.data() + off;
      for (Index i = 0; i < m; ++i) {
        const double xhat = (p[i] - mu) / sigma;
        const double xhat_dot = ((pd ? double(pd[i]) : 0.0) - mxd - xhat * sd) / sigma;
        q[i] = static_cast<Scalar>(gamma_dot * xhat + gamma * xhat_dot + beta_dot);
      }
    }
  }, 4 * nb * m);
}

template <class Scalar>
void Normalization<Scalar>::backward(ConstView<Scalar> x, const Scalar* w, ConstView<Scalar> gy,
                                     MutableView<Scalar> gx, Scalar* gw) {
  check(x.shape(), "Normalization::backward");
  DISTILL_CHECK(shape_ == x.shape() && !mean_.empty(),
                "Normalization::backward: call forward on this input first");
  check_shape(x.shape(), gy.shape(), "Normalization::backward output gradient");
  if (!gx.empty()) check_shape(x.shape(), gx.shape(), "Normalization::backward input gradient");
  const Shape s = x.shape();
  const Index groups = group_count(s), nb = blocks(s), m = s.plane();
  const double inv_count = 1.0 / double(nb * m);
  partial_a_.assign(groups, 0.0);
  partial_b_.assign(groups, 0.0);
  parallel_for(groups, [&](Index g) {
    const double mu = mean_[g], sigma = sigma_[g];
    const double gamma = w[channel_of(s, g)];
    double sum_gy = 0, sum_gy_xhat = 0;
    for (Index b = 0; b < nb; ++b) {
      const Index off = block_offset(s, g, b);
      const Scalar* p = x.data() + off;
      const Scalar* q = gy.data() + off;
      for (Index i = 0; i < m; ++i) {
        sum_gy += q[i];
        sum_gy_xhat += q[i] * (p[i] - mu);
      }
    }
    sum_gy_xhat /= sigma;
    partial_a_[g] = sum_gy_xhat;
    partial_b_[g] = sum_gy;
    if (gx.empty()) return;
    const double mean_a = gamma * sum_gy * inv_count, mean_a_xhat = gamma * sum_gy_xhat * inv_count;
    // gx = (γ·gy − mean a − x̂·mean(a·x̂))/σ, expanded to A·gy + B·x + C with x̂ = (x − μ)/σ.
    const Scalar A = static_cast<Scalar>(gamma / sigma);
    const Scalar B = static_cast<Scalar>(-mean_a_xhat / (sigma * sigma));
    const Scalar C = static_cast<Scalar>(-mean_a / sigma + mu * mean_a_xhat / (sigma * sigma));
    for (Index b = 0; b < nb; ++b) {
      const Index off = block_offset(s, g, b);
      const Scalar* p = x.data() + off;
      const Scalar* q = gy.data() + off;
      Scalar* r = gx.data() + off;
      for (Index i = 0; i < m; ++i) r[i] = A * q[i] + B * p[i] + C;
    }
  }, 4 * nb * m);
  if (gw) {
    reduce_channels(s, partial_a_, gw);
    reduce_channels(s, partial_b_, gw + channels_);
  }
}

template <class Scalar>
void Normalization<Scalar>::backward_tangent(ConstView<Scalar> x, ConstView<Scalar> x_dot,
                                             const Scalar* w, const Scalar* w_dot,
                                             ConstView<Scalar> gy, ConstView<Scalar> gy_dot,
                                             MutableView<Scalar> gx_dot, Scalar* gw_dot) {
  check(x.shape(), "Normalization::backward_tangent");
  DISTILL_CHECK(shape_ == x.shape() && sigma_dot_.size() == mean_.size() && !mean_.empty(),
                "Normalization::backward_tangent: call forward and tangent on this input first");
  check_shape(x.shape(), gy.shape(), "Normalization::backward_tangent output gradient");
  if (!gy_dot.empty())
    check_shape(x.shape(), gy_dot.shape(), "Normalization::backward_tangent output gradient tangent");
  if (!x_dot.empty()) check_shape(x.shape(), x_dot.shape(), "Normalization::backward_tangent input tangent");
  if (!gx_dot.empty())
    check_shape(x.shape(), gx_dot.shape(), "Normalization::backward_tangent input gradient tangent");
  const Shape s = x.shape();
  const Index groups = group_count(s), nb = blocks(s), m = s.plane();
  const double inv_count = 1.0 / double(nb * m);
  partial_a_.assign(groups, 0.0);
  partial_b_.assign(groups, 0.0);
  parallel_for(groups, [&](Index g) {
    const Index c = channel_of(s, g);
    const double mu = mean_[g], sigma = sigma_[g], mxd = mean_x_dot_[g], sd = sigma_dot_[g];
    const double gamma = w[c], gamma_dot = w_dot ? w_dot[c] : 0.0;
    // First sweep: the sums every output element needs.
    double s_gy = 0, s_gy_xhat = 0, s_gyd = 0, s_gyd_xhat = 0, s_gy_xhatd = 0;
    for (Index b = 0; b < nb; ++b) {
      const Index off = block_offset(s, g, b);
      const Scalar* p = x.data() + off;
      const Scalar* pd = x_dot.empty() ? nullptr : x_dot.data() + off;
      const Scalar* q = gy.data() + off;
      const Scalar* qd = gy_dot.empty() ? nullptr : gy_dot.data() + off;
      for (Index i = 0; i < m; ++i) {
        const double xhat = (p[i] - mu) / sigma;
        const double xhat_dot = ((pd ? double(pd[i]) : 0.0) - mxd - xhat * sd) / sigma;
        const double gyi = q[i], gydi = qd ? double(qd[i]) : 0.0;
        s_gy += gyi;
        s_gy_xhat += gyi * xhat;
        s_gyd += gydi;
        s_gyd_xhat += gydi * xhat;
        s_gy_xhatd += gyi * xhat_dot;
      }
    }
    partial_a_[g] = s_gyd_xhat + s_gy_xhatd;  // ġγ
    partial_b_[g] = s_gyd;                    // ġβ
    if (gx_dot.empty()) return;
    // a = γ·gy, ȧ = γ̇·gy + γ·ġy.
    const double mean_a = gamma * s_gy * inv_count;
    const double mean_a_xhat = gamma * s_gy_xhat * inv_count;
    const double mean_adot = (gamma_dot * s_gy + gamma * s_gyd) * inv_count;
    const double mean_adot_xhat_plus_a_xhatdot =
        (gamma_dot * s_gy_xhat + gamma * s_gyd_xhat + gamma * s_gy_xhatd) * inv_count;
    for (Index b = 0; b < nb; ++b) {
      const Index off = block_offset(s, g, b);
      const Scalar* p = x.data() + off;
      const Scalar* pd = x_dot.empty() ? nullptr : x_dot.data() + off;
      const Scalar* q = gy.data() + off;
      const Scalar* qd = gy_dot.empty() ? nullptr : gy_dot.data() + off;
      Scalar* r = gx_dot.data() + off;
      for (Index i = 0; i < m; ++i) {
        const double xhat = (p[i] - mu) / sigma;
        const double xhat_dot = ((pd ? double(pd[i]) : 0.0) - mxd - xhat * sd) / sigma;
        const double a = gamma * q[i];
        const double adot = gamma_dot * q[i] + gamma * (qd ? double(qd[i]) : 0.0);
        const double gx = (a - mean_a - xhat * mean_a_xhat) / sigma;
        r[i] = static_cast<Scalar>(
            (adot - mean_adot - xhat_dot * mean_a_xhat - xhat * mean_adot_xhat_plus_a_xhatdot) /
                sigma -
            gx * sd / sigma);
      }
    }
  }, 4 * nb * m);
  if (gw_dot) {
    reduce_channels(s, partial_a_, gw_dot);
    reduce_channels(s, partial_b_, gw_dot + channels_);
  }
}

}  // namespace distill

#endif  // DISTILL_NN_NORMALIZATION_IMPL_HPP
