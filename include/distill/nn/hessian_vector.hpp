#ifndef DISTILL_NN_HESSIAN_VECTOR_HPP
#define DISTILL_NN_HESSIAN_VECTOR_HPP

#include "distill/core/tensor.hpp"
#include "distill/losses/cross_entropy.hpp"

namespace distill {

/// Workspace of hessian_vector_product (the logits gradient and its tangent), reused across calls.
template <class Scalar>
struct HessianVectorWork {
  Tensor<Scalar> g_logits, g_logits_dot;
};

/// One forward sweep with tangent θ̇ = v and one joint reverse sweep give, at once:
///   grad  = ∇θℓ                  (if non-null)
///   hv    = H·v = ∂/∂θ ⟨∇θℓ, v⟩   (if non-null)
///   mixed = ∂/∂x ⟨∇θℓ, v⟩         (if non-empty; the image adjoint of an unrolled SGD step)
/// and the loss is returned. `target` is a std::vector<int> of hard labels or a view of label
/// logits; for the latter loss.label_mixed_product(net tangent logits) gives ∂/∂u ⟨∇θℓ, v⟩
/// afterwards. Flat vectors have net.num_params() values.
template <class Net, class Target, class Scalar = typename Net::scalar_type>
Scalar hessian_vector_product(Net& net, CrossEntropy<Scalar>& loss, HessianVectorWork<Scalar>& work,
                              const Scalar* theta, ConstView<Scalar> x, const Target& target,
                              const Scalar* v, Scalar* grad, Scalar* hv,
                              MutableView<Scalar> mixed = {}) {
  const auto out = net.forward(theta, x);
  const Scalar value = loss.forward(out.logits, target);
  work.g_logits.resize(out.logits.shape());
  work.g_logits_dot.resize(out.logits.shape());
  loss.backward(work.g_logits);
  const auto tan = net.tangent(theta, v);
  loss.backward_tangent(tan.logits, {}, work.g_logits_dot);
  net.backward_tangent(theta, v, work.g_logits, work.g_logits_dot, {}, {}, grad, hv, {}, mixed);
  return value;
}

}  // namespace distill

#endif  // DISTILL_NN_HESSIAN_VECTOR_HPP
