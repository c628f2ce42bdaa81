#ifndef DISTILL_TRAIN_SGD_HPP
#define DISTILL_TRAIN_SGD_HPP

#include <Eigen/Core>

#include "distill/backend/cpu/backend.hpp"
#include "distill/core/macros.hpp"
#include "distill/core/tensor.hpp"

namespace distill {
namespace detail {

/// One SGD update of element i (PyTorch's torch.optim.SGD, dampening 0). Without momentum the
/// velocity is not touched (it may be null).
template <class T>
struct SgdStep {
  T lr, momentum, weight_decay;
  bool nesterov, first;
  T* params;
  const T* grad;
  T* velocity;
  DISTILL_HOST_DEVICE void operator()(Index i) const {
    if (momentum == T(0)) {
      // Weight decay 0 skips λ·θ so that a non-finite θ does not turn the step into NaN.
      params[i] -= lr * (weight_decay == T(0) ? grad[i] : grad[i] + weight_decay * params[i]);
      return;
    }
    const T d = grad[i] + weight_decay * params[i];
    const T v = first ? d : momentum * velocity[i] + d;
    velocity[i] = v;
    params[i] -= lr * (nesterov ? d + momentum * v : v);
  }
};

}  // namespace detail

/// SGD over a flat vector with PyTorch's semantics (torch.optim.SGD, dampening 0):
///   d = g + λ·θ;  v = μ·v + d (v = d on the first step);  θ −= lr·(nesterov ? d + μ·v : v)
template <class Scalar, class Backend = cpu::Backend>
class Sgd {
 public:
  explicit Sgd(Scalar lr, Scalar momentum = 0, Scalar weight_decay = 0, bool nesterov = false)
      : lr_(lr), momentum_(momentum), weight_decay_(weight_decay), nesterov_(nesterov) {
    DISTILL_CHECK(lr >= 0 && momentum >= 0 && weight_decay >= 0,
                  "Sgd: lr, momentum and weight decay must be non-negative (got " << lr << ", "
                                                                                  << momentum << ", "
                                                                                  << weight_decay << ")");
  }
  Scalar lr() const { return lr_; }
  void set_lr(Scalar lr) { lr_ = lr; }
  Scalar momentum() const { return momentum_; }
  Scalar weight_decay() const { return weight_decay_; }
  /// The momentum buffer (empty before the first step or without momentum).
  const Vector<Scalar>& velocity() const { return velocity_; }
  void set_velocity(const Vector<Scalar>& v) { velocity_ = v; }
  void reset() { velocity_.resize(0); }

  void step(Eigen::Ref<Vector<Scalar>> params, const Eigen::Ref<const Vector<Scalar>>& grad) {
    DISTILL_CHECK(params.size() == grad.size(), "Sgd::step: " << params.size() << " parameters but "
                                                              << grad.size() << " gradient values");
    if (momentum_ == Scalar(0)) {
      Backend::for_each(params.size(), detail::SgdStep<Scalar>{lr_, momentum_, weight_decay_, nesterov_, false,
                                                               params.data(), grad.data(), nullptr});
      return;
    }
    DISTILL_CHECK(velocity_.size() == 0 || velocity_.size() == params.size(),
                  "Sgd::step: momentum buffer has " << velocity_.size() << " values, parameters "
                                                    << params.size());
    const bool first = velocity_.size() == 0;
    if (first) velocity_.resize(params.size());
    Backend::for_each(params.size(), detail::SgdStep<Scalar>{lr_, momentum_, weight_decay_, nesterov_, first,
                                                             params.data(), grad.data(), velocity_.data()});
  }

 private:
  Scalar lr_, momentum_, weight_decay_;
  bool nesterov_;
  Vector<Scalar> velocity_;
};

}  // namespace distill

#endif  // DISTILL_TRAIN_SGD_HPP
