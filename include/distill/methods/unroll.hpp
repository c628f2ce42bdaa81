#ifndef DISTILL_METHODS_UNROLL_HPP
#define DISTILL_METHODS_UNROLL_HPP

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "distill/core/rng.hpp"
#include "distill/core/seeds.hpp"
#include "distill/core/tensor.hpp"
#include "distill/losses/cross_entropy.hpp"
#include "distill/losses/param_match.hpp"
#include "distill/losses/sup_con.hpp"
#include "distill/methods/inner_loss.hpp"
#include "distill/nn/hessian_vector.hpp"

namespace distill {

/// One step of the unrolled inner loop: which synthetic images form its minibatch and the seed
/// of its augmentation draw (replayed exactly in the reverse sweep).
struct UnrollStep {
  std::vector<Index> batch;
  std::uint64_t seed = 0;
};

/// MTT's minibatches for N inner steps over a set of n images: consecutive chunks of
/// `batch` indices from a random permutation, re-drawn when exhausted (batch ≥ n: all images
/// every step). Step k's augmentation seed is derived from (seed, k).
inline std::vector<UnrollStep> make_unroll_steps(Index n, Index steps, Index batch, std::uint64_t seed) {
  DISTILL_CHECK(n > 0 && steps > 0 && batch > 0,
                "make_unroll_steps: images, steps and batch must be positive (" << n << ", " << steps
                                                                                << ", " << batch << ")");
  batch = std::min(batch, n);
  std::vector<UnrollStep> out;
  std::vector<Index> perm;
  Index next = n, round = 0;
  for (Index k = 0; k < steps; ++k) {
    if (next + batch > n) {
      perm.resize(static_cast<std::size_t>(n));
      for (Index i = 0; i < n; ++i) perm[i] = i;
      Rng rng(seed, seeds::unroll_permutation_stream(std::uint64_t(round++)));
      for (Index i = n - 1; i > 0; --i) std::swap(perm[i], perm[rng.below(std::uint64_t(i + 1))]);
      next = 0;
    }
    out.push_back({std::vector<Index>(perm.begin() + next, perm.begin() + next + batch),
                   seeds::unroll_step(seed, std::uint64_t(k))});
    next += batch;
  }
  return out;
}


/// How the reverse sweep treats the dependence of θ_k on earlier steps (docs/design.md §3).
enum class UnrollGradient {
  kExact,  ///< the adjoint λ_k = λ_{k+1} − α·H_k·λ_{k+1} is propagated through every step
  kTesla   ///< TESLA: every step sees λ_N (no Hessian term); exact for N = 1 only
};

/// Gradients of an outer (distillation) loss with respect to the synthetic set's variables, in
/// the memory space of the backend that computed them.
template <class Scalar, class Space = HostSpace>
struct SyntheticGradients {
  Tensor<Scalar, Space> images;        ///< [N, C, H, W]
  Tensor<Scalar, Space> label_logits;  ///< [N, K] when the labels are soft, else empty
  double lr = 0;                       ///< ∂L/∂α
};

/// The parameter vector of a network on a backend: an Eigen vector in host memory, a
/// [P, 1] tensor in any other space (both have data() and size()).
template <class Scalar, class Space>
using ParamVectorIn = std::conditional_t<kHostAccessible<Space>, Vector<Scalar>, Tensor<Scalar, Space>>;

/// N SGD steps of a student from an expert checkpoint on augmented minibatches of a synthetic
/// set, θ_{k+1} = θ_k − α·∇θℓ(θ_k; A_k(X[B_k]), Y[B_k]), the normalised distance
/// L = ‖θ_N − θ*‖²/‖θ_0 − θ*‖² to the expert target, and its exact gradient with respect to
/// the images X, the soft-label logits U and the step size α by the reverse sweep of docs/design.md
/// §3: with λ_N = ∂L/∂θ_N and v = λ_{k+1}, one forward+tangent+reverse sweep of the network at θ_k
/// gives g_k, H·v and the mixed products ∂/∂x⟨g_k, v⟩, ∂/∂u⟨g_k, v⟩, so
///   ∂L/∂α −= ⟨g_k, v⟩;  λ_k = v − α·H·v;  X̄[B_k] −= α·A_kᵀ ∂/∂x⟨g_k, v⟩;  Ū[B_k] −= α·∂/∂u⟨g_k, v⟩.
/// Only θ_0 … θ_N are stored (N·P values); activations are recomputed per step, so memory does
/// not grow with N beyond the parameter vectors.
///
/// Everything runs on the network's backend: on a GPU, θ_0 … θ_N, the images, the gradients
/// and every workspace are device memory, and a step moves only its minibatch indices, labels
/// and augmentation parameters to the device and the loss and ⟨g_k, v⟩ back.
///
/// @tparam Net     a ConvNet (any variant, any backend)
/// @tparam Augment a differentiable augmentation with draw(n, c, h, w, seed), forward(draw, x, y)
///                 backward(draw, gy, gx) and is_identity(), on views in the backend's memory
///                 (Dsa and IdentityAugment on the CPU, BatchDsa on any backend)
template <class Net, class Augment>
class Unroll {
 public:
  using Scalar = typename Net::scalar_type;
  using Backend = typename Net::backend_type;
  using Space = typename Backend::memory_space;
  using ParamVector = ParamVectorIn<Scalar, Space>;
  using Gradients = SyntheticGradients<Scalar, Space>;

