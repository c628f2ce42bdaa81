// The CUDA half of the `distill` command, built as a plugin (libdistill_cli_cuda.so beside the
// program) that the command loads with dlopen only when --device cuda is given: a CPU run never
// maps the CUDA runtime, cuBLAS and cuDNN (about 200 MiB of resident memory once loaded).
#include <cstdio>
#include <exception>

#include "bench_train.hpp"
#include "cuda_plugin.hpp"
#include "distill/backend/cuda/backend.hpp"

extern "C" int distill_cli_cuda_train(long batch, long steps, DistillCliTrainFigures* out, char* error,
                                      unsigned long error_size) {
  using namespace distill;
  try {
    DISTILL_CHECK(cuda::device_count() > 0, "--device cuda: no CUDA device or driver on this machine");
    const auto& p = cuda::Context::current().properties();
    // The loss is read on the host every step, so each step already waits for the GPU.
    const cli::TrainFigures f = cli::train_figures<cuda::Backend>(Index(batch), Index(steps), "cuda",
                                                                  [] { cuda::Context::current().synchronize(); });
    std::snprintf(out->device, sizeof out->device, "cuda:%.120s", p.name);  // names are short
    out->params = long(f.params);
    out->seconds = f.seconds;
    out->loss = f.loss;
    return 0;
  } catch (const std::exception& e) {
    std::snprintf(error, error_size, "%s", e.what());
    return 1;
  }
}
