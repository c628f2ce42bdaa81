// The two DSA modules on the CPU, forward and backward pass of one draw: Dsa (a sample per
// thread, row and column loops; the CPU's path) and BatchDsa<cpu::Backend> (a functor per value,
// the form the devices run; on the CPU it gives Dsa's bits, which the tests check). The ratio
// of the two is why the CPU keeps its own form.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "distill/augment/batch_dsa.hpp"
#include "distill/augment/dsa.hpp"
#include "distill/backend/cpu/backend.hpp"

namespace {

using namespace distill;

DsaConfig config(bool all) {
  DsaConfig c;
  c.ops = dsa_ops_from_strategy(all ? "color_crop_cutout" : "color_crop_cutout_flip_scale_rotate");
  c.mode = all ? DsaMode::kAll : DsaMode::kSingle;  // TGDD's (M) and the reference DSA's (S)
  return c;
}

template <class Module>
void bm_dsa(benchmark::State& state) {
  const Index n = state.range(0);
  const bool all = state.range(1) != 0;
  const Module augment(config(all));
  Tensor<float> x(Shape(n, 3, 32, 32)), y(x.shape()), g(x.shape());
  for (Index i = 0; i < x.size(); ++i) x.data()[i] = float(i % 97) / 97.0f;
  // Every op family in turn (mode S draws one per call): a fixed list of draws, cycled.
  std::vector<DsaDraw> draws;
  for (std::uint64_t s = 0; s < 24; ++s) draws.push_back(augment.draw(x.shape(), s));
  std::size_t at = 0;
  for (auto _ : state) {
    const DsaDraw& d = draws[at++ % draws.size()];
    augment.forward(d, x.cview(), y.view());
    augment.backward(d, y.cview(), g.view());
    benchmark::DoNotOptimize(g.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.SetLabel(all ? "M color_crop_cutout" : "S all six");
}

BENCHMARK_TEMPLATE(bm_dsa, Dsa<float>)->ArgsProduct({{100, 256}, {0, 1}})->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(bm_dsa, BatchDsa<float, cpu::Backend>)
    ->ArgsProduct({{100, 256}, {0, 1}})
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
