#ifndef DISTILL_METHODS_STAGE_CONSTRAINTS_HPP
#define DISTILL_METHODS_STAGE_CONSTRAINTS_HPP

#include <vector>

#include "distill/core/tensor.hpp"
#include "distill/losses/cross_entropy.hpp"

namespace distill {

/// No constraint term (DM). A constraint has `template <class Net> double add(Net&, const
/// Scalar* θ_t, ConstView x, const std::vector<int>& labels, MutableView gx)`: it returns its
/// term of the loss on the (augmented) synthetic batch x and adds its gradient to gx.
struct NoConstraint {
  double weight() const { return 0; }
  template <class Net>
  double add(Net&, const typename Net::scalar_type*, ConstView<typename Net::scalar_type, typename Net::memory_space>,
             const std::vector<int>&, MutableView<typename Net::scalar_type, typename Net::memory_space>) {
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

  template <class Net>
  double add(Net& net, const typename Net::scalar_type* theta,
             ConstView<typename Net::scalar_type, typename Net::memory_space> x, const std::vector<int>& labels,
             MutableView<typename Net::scalar_type, typename Net::memory_space> gx) {
    using Scalar = typename Net::scalar_type;
    using Backend = typename Net::backend_type;
    if (alpha_ == 0) return 0;
    const auto out = net.forward(theta, x);
    CrossEntropy<Scalar, Backend> ce;
    const double value = double(ce.forward(out.logits, labels));
    Tensor<Scalar, typename Net::memory_space> gz(out.logits.shape()), g(x.shape());
    ce.backward(gz);
    Backend::scal(gz.size(), Scalar(alpha_), gz.data());
    net.backward(theta, gz.cview(), {}, nullptr, g.view());
    Backend::axpy(g.size(), Scalar(1), g.data(), gx.data());
    return alpha_ * value;
  }

 private:
  double alpha_;
};

}  // namespace distill

#endif  // DISTILL_METHODS_STAGE_CONSTRAINTS_HPP
