#ifndef DISTILL_TRAIN_SGD_HPP
#define DISTILL_TRAIN_SGD_HPP

#include <Eigen/Core>

#include "distill/core/tensor.hpp"

namespace distill {

/// SGD over a flat vector with PyTorch's semantics (torch.optim.SGD, dampening 0):
///   d = g + λ·θ;  v = μ·v + d (v = d on the first step);  θ −= lr·(nesterov ? d + μ·v : v)
template <class Scalar>
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
      if (weight_decay_ == Scalar(0)) {
        params -= lr_ * grad;
      } else {
        params -= lr_ * (grad + weight_decay_ * params);
      }
      return;
    }
    DISTILL_CHECK(velocity_.size() == 0 || velocity_.size() == params.size(),
                  "Sgd::step: momentum buffer has " << velocity_.size() << " values, parameters "
                                                    << params.size());
    const bool first = velocity_.size() == 0;
    if (first) velocity_.resize(params.size());
    for (Index i = 0; i < params.size(); ++i) {
      const Scalar d = grad[i] + weight_decay_ * params[i];
      const Scalar v = first ? d : momentum_ * velocity_[i] + d;
      velocity_[i] = v;
      params[i] -= lr_ * (nesterov_ ? d + momentum_ * v : v);
    }
  }

 private:
  Scalar lr_, momentum_, weight_decay_;
  bool nesterov_;
  Vector<Scalar> velocity_;
};

}  // namespace distill

#endif  // DISTILL_TRAIN_SGD_HPP
