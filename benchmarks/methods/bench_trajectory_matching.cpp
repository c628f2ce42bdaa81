// One trajectory-matching iteration (N SGD steps of ConvNet-3 with DSA, then the exact reverse
// sweep) at the IPC 1 and IPC 10 workloads of docs/design.md §7, recomputing every step or keeping
// them within a budget (Unroll::keep_within): seconds per iteration, peak RSS and the convolution
// GFLOP/s as a fraction of the same run's 2048³ SGEMM rate (bench::sgemm_gflops).
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

void bm_tm(benchmark::State& state) {
  const Index ipc = state.range(0), steps = state.range(1), batch = state.range(2), mib = state.range(3);
  bench::TmWorkload w(ipc, steps, batch, 10, std::size_t(mib) << 20);
  const Index n = w.images_count();
  std::uint64_t it = 0;
  auto iteration = [&] { w.iteration(it++); };
  iteration();  // warm-up
  Timer timer;
  for (auto _ : state) iteration();
  const double seconds = timer.seconds() / double(state.iterations());
  // What an iteration must do, counted from the layer shapes (bench/flops.hpp).
  const double gflops =
      bench::exact_unroll_flops(ConvNetConfig{3, 32, 32, 10}, 128, 3, steps, std::min(batch, n), w.unroll.kept_steps()) /
      seconds / 1e9;
  struct rusage u {};
  ::getrusage(RUSAGE_SELF, &u);
  state.counters["seconds_per_iteration"] = seconds;
  state.counters["peak_rss_mib"] = double(u.ru_maxrss) / 1024.0;
  state.counters["kept_steps"] = double(w.unroll.kept_steps());
  state.counters["GFLOPS"] = gflops;
  state.counters["of_gemm"] = gflops / gemm_gflops();
}

}  // namespace

// ipc, syn_steps, batch_syn, MiB kept between the sweeps. Peak RSS is the process's, so run one
// workload per process to read it for that workload alone (--benchmark_filter).
BENCHMARK(bm_tm)->Name("tm/ipc1_n50_batch10")->Args({1, 50, 10, 0})->Iterations(2)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK(bm_tm)
    ->Name("tm/ipc1_n50_batch10_kept512")
    ->Args({1, 50, 10, 512})
    ->Iterations(2)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();
BENCHMARK(bm_tm)->Name("tm/ipc10_n30_batch100")->Args({10, 30, 100, 0})->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

int main(int argc, char** argv) {
  distill::warn_if_narrow_build();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("compiled_for", distill::vector_isa_name(distill::compiled_vector_isa()));
  benchmark::AddCustomContext("sgemm_2048_gflops", std::to_string(gemm_gflops()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
