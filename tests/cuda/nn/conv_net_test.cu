#include <catch2/catch.hpp>

#include <vector>

#include "distill/nn/conv_net.hpp"
#include "distill/nn/hessian_vector.hpp"
#include "cuda/support.cuh"
#include "support/prebuilt.hpp"  // the shared specialisations, compiled once

// The whole ConvNet on the GPU against the CPU backend: the four passes, and H·v with the
// mixed product through hessian_vector_product, for each norm and pooling.

using namespace distill;
using namespace distill::test;

namespace {

template <class T, int Depth, int Width, class Norm, class Pool>
void check_conv_net(const ConvNetConfig& cfg, Index batch) {
  using CpuNet = ConvNet<T, Depth, Width, Norm, Pool>;
  using GpuNet = ConvNet<T, Depth, Width, Norm, Pool, cuda::Backend>;
  CpuNet cpu(cfg);
  GpuNet gpu(cfg);
  const Index P = cpu.num_params();
  const auto theta_v = cpu.init_params(1);
  const std::vector<T> theta(theta_v.data(), theta_v.data() + P), theta_dot = random_values<T>(P, 2, 0.05);
  const Tensor<T> x = random_tensor<T>(cpu.input_shape(batch), 3), x_dot = random_tensor<T>(x.shape(), 4);
  auto d_theta = to_device(theta), d_theta_dot = to_device(theta_dot);
  auto dx = to_device(x), dx_dot = to_device(x_dot);

  const auto co = cpu.forward(theta.data(), x.cview());
  const auto go = gpu.forward(d_theta.data(), dx.cview());
  CHECK(rel_error(host_copy(go.logits), host_copy(co.logits)) <= kTol<T>);
  CHECK(rel_error(host_copy(go.embedding), host_copy(co.embedding)) <= kTol<T>);

  const auto ct = cpu.tangent(theta.data(), theta_dot.data(), x_dot.cview());
  const auto gt = gpu.tangent(d_theta.data(), d_theta_dot.data(), dx_dot.cview());
  CHECK(rel_error(host_copy(gt.logits), host_copy(ct.logits)) <= kTol<T>);
  CHECK(rel_error(host_copy(gt.embedding), host_copy(ct.embedding)) <= kTol<T>);

  const Tensor<T> gl = random_tensor<T>(co.logits.shape(), 5), gl_dot = random_tensor<T>(co.logits.shape(), 6);
  const Tensor<T> ge = random_tensor<T>(co.embedding.shape(), 7), ge_dot = random_tensor<T>(co.embedding.shape(), 8);
  auto dgl = to_device(gl), dgl_dot = to_device(gl_dot), dge = to_device(ge), dge_dot = to_device(ge_dot);

  std::vector<T> g_theta(P);
  Tensor<T> gx(x.shape());
  DeviceTensor<T> dg_theta(Shape(P, 1)), dgx(x.shape());
  cpu.backward(theta.data(), gl.cview(), ge.cview(), g_theta.data(), gx.view());
  gpu.backward(d_theta.data(), dgl.cview(), dge.cview(), dg_theta.data(), dgx.view());
  CHECK(rel_error(to_host(dg_theta), g_theta) <= kTol<T>);
  CHECK(rel_error(to_host(dgx), gx) <= kTol<T>);

  std::vector<T> g_theta_dot(P);
  Tensor<T> gx_dot(x.shape());
  DeviceTensor<T> dg_theta_dot(Shape(P, 1)), dgx_dot(x.shape());
  cpu.backward_tangent(theta.data(), theta_dot.data(), gl.cview(), gl_dot.cview(), ge.cview(), ge_dot.cview(),
                       g_theta.data(), g_theta_dot.data(), gx.view(), gx_dot.view());
  gpu.backward_tangent(d_theta.data(), d_theta_dot.data(), dgl.cview(), dgl_dot.cview(), dge.cview(), dge_dot.cview(),
                       dg_theta.data(), dg_theta_dot.data(), dgx.view(), dgx_dot.view());
  CHECK(rel_error(to_host(dg_theta), g_theta) <= kTol<T>);
  CHECK(rel_error(to_host(dg_theta_dot), g_theta_dot) <= kTol<T>);
  CHECK(rel_error(to_host(dgx), gx) <= kTol<T>);
  CHECK(rel_error(to_host(dgx_dot), gx_dot) <= kTol<T>);

  // H·v of the cross-entropy against hard labels, with the image mixed product.
  std::vector<int> labels(static_cast<std::size_t>(batch));
  for (Index i = 0; i < batch; ++i) labels[std::size_t(i)] = int((i * 7 + 3) % cfg.classes);
  CrossEntropy<T> cpu_ce;
  CrossEntropy<T, cuda::Backend> gpu_ce;
  HessianVectorWork<T> cpu_work;
  HessianVectorWork<T, DeviceSpace> gpu_work;
  std::vector<T> grad(P), hv(P);
  Tensor<T> mixed(x.shape());
  DeviceTensor<T> d_grad(Shape(P, 1)), d_hv(Shape(P, 1)), d_mixed(x.shape());
  const T l_cpu = hessian_vector_product(cpu, cpu_ce, cpu_work, theta.data(), x.cview(), labels, theta_dot.data(),
                                         grad.data(), hv.data(), mixed.view());
  const T l_gpu = hessian_vector_product(gpu, gpu_ce, gpu_work, d_theta.data(), dx.cview(), labels,
                                         d_theta_dot.data(), d_grad.data(), d_hv.data(), d_mixed.view());
  CHECK(std::abs(double(l_gpu) - double(l_cpu)) <= kTol<T> * std::abs(double(l_cpu)));
  CHECK(rel_error(to_host(d_grad), grad) <= kTol<T>);
  CHECK(rel_error(to_host(d_hv), hv) <= kTol<T>);
  CHECK(rel_error(to_host(d_mixed), mixed) <= kTol<T>);

  // Once warm, a step takes its workspaces from the pool's cache: no cudaMalloc.
  const std::size_t warm = cuda::Context::current().pool().stats().device_allocations;
  for (int r = 0; r < 3; ++r)
    hessian_vector_product(gpu, gpu_ce, gpu_work, d_theta.data(), dx.cview(), labels, d_theta_dot.data(),
                           d_grad.data(), d_hv.data(), d_mixed.view());
  CHECK(cuda::Context::current().pool().stats().device_allocations == warm);
}

}  // namespace

TEMPLATE_TEST_CASE("ConvNet on cuda::Backend: four passes and H·v agree with the CPU", "[cuda][conv_net]", float,
                   double) {
  using T = TestType;
  SECTION("ConvNet-3, width 128, instance norm, average pooling, CIFAR size") {
    check_conv_net<T, 3, 128, norm::Instance, pool::Avg>(ConvNetConfig{3, 32, 32, 10}, 3);
  }
  SECTION("batch norm and max pooling") {
    check_conv_net<T, 2, 16, norm::Batch, pool::Max>(ConvNetConfig{3, 16, 16, 10}, 5);
  }
  SECTION("no norm, no pooling") { check_conv_net<T, 1, 8, norm::None, pool::None>(ConvNetConfig{2, 8, 8, 4}, 4); }
}
