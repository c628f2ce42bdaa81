#include <catch2/catch.hpp>

#include <vector>

#include "distill/augment/batch_dsa.hpp"
#include "distill/methods/trajectory_matching/unroll.hpp"
#include "distill/nn/conv_net.hpp"
#include "cuda/support.cuh"
#include "support/prebuilt.hpp"  // the shared specialisations, compiled once

// The unrolled inner loop on the GPU against the CPU on the same inputs and the same draws:
// L and the gradients of the images, the soft labels and the step size, for MTT (hard labels,
// exact adjoint), TESLA, DATM (soft labels) and DATM-CLR's Contrastive Fusion (SupCon and
// NT-Xent), with DSA; then a warm unroll that takes no new device memory, and one that keeps its
// steps between the sweeps (Unroll::keep_within) with the same bits.

using namespace distill;
using namespace distill::test;

namespace {

struct UnrollCase {
  bool soft = false;
  bool fusion = false;
  Contrast contrast = Contrast::kSupCon;
  UnrollGradient mode = UnrollGradient::kExact;
};

template <class T>
void check_unroll(const UnrollCase& c, Index n_images, Index steps, Index batch) {
  using CpuNet = ConvNet<T, 3, 128, norm::Instance, pool::Avg>;
  using GpuNet = ConvNet<T, 3, 128, norm::Instance, pool::Avg, cuda::Backend>;
  const ConvNetConfig cfg{3, 32, 32, 10};
  CpuNet cpu_net(cfg);
  GpuNet gpu_net(cfg);
  const Index P = cpu_net.num_params();
  const Vector<T> theta0 = cpu_net.init_params(1);
  Vector<T> target = theta0;
  const auto noise = random_values<T>(P, 2, 0.01);
  for (Index i = 0; i < P; ++i) target[i] += noise[std::size_t(i)];
  const Tensor<T> images = random_tensor<T>(Shape(n_images, 3, 32, 32), 3);
  const Tensor<T> logits = random_tensor<T>(Shape(n_images, 10), 4, 2.0);
  std::vector<int> labels(static_cast<std::size_t>(n_images));
  for (Index i = 0; i < n_images; ++i) labels[std::size_t(i)] = int(i % 10);
  const auto plan = make_unroll_steps(n_images, steps, batch, 7);
  const T lr = T(0.01);

  InnerLoss inner;
  inner.fusion = c.fusion;
  inner.contrast = c.contrast;
  inner.temperature = 0.5;
  const Dsa<T> dsa;
  const BatchDsa<T, cuda::Backend> gpu_dsa;
  Unroll<CpuNet, Dsa<T>> cpu(cpu_net, dsa, inner);
  Unroll<GpuNet, BatchDsa<T, cuda::Backend>> gpu(gpu_net, gpu_dsa, inner);

  using DeviceVector = typename Unroll<GpuNet, BatchDsa<T, cuda::Backend>>::ParamVector;
  DeviceVector d_theta0(Shape(P, 1)), d_target(Shape(P, 1));
  cuda::Backend::copy_from_host(P, theta0.data(), d_theta0.data());
  cuda::Backend::copy_from_host(P, target.data(), d_target.data());
  const auto d_images = to_device(images), d_logits = to_device(logits);

  const T l_cpu = cpu.forward(theta0, target, images.cview(), labels, c.soft ? logits.cview() : ConstView<T>{}, lr, plan);
  const T l_gpu = gpu.forward(d_theta0, d_target, d_images.cview(), labels,
                              c.soft ? d_logits.cview() : ConstView<T, DeviceSpace>{}, lr, plan);
  CHECK(std::abs(double(l_gpu) - double(l_cpu)) <= kTol<T> * std::abs(double(l_cpu)));
  SyntheticGradients<T> g_cpu;
  SyntheticGradients<T, DeviceSpace> g_gpu;
  cpu.backward(g_cpu, c.mode);
  gpu.backward(g_gpu, c.mode);
  CHECK(rel_error(to_host(g_gpu.images), g_cpu.images) <= kTol<T>);
  if (c.soft) CHECK(rel_error(to_host(g_gpu.label_logits), g_cpu.label_logits) <= kTol<T>);
  CHECK(std::abs(g_gpu.lr - g_cpu.lr) <= kTol<T> * std::abs(g_cpu.lr));

  // A second unroll on warm workspaces allocates nothing and repeats the same bits.
  const std::size_t warm = cuda::Context::current().pool().stats().device_allocations;
  const std::vector<T> first = to_host(g_gpu.images);
  gpu.forward(d_theta0, d_target, d_images.cview(), labels, c.soft ? d_logits.cview() : ConstView<T, DeviceSpace>{},
              lr, plan);
  gpu.backward(g_gpu, c.mode);
  CHECK(cuda::Context::current().pool().stats().device_allocations == warm);
  CHECK(to_host(g_gpu.images) == first);

  // Keeping every step's convolution results between the sweeps gives the same bits.
  gpu.keep_within(std::size_t(1) << 34);
  gpu.forward(d_theta0, d_target, d_images.cview(), labels, c.soft ? d_logits.cview() : ConstView<T, DeviceSpace>{},
              lr, plan);
  gpu.backward(g_gpu, c.mode);
  CHECK(gpu.kept_steps() == steps);
  CHECK(to_host(g_gpu.images) == first);
}

}  // namespace

