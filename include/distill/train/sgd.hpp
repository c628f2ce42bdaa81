#ifndef DISTILL_TRAIN_SGD_HPP
#define DISTILL_TRAIN_SGD_HPP

#include <Eigen/Core>
#include <type_traits>

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
/// The update runs on the backend over arrays in its memory, where the momentum buffer lives
/// too; the Eigen overload and velocity()/set_velocity() are the host API (checkpoints).
template <class Scalar, class Backend = cpu::Backend>
class Sgd {
  using Space = typename Backend::memory_space;
  static constexpr bool kHost = kHostAccessible<Space>;
  using Velocity = std::conditional_t<kHost, Vector<Scalar>, Tensor<Scalar, Space>>;

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
  /// The momentum buffer (empty before the first step or without momentum); host memory only.
  const Vector<Scalar>& velocity() const {
    static_assert(kHost, "Sgd::velocity: the buffer is in device memory");
    return velocity_;
  }
  void set_velocity(const Vector<Scalar>& v) {
    static_assert(kHost, "Sgd::set_velocity: the buffer is in device memory");
    velocity_ = v;
  }
  void reset() { resize_velocity(0); }

  void step(Eigen::Ref<Vector<Scalar>> params, const Eigen::Ref<const Vector<Scalar>>& grad) {
    static_assert(kHost, "Sgd::step(Eigen): use step(n, params, grad) with device arrays");
    DISTILL_CHECK(params.size() == grad.size(), "Sgd::step: " << params.size() << " parameters but "
                                                              << grad.size() << " gradient values");
    step(params.size(), params.data(), grad.data());
  }

  /// One update of the n values at `params` from `grad`, both in the backend's memory.
  void step(Index n, Scalar* params, const Scalar* grad) {
    if (momentum_ == Scalar(0)) {
      Backend::for_each(n, detail::SgdStep<Scalar>{lr_, momentum_, weight_decay_, nesterov_, false, params, grad,
                                                   nullptr});
      return;
    }
    DISTILL_CHECK(velocity_.size() == 0 || velocity_.size() == n,
                  "Sgd::step: momentum buffer has " << velocity_.size() << " values, parameters " << n);
    const bool first = velocity_.size() == 0;
    if (first) resize_velocity(n);
    Backend::for_each(n, detail::SgdStep<Scalar>{lr_, momentum_, weight_decay_, nesterov_, first, params, grad,
                                                 velocity_.data()});
  }

 private:
  void resize_velocity(Index n) {
    if constexpr (kHost)
      velocity_.resize(n);
    else
      velocity_.resize(Shape(n, 1));
  }

  Scalar lr_, momentum_, weight_decay_;
  bool nesterov_;
  Velocity velocity_;
};

}  // namespace distill

#endif  // DISTILL_TRAIN_SGD_HPP
