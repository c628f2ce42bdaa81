#ifndef DISTILL_TESTS_SUPPORT_EMULATED_DEVICE_HPP
#define DISTILL_TESTS_SUPPORT_EMULATED_DEVICE_HPP

// A device backend emulated in host memory, so that the device half of the library (every
// `if constexpr (!kHostAccessible<Space>)` branch: uploads, downloads, resident training sets,
// device checkpoints, BatchDsa, the host twins) runs and is checked on machines without a GPU.
//
// Its memory space is host memory that the type system treats as device memory: tensors in it
// refuse operator[] and Eigen maps at compile time, as DeviceSpace does. Every allocation is
// registered, and the backend checks which side each pointer it is given lies on: a copy from
// the host must read host memory and write device memory, BLAS and convolution arguments must
// be device memory, sample indices too. A missing upload or a host pointer handed to a
// device call, which on a GPU would read garbage or fault, fails here with a message. The
// arithmetic is cpu::Backend's, so results are comparable to the CPU's bit for bit.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>

#include "distill/backend/cpu/backend.hpp"

namespace distill::test {

/// The registry of emulated device allocations: [begin, begin + bytes).
class EmulatedDeviceMemory {
 public:
  static void add(const void* p, std::size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex());
    blocks()[reinterpret_cast<std::uintptr_t>(p)] = bytes;
  }
  static void remove(const void* p) {
    std::lock_guard<std::mutex> lock(mutex());
    blocks().erase(reinterpret_cast<std::uintptr_t>(p));
  }
  /// Whether p points into a live emulated device allocation.
  static bool contains(const void* p) {
    const auto a = reinterpret_cast<std::uintptr_t>(p);
    std::lock_guard<std::mutex> lock(mutex());
    auto it = blocks().upper_bound(a);
    if (it == blocks().begin()) return false;
    --it;
    return a < it->first + it->second;
  }
  static std::size_t live_blocks() {
    std::lock_guard<std::mutex> lock(mutex());
    return blocks().size();
  }

 private:
  static std::map<std::uintptr_t, std::size_t>& blocks() {
    static std::map<std::uintptr_t, std::size_t> b;
    return b;
  }
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
};

struct EmulatedDeviceSpace {
  static constexpr const char* name = "emulated device";
  static constexpr bool kHostAccessible = false;
  static void* allocate(std::size_t bytes) {
    void* p = HostSpace::allocate(bytes == 0 ? 1 : bytes);
    EmulatedDeviceMemory::add(p, bytes == 0 ? 1 : bytes);
    return p;
  }
  static void deallocate(void* p) noexcept {
    if (!p) return;
    EmulatedDeviceMemory::remove(p);
    HostSpace::deallocate(p);
  }
  static void copy(void* dst, const void* src, std::size_t bytes) { HostSpace::copy(dst, src, bytes); }
  static void zero(void* dst, std::size_t bytes) { HostSpace::zero(dst, bytes); }
};

/// What crosses the bus on a GPU, counted as the CUDA backend would pay it: an upload per copy
/// from the host, a download and a wait per copy to the host and per number a call returns to
/// the host (sum, dot, squared_norm; their `_to` forms leave it on the device).
struct TransferCounts {
  std::size_t uploads = 0, downloads = 0, syncs = 0;
  bool operator==(const TransferCounts& o) const {
    return uploads == o.uploads && downloads == o.downloads && syncs == o.syncs;
  }
  TransferCounts operator-(const TransferCounts& o) const {
    return {uploads - o.uploads, downloads - o.downloads, syncs - o.syncs};
  }
};

/// The counts of every EmulatedDevice call so far in this process.
class EmulatedDeviceCounters {
 public:
  static TransferCounts now() { return {uploads(), downloads(), syncs()}; }
  static void upload() { ++uploads(); }
  static void download_and_wait() {
    ++downloads();
    ++syncs();
  }

 private:
  static std::atomic<std::size_t>& uploads() {
    static std::atomic<std::size_t> n{0};
    return n;
  }
  static std::atomic<std::size_t>& downloads() {
    static std::atomic<std::size_t> n{0};
    return n;
  }
  static std::atomic<std::size_t>& syncs() {
    static std::atomic<std::size_t> n{0};
    return n;
  }
};

namespace detail {

inline void expect_side(const void* p, bool device, const char* call, const char* what) {
  if (!p) return;
  if (EmulatedDeviceMemory::contains(p) != device)
    throw std::logic_error(std::string("EmulatedDevice::") + call + ": " + what + " is " +
                           (device ? "host" : "device") + " memory, expected " + (device ? "device" : "host") +
                           " memory");
}
template <class... P>
void expect_device(const char* call, P... pointers) {
  (expect_side(pointers, true, call, "an argument"), ...);
}

}  // namespace detail

/// cpu::Backend's arithmetic on EmulatedDeviceSpace, every pointer checked for its side.
struct EmulatedDevice : cpu::Backend {
  using memory_space = EmulatedDeviceSpace;
  static constexpr const char* name = "emulated";

