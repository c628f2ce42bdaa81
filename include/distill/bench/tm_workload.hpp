#ifndef DISTILL_BENCH_TM_WORKLOAD_HPP
#define DISTILL_BENCH_TM_WORKLOAD_HPP

// The generated trajectory-matching workload that bench_trajectory_matching and `distill bench
// tm` both time, so that their figures describe the same computation.

#include <cstdint>
#include <vector>

#include "distill/augment/dsa.hpp"
#include "distill/core/rng.hpp"
#include "distill/methods/unroll.hpp"
#include "distill/nn/conv_net.hpp"

namespace distill::bench {

/// ConvNet-3 (width 128) from a random start θ₀ towards a target 0.01·N(0, 1) away from it,
/// `10·ipc` standard-normal images with class labels, DSA, and the unroll over them.
struct TmWorkload {
  ConvNet3<float> net;
  Vector<float> theta0, target;
  Tensor<float> images;
  std::vector<int> labels;
  Dsa<float> dsa;
  Unroll<ConvNet3<float>, Dsa<float>> unroll{net, dsa};
  SyntheticGradients<float> grads;
  Index steps, batch;

  TmWorkload(Index ipc, Index syn_steps, Index batch_syn)
      : theta0(net.init_params(1)), target(theta0), images(net.input_shape(10 * ipc)),
        labels(static_cast<std::size_t>(10 * ipc)), steps(syn_steps), batch(batch_syn) {
    Rng rng(2);
    for (Index i = 0; i < target.size(); ++i) target[i] += 0.01f * float(rng.normal());
    for (Index i = 0; i < images.size(); ++i) images[i] = float(rng.normal());
    for (Index i = 0; i < images_count(); ++i) labels[std::size_t(i)] = int(i / ipc);
  }
  TmWorkload(const TmWorkload&) = delete;  // the unroll holds pointers to net and dsa
  TmWorkload& operator=(const TmWorkload&) = delete;

  Index images_count() const { return images.shape().n; }

  /// One outer iteration: the forward sweep and the exact reverse sweep into `grads`.
  float iteration(std::uint64_t it) {
    const auto plan = make_unroll_steps(images_count(), steps, batch, it);
    const float loss = unroll.forward(theta0, target, images.cview(), labels, {}, 0.01f, plan);
    unroll.backward(grads);
    return loss;
  }
};

}  // namespace distill::bench

#endif  // DISTILL_BENCH_TM_WORKLOAD_HPP
