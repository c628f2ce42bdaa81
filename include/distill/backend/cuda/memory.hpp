#ifndef DISTILL_BACKEND_CUDA_MEMORY_HPP
#define DISTILL_BACKEND_CUDA_MEMORY_HPP

#include <cstddef>
#include <cstring>

#include "distill/backend/cuda/context.hpp"

namespace distill::cuda {

/// Device memory of the current context, from its caching pool. Copies and zeroing inside the
/// space are queued on the context's stream; host code cannot touch the elements, so tensors in
/// this space refuse operator[] and Eigen maps at compile time. Copies to and from the host are
/// the backend's explicit copy_to_host / copy_from_host (nothing uses managed memory).
struct DeviceSpace {
  static constexpr const char* name = "cuda";
  static constexpr bool kHostAccessible = false;
  static void* allocate(std::size_t bytes) { return Context::current().pool().allocate(bytes); }
  static void deallocate(void* p) noexcept {
    if (p) Context::current().pool().deallocate(p);
  }
  static void copy(void* dst, const void* src, std::size_t bytes) {
    if (bytes)
      DISTILL_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, Context::current().stream()));
  }
  static void zero(void* dst, std::size_t bytes) {
    if (bytes) DISTILL_CUDA_CHECK(cudaMemsetAsync(dst, 0, bytes, Context::current().stream()));
  }
};

/// Page-locked host memory (cudaMallocHost): host code reads and writes it like any host memory,
/// and a copy from it to the device is a DMA the stream runs without a bounce through a driver
/// buffer (and may be captured in a graph). What a loop uploads once per iteration is staged
/// here. The copy runs after cudaMemcpyAsync returns, so the host may write the buffer again
/// only after a wait for the stream: the library's users of it (Unroll, BatchDsa::stage,
/// DistributionMatching) end each iteration with a download that waits.
struct PinnedSpace {
  static constexpr const char* name = "cuda pinned";
  static constexpr bool kHostAccessible = true;
  static void* allocate(std::size_t bytes) {
    void* p = nullptr;
    if (bytes) DISTILL_CUDA_CHECK(cudaMallocHost(&p, bytes));
    return p;
  }
  static void deallocate(void* p) noexcept {
    if (p) cudaFreeHost(p);
  }
  static void copy(void* dst, const void* src, std::size_t bytes) {
    if (bytes) std::memcpy(dst, src, bytes);
  }
  static void zero(void* dst, std::size_t bytes) {
    if (bytes) std::memset(dst, 0, bytes);
  }
};

/// Owning device array of n elements (a workspace from the pool), for code that needs raw
/// device memory rather than a tensor.
template <class T>
class DeviceArray {
 public:
  DeviceArray() = default;
  explicit DeviceArray(std::size_t n) { resize(n); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  DeviceArray(DeviceArray&& o) noexcept : data_(o.data_), size_(o.size_) { o.data_ = nullptr, o.size_ = 0; }
  DeviceArray& operator=(DeviceArray&& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    return *this;
  }
  ~DeviceArray() { DeviceSpace::deallocate(data_); }

  /// Ensures room for n elements; the contents are not kept.
  void resize(std::size_t n) {
    if (n <= size_) return;
    DeviceSpace::deallocate(data_);
    data_ = nullptr;
    size_ = 0;
    data_ = static_cast<T*>(DeviceSpace::allocate(n * sizeof(T)));
    size_ = n;
  }
  T* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace distill::cuda

#endif  // DISTILL_BACKEND_CUDA_MEMORY_HPP
