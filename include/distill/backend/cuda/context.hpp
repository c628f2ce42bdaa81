#ifndef DISTILL_BACKEND_CUDA_CONTEXT_HPP
#define DISTILL_BACKEND_CUDA_CONTEXT_HPP

#include <cstdlib>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "distill/backend/cuda/check.hpp"
#include "distill/backend/cuda/pool.hpp"

namespace distill::cuda {

/// Number of usable CUDA devices; 0 when there is no device or no driver (never throws), so
/// programs and tests can say "no GPU" instead of failing.
inline int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the recorded error
    return 0;
  }
  return n;
}

/// Everything the CUDA backend computes with on one device: a stream (all work is ordered on
/// it), the cuBLAS and cuDNN handles bound to that stream, and the device-memory pool. RAII:
/// the constructor creates them and the destructor releases them in reverse order.
///
/// TF32 tensor-core math is a named switch, off by default: with it off, cuBLAS and cuDNN
/// compute FP32 products in plain FP32 (the parity tests need this); with it on they may round
/// inputs to TF32 (10-bit mantissa, about 1e-3 relative) for speed on Ampere and newer.
class Context {
 public:
  explicit Context(int device = 0) : device_(device) {
    DISTILL_CHECK(device_count() > device, "cuda::Context: no CUDA device " << device << " (found "
                                                                           << device_count() << ")");
    DISTILL_CUDA_CHECK(cudaSetDevice(device));
    DISTILL_CUDA_CHECK(cudaGetDeviceProperties(&props_, device));
    DISTILL_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    DISTILL_CUDA_CHECK(cublasCreate(&cublas_));
    DISTILL_CUDA_CHECK(cublasSetStream(cublas_, stream_));
    DISTILL_CUDA_CHECK(cudnnCreate(&cudnn_));
    DISTILL_CUDA_CHECK(cudnnSetStream(cudnn_, stream_));
    set_tf32(false);
    // The one switch of step graphs for any program: DISTILL_CUDA_GRAPHS=1.
    const char* graphs = std::getenv("DISTILL_CUDA_GRAPHS");
    graphs_ = graphs && std::string(graphs) == "1";
  }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  ~Context() {
    // Errors are ignored: a destructor must not throw, and at process exit the driver may be
    // shutting down already.
    cudaStreamSynchronize(stream_);
    for (auto& [key, exec] : graphs_by_key_) cudaGraphExecDestroy(exec);
    pool_.reset();
    cudnnDestroy(cudnn_);
    cublasDestroy(cublas_);
    cudaStreamDestroy(stream_);
  }

  /// The device of this process: DISTILL_CUDA_DEVICE modulo the device count (an MPI program
  /// passes its node-local rank, so the ranks of a node take its GPUs in turn), else 0.
  static int default_device() {
    const char* v = std::getenv("DISTILL_CUDA_DEVICE");
    if (!v || !*v) return 0;
    const int n = device_count();
    return n > 0 ? std::atoi(v) % n : 0;
  }
  /// The process's context on default_device(), created on first use.
  static Context& current() {
    static Context context(default_device());
    return context;
  }

  int device() const { return device_; }
  const cudaDeviceProp& properties() const { return props_; }
  cudaStream_t stream() const { return stream_; }
  cublasHandle_t cublas() const { return cublas_; }
  cudnnHandle_t cudnn() const { return cudnn_; }
  DevicePool& pool() { return *pool_; }

