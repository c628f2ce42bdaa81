#ifndef DISTILL_METHODS_DISTRIBUTION_MATCHING_STAGE_CONSTRAINTS_HPP
#define DISTILL_METHODS_DISTRIBUTION_MATCHING_STAGE_CONSTRAINTS_HPP

#include <vector>

#include "distill/core/tensor.hpp"
#include "distill/losses/cross_entropy.hpp"

namespace distill {

/// No constraint term (DM). A constraint has
///   template <class Net> void queue(Net&, const Scalar* θ_t, ConstView x, const int* labels,
///                                   double* raw, MutableView gx);
///   template <class Scalar> double value(double raw, Index batch) const;
/// queue adds its term's gradient on the (augmented) synthetic batch x (hard labels in the
/// backend's memory) to gx and leaves a raw value at `raw` in the backend's memory, nothing
/// waiting; value makes the term of the host copy of that raw value.
struct NoConstraint {
  double weight() const { return 0; }
  template <class Net>
  void queue(Net&, const typename Net::scalar_type*, ConstView<typename Net::scalar_type, typename Net::memory_space>,
             const int*, double*, MutableView<typename Net::scalar_type, typename Net::memory_space>) {}
  template <class Scalar>
  double value(double, Index) const {
    return 0;
  }
};

/// TGDD's stage-wise distribution constraint: α·CE of the synthetic images under the later
/// expert θ_t, which pulls each class's images towards what a trained network recognises as
/// that class and away from the others.
class StageCrossEntropy {
 public:
  explicit StageCrossEntropy(double alpha = 2.5) : alpha_(alpha) {
    DISTILL_CHECK(alpha >= 0, "StageCrossEntropy: alpha must not be negative, got " << alpha);
  }
  double weight() const { return alpha_; }

  /// raw: the cross-entropy's raw sum (CrossEntropy::evaluate).
  template <class Net>
  void queue(Net& net, const typename Net::scalar_type* theta,
             ConstView<typename Net::scalar_type, typename Net::memory_space> x, const int* labels, double* raw,
             MutableView<typename Net::scalar_type, typename Net::memory_space> gx) {
    using Scalar = typename Net::scalar_type;
    using Backend = typename Net::backend_type;
    if (alpha_ == 0) return;
    const auto out = net.forward(theta, x);
    CrossEntropy<Scalar, Backend> ce;
    ce.evaluate(out.logits, labels, raw);
    Tensor<Scalar, typename Net::memory_space> gz(out.logits.shape()), g(x.shape());
    ce.backward(gz);
    Backend::scal(gz.size(), Scalar(alpha_), gz.data());
    net.backward(theta, gz.cview(), {}, nullptr, g.view());
    Backend::axpy(g.size(), Scalar(1), g.data(), gx.data());
  }
  /// α·CE of a batch of `batch` images, CE in the network's Scalar as it computes it.
  template <class Scalar>
  double value(double raw, Index batch) const {
    return alpha_ == 0 ? 0 : alpha_ * double(CrossEntropy<Scalar>::loss_from(raw, batch));
  }

 private:
  double alpha_;
};

}  // namespace distill

#endif  // DISTILL_METHODS_DISTRIBUTION_MATCHING_STAGE_CONSTRAINTS_HPP
