// The CUDA half of the `distill` command, built as a plugin (libdistill_cli_cuda.so beside the
// program) that the command loads with dlopen only when --device cuda is given: a CPU run never
// maps the CUDA runtime, cuBLAS and cuDNN (about 200 MiB of resident memory once loaded).
#include <cstdio>
#include <exception>

#include "bench_train.hpp"
#include "cuda_plugin.hpp"
#include "cuda_requests.hpp"
#include "distill/backend/cuda/backend.hpp"
#include "distill/bench/method_workload.hpp"
#include "distill/bench/tm_workload.hpp"
#include "distill/methods/config/registry.hpp"
#include "distill/methods/driver/run_method.hpp"
#include "distill/train/evaluate.hpp"
#include "distill/train/experts.hpp"
#include "distill/train/prepare_data.hpp"

namespace {

using namespace distill;

/// The math mode the command asked for (distill_cli_cuda_set_tf32), FP32 unless --tf32.
bool g_tf32 = false;

/// Fails with a clear message where there is no device, before any context is made; then sets
/// the context's math mode, which every entry's work uses.
const cudaDeviceProp& device_properties() {
  DISTILL_CHECK(cuda::device_count() > 0, "--device cuda: no CUDA device or driver on this machine");
  cuda::Context::current().set_tf32(g_tf32);
  return cuda::Context::current().properties();
}

DistillCliDeviceMemory device_memory() {
  constexpr double kMiB = 1024.0 * 1024.0;
  const auto stats = cuda::Context::current().pool().stats();
  std::size_t free = 0, total = 0;
  DISTILL_CUDA_CHECK(cudaMemGetInfo(&free, &total));
  return {double(stats.peak_in_use) / kMiB, double(stats.peak_reserved) / kMiB, double(total - free) / kMiB,
          double(total) / kMiB};
}

template <class F>
int guarded(char* error, unsigned long error_size, F&& body) {
  try {
    body();
    return 0;
  } catch (const std::exception& e) {
    std::snprintf(error, error_size, "%s", e.what());
    return 1;
  }
}

}  // namespace

extern "C" void distill_cli_cuda_set_tf32(int on) { g_tf32 = on != 0; }

extern "C" int distill_cli_cuda_train(long batch, long steps, DistillCliTrainFigures* out, char* error,
                                      unsigned long error_size) {
  return guarded(error, error_size, [&] {
    const cudaDeviceProp& p = device_properties();
    // The loss is read on the host every step, so each step already waits for the GPU.
    const cli::TrainFigures f = cli::train_figures<cuda::Backend>(Index(batch), Index(steps), "cuda",
                                                                  [] { cuda::Context::current().synchronize(); });
    std::snprintf(out->device, sizeof out->device, "cuda:%.120s", p.name);  // names are short
    out->params = long(f.params);
    out->seconds = f.seconds;
    out->loss = f.loss;
  });
}

extern "C" int distill_cli_cuda_tm(long ipc, long classes, long steps, long batch, long iterations, long unroll_memory,
                                   DistillCliTmFigures* out, char* error, unsigned long error_size) {
  return guarded(error, error_size, [&] {
    const cudaDeviceProp& p = device_properties();
    bench::BasicTmWorkload<cuda::Backend> w{Index(ipc), Index(steps), Index(batch), Index(classes),
                                            std::size_t(unroll_memory) << 20};
    // The loss and ⟨g, v⟩ come back to the host every step, so an iteration ends with the GPU's work.
    const auto [seconds, loss] = cli::time_iterations(
        "tm iteration", Index(iterations), [&](Index it) { return w.iteration(std::uint64_t(it)); },
        [] { cuda::Context::current().synchronize(); });
    std::snprintf(out->device, sizeof out->device, "cuda:%.120s", p.name);
    out->params = long(w.net.num_params());
    out->images = long(w.images_count());
    out->seconds = seconds;
    out->loss = loss;
    out->grad_lr = w.grads.lr;
    out->kept_steps = long(w.unroll.kept_steps());
    out->memory = device_memory();
  });
}

extern "C" int distill_cli_cuda_dm(const char* method, long ipc, long iterations, DistillCliDmFigures* out,
                                   char* error, unsigned long error_size) {
  return guarded(error, error_size, [&] {
    const cudaDeviceProp& p = device_properties();
    const DistillSettings s = preset_settings(method, "cifar10-ipc" + std::to_string(ipc));
    builtin_methods().visit(s, [&](auto m) {
      bench::MethodWorkload<decltype(m), DistillNet::with_backend<cuda::Backend>> w(std::move(m), s, Index(ipc));
      const auto [seconds, loss] = cli::time_iterations("dm iteration", Index(iterations),
                                                        [&](Index it) { return w.iteration(it); },
                                                        [] { cuda::Context::current().synchronize(); });
      out->steps_per_iteration = long(w.steps_per_iteration());
      out->seconds = seconds;
      out->loss = loss;
    });
    std::snprintf(out->device, sizeof out->device, "cuda:%.120s", p.name);
    out->memory = device_memory();
  });
}

extern "C" int distill_cli_cuda_run(cli::CudaRunRequest* q, char* error, unsigned long error_size) {
  return guarded(error, error_size, [&] {
    const cudaDeviceProp& p = device_properties();
    // The host network only gives the shape; the GPU twin has the same layout and parameters.
    const DistillNet host = make_distill_net(*q->experts, q->data->train);
    DistillNet::with_backend<cuda::Backend> net(host.config());
    const Dsa<float> dsa(dsa_config(*q->settings));
    *q->result = run_method(builtin_methods(), *q->settings, net, *q->data, *q->experts, dsa, *q->options);
    std::snprintf(q->device, sizeof q->device, "cuda:%.120s", p.name);
  });
}

extern "C" int distill_cli_cuda_experts(cli::CudaExpertsRequest* q, char* error, unsigned long error_size) {
  return guarded(error, error_size, [&] {
    const cudaDeviceProp& p = device_properties();
    std::snprintf(q->device, sizeof q->device, "cuda:%.120s", p.name);
    train_experts<cuda::Backend>(*q->config, *q->data, *q->preprocessing, *q->dir, *q->augment, *q->on_epoch,
                                 q->comm ? *q->comm : single_process());
  });
}

extern "C" int distill_cli_cuda_evaluate(cli::CudaEvaluateRequest* q, char* error, unsigned long error_size) {
  return guarded(error, error_size, [&] {
    const cudaDeviceProp& p = device_properties();
    *q->result = evaluate_set<cuda::Backend>(*q->config, q->images, *q->labels, q->classes, *q->test, *q->augment, {},
                                             q->comm ? *q->comm : single_process());
    std::snprintf(q->device, sizeof q->device, "cuda:%.120s", p.name);
  });
}

extern "C" int distill_cli_cuda_preprocess(cli::CudaPreprocessRequest* q, char* error, unsigned long error_size) {
  return guarded(error, error_size, [&] {
    const cudaDeviceProp& p = device_properties();
    if (q->run) {
      prepare_run_data<cuda::Backend>(*q->data, *q->experts, q->run->zca, *q->dataset);
    } else {
      *q->result = choose_preprocessing<cuda::Backend>(q->data->train, q->zca, *q->dataset);
      apply_preprocessing<cuda::Backend>(*q->result, q->data->train.images.view());
      apply_preprocessing<cuda::Backend>(*q->result, q->data->test.images.view());
    }
    std::snprintf(q->device, sizeof q->device, "cuda:%.120s", p.name);
  });
}
