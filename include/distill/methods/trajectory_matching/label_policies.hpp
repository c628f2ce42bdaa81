#ifndef DISTILL_METHODS_TRAJECTORY_MATCHING_LABEL_POLICIES_HPP
#define DISTILL_METHODS_TRAJECTORY_MATCHING_LABEL_POLICIES_HPP

#include "distill/core/error.hpp"

namespace distill {

/// Fixed one-hot labels, class-major (MTT, TESLA). A label policy says whether the labels are
/// learned (`kLearned`) and, if so, with which SGD step size and momentum; the method computes
/// their initial value and the driver optimises them.
struct HardLabels {
  static constexpr bool kLearned = false;
  double lr() const { return 0; }
  double momentum() const { return 0; }
};

/// DATM's learned soft labels: logits initialised to the mean logits of the experts that
/// classify each image correctly, then learned through the unroll by SGD (lr_y, momentum 0.9);
/// the student's loss is the soft cross-entropy −Σ softmax(u)·log softmax(z).
class LearnedSoftLabels {
 public:
  static constexpr bool kLearned = true;
  explicit LearnedSoftLabels(double lr = 5, double momentum = 0.9) : lr_(lr), momentum_(momentum) {
    DISTILL_CHECK(lr > 0 && momentum >= 0 && momentum < 1,
                  "LearnedSoftLabels: need lr > 0 and momentum in [0, 1) (got " << lr << ", " << momentum << ")");
  }
  double lr() const { return lr_; }
  double momentum() const { return momentum_; }

 private:
  double lr_, momentum_;
};

}  // namespace distill

#endif  // DISTILL_METHODS_TRAJECTORY_MATCHING_LABEL_POLICIES_HPP
