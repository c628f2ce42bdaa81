// Convolution passes and the ConvNet-3 training step at the shapes of distillation, each
// reported in GFLOP/s and as a fraction of the same run's 2048³ SGEMM rate (bench::sgemm_gflops).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "common/gemm_rate.hpp"
#include "distill/distill.hpp"

namespace {

using namespace distill;

using bench::gemm_gflops;

/// Runs `step` under the benchmark loop after one untimed warm-up call (which allocates the
/// workspaces and touches their pages), and reports GFLOP/s and its ratio to the GEMM rate.
template <class Step>
void run(benchmark::State& state, double flops_per_iteration, Index items_per_iteration, Step&& step) {
  step();
  Timer timer;
  for (auto _ : state) {
    step();
    benchmark::ClobberMemory();
  }
  const double seconds = timer.seconds();
  const double gflops = flops_per_iteration * double(state.iterations()) / seconds / 1e9;
  state.counters["GFLOPS"] = gflops;
  state.counters["of_gemm"] = gflops / gemm_gflops();
  if (items_per_iteration > 0) state.SetItemsProcessed(state.iterations() * items_per_iteration);
}

void bm_gemm(benchmark::State& state) {
  const Index n = state.range(0);
  Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n), b = Eigen::MatrixXf::Random(n, n), c(n, n);
  run(state, 2.0 * n * n * n, 0, [&] {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
  });
}

enum class Pass { forward, tangent, backward, backward_tangent };

struct Layer {
  const char* name;
  Index in, out, size;
};
// The three conv layers of ConvNet-3 (width 128) on 32×32×3 input.
const Layer kLayers[] = {{"c3_32x32", 3, 128, 32}, {"c128_16x16", 128, 128, 16}, {"c128_8x8", 128, 128, 8}};

void fill(std::vector<float>& v, std::uint64_t seed) {
  Rng rng(seed);
  for (auto& x : v) x = float(rng.normal());
}

void bm_conv(benchmark::State& state, Pass pass, Layer layer, Index batch) {
  Conv2d<float> conv(layer.in, layer.out, 3, 1);
  const Shape in(batch, layer.in, layer.size, layer.size), out = conv.output_shape(in);
  std::vector<float> x(in.size()), xd(in.size()), gx(in.size()), gxd(in.size());
  std::vector<float> y(out.size()), gy(out.size()), gyd(out.size());
  std::vector<float> w(conv.param_count()), wd(conv.param_count()), gw(conv.param_count()),
      gwd(conv.param_count());
  fill(x, 1);
  fill(xd, 2);
  fill(w, 3);
  fill(wd, 4);
  fill(gy, 5);
  fill(gyd, 6);
  const ConstView<float> xv(x.data(), in), xdv(xd.data(), in), gyv(gy.data(), out),
      gydv(gyd.data(), out);
  const double gemm = 2.0 * batch * out.plane() * layer.in * 9 * layer.out;
  // Multiples of one im2col GEMM: the tangent and backward passes run two, the R-op four.
  const double multiple[] = {1, 2, 2, 4};
  run(state, multiple[int(pass)] * gemm, batch, [&] {
    switch (pass) {
      case Pass::forward:
        conv.forward(xv, w.data(), {y.data(), out});
        break;
      case Pass::tangent:
        conv.tangent(xv, xdv, w.data(), wd.data(), {y.data(), out});
        break;
      case Pass::backward:
        conv.backward(xv, w.data(), gyv, {gx.data(), in}, gw.data());
        break;
      case Pass::backward_tangent:
        conv.backward_tangent(xv, xdv, w.data(), wd.data(), gyv, gydv, {gxd.data(), in}, gwd.data());
        break;
    }
  });
}

/// FLOPs of one ConvNet-3 training step per image, counted from the layer shapes (bench/flops.hpp).
double train_step_flops_per_image() {
  return bench::training_step_flops(bench::conv_net_pass(ConvNetConfig{3, 32, 32, 10}, 128, 3, 1));
}

void bm_train_step(benchmark::State& state) {
  const Index batch = state.range(0);
  ConvNet3<float> net;
  auto theta = net.init_params(1);
  Tensor<float> x(net.input_shape(batch)), gz(Shape(batch, 10));
  std::vector<float> xv(x.size());
  fill(xv, 9);
  std::copy(xv.begin(), xv.end(), x.data());
  std::vector<int> labels(batch);
  for (Index i = 0; i < batch; ++i) labels[i] = int(i % 10);
  CrossEntropy<float> ce;
  Sgd<float> sgd(0.01f);
  Vector<float> grad(net.num_params());
  run(state, train_step_flops_per_image() * batch, batch, [&] {
    const auto out = net.forward(theta, x);
    ce.forward(out.logits, labels);
    ce.backward(gz);
    net.backward(theta.data(), gz, {}, grad.data());
    sgd.step(theta, grad);
  });
}

void register_all() {
  benchmark::RegisterBenchmark("gemm/1024", bm_gemm)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();
  const std::pair<Pass, const char*> passes[] = {{Pass::forward, "conv_forward"},
                                                 {Pass::tangent, "conv_tangent"},
                                                 {Pass::backward, "conv_backward"},
                                                 {Pass::backward_tangent, "conv_backward_tangent"}};
  for (Index batch : {10, 256})
    for (const auto& [pass, pass_name] : passes)
      for (const Layer& layer : kLayers) {
        const std::string name = std::string(pass_name) + "/" + layer.name + "/batch" + std::to_string(batch);
        benchmark::RegisterBenchmark(name.c_str(), bm_conv, pass, layer, batch)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
      }
  for (Index batch : {10, 256})
    benchmark::RegisterBenchmark(("train_step/convnet3_w128/batch" + std::to_string(batch)).c_str(),
                                 bm_train_step)
        ->Arg(batch)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
  distill::warn_if_narrow_build();
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("threads", std::to_string(distill::max_threads()));
  benchmark::AddCustomContext("compiled_for", distill::vector_isa_name(distill::compiled_vector_isa()));
  benchmark::AddCustomContext("sgemm_2048_gflops", std::to_string(gemm_gflops()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
