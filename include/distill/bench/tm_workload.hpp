#ifndef DISTILL_BENCH_TM_WORKLOAD_HPP
#define DISTILL_BENCH_TM_WORKLOAD_HPP

// The generated trajectory-matching workload that bench_trajectory_matching and `distill bench
// tm` both time, on either device, so that their figures describe the same computation.

#include <cstdint>
#include <vector>

#include "distill/augment/batch_dsa.hpp"
#include "distill/core/rng.hpp"
#include "distill/methods/trajectory_matching/unroll.hpp"
#include "distill/nn/conv_net.hpp"

namespace distill::bench {

/// ConvNet-3 (width 128) from a random start θ₀ towards a target 0.01·N(0, 1) away from it,
/// `classes·ipc` standard-normal images with class labels, DSA, and the unroll over them, keeping
/// up to `keep_bytes` between its sweeps (Unroll::keep_within). The values are drawn on the host
/// and uploaded, so every backend times the same problem.
template <class Backend>
struct BasicTmWorkload {
  using Net = ConvNet3<float, Backend>;
  using Space = typename Backend::memory_space;
  using Augment = DsaFor<float, Backend>;
  using ParamVector = ParamVectorIn<float, Space>;

  Net net;
  ParamVector theta0, target;
  Tensor<float, Space> images;
  std::vector<int> labels;
  Augment dsa;
  Unroll<Net, Augment> unroll{net, dsa};
  SyntheticGradients<float, Space> grads;
  Index steps, batch;

  BasicTmWorkload(Index ipc, Index syn_steps, Index batch_syn, Index classes = 10, std::size_t keep_bytes = 0)
      : net(ConvNetConfig{3, 32, 32, classes}), images(net.input_shape(classes * ipc)),
        labels(static_cast<std::size_t>(classes * ipc)), steps(syn_steps), batch(batch_syn) {
    const Vector<float> start = net.init_params(1);
    Vector<float> goal = start;
    Tensor<float> pixels(images.shape());
    Rng rng(2);
    for (Index i = 0; i < goal.size(); ++i) goal[i] += 0.01f * float(rng.normal());
    for (Index i = 0; i < pixels.size(); ++i) pixels[i] = float(rng.normal());
    for (Index i = 0; i < images_count(); ++i) labels[std::size_t(i)] = int(i / ipc);
    theta0 = upload(start);
    target = upload(goal);
    Backend::copy_from_host(pixels.size(), pixels.data(), images.data());
    unroll.keep_within(keep_bytes);
  }
  BasicTmWorkload(const BasicTmWorkload&) = delete;  // the unroll holds pointers to net and dsa
  BasicTmWorkload& operator=(const BasicTmWorkload&) = delete;

  Index images_count() const { return images.shape().n; }

  /// One outer iteration: the forward sweep and the exact reverse sweep into `grads`.
  float iteration(std::uint64_t it) {
    const auto plan = make_unroll_steps(images_count(), steps, batch, it);
    const float loss = unroll.forward(theta0, target, images.cview(), labels, {}, 0.01f, plan);
    unroll.backward(grads);
    return loss;
  }

 private:
  static ParamVector upload(const Vector<float>& v) {
    if constexpr (kHostAccessible<Space>) {
      return v;
    } else {
      ParamVector d(Shape(v.size(), 1));
      Backend::copy_from_host(v.size(), v.data(), d.data());
      return d;
    }
  }
};

/// The CPU workload of the benchmarks (Dsa, Eigen's GEMM).
using TmWorkload = BasicTmWorkload<cpu::Backend>;

}  // namespace distill::bench

#endif  // DISTILL_BENCH_TM_WORKLOAD_HPP
