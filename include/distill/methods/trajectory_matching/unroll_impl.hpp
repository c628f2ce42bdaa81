#ifndef DISTILL_METHODS_TRAJECTORY_MATCHING_UNROLL_IMPL_HPP
#define DISTILL_METHODS_TRAJECTORY_MATCHING_UNROLL_IMPL_HPP

#include <sstream>
#include <string>
#include <vector>

#include "distill/methods/trajectory_matching/unroll.hpp"

namespace distill {

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
void Unroll<Net, Augment>::step_body(const StepInputs& in, const Scalar* v, Scalar* grad, Scalar* hv,
                                     typename Net::Kept* kept) {
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
    loss_gradient(net_, objective, work_, in.theta, x_.cview(), grad, {}, kept);
    return;
  }
  hx_.resize(x_.shape());
  hessian_vector_product(net_, objective, work_, in.theta, x_.cview(), v, grad, hv, hx_.view(), kept);
}

template <class Net, class Augment>
void Unroll<Net, Augment>::step(Index k, const ParamVector& theta, const ParamVector* v, Scalar* grad, Scalar* hv,
                                typename Net::Kept* kept) {
  const Index first = offsets_[k];
  const StepInputs planned{theta.data(),
                           index_.data() + first,
                           labels_device_.data() + first,
                           batch_size(k),
                           anchors_[k],
                           draws_.empty() ? nullptr : draws_.data() + k * views(),
                           values_.data() + k * Objective::kValues};
  const Scalar* tangent = v ? v->data() : nullptr;
  if (!graphs()) return step_body(planned, tangent, grad, hv, kept);
  if constexpr (detail::HasStepGraphs<Backend>::value) step_in_graph(planned, tangent, grad, hv);
}

template <class Net, class Augment>
void Unroll<Net, Augment>::step_in_graph(const StepInputs& planned, const Scalar* v, Scalar* grad, Scalar* hv) {
  const Index b = planned.batch;
  // Graph mode: the step's inputs go to buffers every step shares, so that the launches of a
  // step depend only on the key (the sweep, the batch, the anchors, the draws' operations).
  if (theta_step_.size() != net_.num_params()) theta_step_ = make_vector();
  Backend::copy(theta_step_.size(), planned.theta, theta_step_.data());
  step_index_.reserve(std::size_t(b));
  step_labels_.reserve(std::size_t(b));
  Backend::copy(b, planned.index, step_index_.data());
  Backend::copy(b, planned.labels, step_labels_.data());
  std::ostringstream key;
  key << "unroll " << static_cast<const void*>(this) << (v ? (hv ? " exact" : " tesla") : " forward") << " b " << b
      << " anchors " << planned.anchors;
  step_draws_.clear();
  if (planned.draws) {
    for (Index vi = 0; vi < views(); ++vi) {
      Draw d = planned.draws[vi];
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
  const StepInputs fixed{theta_step_.data(), step_index_.data(), step_labels_.data(), b, planned.anchors,
                         planned.draws ? step_draws_.data() : nullptr, step_values_.data()};
  Backend::run_step(key.str(), [&] { step_body(fixed, v, grad, hv, nullptr); });
  Backend::copy(Objective::kValues, step_values_.data(), planned.values);
}

template <class Net, class Augment>
void Unroll<Net, Augment>::distance_gradient(ParamVector& grad) const {
  if (grad.size() != net_.num_params()) grad = make_vector();
  param_distance::gradient<Backend>(Index(target_.size()), thetas_.back().data(), target_.data(), denominator_,
                                    grad.data());
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
  // The first steps whose kept passes fit in the budget (none in graph mode).
  Index keep = 0;
  for (std::size_t used = 0; !graphs() && keep < n_steps; ++keep) {
    used += kept_step_bytes(batch_size(keep));
    if (used > keep_budget_) break;
  }
  kept_.resize(std::size_t(keep));
  kept_grads_.resize(std::size_t(keep));
  for (Index k = 0; k < n_steps; ++k) {
    typename Net::Kept* kept = k < keep ? &kept_[std::size_t(k)] : nullptr;
    step(k, thetas_[k], nullptr, grad_.data(), nullptr, kept);
    if (kept) assign(kept_grads_[std::size_t(k)], grad_);
    assign(thetas_[k + 1], thetas_[k]);
    Backend::axpy(grad_.size(), -lr, grad_.data(), thetas_[k + 1].data());
  }
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
  denominator_ = host_values_[slots];
  return param_distance::value<Scalar>(host_values_.data() + slots);
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
    typename Net::Kept* kept = k < kept_steps() ? &kept_[std::size_t(k)] : nullptr;
    step(k, thetas_[k], &v, kept ? nullptr : grad_.data(), exact ? hv_.data() : nullptr, kept);
    const ParamVector& g = kept ? kept_grads_[std::size_t(k)] : grad_;
    Backend::dot_to(g.size(), g.data(), v.data(), dots_.data() + k);
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

#endif  // DISTILL_METHODS_TRAJECTORY_MATCHING_UNROLL_IMPL_HPP