  template <class T>
  static void copy(Index n, const T* src, T* dst) {
    if (n > 0) detail::expect_device("copy", src, dst);
    cpu::Backend::copy(n, src, dst);
  }
  template <class T>
  static void copy_from_host(Index n, const T* host_src, T* dst) {
    if (n > 0) {
      detail::expect_side(host_src, false, "copy_from_host", "the source");
      detail::expect_side(dst, true, "copy_from_host", "the destination");
      EmulatedDeviceCounters::upload();
    }
    cpu::Backend::copy_from_host(n, host_src, dst);
  }
  template <class T>
  static void copy_to_host(Index n, const T* src, T* host_dst) {
    if (n > 0) {
      detail::expect_side(src, true, "copy_to_host", "the source");
      detail::expect_side(host_dst, false, "copy_to_host", "the destination");
      EmulatedDeviceCounters::download_and_wait();
    }
    cpu::Backend::copy_to_host(n, src, host_dst);
  }
  template <class F>
  static double sum(Index n, const F& f, double init = 0) {
    if (n > 0) EmulatedDeviceCounters::download_and_wait();
    return cpu::Backend::sum(n, f, init);
  }
  template <class F>
  static void sum_to(Index n, const F& f, double* out) {
    detail::expect_device("sum_to", out);
    cpu::Backend::sum_to(n, f, out);
  }
  template <class T>
  static void dot_to(Index n, const T* x, const T* y, T* out) {
    if (n > 0) detail::expect_device("dot_to", x, y);
    detail::expect_device("dot_to", out);
    cpu::Backend::dot_to(n, x, y, out);
  }
  template <class T>
  static void fill(Index n, T value, T* dst) {
    if (n > 0) detail::expect_device("fill", dst);
    cpu::Backend::fill(n, value, dst);
  }
  template <class T>
  static void gather_samples(Index sample_size, const Index* index, Index count, const T* src, T* dst) {
    if (count > 0) {
      detail::expect_device("gather_samples", index, src, dst);
    }
    cpu::Backend::gather_samples(sample_size, index, count, src, dst);
  }
  template <class T>
  static void scatter_add_samples(Index sample_size, const Index* index, Index count, T alpha, const T* src,
                                  T* dst) {
    if (count > 0) {
      detail::expect_device("scatter_add_samples", index, src, dst);
    }
    cpu::Backend::scatter_add_samples(sample_size, index, count, alpha, src, dst);
  }
  template <class T>
  static T dot(Index n, const T* x, const T* y) {
    if (n > 0) detail::expect_device("dot", x, y);
    EmulatedDeviceCounters::download_and_wait();
    return cpu::Backend::dot(n, x, y);
  }
  template <class T>
  static void axpy(Index n, T alpha, const T* x, T* y) {
    if (n > 0) detail::expect_device("axpy", x, y);
    cpu::Backend::axpy(n, alpha, x, y);
  }
  template <class T>
  static void scal(Index n, T alpha, T* x) {
    if (n > 0) detail::expect_device("scal", x);
    cpu::Backend::scal(n, alpha, x);
  }
  template <class T>
  static T squared_norm(Index n, const T* x) {
    if (n > 0) detail::expect_device("squared_norm", x);
    EmulatedDeviceCounters::download_and_wait();
    return cpu::Backend::squared_norm(n, x);
  }
  template <class T>
  static void gemm(Op op_a, Op op_b, Index m, Index n, Index k, T alpha, const T* a, Index lda, const T* b,
                   Index ldb, T beta, T* c, Index ldc) {
    if (m > 0 && n > 0) detail::expect_device("gemm", a, b, c);
    cpu::Backend::gemm(op_a, op_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }

  /// Step graphs as the CUDA backend offers them, emulated: with graph_mode() on, the unroll
  /// takes its graph path (its steps' inputs in shared fixed buffers, each step through
  /// run_step), which runs f and records the key.
  static bool& graph_mode() {
    static bool on = false;
    return on;
  }
  static bool graphs() { return graph_mode(); }
  static std::set<std::string>& step_keys() {
    static std::set<std::string> keys;
    return keys;
  }
  template <class F>
  static void run_step(const std::string& key, F&& f) {
    step_keys().insert(key);
    f();
  }

  /// cpu::Convolution with its pointers checked.
  template <class T>
  class Convolution : public cpu::Convolution<T> {
    using Base = cpu::Convolution<T>;
    static void check(const char* call, const ConvSum<T>& s) {
      for (const ConvTerm<T>& t : s.terms) detail::expect_device(call, t.a, t.b);
    }

   public:
    void forward(const ConvProblem& p, ConvSum<T> terms, const T* bias, T* y) {
      check("Convolution::forward", terms);
      detail::expect_device("Convolution::forward", bias, y);
      Base::forward(p, terms, bias, y);
    }
    void backward_data(const ConvProblem& p, ConvSum<T> terms, T* gx) {
      check("Convolution::backward_data", terms);
      detail::expect_device("Convolution::backward_data", gx);
      Base::backward_data(p, terms, gx);
    }
    void backward_filter(const ConvProblem& p, ConvSum<T> terms, const T* bias_source, T* gw, T* gb) {
      check("Convolution::backward_filter", terms);
      detail::expect_device("Convolution::backward_filter", bias_source, gw, gb);
      Base::backward_filter(p, terms, bias_source, gw, gb);
    }
    void backward(const ConvProblem& p, ConvSum<T> filter_terms, const T* bias_source, T* gw, T* gb,
                  ConvSum<T> data_terms, T* gx) {
      check("Convolution::backward", filter_terms);
      check("Convolution::backward", data_terms);
      detail::expect_device("Convolution::backward", bias_source, gw, gb, gx);
      Base::backward(p, filter_terms, bias_source, gw, gb, data_terms, gx);
    }
  };
};

static_assert(BackendChecks<EmulatedDevice>::check(), "EmulatedDevice must satisfy the backend contract");

}  // namespace distill::test

#endif  // DISTILL_TESTS_SUPPORT_EMULATED_DEVICE_HPP