  bool tf32() const { return tf32_; }
  void set_tf32(bool on) {
    DISTILL_CUDA_CHECK(cublasSetMathMode(cublas_, on ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
    tf32_ = on;
  }
  /// The cuDNN math type matching the TF32 switch.
  cudnnMathType_t cudnn_math() const { return tf32_ ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH; }

  /// CUDA graphs for the repeated steps of a loop, off by default (on when the environment has
  /// DISTILL_CUDA_GRAPHS=1 as the context is made): with them on, run_step
  /// captures a step the second time its key comes (the first run settles the workspaces and
  /// cuDNN's plans) and replays the graph from then on, one launch instead of hundreds. The
  /// results are the same bits (the same kernels on the same addresses, in the same order).
  bool graphs() const { return graphs_; }
  void set_graphs(bool on) {
    graphs_ = on;
    if (!on) clear_graphs();
  }

  /// Runs f, the work of one step whose launches depend only on `key` (the caller puts
  /// everything else at fixed addresses), directly or through its graph (see graphs()).
  /// A capture that allocates is discarded and f run directly: that key is not captured again.
  template <class F>
  void run_step(const std::string& key, F&& f) {
    if (!graphs_) return f();
    if (pool_->take_stale()) clear_graphs();
    const auto found = graphs_by_key_.find(key);
    if (found != graphs_by_key_.end()) {
      DISTILL_CUDA_CHECK(cudaGraphLaunch(found->second, stream_));
      return;
    }
    if (seen_.insert(key).second || refused_.count(key)) return f();
    cudaGraph_t graph = nullptr;
    pool_->begin_capture();
    DISTILL_CUDA_CHECK(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeRelaxed));
    try {
      f();
    } catch (...) {
      cudaStreamEndCapture(stream_, &graph);
      if (graph) cudaGraphDestroy(graph);
      pool_->end_capture();
      cudaGetLastError();  // the capture's error is reported by the exception
      throw;
    }
    DISTILL_CUDA_CHECK(cudaStreamEndCapture(stream_, &graph));
    if (!pool_->end_capture()) {
      cudaGraphDestroy(graph);
      refused_.insert(key);
      return f();  // the captured work never ran
    }
    cudaGraphExec_t exec = nullptr;
    const cudaError_t made = cudaGraphInstantiate(&exec, graph, 0);
    cudaGraphDestroy(graph);
    DISTILL_CUDA_CHECK(made);
    graphs_by_key_[key] = exec;
    DISTILL_CUDA_CHECK(cudaGraphLaunch(exec, stream_));
  }
  /// Graphs captured so far, and keys refused.
  std::size_t graph_count() const { return graphs_by_key_.size(); }
  std::size_t refused_graph_count() const { return refused_.size(); }

  /// Waits for all work queued on the stream (and reports any asynchronous kernel error).
  void synchronize() const { DISTILL_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

  /// Free and total device memory (cudaMemGetInfo).
  std::pair<std::size_t, std::size_t> memory_info() const {
    std::size_t free = 0, total = 0;
    DISTILL_CUDA_CHECK(cudaMemGetInfo(&free, &total));
    return {free, total};
  }

 private:
  int device_;
  cudaDeviceProp props_{};
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  cudnnHandle_t cudnn_ = nullptr;
  std::unique_ptr<DevicePool> pool_ = std::make_unique<DevicePool>();
  bool tf32_ = false;
  bool graphs_ = false;
  std::unordered_map<std::string, cudaGraphExec_t> graphs_by_key_;
  std::unordered_set<std::string> seen_, refused_;

  void clear_graphs() {
    for (auto& [key, exec] : graphs_by_key_) cudaGraphExecDestroy(exec);
    graphs_by_key_.clear();
    seen_.clear();
    refused_.clear();
  }
};

/// Switches TF32 on or off for a scope and restores the previous mode after it.
class Tf32Scope {
 public:
  explicit Tf32Scope(bool on, Context& c = Context::current()) : context_(c), before_(c.tf32()) { c.set_tf32(on); }
  Tf32Scope(const Tf32Scope&) = delete;
  Tf32Scope& operator=(const Tf32Scope&) = delete;
  ~Tf32Scope() {
    try {
      context_.set_tf32(before_);
    } catch (...) {
    }
  }

 private:
  Context& context_;
  bool before_;
};

}  // namespace distill::cuda

#endif  // DISTILL_BACKEND_CUDA_CONTEXT_HPP
