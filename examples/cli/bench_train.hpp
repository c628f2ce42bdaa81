#ifndef DISTILL_EXAMPLES_CLI_BENCH_TRAIN_HPP
#define DISTILL_EXAMPLES_CLI_BENCH_TRAIN_HPP

// `distill bench train` on either device: the CPU half compiles here, the CUDA half in
// cuda_plugin.cu (nvcc), loaded when the build has the CUDA backend.

#include <string>
#include <utility>

#include "distill/bench/train_workload.hpp"
#include "distill/core/timer.hpp"
#include "progress.hpp"

namespace distill::cli {

/// Runs `iteration(0)` once to warm up workspaces, then iterations 1 … n under a progress bar;
/// returns the mean seconds per timed iteration and the last iteration's value. `sync` runs
/// before the clock is read (a device backend waits for its queued work).
template <class F, class Sync = void (*)()>
std::pair<double, double> time_iterations(const char* label, Index n, F&& iteration, Sync sync = [] {}) {
  iteration(0);
  sync();
  Progress progress(label, n, "it");
  Timer timer;
  double last = 0;
  for (Index it = 1; it <= n; ++it) {
    last = double(iteration(it));
    progress.update(it);
  }
  sync();
  const double seconds = timer.seconds() / double(n);
  progress.finish();
  return {seconds, last};
}

struct TrainFigures {
  std::string device;
  Index params = 0;
  double seconds = 0;  ///< per step
  double loss = 0;     ///< of the last step
};

template <class Backend, class Sync = void (*)()>
TrainFigures train_figures(Index batch, Index steps, std::string device = "cpu", Sync sync = [] {}) {
  bench::TrainWorkload<Backend> w(batch);
  const auto [seconds, loss] = time_iterations("train step", steps, [&](Index) { return w.step(); }, sync);
  return {std::move(device), w.net.num_params(), seconds, loss};
}

/// The same workload on cuda::Backend, through the CUDA plugin (loaded on first use); throws
/// distill::error when the plugin is absent (a build without CUDA) or there is no GPU.
TrainFigures train_figures_cuda(Index batch, Index steps);

/// Device memory in MiB (GPU runs only): the pool's high-water marks of bytes in use and held,
/// and cudaMemGetInfo's used and total at the end.
struct DeviceMemoryMiB {
  double pool_peak_in_use = 0, pool_peak_reserved = 0, device_used = 0, device_total = 0;
};

struct TmFigures {
  std::string device;
  Index params = 0, images = 0;
  double seconds = 0;  ///< per iteration
  double loss = 0, grad_lr = 0;
  Index kept_steps = 0;  ///< steps whose convolution results the unroll kept between its sweeps
  DeviceMemoryMiB memory = {};
};

/// bench::BasicTmWorkload<cuda::Backend> timed through the CUDA plugin, as train_figures_cuda.
TmFigures tm_figures_cuda(Index ipc, Index classes, Index steps, Index batch, Index iterations, Index unroll_memory);

struct DmFigures {
  std::string device;
  Index steps_per_iteration = 0;
  double seconds = 0;  ///< per iteration
  double loss = 0;
  DeviceMemoryMiB memory = {};
};

/// bench::MethodWorkload on cuda::Backend timed through the CUDA plugin.
DmFigures dm_figures_cuda(const std::string& method, Index ipc, Index iterations);

}  // namespace distill::cli

#endif  // DISTILL_EXAMPLES_CLI_BENCH_TRAIN_HPP
