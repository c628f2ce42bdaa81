#ifndef DISTILL_NN_HESSIAN_VECTOR_HPP
#define DISTILL_NN_HESSIAN_VECTOR_HPP

#include <type_traits>

#include "distill/core/tensor.hpp"
#include "distill/losses/cross_entropy.hpp"

namespace distill {

/// Workspace of the gradient and Hessian-vector passes (the loss's gradients with respect to the
/// network's outputs and their tangents), reused across calls.
template <class Scalar, class Space = HostSpace>
struct HessianVectorWork {
  Tensor<Scalar, Space> g_logits, g_logits_dot, g_embedding, g_embedding_dot;
};

/// The contract of a loss on a network's outputs, as the passes below use it. An OutputLoss L
/// provides, for the network's Outputs (views of logits and embedding):
///   bool uses_embedding() const;                       // whether g_embedding is written
///   Scalar forward(const Outputs& out);                // the value, keeping what backward needs
///                                                      // (or void: a loss that leaves its value
///                                                      // in the backend's memory, InnerObjective)
///   void backward(Work& w);                            // w.g_logits (and w.g_embedding) = ∂ℓ/∂out
///   void backward_tangent(const Outputs& tan, Work& w); // their tangents for the output tangent
/// `backward` and `backward_tangent` size the tensors they write. CrossEntropyOnLogits below
/// is the plain case; the unroll's inner loss adds Contrastive Fusion on the embedding.

/// Softmax cross-entropy on the logits against hard labels (std::vector<int>) or label logits.
template <class Scalar, class Target, class Backend = cpu::Backend>
struct CrossEntropyOnLogits {
  CrossEntropy<Scalar, Backend>& ce;
  const Target& target;
  bool uses_embedding() const { return false; }
  Shape logits_shape{};
  template <class Outputs>
  Scalar forward(const Outputs& out) {
    logits_shape = out.logits.shape();
    return ce.forward(out.logits, target);
  }
  template <class Work>
  void backward(Work& w) {
    w.g_logits.resize(logits_shape);
    ce.backward(w.g_logits);
  }
  template <class Outputs, class Work>
  void backward_tangent(const Outputs& tan, Work& w) {
    w.g_logits_dot.resize(logits_shape);
    ce.backward_tangent(tan.logits, {}, w.g_logits_dot);
  }
};

namespace detail {
/// What loss_gradient and hessian_vector_product return for a loss whose forward returns void.
struct NoValue {};
template <class Loss, class Outputs>
auto forward_value(Loss& loss, const Outputs& out) {
  if constexpr (std::is_void<decltype(loss.forward(out))>::value) {
    loss.forward(out);
    return NoValue{};
  } else {
    return loss.forward(out);
  }
}
}  // namespace detail

/// ℓ and ∇θℓ (grad, if non-null) and ∇xℓ (g_x, if non-empty) of an OutputLoss: one forward and one
/// backward sweep; with `keep`, what a later hessian_vector_product at the same θ and x can take
/// back (Net::Kept).
template <class Net, class Loss, class Work, class Scalar = typename Net::scalar_type>
auto loss_gradient(Net& net, Loss& loss, Work& work, const Scalar* theta, typename Net::View x, Scalar* grad,
                   typename Net::MutView g_x = {}, typename Net::Kept* keep = nullptr) {
  const auto out = net.forward(theta, x);
  const auto value = detail::forward_value(loss, out);
  loss.backward(work);
  net.backward(theta, work.g_logits, loss.uses_embedding() ? work.g_embedding.cview() : typename Net::View{},
               grad, g_x, keep);
  return value;
}

/// One forward sweep with tangent θ̇ = v and one joint reverse sweep give, at once:
///   grad  = ∇θℓ                  (if non-null)
///   hv    = H·v = ∂/∂θ ⟨∇θℓ, v⟩   (if non-null)
///   mixed = ∂/∂x ⟨∇θℓ, v⟩         (if non-empty; the image adjoint of an unrolled SGD step)
/// and the loss is returned (detail::NoValue for a loss that keeps it on the device). This is the
/// one Hessian-vector product of the library: the unrolled reverse sweep calls it with its inner
/// loss. Flat vectors have net.num_params() values. With `kept` (loss_gradient's at the same θ
/// and x), the convolutions that pass ran are not run again and grad must be null (its ∇θℓ is
/// the caller's): the same bits for fewer operations.
template <class Net, class Loss, class Work, class Scalar = typename Net::scalar_type>
auto hessian_vector_product(Net& net, Loss& loss, Work& work, const Scalar* theta, typename Net::View x,
                            const Scalar* v, Scalar* grad, Scalar* hv, typename Net::MutView mixed = {},
                            const typename Net::Kept* kept = nullptr) {
  using View = typename Net::View;
  const auto out = net.forward(theta, x, kept);
  const auto value = detail::forward_value(loss, out);
  loss.backward(work);
  const auto tan = net.tangent(theta, v);
  loss.backward_tangent(tan, work);
  const bool emb = loss.uses_embedding();
  net.backward_tangent(theta, v, work.g_logits, work.g_logits_dot, emb ? work.g_embedding.cview() : View{},
                       emb ? work.g_embedding_dot.cview() : View{}, grad, hv, {}, mixed, kept);
  return value;
}

/// hessian_vector_product for softmax cross-entropy against `target`, a std::vector<int> of hard
/// labels or a view of label logits; for the latter loss.label_mixed_product(net tangent logits)
/// gives ∂/∂u ⟨∇θℓ, v⟩ afterwards.
template <class Net, class Target, class Scalar = typename Net::scalar_type>
Scalar hessian_vector_product(Net& net, CrossEntropy<Scalar, typename Net::backend_type>& loss,
                              HessianVectorWork<Scalar, typename Net::memory_space>& work, const Scalar* theta,
                              typename Net::View x, const Target& target, const Scalar* v, Scalar* grad, Scalar* hv,
                              typename Net::MutView mixed = {}) {
  CrossEntropyOnLogits<Scalar, Target, typename Net::backend_type> objective{loss, target};
  return hessian_vector_product(net, objective, work, theta, x, v, grad, hv, mixed);
}

}  // namespace distill

#endif  // DISTILL_NN_HESSIAN_VECTOR_HPP
