#ifndef DISTILL_METHODS_UNROLL_HPP
#define DISTILL_METHODS_UNROLL_HPP

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <type_traits>
#include <vector>

#include "distill/augment/batch_dsa.hpp"
#include "distill/core/rng.hpp"
#include "distill/core/seeds.hpp"
#include "distill/core/tensor.hpp"
#include "distill/losses/cross_entropy.hpp"
#include "distill/losses/param_match.hpp"
#include "distill/losses/sup_con.hpp"
#include "distill/methods/inner_loss.hpp"
#include "distill/methods/method.hpp"
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
/// Everything runs on the network's backend, and nothing inside the N steps waits for the host:
/// forward uploads the whole plan (every step's minibatch indices and labels, and the
/// augmentation draws when the module can stage them, BatchDsa) once from the backend's staging
/// memory; each step writes its loss values and, in the reverse sweep, ⟨g_k, v⟩ to device
/// memory; forward reads the step losses and the distance's sums back once at its end, backward
/// the N dot products at its end. On a GPU, θ_0 … θ_N, the images, the gradients and every
/// workspace are device memory.
///
/// @tparam Net     a ConvNet (any variant, any backend)
/// @tparam Augment a differentiable augmentation with draw(n, c, h, w, seed), forward(draw, x, y)
///                 backward(draw, gy, gx), is_identity() and optionally stage(draws), on views in
///                 the backend's memory (Dsa and IdentityAugment on the CPU, BatchDsa on any
///                 backend)
template <class Net, class Augment>
class Unroll {
 public:
  using Scalar = typename Net::scalar_type;
  using Backend = typename Net::backend_type;
  using Space = typename Backend::memory_space;
  using ParamVector = ParamVectorIn<Scalar, Space>;
  using Gradients = SyntheticGradients<Scalar, Space>;
  using Objective = InnerObjective<Scalar, Backend>;
  using Draw = decltype(std::declval<const Augment&>().draw(Index{}, Index{}, Index{}, Index{}, std::uint64_t{}));

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
  /// The inner loss ℓ(θ_k) of every step of the last forward sweep.
  const std::vector<Scalar>& step_losses() const { return step_losses_; }

 private:
  Index views() const { return loss_cfg_.fusion ? 2 : 1; }
  Index batch_size(Index k) const { return offsets_[k + 1] - offsets_[k]; }
  /// Uploads the plan of `steps_`: indices, labels, draws; counts the contrastive anchors.
  void stage_plan();
  /// Where one step reads its inputs and writes its loss values: into the plan, or, with the
  /// backend's step graphs on, fixed buffers that every step shares.
  struct StepInputs {
    const Scalar* theta;
    const Index* index;
    const int* labels;
    Index batch, anchors;
    const Draw* draws;  ///< views() draws, or null for the identity
    double* values;     ///< Objective::kValues slots
  };
  /// Builds the (augmented, possibly two-view) input of a step into x_.
  void make_input(const StepInputs& in);
  /// Step k: inner loss and its parameter gradient into grad and, with a tangent v, H·v into
  /// hv and the mixed products (hessian_vector_product) into hx_ and hu_; its loss values go to
  /// step k's slots of values_. Through Backend::run_step when the backend's graphs are on.
  void step(Index k, const ParamVector& theta, const ParamVector* v, Scalar* grad, Scalar* hv);
  void step_body(const StepInputs& in, const Scalar* v, Scalar* grad, Scalar* hv);
  /// step() in graph mode.
  void step_in_graph(Index k, const ParamVector& theta, const ParamVector* v, Scalar* grad, Scalar* hv);
  /// Whether the backend captures repeated steps in graphs (cuda::Context::graphs()).
  static bool graphs() {
    if constexpr (detail::HasStepGraphs<Backend>::value)
      return Backend::graphs();
    else
      return false;
  }
  /// ∂L/∂θ_N into grad (Eigen's reductions for host vectors, param_distance's sums and the
  /// forward's denominator for device ones).
  void distance_gradient(ParamVector& grad) const;
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
  Scalar lr_ = 0;
  double denominator_ = 0;  ///< ‖θ_0 − θ*‖²
  std::vector<ParamVector> thetas_;
  ParamVector target_;

