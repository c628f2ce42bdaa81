#ifndef DISTILL_BACKEND_BACKEND_HPP
#define DISTILL_BACKEND_BACKEND_HPP

#include <type_traits>
#include <utility>

#include "distill/core/macros.hpp"
#include "distill/core/memory.hpp"
#include "distill/core/shape.hpp"

namespace distill {

/// Transposition flag of a GEMM operand (BLAS conventions).
enum class Op { N, T };

/// Geometry of a k×k, stride-1, zero-padded convolution over one C×H×W image.
struct ConvGeometry {
  Index channels, height, width, kernel, padding;
  DISTILL_HOST_DEVICE Index out_height() const { return height + 2 * padding - kernel + 1; }
  DISTILL_HOST_DEVICE Index out_width() const { return width + 2 * padding - kernel + 1; }
  /// Output pixels per image (rows of the unfolded column matrix).
  DISTILL_HOST_DEVICE Index patches() const { return out_height() * out_width(); }
  /// (channel, kh, kw) taps, in PyTorch's weight order (columns of the column matrix).
  DISTILL_HOST_DEVICE Index taps() const { return channels * kernel * kernel; }
  DISTILL_HOST_DEVICE Index image_size() const { return channels * height * width; }
};

/// One convolution problem: `batch` images of geometry `g` into `out_channels` planes.
struct ConvProblem {
  ConvGeometry g;
  Index batch, out_channels;
  Index weight_size() const { return out_channels * g.taps(); }
};

/// One bilinear term (a, b) of a convolution primitive; a term with a null side is absent.
/// Convolution is bilinear in input and weight, so the tangent and R-op of every conv pass are
/// sums of two such terms (docs/design.md §2), which each primitive takes at once.
template <class T>
struct ConvTerm {
  const T* a = nullptr;
  const T* b = nullptr;
  bool present() const { return a != nullptr && b != nullptr; }
};

/// Σ of up to two conv terms, e.g. {{x, ẇ}, {ẋ, w}} for ẏ.
template <class T>
struct ConvSum {
  ConvTerm<T> terms[2];
  ConvSum(ConvTerm<T> first, ConvTerm<T> second = {}) : terms{first, second} {}
};

namespace detail {
template <class Engine, class T, class = void>
struct HasFusedConvBackward : std::false_type {};
template <class Engine, class T>
struct HasFusedConvBackward<
    Engine, T,
    std::void_t<decltype(std::declval<Engine&>().backward(std::declval<const ConvProblem&>(), std::declval<ConvSum<T>>(),
                                                          (const T*)nullptr, (T*)nullptr, (T*)nullptr,
                                                          std::declval<ConvSum<T>>(), (T*)nullptr))>>
    : std::true_type {};
}  // namespace detail

/// A layer's weight gradient (backward_filter into gw, gb) and input gradient (backward_data
/// into gx); a null gw or gx skips that half. A Convolution that also offers
/// backward(problem, filter_terms, bias_source, gw, gb, data_terms, gx) does both halves in one
/// sweep (the CPU's, which then reads each output gradient from memory once); any other gets the
/// two primitives, as cuDNN offers them.
template <class Engine, class T>
void conv_backward(Engine& engine, const ConvProblem& p, ConvSum<T> filter_terms, const T* bias_source, T* gw,
                   T* gb, ConvSum<T> data_terms, T* gx) {
  if constexpr (detail::HasFusedConvBackward<Engine, T>::value) {
    if (gw && gx) {
      engine.backward(p, filter_terms, bias_source, gw, gb, data_terms, gx);
      return;
    }
  }
  if (gw) engine.backward_filter(p, filter_terms, bias_source, gw, gb);
  if (gx) engine.backward_data(p, data_terms, gx);
}

/// The contract of a backend (docs/design.md §2, an execution space in the sense of Eigen's
/// TensorExecutor<Expr, Device> and Kokkos): a type B providing
///   using memory_space;                      // where its tensors live (HostSpace, ...)
///   static const char* name;
///   static void for_each(Index n, F f);      // f(i) for i in [0, n): element-wise work
///   static void for_each(Index n, F f, Index cost);  // f(i) does `cost` operations: a plane
///   copy, fill, gather_samples, scatter_add_samples  // memory within the space (the sample
///                                            // indices too)
///   copy_from_host, copy_to_host             // between host memory and the space
///   sum(n, f, init)                          // init + Σ f(i), in a fixed order, to the host
///   sum_to(n, f, out)                        // *out = Σ f(i), the same order, into the space
///   dot, axpy, scal, squared_norm            // parameter vectors
///   dot_to(n, x, y, out)                     // *out = ⟨x, y⟩ into the space
///   gemm(Op, Op, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
///   template <class T> class Convolution;    // forward, backward_data, backward_filter
///                                            // (and optionally both backwards at once)
/// Functors given to for_each are DISTILL_HOST_DEVICE, so a device backend runs the same
/// arithmetic that the CPU tests check. The `_to` forms leave their result where the backend
/// computed it: on a device nothing waits for them, so a loop of steps that writes its losses
/// and dot products there runs without a round trip to the host (docs/design.md §2).
template <class B>
struct BackendChecks {
 private:
  struct Probe {
    DISTILL_HOST_DEVICE void operator()(Index) const {}
  };
  struct SumProbe {
    DISTILL_HOST_DEVICE double operator()(Index) const { return 0; }
  };
  template <class T>
  static auto has_space(int) -> decltype(std::declval<typename T::memory_space>(), std::true_type{});
  template <class T>
  static std::false_type has_space(...);
  template <class T>
  static auto has_loops(int) -> decltype(T::for_each(Index{}, Probe{}), T::for_each(Index{}, Probe{}, Index{}),
                                         std::true_type{});
  template <class T>
  static std::false_type has_loops(...);
  template <class T>
  static auto has_blas(int)
      -> decltype(T::gemm(Op::N, Op::N, Index{}, Index{}, Index{}, 1.0f, (const float*)nullptr, Index{},
                          (const float*)nullptr, Index{}, 0.0f, (float*)nullptr, Index{}),
                  T::dot(Index{}, (const float*)nullptr, (const float*)nullptr),
                  T::axpy(Index{}, 1.0f, (const float*)nullptr, (float*)nullptr),
                  T::scal(Index{}, 1.0f, (float*)nullptr),
                  T::squared_norm(Index{}, (const float*)nullptr), std::true_type{});
  template <class T>
  static std::false_type has_blas(...);
  template <class T>
  static auto has_memory(int)
      -> decltype(T::copy(Index{}, (const float*)nullptr, (float*)nullptr),
                  T::fill(Index{}, 0.0f, (float*)nullptr),
                  T::gather_samples(Index{}, (const Index*)nullptr, Index{}, (const float*)nullptr,
                                    (float*)nullptr),
                  T::scatter_add_samples(Index{}, (const Index*)nullptr, Index{}, 1.0f,
                                         (const float*)nullptr, (float*)nullptr),
                  std::true_type{});
  template <class T>
  static std::false_type has_memory(...);
  template <class T>
  static auto has_copy_from_host(int)
      -> decltype(T::copy_from_host(Index{}, (const float*)nullptr, (float*)nullptr), std::true_type{});
  template <class T>
  static std::false_type has_copy_from_host(...);
  template <class T>
  static auto has_copy_to_host(int)
      -> decltype(T::copy_to_host(Index{}, (const float*)nullptr, (float*)nullptr), std::true_type{});
  template <class T>
  static std::false_type has_copy_to_host(...);
  template <class T>
  static auto has_sum(int) -> decltype(double(T::sum(Index{}, SumProbe{}, 0.0)), std::true_type{});
  template <class T>
  static std::false_type has_sum(...);
  template <class T>
  static auto has_results_in_space(int)
      -> decltype(T::sum_to(Index{}, SumProbe{}, (double*)nullptr),
                  T::dot_to(Index{}, (const float*)nullptr, (const float*)nullptr, (float*)nullptr), std::true_type{});
  template <class T>
  static std::false_type has_results_in_space(...);
  template <class T>
  static auto has_convolution(int)
      -> decltype(std::declval<typename T::template Convolution<float>&>().forward(
                      std::declval<const ConvProblem&>(), std::declval<ConvSum<float>>(),
                      (const float*)nullptr, (float*)nullptr),
                  std::declval<typename T::template Convolution<float>&>().backward_data(
                      std::declval<const ConvProblem&>(), std::declval<ConvSum<float>>(), (float*)nullptr),
                  std::declval<typename T::template Convolution<float>&>().backward_filter(
                      std::declval<const ConvProblem&>(), std::declval<ConvSum<float>>(),
                      (const float*)nullptr, (float*)nullptr, (float*)nullptr),
                  std::true_type{});
  template <class T>
  static std::false_type has_convolution(...);