  Unroll(Net& net, const Augment& augment, InnerLoss loss = {})
      : net_(net), augment_(augment), loss_cfg_(loss),
        contrastive_(loss.contrast, loss.temperature, 2) {}

  /// Runs the inner loop and returns L. `labels` are the hard labels (always needed: SupCon
  /// uses them); `label_logits` [N, K] are soft labels when non-empty.
  Scalar forward(const ParamVector& theta0, const ParamVector& target, ConstView<Scalar, Space> images,
                 const std::vector<int>& labels, ConstView<Scalar, Space> label_logits, Scalar lr,
                 const std::vector<UnrollStep>& steps);

  /// The reverse sweep after forward: gradients of L (exact or TESLA).
  void backward(Gradients& out, UnrollGradient mode = UnrollGradient::kExact);

  /// θ_k of the last forward sweep, k = 0 … N.
  const std::vector<ParamVector>& trajectory() const { return thetas_; }

 private:
  /// Builds the (augmented, possibly two-view) input of step k into x_.
  void make_input(Index k);
  /// Inner loss and its parameter gradient and, with a tangent v, H·v and the mixed products
  /// (hessian_vector_product), into hx_ and hu_.
  Scalar step(Index k, const ParamVector& theta, const ParamVector* v, Scalar* grad, Scalar* hv);
  /// L = ‖θ_N − θ*‖²/‖θ_0 − θ*‖² and, with `grad`, ∂L/∂θ_N (normalized_param_distance: Eigen's
  /// reductions for host vectors, the backend's deterministic sums for device ones).
  Scalar distance(ParamVector* grad) const;
  ParamVector make_vector() const;
  /// dst = src, reusing dst's storage (a device tensor's copy assignment would allocate).
  static void assign(ParamVector& dst, const ParamVector& src);

  Net& net_;
  const Augment& augment_;
  InnerLoss loss_cfg_;
  ContrastiveLoss<Scalar, Backend> contrastive_;
  CrossEntropy<Scalar, Backend> ce_;

  // Inputs of the last forward sweep.
  ConstView<Scalar, Space> images_, label_logits_;
  const std::vector<int>* labels_ = nullptr;
  std::vector<UnrollStep> steps_;
  Scalar lr_ = 0, denominator_ = 0;
  std::vector<ParamVector> thetas_;
  ParamVector target_;