  // The plan: step k's minibatch is entries [offsets_[k], offsets_[k+1]) of the index and label
  // arrays; draw k·views + v augments its view v.
  std::vector<Index> offsets_, anchors_;
  std::vector<Draw> draws_;
  detail::Buffer<Index, StagingSpace<Backend>> index_host_;
  detail::Buffer<int, StagingSpace<Backend>> labels_host_;
  detail::Buffer<Index, Space> index_;
  detail::Buffer<int, Space> labels_device_;
  // Per step Objective::kValues loss values, then the distance's two sums; the dot products.
  Tensor<double, Space> values_;
  Tensor<Scalar, Space> dots_;
  std::vector<double> host_values_;
  std::vector<Scalar> host_dots_, step_losses_;

  // Workspaces; the vectors of the sweeps are members so that their addresses stay fixed (a
  // captured step keeps the addresses it was captured with).
  HessianVectorWork<Scalar, Space> work_;
  Tensor<Scalar, Space> batch_, x_, hx_, hu_, xview_grad_, u_batch_;
  ParamVector grad_, hv_, lambda_, lambda_n_;
  // The fixed step inputs of graph mode.
  ParamVector theta_step_;
  detail::Buffer<Index, Space> step_index_;
  detail::Buffer<int, Space> step_labels_;
  detail::Buffer<DsaSampleParams, Space> step_params_[2];
  std::vector<Draw> step_draws_;
  Tensor<double, Space> step_values_;
};

template <class Net, class Augment>
void Unroll<Net, Augment>::stage_plan() {
  const Index n_steps = Index(steps_.size());
  const Shape is = images_.shape();
  offsets_.assign(1, 0);
  for (const UnrollStep& s : steps_) offsets_.push_back(offsets_.back() + Index(s.batch.size()));
  const Index total = offsets_.back();
  index_host_.reserve(std::size_t(total));
  labels_host_.reserve(std::size_t(total));
  index_.reserve(std::size_t(total));
  labels_device_.reserve(std::size_t(total));
  anchors_.assign(std::size_t(n_steps), 0);
  draws_.clear();
  std::vector<int> step_labels;
  for (Index k = 0; k < n_steps; ++k) {
    const UnrollStep& s = steps_[k];
    step_labels.clear();
    for (std::size_t j = 0; j < s.batch.size(); ++j) {
      index_host_.data()[offsets_[k] + Index(j)] = s.batch[j];
      labels_host_.data()[offsets_[k] + Index(j)] = (*labels_)[s.batch[j]];
      step_labels.push_back((*labels_)[s.batch[j]]);
    }
    const Index b = batch_size(k);
    if (loss_cfg_.fusion) anchors_[k] = contrastive_anchors(loss_cfg_.contrast, step_labels, views() * b, views());
    if (!augment_.is_identity())
      for (Index v = 0; v < views(); ++v)
        // The second view draws from another seed: independent augmentations of the same images.
        draws_.push_back(augment_.draw(b, is.c, is.h, is.w, seeds::view(s.seed, std::uint64_t(v))));
  }
  Backend::copy_from_host(total, index_host_.data(), index_.data());
  Backend::copy_from_host(total, labels_host_.data(), labels_device_.data());
  if constexpr (detail::CanStage<Augment, std::vector<Draw>>::value)
    if (!draws_.empty()) augment_.stage(draws_);
}

template <class Net, class Augment>
void Unroll<Net, Augment>::make_input(const StepInputs& in) {
  const Shape is = images_.shape();
  const Index b = in.batch;
  batch_.resize({b, is.c, is.h, is.w});
  Backend::gather_samples(is.sample_size(), in.index, b, images_.data(), batch_.data());
  x_.resize({views() * b, is.c, is.h, is.w});
  for (Index v = 0; v < views(); ++v) {
    MutableView<Scalar, Space> out = x_.view().samples(v * b, b);
    if (in.draws) {
      augment_.forward(in.draws[v], batch_.cview(), out);
    } else {
      Backend::copy(batch_.size(), batch_.data(), out.data());
    }
  }
  if (!label_logits_.empty()) {
    const Index kk = label_logits_.shape().sample_size();
    u_batch_.resize({b, kk, 1, 1});
    Backend::gather_samples(kk, in.index, b, label_logits_.data(), u_batch_.data());
  }
}