TEMPLATE_TEST_CASE("cuda Unroll: L and the image, label and step-size gradients agree with the CPU",
                   "[cuda][unroll]", float, double) {
  using T = TestType;
  SECTION("MTT: hard labels, exact adjoint, minibatches") { check_unroll<T>(UnrollCase{}, 20, 6, 10); }
  SECTION("TESLA") {
    UnrollCase c;
    c.mode = UnrollGradient::kTesla;
    check_unroll<T>(c, 20, 6, 10);
  }
  SECTION("DATM: soft labels") {
    UnrollCase c;
    c.soft = true;
    check_unroll<T>(c, 20, 6, 10);
  }
  SECTION("DATM-CLR: soft labels and Contrastive Fusion, SupCon") {
    UnrollCase c;
    c.soft = true;
    c.fusion = true;
    check_unroll<T>(c, 20, 5, 10);
  }
  SECTION("DATM-CLR: Contrastive Fusion, NT-Xent, the whole set each step") {
    UnrollCase c;
    c.soft = true;
    c.fusion = true;
    c.contrast = Contrast::kNtXent;
    check_unroll<T>(c, 10, 4, 10);
  }
}

namespace {

/// Switches step graphs on for a scope.
struct GraphScope {
  GraphScope() { cuda::Context::current().set_graphs(true); }
  ~GraphScope() { cuda::Context::current().set_graphs(false); }
};

template <class T>
void check_graphs(const UnrollCase& c) {
  using GpuNet = ConvNet<T, 3, 128, norm::Instance, pool::Avg, cuda::Backend>;
  const ConvNetConfig cfg{3, 32, 32, 10};
  GpuNet gpu_net(cfg);
  const Index P = gpu_net.num_params(), n_images = 20;
  const Vector<T> theta0 = gpu_net.init_params(1);
  Vector<T> target = theta0;
  const auto noise = random_values<T>(P, 2, 0.01);
  for (Index i = 0; i < P; ++i) target[i] += noise[std::size_t(i)];
  std::vector<int> labels(static_cast<std::size_t>(n_images));
  for (Index i = 0; i < n_images; ++i) labels[std::size_t(i)] = int(i % 10);
  InnerLoss inner;
  inner.fusion = c.fusion;
  inner.contrast = c.contrast;
  inner.temperature = 0.5;
  const BatchDsa<T, cuda::Backend> gpu_dsa;
  Unroll<GpuNet, BatchDsa<T, cuda::Backend>> gpu(gpu_net, gpu_dsa, inner);
  using DeviceVector = typename Unroll<GpuNet, BatchDsa<T, cuda::Backend>>::ParamVector;
  DeviceVector d_theta0(Shape(P, 1)), d_target(Shape(P, 1));
  cuda::Backend::copy_from_host(P, theta0.data(), d_theta0.data());
  cuda::Backend::copy_from_host(P, target.data(), d_target.data());
  const auto d_images = to_device(random_tensor<T>(Shape(n_images, 3, 32, 32), 3));
  const auto d_logits = to_device(random_tensor<T>(Shape(n_images, 10), 4, 2.0));

  struct Result {
    T loss;
    std::vector<T> steps, images, logits;
    double lr;
  };
  // Iteration i: a plan of its own seed (new draws, so new graph keys at first), lr varying.
  const auto run = [&](int i) {
    const auto plan = make_unroll_steps(n_images, 5, 10, 7 + std::uint64_t(i % 2));
    Result r;
    r.loss = gpu.forward(d_theta0, d_target, d_images.cview(), labels,
                         c.soft ? d_logits.cview() : ConstView<T, DeviceSpace>{}, T(0.01) * T(1 + i % 3), plan);
    r.steps = gpu.step_losses();
    SyntheticGradients<T, DeviceSpace> g;
    gpu.backward(g, c.mode);
    r.images = to_host(g.images);
    if (c.soft) r.logits = to_host(g.label_logits);
    r.lr = g.lr;
    return r;
  };
  std::vector<Result> direct;
  for (int i = 0; i < 4; ++i) direct.push_back(run(i));
  GraphScope graphs;
  for (int round = 0; round < 2; ++round)
    for (int i = 0; i < 4; ++i) {
      INFO("round " << round << " iteration " << i);
      const Result r = run(i);
      CHECK(r.loss == direct[std::size_t(i)].loss);
      CHECK(r.steps == direct[std::size_t(i)].steps);
      CHECK(r.images == direct[std::size_t(i)].images);
      CHECK(r.logits == direct[std::size_t(i)].logits);
      CHECK(r.lr == direct[std::size_t(i)].lr);
    }
  CHECK(cuda::Context::current().graph_count() > 0);
  CHECK(cuda::Context::current().refused_graph_count() == 0);
}

}  // namespace

TEMPLATE_TEST_CASE("cuda Unroll: steps captured in CUDA graphs give the uncaptured bits", "[cuda][unroll][graphs]",
                   float, double) {
  using T = TestType;
  SECTION("MTT") { check_graphs<T>(UnrollCase{}); }
  SECTION("TESLA") {
    UnrollCase c;
    c.mode = UnrollGradient::kTesla;
    check_graphs<T>(c);
  }
  SECTION("DATM-CLR: soft labels and Contrastive Fusion") {
    UnrollCase c;
    c.soft = true;
    c.fusion = true;
    check_graphs<T>(c);
  }
}
