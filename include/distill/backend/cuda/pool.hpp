#ifndef DISTILL_BACKEND_CUDA_POOL_HPP
#define DISTILL_BACKEND_CUDA_POOL_HPP

#include <algorithm>
#include <cstddef>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <cuda_runtime.h>

#include "distill/backend/cuda/check.hpp"

namespace distill::cuda {

/// A caching allocator of device memory. Freed blocks are kept per size class and handed out
/// again, so a step that allocates and frees the same workspaces calls cudaMalloc only while
/// warming up (PyTorch's CUDACachingAllocator does the same). Work is stream-ordered on the one
/// stream of the context, so a block freed while kernels still use it is safe to reuse for
/// later work on that stream.
class DevicePool {
 public:
  struct Stats {
    std::size_t in_use = 0;              ///< bytes handed out now
    std::size_t peak_in_use = 0;         ///< the high-water mark of in_use
    std::size_t reserved = 0;            ///< bytes held from the device (in use + cached)
    std::size_t peak_reserved = 0;       ///< the high-water mark of reserved
    std::size_t device_allocations = 0;  ///< cudaMalloc calls so far
  };

  DevicePool() = default;
  DevicePool(const DevicePool&) = delete;
  DevicePool& operator=(const DevicePool&) = delete;
  ~DevicePool() {
    for (auto& [size, blocks] : free_)
      for (void* p : blocks) cudaFree(p);  // no throwing from a destructor; errors ignored
    for (auto& [p, size] : used_) cudaFree(p);
  }

  /// At least `bytes` of device memory (256-byte aligned, as cudaMalloc returns).
  void* allocate(std::size_t bytes) {
    if (bytes == 0) return nullptr;
    const std::size_t size = size_class(bytes);
    std::lock_guard<std::mutex> lock(mutex_);
    void* p = nullptr;
    auto it = free_.find(size);
    if (it != free_.end() && !it->second.empty()) {
      p = it->second.back();
      it->second.pop_back();
    } else {
      p = device_malloc(size);
    }
    used_[p] = size;
    if (capturing_) allocated_in_capture_ = true;
    stats_.in_use += size;
    stats_.peak_in_use = std::max(stats_.peak_in_use, stats_.in_use);
    return p;
  }

  void deallocate(void* p) noexcept {
    if (!p) return;
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = used_.find(p);
    if (it == used_.end()) return;  // not ours: ignored rather than corrupting the cache
    if (graph_blocks_.erase(p)) {
      stale_ = true;
      graph_blocks_.clear();
    }
    stats_.in_use -= it->second;
    free_[it->second].push_back(p);
    used_.erase(it);
  }

  /// Graph capture (Context::run_step). A graph keeps the addresses it was captured with, so:
  /// an allocation while capturing makes the capture unusable (the block could go to another
  /// owner while the graph still writes it), and the blocks in use when a capture ends are held
  /// for the graphs: freeing one of them later makes every graph stale.
  void begin_capture() {
    std::lock_guard<std::mutex> lock(mutex_);
    capturing_ = true;
    allocated_in_capture_ = false;
  }
  /// Whether the capture allocated nothing (its graph may be kept).
  bool end_capture() {
    std::lock_guard<std::mutex> lock(mutex_);
    capturing_ = false;
    if (allocated_in_capture_) return false;
    for (const auto& [p, size] : used_) graph_blocks_.insert(p);
    return true;
  }
  /// Whether a block held for the graphs was freed since the last call.
  bool take_stale() {
    std::lock_guard<std::mutex> lock(mutex_);
    const bool stale = stale_;
    stale_ = false;
    return stale;
  }

  /// Returns every cached block to the device (synchronises, as cudaFree does).
  void release_cached() {
    std::lock_guard<std::mutex> lock(mutex_);
    release_cached_locked();
  }

  Stats stats() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }
  /// Starts a new high-water mark from the current use.
  void reset_peaks() {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.peak_in_use = stats_.in_use;
    stats_.peak_reserved = stats_.reserved;
  }

  /// The size class of a request: 512 bytes, then 3/4·2^k and 2^k, so a block is less than a
  /// third unused and a workspace that varies a little reuses the same block.
  static std::size_t size_class(std::size_t bytes) {
    if (bytes <= 512) return 512;
    std::size_t p = 1024;
    while (p < bytes) p <<= 1;
    const std::size_t three_quarters = p / 4 * 3;
    return bytes <= three_quarters ? three_quarters : p;
  }

 private:
  void* device_malloc(std::size_t size) {
    void* p = nullptr;
    cudaError_t e = cudaMalloc(&p, size);
    if (e == cudaErrorMemoryAllocation) {
      cudaGetLastError();  // clear the recorded error before retrying
      release_cached_locked();
      e = cudaMalloc(&p, size);
    }
    if (e != cudaSuccess) {
      std::ostringstream os;
      os << "cudaMalloc(" << size << " bytes) for the device pool (" << stats_.in_use << " bytes in use, "
         << stats_.reserved - stats_.in_use << " cached)";
      ::distill::detail::cuda_fail(os.str().c_str(), cudaGetErrorString(e), __FILE__, __LINE__);
    }
    ++stats_.device_allocations;
    stats_.reserved += size;
    stats_.peak_reserved = std::max(stats_.peak_reserved, stats_.reserved);
    return p;
  }
  void release_cached_locked() {
    for (auto& [size, blocks] : free_) {
      for (void* p : blocks) {
        DISTILL_CUDA_CHECK(cudaFree(p));
        stats_.reserved -= size;
      }
      blocks.clear();
    }
  }

  mutable std::mutex mutex_;
  std::unordered_map<std::size_t, std::vector<void*>> free_;
  std::unordered_map<void*, std::size_t> used_;
  std::unordered_set<void*> graph_blocks_;
  bool capturing_ = false, allocated_in_capture_ = false, stale_ = false;
  Stats stats_;
};

}  // namespace distill::cuda

#endif  // DISTILL_BACKEND_CUDA_POOL_HPP