template <class Net, class Augment>
void Unroll<Net, Augment>::step_body(const StepInputs& in, const Scalar* v, Scalar* grad, Scalar* hv) {
  make_input(in);
  Objective objective{loss_cfg_,
                      ce_,
                      contrastive_,
                      in.labels,
                      in.anchors,
                      label_logits_.empty() ? ConstView<Scalar, Space>{} : u_batch_.cview(),
                      in.batch,
                      hu_,
                      in.values};
  if (!v) {
    loss_gradient(net_, objective, work_, in.theta, x_.cview(), grad);
    return;
  }
  hx_.resize(x_.shape());
  hessian_vector_product(net_, objective, work_, in.theta, x_.cview(), v, grad, hv, hx_.view());
}

template <class Net, class Augment>
void Unroll<Net, Augment>::step(Index k, const ParamVector& theta, const ParamVector* v, Scalar* grad, Scalar* hv) {
  const Index b = batch_size(k), first = offsets_[k];
  const Draw* draws = draws_.empty() ? nullptr : draws_.data() + k * views();
  double* values = values_.data() + k * Objective::kValues;
  if (!graphs()) {
    step_body({theta.data(), index_.data() + first, labels_device_.data() + first, b, anchors_[k], draws, values},
              v ? v->data() : nullptr, grad, hv);
    return;
  }
  if constexpr (detail::HasStepGraphs<Backend>::value) step_in_graph(k, theta, v, grad, hv);
}

template <class Net, class Augment>
void Unroll<Net, Augment>::step_in_graph(Index k, const ParamVector& theta, const ParamVector* v, Scalar* grad,
                                         Scalar* hv) {
  const Index b = batch_size(k), first = offsets_[k];
  const Draw* draws = draws_.empty() ? nullptr : draws_.data() + k * views();
  double* values = values_.data() + k * Objective::kValues;
  // Graph mode: the step's inputs go to buffers every step shares, so that the launches of a
  // step depend only on the key (the sweep, the batch, the anchors, the draws' operations).
  assign(theta_step_, theta);
  step_index_.reserve(std::size_t(b));
  step_labels_.reserve(std::size_t(b));
  Backend::copy(b, index_.data() + first, step_index_.data());
  Backend::copy(b, labels_device_.data() + first, step_labels_.data());
  std::ostringstream key;
  key << "unroll " << static_cast<const void*>(this) << (v ? (hv ? " exact" : " tesla") : " forward") << " b " << b
      << " anchors " << anchors_[k];
  step_draws_.clear();
  if (draws) {
    for (Index vi = 0; vi < views(); ++vi) {
      Draw d = draws[vi];
      if constexpr (detail::CanStage<Augment, std::vector<Draw>>::value) {
        const Index sets = Index(d.samples.size());
        step_params_[vi].reserve(std::size_t(sets));
        Backend::copy(sets, d.staged, step_params_[vi].data());
        d.staged = step_params_[vi].data();
        key << " draw";
        for (const DsaOp op : d.ops) key << ' ' << int(op);
        key << " sets " << sets;
      }
      step_draws_.push_back(std::move(d));
    }
  }
  step_values_.resize(Shape(Objective::kValues, 1));
  const StepInputs fixed{theta_step_.data(), step_index_.data(), step_labels_.data(), b, anchors_[k],
                         draws ? step_draws_.data() : nullptr, step_values_.data()};
  Backend::run_step(key.str(), [&] { step_body(fixed, v ? v->data() : nullptr, grad, hv); });
  Backend::copy(Objective::kValues, step_values_.data(), values);
}

