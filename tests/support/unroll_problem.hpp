#ifndef DISTILL_TESTS_SUPPORT_UNROLL_PROBLEM_HPP
#define DISTILL_TESTS_SUPPORT_UNROLL_PROBLEM_HPP

#include <algorithm>
#include <vector>

#include "distill/core/tensor.hpp"
#include "distill/nn/conv_net.hpp"
#include "support/gradcheck.hpp"

namespace distill::test {

/// The unroll tests' small problem: a network on 2-channel 6×6 images of 3 classes, six images
/// with two per class, soft-label logits, a start θ₀ and a target 0.05·N(0, 1) away from it.
/// The step plans are each test's own.
template <class Net>
struct UnrollProblem {
  Net net{ConvNetConfig{2, 6, 6, 3}};
  Vector<double> theta0, target;
  Tensor<double> images{Shape(6, 2, 6, 6)}, logits{Shape(6, 3)};
  std::vector<int> labels{0, 0, 1, 1, 2, 2};

  UnrollProblem() {
    theta0 = net.init_params(3);
    const Vec noise = random_vec(theta0.size(), 4, 0.05);
    target = theta0;
    for (Index i = 0; i < target.size(); ++i) target[i] += noise[i];
    const Vec x = random_vec(images.size(), 5), u = random_vec(logits.size(), 6);
    std::copy(x.begin(), x.end(), images.data());
    std::copy(u.begin(), u.end(), logits.data());
  }
};

}  // namespace distill::test

#endif  // DISTILL_TESTS_SUPPORT_UNROLL_PROBLEM_HPP
