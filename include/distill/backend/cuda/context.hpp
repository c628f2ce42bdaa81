#ifndef DISTILL_BACKEND_CUDA_CONTEXT_HPP
#define DISTILL_BACKEND_CUDA_CONTEXT_HPP

#include <memory>
#include <string>

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
  }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  ~Context() {
    // Errors are ignored: a destructor must not throw, and at process exit the driver may be
    // shutting down already.
    cudaStreamSynchronize(stream_);
    pool_.reset();
    cudnnDestroy(cudnn_);
    cublasDestroy(cublas_);
    cudaStreamDestroy(stream_);
  }

  /// The process's context on device 0, created on first use.
  static Context& current() {
    static Context context(0);
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
