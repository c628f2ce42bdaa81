#ifndef DISTILL_BENCH_TRAIN_WORKLOAD_HPP
#define DISTILL_BENCH_TRAIN_WORKLOAD_HPP

// The generated training-step workload that `distill bench train` times on either device: the
// same network, data and step (forward, cross-entropy, backward, SGD) on the CPU backend or,
// compiled by nvcc, on cuda::Backend.

#include <cstdint>
#include <vector>

#include "distill/core/rng.hpp"
#include "distill/losses/cross_entropy.hpp"
#include "distill/nn/conv_net.hpp"
#include "distill/train/sgd.hpp"

namespace distill::bench {

/// ConvNet-3 (width 128) on `batch` standard-normal 32×32×3 images with random labels; the
/// parameters, images and gradients live in the backend's memory.
template <class Backend>
struct TrainWorkload {
  using Net = ConvNet3<float, Backend>;
  using Space = typename Net::memory_space;
  Net net;
  Tensor<float, Space> theta, grad, images, g_logits;
  std::vector<int> labels;
  CrossEntropy<float, Backend> ce;
  float lr = 0.01f;

  explicit TrainWorkload(Index batch) : labels(static_cast<std::size_t>(batch)) {
    const Vector<float> theta0 = net.init_params(0);
    const Shape ps(net.num_params(), 1);
    theta.resize(ps);
    grad.resize(ps);
    images.resize(net.input_shape(batch));
    g_logits.resize(Shape(batch, net.classes()));
    Rng rng(1);
    std::vector<float> x(static_cast<std::size_t>(images.size()));
    for (auto& v : x) v = float(rng.normal());
    for (auto& y : labels) y = int(rng.below(10));
    Backend::copy_from_host(theta.size(), theta0.data(), theta.data());
    Backend::copy_from_host(images.size(), x.data(), images.data());
  }

  /// One step; returns the loss before it.
  float step() {
    const auto out = net.forward(theta.data(), images.cview());
    const float loss = ce.forward(out.logits, labels);
    ce.backward(g_logits.view());
    net.backward(theta.data(), g_logits.cview(), {}, grad.data());
    Backend::for_each(theta.size(), detail::SgdStep<float>{lr, 0.0f, 0.0f, false, false, theta.data(), grad.data(),
                                                           nullptr});
    return loss;
  }
};

}  // namespace distill::bench

#endif  // DISTILL_BENCH_TRAIN_WORKLOAD_HPP