 public:
  /// The first part of the contract that B lacks, or "" when it has all of them: "memory_space",
  /// "for_each", "copy" (or fill and the sample moves), "copy_from_host", "copy_to_host", "sum",
  /// "sum_to" (or dot_to), "gemm" (or the vector operations) or "Convolution". Tests can check it where check() would
  /// stop the compilation.
  static constexpr const char* missing() {
    if (!decltype(has_space<B>(0))::value) return "memory_space";
    if (!decltype(has_loops<B>(0))::value) return "for_each";
    if (!decltype(has_memory<B>(0))::value) return "copy";
    if (!decltype(has_copy_from_host<B>(0))::value) return "copy_from_host";
    if (!decltype(has_copy_to_host<B>(0))::value) return "copy_to_host";
    if (!decltype(has_sum<B>(0))::value) return "sum";
    if (!decltype(has_results_in_space<B>(0))::value) return "sum_to";
    if (!decltype(has_blas<B>(0))::value) return "gemm";
    if (!decltype(has_convolution<B>(0))::value) return "Convolution";
    return "";
  }

  static constexpr bool check() {
    static_assert(decltype(has_space<B>(0))::value,
                  "backend: needs `using memory_space = ...` (HostSpace for host memory)");
    static_assert(decltype(has_loops<B>(0))::value,
                  "backend: needs `static void for_each(Index n, F f)` and `for_each(Index n, F f, Index cost)`");
    static_assert(decltype(has_memory<B>(0))::value,
                  "backend: needs static copy(n, src, dst), fill(n, value, dst), gather_samples(sample_size, "
                  "index, count, src, dst) and scatter_add_samples(sample_size, index, count, alpha, src, dst)");
    static_assert(decltype(has_copy_from_host<B>(0))::value,
                  "backend: needs `static void copy_from_host(Index n, const T* host_src, T* dst)`");
    static_assert(decltype(has_copy_to_host<B>(0))::value,
                  "backend: needs `static void copy_to_host(Index n, const T* src, T* host_dst)`");
    static_assert(decltype(has_sum<B>(0))::value,
                  "backend: needs `static double sum(Index n, const F& f, double init)`: init + Σ f(i), in a fixed "
                  "order");
    static_assert(decltype(has_results_in_space<B>(0))::value,
                  "backend: needs `static void sum_to(Index n, const F& f, double* out)` and `static void "
                  "dot_to(Index n, const T* x, const T* y, T* out)`, results written in the backend's memory");
    static_assert(decltype(has_blas<B>(0))::value,
                  "backend: needs static gemm(Op, Op, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc), dot(n, x, y), "
                  "axpy(n, alpha, x, y), scal(n, alpha, x) and squared_norm(n, x)");
    static_assert(decltype(has_convolution<B>(0))::value,
                  "backend: needs `template <class T> class Convolution` with forward(problem, terms, bias, y), "
                  "backward_data(problem, terms, gx) and backward_filter(problem, terms, bias_source, gw, gb)");
    return true;
  }
};

namespace detail {
template <class B, class = void>
struct StagingSpaceOf {
  using type = HostSpace;
};
template <class B>
struct StagingSpaceOf<B, std::void_t<typename B::staging_space>> {
  using type = typename B::staging_space;
};

/// Whether a backend can capture the repeated step of a loop in a graph: it then offers
///   static bool graphs();                        // whether capture is on
///   static void run_step(const std::string& key, F&& f);  // f, or its graph for this key
/// (the CUDA backend, through cuda::Context; EmulatedDevice, which runs f and counts the keys).
template <class B, class = void>
struct HasStepGraphs : std::false_type {};
template <class B>
struct HasStepGraphs<B, std::void_t<decltype(B::graphs())>> : std::true_type {};
}  // namespace detail

/// Host memory that a backend uploads from fastest (`B::staging_space` where it names one: page-
/// locked memory on CUDA, which a copy can read without a bounce and a graph can capture; plain
/// host memory otherwise). What a loop uploads once per iteration is gathered there first.
template <class B>
using StagingSpace = typename detail::StagingSpaceOf<B>::type;

}  // namespace distill

#endif  // DISTILL_BACKEND_BACKEND_HPP