template <class Net, class Augment>
void Unroll<Net, Augment>::distance_gradient(ParamVector& grad) const {
  if constexpr (kHostAccessible<Space>) {
    normalized_param_distance<Scalar>(thetas_.back(), target_, thetas_.front(), &grad);
  } else {
    if (grad.size() != net_.num_params()) grad = make_vector();
    param_distance::gradient<Backend>(Index(target_.size()), thetas_.back().data(), target_.data(), denominator_,
                                      grad.data());
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
  for (Index i = 0; i < n; ++i)
    DISTILL_CHECK(labels[i] >= 0 && labels[i] < net_.classes(),
                  "Unroll::forward: label " << labels[i] << " of image " << i << " is outside [0, "
                                            << net_.classes() << ")");
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
  stage_plan();
  assign(target_, target);
  net_.set_training(true);
  const Index n_steps = Index(steps.size());
  const Index slots = n_steps * Objective::kValues;
  values_.resize(Shape(slots + 2, 1));
  values_.set_zero();  // the slots a step without fusion leaves unwritten
  thetas_.resize(steps.size() + 1);
  assign(thetas_[0], theta0);
  if (grad_.size() != net_.num_params()) grad_ = make_vector();
  for (Index k = 0; k < n_steps; ++k) {
    step(k, thetas_[k], nullptr, grad_.data(), nullptr);
    assign(thetas_[k + 1], thetas_[k]);
    Backend::axpy(grad_.size(), -lr, grad_.data(), thetas_[k + 1].data());
  }
  if constexpr (!kHostAccessible<Space>)
    param_distance::queue_sums<Backend>(Index(target_.size()), thetas_.back().data(), target_.data(),
                                        thetas_.front().data(), values_.data() + slots);
  // The one read-back of the sweep: every step's loss values and the distance's sums.
  host_values_.resize(std::size_t(slots + 2));
  Backend::copy_to_host(slots + 2, values_.data(), host_values_.data());
  step_losses_.resize(std::size_t(n_steps));
  for (Index k = 0; k < n_steps; ++k) {
    const double* v = host_values_.data() + k * Objective::kValues;
    DISTILL_CHECK(!loss_cfg_.fusion || v[2] == 0, "Unroll::forward: step " << k << ": " << v[2]
                                                                            << " embedding rows of the contrastive "
                                                                               "loss are zero");
    step_losses_[k] = Objective::value(loss_cfg_, v, batch_size(k), anchors_[k]);
  }
  if constexpr (kHostAccessible<Space>) {
    return normalized_param_distance<Scalar>(thetas_.back(), target_, thetas_.front());
  } else {
    denominator_ = host_values_[slots];
    return param_distance::value<Scalar>(host_values_.data() + slots);
  }
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
  distance_gradient(lambda_);
  assign(lambda_n_, lambda_);
  if (hv_.size() != net_.num_params()) hv_ = make_vector();
  const bool exact = mode == UnrollGradient::kExact;
  const Index n_steps = Index(steps_.size());
  dots_.resize(Shape(n_steps, 1));
  for (Index k = n_steps - 1; k >= 0; --k) {
    const ParamVector& v = exact ? lambda_ : lambda_n_;
    step(k, thetas_[k], &v, grad_.data(), exact ? hv_.data() : nullptr);
    Backend::dot_to(grad_.size(), grad_.data(), v.data(), dots_.data() + k);
    // Image adjoint through the augmentation of every view.
    const Index b = batch_size(k);
    xview_grad_.resize({b, is.c, is.h, is.w});
    for (Index vi = 0; vi < views(); ++vi) {
      const ConstView<Scalar, Space> hx = hx_.cview().samples(vi * b, b);
      const Scalar* adjoint = hx.data();
      if (!draws_.empty()) {
        augment_.backward(draws_[std::size_t(k * views() + vi)], hx, xview_grad_);
        adjoint = xview_grad_.data();
      }
      Backend::scatter_add_samples(is.sample_size(), index_.data() + offsets_[k], b, -lr_, adjoint,
                                   out.images.data());
    }
    if (!label_logits_.empty())
      Backend::scatter_add_samples(label_logits_.shape().sample_size(), index_.data() + offsets_[k], b, -lr_,
                                   hu_.data(), out.label_logits.data());
    if (exact) Backend::axpy(lambda_.size(), -lr_, hv_.data(), lambda_.data());
  }
  // The one read-back of the sweep: ∂L/∂α = −Σ_k ⟨g_k, v⟩, added from k = N−1 down.
  host_dots_.resize(std::size_t(n_steps));
  Backend::copy_to_host(n_steps, dots_.data(), host_dots_.data());
  out.lr = 0;
  for (Index k = n_steps - 1; k >= 0; --k) out.lr -= double(host_dots_[k]);
}

}  // namespace distill

#endif  // DISTILL_METHODS_UNROLL_HPP