  // Workspaces.
  HessianVectorWork<Scalar, Space> work_;
  Tensor<Scalar, Space> batch_, x_, hx_, hu_, xview_grad_, u_batch_;
  std::vector<int> y_batch_, y_views_;
};

template <class Net, class Augment>
void Unroll<Net, Augment>::make_input(Index k) {
  const UnrollStep& s = steps_[k];
  const Shape is = images_.shape();
  const Index b = static_cast<Index>(s.batch.size());
  const Index views = loss_cfg_.fusion ? 2 : 1;
  batch_.resize({b, is.c, is.h, is.w});
  Backend::gather_samples(is.sample_size(), s.batch.data(), b, images_.data(), batch_.data());
  x_.resize({views * b, is.c, is.h, is.w});
  for (Index v = 0; v < views; ++v) {
    MutableView<Scalar, Space> out = x_.view().samples(v * b, b);
    if (!augment_.is_identity()) {
      // The second view draws from another seed: independent augmentations of the same images.
      const auto draw = augment_.draw(b, is.c, is.h, is.w, seeds::view(s.seed, std::uint64_t(v)));
      augment_.forward(draw, batch_.cview(), out);
    } else {
      Backend::copy(batch_.size(), batch_.data(), out.data());
    }
  }
  y_batch_.resize(static_cast<std::size_t>(b));
  for (Index j = 0; j < b; ++j) y_batch_[j] = (*labels_)[s.batch[j]];
  if (!label_logits_.empty()) {
    const Index kk = label_logits_.shape().sample_size();
    u_batch_.resize({b, kk, 1, 1});
    Backend::gather_samples(kk, s.batch.data(), b, label_logits_.data(), u_batch_.data());
  }
}

template <class Net, class Augment>
typename Unroll<Net, Augment>::Scalar Unroll<Net, Augment>::step(Index k, const ParamVector& theta,
                                                                   const ParamVector* v, Scalar* grad,
                                                                   Scalar* hv) {
  make_input(k);
  const Index b = static_cast<Index>(steps_[k].batch.size());
  InnerObjective<Scalar, Backend> objective{loss_cfg_, ce_, contrastive_, y_batch_,
                                            label_logits_.empty() ? ConstView<Scalar, Space>{} : u_batch_.cview(),
                                            b, hu_, y_views_};
  if (!v) return loss_gradient(net_, objective, work_, theta.data(), x_.cview(), grad);
  hx_.resize(x_.shape());
  return hessian_vector_product(net_, objective, work_, theta.data(), x_.cview(), v->data(), grad, hv,
                                hx_.view());
}

template <class Net, class Augment>
typename Unroll<Net, Augment>::Scalar Unroll<Net, Augment>::distance(ParamVector* grad) const {
  if constexpr (kHostAccessible<Space>) {
    return normalized_param_distance<Scalar>(thetas_.back(), target_, thetas_.front(), grad);
  } else {
    if (grad) *grad = make_vector();
    return normalized_param_distance<Backend>(Index(target_.size()), thetas_.back().data(), target_.data(),
                                              thetas_.front().data(), grad ? grad->data() : nullptr);
  }
}

template <class Net, class Augment>
typename Unroll<Net, Augment>::ParamVector Unroll<Net, Augment>::make_vector() const {
  if constexpr (kHostAccessible<Space>) {
    return ParamVector(net_.num_params());
  } else {
    return ParamVector(Shape(net_.num_params(), 1));
  }
}

template <class Net, class Augment>
void Unroll<Net, Augment>::assign(ParamVector& dst, const ParamVector& src) {
  if constexpr (kHostAccessible<Space>) {
    dst = src;
  } else {
    dst.resize(src.shape());
    Backend::copy(src.size(), src.data(), dst.data());
  }
}

template <class Net, class Augment>
typename Unroll<Net, Augment>::Scalar Unroll<Net, Augment>::forward(
    const ParamVector& theta0, const ParamVector& target, ConstView<Scalar, Space> images,
    const std::vector<int>& labels, ConstView<Scalar, Space> label_logits, Scalar lr,
    const std::vector<UnrollStep>& steps) {
  const Index n = images.shape().n;
  DISTILL_CHECK(theta0.size() == net_.num_params() && target.size() == net_.num_params(),
                "Unroll::forward: parameter vectors must have " << net_.num_params() << " values");
  DISTILL_CHECK(static_cast<Index>(labels.size()) == n,
                "Unroll::forward: " << labels.size() << " labels for " << n << " images");
  if (!label_logits.empty())
    check_shape(Shape(n, net_.classes()), label_logits.shape(), "Unroll::forward label logits");
  DISTILL_CHECK(!steps.empty(), "Unroll::forward: no inner steps");
  for (std::size_t k = 0; k < steps.size(); ++k) {
    DISTILL_CHECK(!steps[k].batch.empty(), "Unroll::forward: step " << k << " has an empty minibatch");
    for (Index i : steps[k].batch)
      DISTILL_CHECK(i >= 0 && i < n, "Unroll::forward: step " << k << " uses image " << i
                                                               << " of a set of " << n);
  }
  images_ = images;
  labels_ = &labels;
  label_logits_ = label_logits;
  steps_ = steps;
  lr_ = lr;
  assign(target_, target);
  net_.set_training(true);
  thetas_.resize(steps.size() + 1);
  assign(thetas_[0], theta0);
  ParamVector grad = make_vector();
  for (std::size_t k = 0; k < steps.size(); ++k) {
    step(Index(k), thetas_[k], nullptr, grad.data(), nullptr);
    assign(thetas_[k + 1], thetas_[k]);
    Backend::axpy(grad.size(), -lr, grad.data(), thetas_[k + 1].data());
  }
  return distance(nullptr);
}

template <class Net, class Augment>
void Unroll<Net, Augment>::backward(Gradients& out, UnrollGradient mode) {
  DISTILL_CHECK(!thetas_.empty(), "Unroll::backward: call forward first");
  const Shape is = images_.shape();
  out.images.resize(is);
  out.images.set_zero();
  if (!label_logits_.empty()) {
    out.label_logits.resize(label_logits_.shape());
    out.label_logits.set_zero();
  } else {
    out.label_logits.resize(Shape(0, 0));
  }
  out.lr = 0;
  ParamVector lambda;
  distance(&lambda);
  ParamVector lambda_n;
  assign(lambda_n, lambda);
  ParamVector grad = make_vector(), hv = make_vector();
  const bool exact = mode == UnrollGradient::kExact;
  for (Index k = Index(steps_.size()) - 1; k >= 0; --k) {
    const ParamVector& v = exact ? lambda : lambda_n;
    step(k, thetas_[k], &v, grad.data(), exact ? hv.data() : nullptr);
    out.lr -= double(Backend::dot(grad.size(), grad.data(), v.data()));
    // Image adjoint through the augmentation of every view.
    const UnrollStep& s = steps_[k];
    const Index b = static_cast<Index>(s.batch.size());
    const Index views = loss_cfg_.fusion ? 2 : 1;
    xview_grad_.resize({b, is.c, is.h, is.w});
    for (Index vi = 0; vi < views; ++vi) {
      const ConstView<Scalar, Space> hx = hx_.cview().samples(vi * b, b);
      const Scalar* adjoint = hx.data();
      if (!augment_.is_identity()) {
        const auto draw = augment_.draw(b, is.c, is.h, is.w, seeds::view(s.seed, std::uint64_t(vi)));
        augment_.backward(draw, hx, xview_grad_);
        adjoint = xview_grad_.data();
      }
      Backend::scatter_add_samples(is.sample_size(), s.batch.data(), b, -lr_, adjoint, out.images.data());
    }
    if (!label_logits_.empty())
      Backend::scatter_add_samples(label_logits_.shape().sample_size(), s.batch.data(), b, -lr_, hu_.data(),
                                   out.label_logits.data());
    if (exact) Backend::axpy(lambda.size(), -lr_, hv.data(), lambda.data());
  }
}

}  // namespace distill

#endif  // DISTILL_METHODS_UNROLL_HPP
