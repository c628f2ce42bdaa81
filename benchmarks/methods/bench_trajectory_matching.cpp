// One trajectory-matching iteration (N SGD steps of ConvNet-3 with DSA, then the exact reverse
// sweep) at the IPC 1 and IPC 10 workloads of docs/design.md §7: seconds per iteration, peak RSS
// and the convolution GFLOP/s as a fraction of the same run's 1024³ GEMM rate.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdint>
#include <string>

#include "common/gemm_rate.hpp"
#include "distill/bench/tm_workload.hpp"
#include "distill/distill.hpp"

namespace {

using namespace distill;

using bench::gemm_gflops;

/// Convolution GEMM FLOPs of one image through one inner step, in units of each layer's forward
/// GEMM: the forward sweep runs forward + backward (no input gradient at the first layer), the
/// reverse sweep forward, tangent, backward and backward_tangent (the first layer has no input
/// tangent), i.e. 2/3 units (first/other layers) forward and 7/9 units in reverse.
double flops_per_image_step() {
  const double f0 = 2.0 * 32 * 32 * 27 * 128, f1 = 2.0 * 16 * 16 * 1152 * 128, f2 = 2.0 * 8 * 8 * 1152 * 128;
  return (2 + 7) * f0 + (3 + 9) * (f1 + f2);
}

void bm_tm(benchmark::State& state) {
  const Index ipc = state.range(0), steps = state.range(1), batch = state.range(2);
  bench::TmWorkload w(ipc, steps, batch);
  const Index n = w.images_count();
  std::uint64_t it = 0;
  auto iteration = [&] { w.iteration(it++); };
  iteration();  // warm-up
  Timer timer;
  for (auto _ : state) iteration();
  const double seconds = timer.seconds() / double(state.iterations());
  const double gflops = flops_per_image_step() * double(std::min(batch, n)) * double(steps) / seconds / 1e9;
  struct rusage u {};
  ::getrusage(RUSAGE_SELF, &u);
  state.counters["seconds_per_iteration"] = seconds;
  state.counters["peak_rss_mib"] = double(u.ru_maxrss) / 1024.0;
  state.counters["GFLOPS"] = gflops;
  state.counters["of_gemm"] = gflops / gemm_gflops();
}

}  // namespace

// ipc, syn_steps, batch_syn. Peak RSS is the process's, so run one workload per process to
// read it for that workload alone (--benchmark_filter).
BENCHMARK(bm_tm)->Name("tm/ipc1_n50_batch10")->Args({1, 50, 10})->Iterations(2)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK(bm_tm)->Name("tm/ipc10_n30_batch100")->Args({10, 30, 100})->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

int main(int argc, char** argv) {
  distill::warn_if_narrow_build();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("compiled_for", distill::vector_isa_name(distill::compiled_vector_isa()));
  benchmark::AddCustomContext("gemm_1024_gflops", std::to_string(gemm_gflops()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
