// Loads the CUDA plugin (libdistill_cli_cuda.so, beside the program) on first use.
#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <string>

#include "bench_train.hpp"
#include "cuda_plugin.hpp"
#include "cuda_requests.hpp"

namespace distill::cli {

namespace {

std::string program_directory() {
  char path[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) return ".";
  const std::string exe(path, std::size_t(n));
  return exe.substr(0, exe.find_last_of('/'));
}

/// --tf32, handed to the plugin when it is loaded (use_device runs before any GPU work, and the
/// GPU work of a command comes after its cheap checks of settings and data).
bool& tf32_requested() {
  static bool on = false;
  return on;
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
  void* set_tf32 = ::dlsym(handle, "distill_cli_cuda_set_tf32");
  DISTILL_CHECK(set_tf32, "--device cuda: the CUDA plugin has no distill_cli_cuda_set_tf32: " << ::dlerror());
  reinterpret_cast<DistillCliCudaSetTf32>(set_tf32)(tf32_requested() ? 1 : 0);
  return handle;
}

template <class F>
F plugin_function(const char* name) {
  void* f = ::dlsym(cuda_plugin(), name);
  DISTILL_CHECK(f, "--device cuda: the CUDA plugin has no " << name << ": " << ::dlerror());
  return reinterpret_cast<F>(f);
}

DeviceMemoryMiB memory_mib(const DistillCliDeviceMemory& m) {
  return {m.pool_peak_in_use, m.pool_peak_reserved, m.device_used, m.device_total};
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

TmFigures tm_figures_cuda(Index ipc, Index classes, Index steps, Index batch, Index iterations, Index unroll_memory) {
  const auto tm = plugin_function<DistillCliCudaTm>("distill_cli_cuda_tm");
  DistillCliTmFigures out{};
  char error[1024] = {};
  const int rc = tm(long(ipc), long(classes), long(steps), long(batch), long(iterations), long(unroll_memory), &out,
                    error, sizeof error);
  DISTILL_CHECK(rc == 0, error);
  return {out.device,   Index(out.params),     Index(out.images),       out.seconds,
          out.loss,     out.grad_lr,           Index(out.kept_steps),   memory_mib(out.memory)};
}

DmFigures dm_figures_cuda(const std::string& method, Index ipc, Index iterations) {
  const auto dm = plugin_function<DistillCliCudaDm>("distill_cli_cuda_dm");
  DistillCliDmFigures out{};
  char error[1024] = {};
  const int rc = dm(method.c_str(), long(ipc), long(iterations), &out, error, sizeof error);
  DISTILL_CHECK(rc == 0, error);
  return {out.device, Index(out.steps_per_iteration), out.seconds, out.loss, memory_mib(out.memory)};
}

void use_device(const std::string& device, bool tf32) {
  DISTILL_CHECK(!tf32 || device == "cuda", "--tf32: TF32 is a math mode of the GPU; give it with --device cuda");
  tf32_requested() = tf32;
}

namespace {

/// Runs a request through the plugin entry `name`; `device` receives the GPU's name.
template <class Entry, class Request>
void call_plugin(const char* name, Request& request, std::string* device) {
  const auto entry = plugin_function<Entry>(name);
  char error[4096] = {};
  const int rc = entry(&request, error, sizeof error);
  DISTILL_CHECK(rc == 0, error);
  if (device) *device = request.device;
}

}  // namespace

DistillResult run_method_cuda(const DistillSettings& s, const DatasetSplits<float>& data, const ExpertSet& experts,
                              const DistillerOptions& options, std::string* device) {
  DistillResult result;
  CudaRunRequest request;
  request.settings = &s;
  request.data = &data;
  request.experts = &experts;
  request.options = &options;
  request.result = &result;
  call_plugin<DistillCliCudaRun>("distill_cli_cuda_run", request, device);
  return result;
}

void train_experts_cuda(const ExpertConfig& cfg, const DatasetSplits<float>& data,
                        const Preprocessing<float>& preprocessing, const std::string& dir, const Dsa<float>& augment,
                        const std::function<void(const ExpertEpoch&)>& on_epoch, const Communicator& comm,
                        std::string* device) {
  CudaExpertsRequest request;
  request.config = &cfg;
  request.data = &data;
  request.preprocessing = &preprocessing;
  request.dir = &dir;
  request.augment = &augment;
  request.on_epoch = &on_epoch;
  request.comm = &comm;
  call_plugin<DistillCliCudaExperts>("distill_cli_cuda_experts", request, device);
}

EvalResult evaluate_set_cuda(const EvalConfig& cfg, ConstView<float> images, const Labels<float>& labels,
                             Index classes, const Dataset<float>& test, const Dsa<float>& augment,
                             const Communicator& comm, std::string* device) {
  EvalResult result;
  CudaEvaluateRequest request;
  request.config = &cfg;
  request.images = images;
  request.labels = &labels;
  request.classes = classes;
  request.test = &test;
  request.augment = &augment;
  request.comm = &comm;
  request.result = &result;
  call_plugin<DistillCliCudaEvaluate>("distill_cli_cuda_evaluate", request, device);
  return result;
}

Preprocessing<float> preprocess_cuda(DatasetSplits<float>& data, bool zca, const std::string& dataset) {
  Preprocessing<float> result;
  CudaPreprocessRequest request;
  request.data = &data;
  request.zca = zca;
  request.dataset = &dataset;
  request.result = &result;
  call_plugin<DistillCliCudaPreprocess>("distill_cli_cuda_preprocess", request, nullptr);
  return result;
}

void prepare_run_data_cuda(DatasetSplits<float>& data, ExpertSet& experts, const DistillSettings& s,
                           const std::string& dataset) {
  CudaPreprocessRequest request;
  request.data = &data;
  request.dataset = &dataset;
  request.experts = &experts;
  request.run = &s;
  call_plugin<DistillCliCudaPreprocess>("distill_cli_cuda_preprocess", request, nullptr);
}

}  // namespace distill::cli
