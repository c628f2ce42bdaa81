#include <catch2/catch.hpp>

#include <vector>

#include "distill/augment/batch_dsa.hpp"
#include "distill/augment/multi_formation.hpp"
#include "cuda/support.cuh"

// DSA and multi-formation on the GPU against the CPU on the same inputs and the same
// host-made draws: every op and pass, DSA's and IDC's strategies, hand-set extreme parameters
// (the transpose gathers), and a second call on warm workspaces without allocating.

using namespace distill;
using namespace distill::test;

namespace {

template <class T>
void check_draw(const Dsa<T>& cpu, const BatchDsa<T, cuda::Backend>& gpu, const DsaDraw& draw, const Shape& s,
                std::uint64_t seed) {
  const Tensor<T> x = random_tensor<T>(s, seed);
  const auto dx = to_device(x);
  Tensor<T> want(s);
  DeviceTensor<T> got(s);
  cpu.forward(draw, x, want);
  gpu.forward(draw, dx.cview(), got.view());
  CHECK(rel_error(to_host(got), want) <= kTol<T>);
  cpu.tangent(draw, x, want);
  gpu.tangent(draw, dx.cview(), got.view());
  CHECK(rel_error(to_host(got), want) <= kTol<T>);
  cpu.backward(draw, x, want);
  gpu.backward(draw, dx.cview(), got.view());
  CHECK(rel_error(to_host(got), want) <= kTol<T>);
}

template <class T>
void check_config(const DsaConfig& config, const Shape& s, int seeds) {
  const Dsa<T> cpu(config);
  const BatchDsa<T, cuda::Backend> gpu(config);
  for (int seed = 0; seed < seeds; ++seed)
    for (bool shared : {false, true}) {
      INFO("shape " << s << " seed " << seed << (shared ? " shared" : " per sample"));
      check_draw(cpu, gpu, gpu.draw(s, std::uint64_t(seed), shared), s, std::uint64_t(seed) + 50);
    }
}

}  // namespace

TEMPLATE_TEST_CASE("cuda DSA: every op's three passes agree with the CPU", "[cuda][augment]", float, double) {
  using T = TestType;
  for (DsaOp op : {DsaOp::kColor, DsaOp::kCrop, DsaOp::kCutout, DsaOp::kFlip, DsaOp::kScale, DsaOp::kRotate}) {
    DsaConfig config;
    config.ops = {op};
    INFO("op " << dsa_op_name(op));
    check_config<T>(config, Shape(6, 3, 32, 32), 3);
    check_config<T>(config, Shape(3, 1, 9, 14), 2);
  }
}

TEMPLATE_TEST_CASE("cuda DSA: the reference strategies and extreme affine parameters agree with the CPU",
                   "[cuda][augment]", float, double) {
  using T = TestType;
  check_config<T>(DsaConfig{}, Shape(10, 3, 32, 32), 8);
  DsaConfig all;
  all.mode = DsaMode::kAll;
  check_config<T>(all, Shape(10, 3, 32, 32), 3);
  DsaConfig idc;
  idc.ops = dsa_ops_from_strategy("color_crop_cutout");
  idc.mode = DsaMode::kAll;
  check_config<T>(idc, Shape(100, 3, 32, 32), 2);

  DsaConfig scale;
  scale.ops = {DsaOp::kScale};
  const Dsa<T> cpu(scale);
  const BatchDsa<T, cuda::Backend> gpu(scale);
  const Shape s(3, 2, 9, 14);
  DsaDraw draw = cpu.draw(s, 1);
  for (double sx : {0.05, 0.5, 3.0, 0.0, -1.5}) {
    for (auto& p : draw.samples) p.scale_x = sx, p.scale_y = 1.0 / (1.0 + std::abs(sx));
    INFO("scale_x " << sx);
    check_draw(cpu, gpu, draw, s, 3);
  }
}

TEST_CASE("cuda DSA: in place, and warm calls take no new device memory", "[cuda][augment]") {
  DsaConfig config;
  config.mode = DsaMode::kAll;
  const Dsa<float> cpu(config);
  const BatchDsa<float, cuda::Backend> gpu(config);
  const Shape s(20, 3, 32, 32);
  const DsaDraw draw = gpu.draw(s, 4);
  const Tensor<float> x = random_tensor<float>(s, 9);
  Tensor<float> want(s);
  cpu.forward(draw, x, want);
  auto d = to_device(x);
  gpu.forward(draw, d.cview(), d.view());
  CHECK(rel_error(to_host(d), want) <= kTol<float>);
  const std::size_t warm = cuda::Context::current().pool().stats().device_allocations;
  for (int r = 0; r < 3; ++r) gpu.backward(draw, d.cview(), d.view());
  CHECK(cuda::Context::current().pool().stats().device_allocations == warm);
}

TEMPLATE_TEST_CASE("cuda multi-formation decoding and its VJP agree with the CPU", "[cuda][augment]", float,
                   double) {
  using T = TestType;
  for (Index factor : {1, 2, 3, 4}) {
    const Shape s(4, 3, 24, 24), d = decoded_shape(s, factor);
    INFO("factor " << factor);
    const Tensor<T> stored = random_tensor<T>(s, 1), grad = random_tensor<T>(d, 2);
    const auto d_stored = to_device(stored), d_grad = to_device(grad);
    Tensor<T> want(d), want_g(s);
    DeviceTensor<T> got(d), got_g(s);
    decode_formation(stored.cview(), factor, want.view());
    decode_formation<cuda::Backend>(d_stored.cview(), factor, got.view());
    CHECK(rel_error(to_host(got), want) <= kTol<T>);
    decode_formation_vjp(grad.cview(), factor, want_g.view());
    decode_formation_vjp<cuda::Backend>(d_grad.cview(), factor, got_g.view());
    CHECK(rel_error(to_host(got_g), want_g) <= kTol<T>);
  }
}
