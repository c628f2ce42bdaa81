// Loads the CUDA plugin (libdistill_cli_cuda.so, beside the program) on first use.
#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <string>

#include "bench_train.hpp"
#include "cuda_plugin.hpp"

namespace distill::cli {

namespace {

std::string program_directory() {
  char path[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) return ".";
  const std::string exe(path, std::size_t(n));
  return exe.substr(0, exe.find_last_of('/'));
}

void* cuda_plugin() {
  static void* handle = nullptr;
  if (handle) return handle;
  const std::string file = program_directory() + "/libdistill_cli_cuda.so";
  DISTILL_CHECK(::access(file.c_str(), F_OK) == 0,
                "--device cuda: this distill was built without the CUDA backend (no " << file
                    << "; configure with -DDISTILL_ENABLE_CUDA=ON where nvcc and cuDNN are installed)");
  handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  DISTILL_CHECK(handle, "--device cuda: cannot load " << file << ": " << ::dlerror());
  return handle;
}

template <class F>
F plugin_function(const char* name) {
  void* f = ::dlsym(cuda_plugin(), name);
  DISTILL_CHECK(f, "--device cuda: the CUDA plugin has no " << name << ": " << ::dlerror());
  return reinterpret_cast<F>(f);
}

}  // namespace

TrainFigures train_figures_cuda(Index batch, Index steps) {
  const auto train = plugin_function<DistillCliCudaTrain>("distill_cli_cuda_train");
  DistillCliTrainFigures out{};
  char error[1024] = {};
  const int rc = train(long(batch), long(steps), &out, error, sizeof error);
  DISTILL_CHECK(rc == 0, error);
  return {out.device, Index(out.params), out.seconds, out.loss};
}

}  // namespace distill::cli
