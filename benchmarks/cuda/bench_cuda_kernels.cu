// The CUDA backend's kernels at the shapes of distillation: each convolution primitive under
// cuDNN, im2col + cuBLAS and the direct reference kernel, TF32 off and on; the ConvNet-3 step
// (forward, tangent, backward and R-op: one Hessian-vector product) on the GPU against the CPU
// backend. Each reports GFLOP/s and, as `of_sgemm`, the fraction of the same run's cuBLAS
// SGEMM rate (4096³, the same TF32 setting).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <vector>

#include "distill/backend/cuda/backend.hpp"
#include "distill/core/cpu_features.hpp"
#include "distill/core/rng.hpp"
#include "distill/core/timer.hpp"
#include "distill/nn/conv_net.hpp"
#include "distill/nn/hessian_vector.hpp"
#include "distill/nn/normalization.hpp"

namespace {

using namespace distill;
using Context = cuda::Context;

std::vector<float> random_floats(Index n, std::uint64_t seed, float scale = 1.0f) {
  Rng rng(seed);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = scale * float(rng.normal());
  return v;
}
/// Benchmark inputs made on the device: splitmix64 of (seed, i) as a uniform value of variance
/// scale². The distribution does not change the timings, and no host draw or copy of hundreds
/// of megabytes delays the GPU check's benchmark phase.
struct UniformFill {
  float* out;
  std::uint64_t seed;
  float scale;
  DISTILL_HOST_DEVICE void operator()(Index i) const {
    std::uint64_t z = seed * 0x9E3779B97F4A7C15ull + std::uint64_t(i) + 1;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    const float u = float(z >> 40) * (1.0f / 16777216.0f);  // [0, 1)
    out[i] = scale * 1.7320508f * (2.0f * u - 1.0f);
  }
};
cuda::DeviceArray<float> device_random(Index n, std::uint64_t seed, float scale = 1.0f) {
  cuda::DeviceArray<float> d{std::size_t(n)};
  cuda::Backend::for_each(n, UniformFill{d.data(), seed, scale});
  return d;
}

/// Runs `step` after one untimed warm-up (plans, workspaces), waiting for the GPU after each
/// iteration, and reports GFLOP/s; `sgemm` > 0 adds the fraction of that rate.
template <class Step>
void run(benchmark::State& state, double flops, double sgemm, Index items, Step&& step) {
  step();
  Context::current().synchronize();
  Timer timer;
  for (auto _ : state) {
    step();
    Context::current().synchronize();
  }
  const double gflops = flops * double(state.iterations()) / timer.seconds() / 1e9;
  state.counters["GFLOPS"] = gflops;
  if (sgemm > 0) state.counters["of_sgemm"] = gflops / sgemm;
  if (items > 0) state.SetItemsProcessed(state.iterations() * items);
}

double g_sgemm[2] = {0, 0};  // this run's cuBLAS SGEMM GFLOP/s, TF32 off and on

void bm_sgemm(benchmark::State& state) {
  const bool tf32 = state.range(0) != 0;
  cuda::Tf32Scope scope(tf32);
  const Index n = 4096;
  auto a = device_random(n * n, 1), b = device_random(n * n, 2);
  cuda::DeviceArray<float> c{std::size_t(n * n)};
  run(state, 2.0 * n * n * n, 0, 0, [&] {
    cuda::Backend::gemm(Op::N, Op::N, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
  });
  g_sgemm[tf32] = state.counters["GFLOPS"];
}

enum class Primitive { forward, backward_data, backward_filter };
struct Layer {
  const char* name;
  Index in, out, size;
};
const Layer kLayers[] = {{"c3_32x32", 3, 128, 32}, {"c128_16x16", 128, 128, 16}, {"c128_8x8", 128, 128, 8}};

template <class Policy>
void bm_conv(benchmark::State& state, Primitive prim, Layer layer) {
  const Index batch = state.range(0);
  const bool tf32 = state.range(1) != 0;
  cuda::Tf32Scope scope(tf32);
  const ConvProblem p{{layer.in, layer.size, layer.size, 3, 1}, batch, layer.out};
  const Index in = batch * p.g.image_size(), out = batch * layer.out * p.g.patches();
  auto x = device_random(in, 3), gy = device_random(out, 4);
  auto w = device_random(p.weight_size(), 5, 0.05f), b = device_random(layer.out, 6);
  cuda::DeviceArray<float> y{std::size_t(out)}, gx{std::size_t(in)}, gw{std::size_t(p.weight_size() + layer.out)};
  typename Policy::template Convolution<float> conv;
  const double flops = 2.0 * double(batch) * double(p.g.patches()) * double(p.g.taps()) * double(layer.out);
  run(state, flops, g_sgemm[tf32], batch, [&] {
    switch (prim) {
      case Primitive::forward:
        conv.forward(p, {{x.data(), w.data()}}, b.data(), y.data());
        break;
      case Primitive::backward_data:
        conv.backward_data(p, {{gy.data(), w.data()}}, gx.data());
        break;
      case Primitive::backward_filter:
        conv.backward_filter(p, {{x.data(), gy.data()}}, gy.data(), gw.data(), gw.data() + p.weight_size());
        break;
    }
  });
}

// Instance norm (a group per sample and channel) at the first block's shape, 128 × 32 × 32:
// the plain thread-per-plane kernel against the tuned block-per-plane one. GB/s counts the
// least traffic of the pass (each input read once, each output written once).
enum class NormPass { forward, tangent, backward, backward_tangent };

template <class Backend>
void bm_norm(benchmark::State& state, NormPass pass) {
  const Index batch = state.range(0);
  const Shape in(batch, 128, 32, 32);
  InstanceNorm<float, Backend> norm(128);
  auto x = device_random(in.size(), 11), xd = device_random(in.size(), 12);
  auto gy = device_random(in.size(), 13), gyd = device_random(in.size(), 14);
  auto w = device_random(256, 15), wd = device_random(256, 16);
  cuda::DeviceArray<float> y{std::size_t(in.size())}, gw(256);
  const ConstView<float, cuda::DeviceSpace> xv(x.data(), in), xdv(xd.data(), in), gyv(gy.data(), in), gydv(gyd.data(), in);
  const MutableView<float, cuda::DeviceSpace> yv(y.data(), in);
  norm.forward(xv, w.data(), yv);
  norm.tangent(xv, xdv, w.data(), wd.data(), yv);
  const double tensors[] = {2, 4, 4, 6};  // tensors read and written by each pass
  Timer timer;
  for (auto _ : state) {
    switch (pass) {
      case NormPass::forward:
        norm.forward(xv, w.data(), yv);
        break;
      case NormPass::tangent:
        norm.tangent(xv, xdv, w.data(), wd.data(), yv);
        break;
      case NormPass::backward:
        norm.backward(xv, w.data(), gyv, yv, gw.data());
        break;
      case NormPass::backward_tangent:
        norm.backward_tangent(xv, xdv, w.data(), wd.data(), gyv, gydv, yv, gw.data());
        break;
    }
    Context::current().synchronize();
  }
  state.counters["GBps"] = tensors[int(pass)] * double(in.size()) * 4.0 * double(state.iterations()) / timer.seconds() / 1e9;
  state.SetItemsProcessed(state.iterations() * batch);
}

// FLOPs of one H·v step of ConvNet-3 by its convolutions: forward 1, tangent 2, backward 2,
// R-op 4 im2col GEMMs of each layer (the norm, pooling and linear layers are not counted).
double hvp_conv_flops(Index batch) {
  double f = 0;
  for (const Layer& l : kLayers) f += 2.0 * double(batch) * double(l.size * l.size) * double(l.in * 9) * double(l.out);
  return 9 * f;
}

template <class Backend>
void bm_hvp_step(benchmark::State& state) {
  const Index batch = state.range(0);
  const bool tf32 = state.range(1) != 0;
  cuda::Tf32Scope scope(tf32);
  using Net = ConvNet3<float, Backend>;
  using Space = typename Net::memory_space;
  Net net(ConvNetConfig{3, 32, 32, 10});
  const auto theta_h = net.init_params(1);
  const Index P = net.num_params();
  const std::vector<float> theta(theta_h.data(), theta_h.data() + P), v = random_floats(P, 7, 0.01f);
  const std::vector<float> x = random_floats(batch * 3 * 32 * 32, 8);
  std::vector<int> labels(static_cast<std::size_t>(batch));
  for (Index i = 0; i < batch; ++i) labels[std::size_t(i)] = int(i % 10);
  Tensor<float, Space> d_theta(Shape(P, 1)), d_v(Shape(P, 1)), d_x(net.input_shape(batch));
  Tensor<float, Space> grad(Shape(P, 1)), hv(Shape(P, 1)), mixed(net.input_shape(batch));
  Backend::copy_from_host(P, theta.data(), d_theta.data());
  Backend::copy_from_host(P, v.data(), d_v.data());
  Backend::copy_from_host(d_x.size(), x.data(), d_x.data());
  CrossEntropy<float, Backend> ce;
  HessianVectorWork<float, Space> work;
  run(state, hvp_conv_flops(batch), std::is_same<Backend, cpu::Backend>::value ? 0 : g_sgemm[tf32], batch, [&] {
    hessian_vector_product(net, ce, work, d_theta.data(), d_x.cview(), labels, d_v.data(), grad.data(), hv.data(),
                           mixed.view());
  });
}

void register_all() {
  for (int tf32 : {0, 1}) benchmark::RegisterBenchmark("sgemm_4096", bm_sgemm)->Arg(tf32)->UseRealTime();
  const char* prims[] = {"forward", "backward_data", "backward_filter"};
  for (const Layer& l : kLayers)
    for (int pi = 0; pi < 3; ++pi) {
      const auto prim = Primitive(pi);
      const std::string suffix = std::string(prims[pi]) + "/" + l.name;
      auto add = [&](const char* policy, auto fn, bool tf32_too) {
        auto* b = benchmark::RegisterBenchmark(("conv_" + suffix + "/" + policy).c_str(), fn, prim, l);
        for (Index batch : {10, 100, 256, 500})
          for (int tf32 : {0, 1})
            if (tf32 == 0 || tf32_too) b->Args({batch, tf32});
        b->ArgNames({"batch", "tf32"})->UseRealTime();
      };
      add("cudnn", bm_conv<cuda::conv::Cudnn>, true);
      add("im2col_cublas", bm_conv<cuda::conv::Im2colGemm>, true);
      add("direct", bm_conv<cuda::conv::Direct>, false);
    }
  const char* norm_passes[] = {"forward", "tangent", "backward", "backward_tangent"};
  for (int pi = 0; pi < 4; ++pi) {
    const std::string name = std::string("instance_norm_") + norm_passes[pi] + "/c128_32x32/";
    using Plain = cuda::BasicBackend<cuda::conv::Cudnn, cuda::groups::Thread>;
    for (auto* b : {benchmark::RegisterBenchmark((name + "thread_per_plane").c_str(), bm_norm<Plain>, NormPass(pi)),
                    benchmark::RegisterBenchmark((name + "block_per_plane").c_str(), bm_norm<cuda::Backend>, NormPass(pi))})
      b->ArgName("batch")->Arg(10)->Arg(100)->Arg(256)->Arg(500)->UseRealTime();
  }
  auto* gpu = benchmark::RegisterBenchmark("hvp_step/convnet3/cuda", bm_hvp_step<cuda::Backend>);
  for (Index batch : {10, 100, 256, 500})
    for (int tf32 : {0, 1}) gpu->Args({batch, tf32});
  gpu->ArgNames({"batch", "tf32"})->UseRealTime();
  benchmark::RegisterBenchmark("hvp_step/convnet3/cpu", bm_hvp_step<cpu::Backend>)
      ->Args({100, 0})
      ->ArgNames({"batch", "tf32"})
      ->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
  warn_if_narrow_build();
  if (cuda::device_count() == 0) {
    std::fprintf(stderr, "bench_cuda_kernels: no CUDA device or driver on this machine: nothing measured\n");
    return 1;
  }
  const auto& p = Context::current().properties();
  std::printf("device: %s (sm_%d%d, %d SMs)\n", p.name, p.major, p.minor, p.multiProcessorCount);
  register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
