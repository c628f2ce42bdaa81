#ifndef DISTILL_BACKEND_CUDA_CONV_CUDNN_HPP
#define DISTILL_BACKEND_CUDA_CONV_CUDNN_HPP

#include <cudnn.h>

#include <algorithm>
#include <memory>
#include <type_traits>
#include <vector>

#include "distill/backend/conv_kernels.hpp"
#include "distill/backend/cuda/context.hpp"
#include "distill/backend/cuda/launch.hpp"
#include "distill/backend/cuda/memory.hpp"
#include "distill/backend/sample_kernels.hpp"

namespace distill::cuda {

/// Convolution by cuDNN's three primitives (the legacy API of libcudnn_cnn, which cuDNN 9
/// still ships). A plan per shape (batch, geometry, output channels, TF32 switch) holds the
/// descriptors and the algorithms, chosen once by cuDNN's heuristics (the _v7 queries) among
/// the deterministic ones whose workspace fits kMaxWorkspace. Heuristics rather than Find:
/// Find times the candidates, so two processes could choose differently and a resumed run
/// would not reproduce the uninterrupted one bit for bit. The second term of a sum accumulates
/// with beta = 1; the bias is added and reduced by the library's own deterministic kernels.
template <class T>
class CudnnConvolution {
  static_assert(std::is_same<T, float>::value || std::is_same<T, double>::value,
                "CudnnConvolution: float or double");

 public:
  static constexpr std::size_t kMaxWorkspace = std::size_t(256) << 20;

  void forward(const ConvProblem& p, ConvSum<T> terms, const T* bias, T* y) {
    Plan& plan = plan_for(p);
    const Context& c = Context::current();
    const bool written =
        accumulate_terms(terms, [&](const ConvTerm<T>& t, const T* alpha, const T* beta) {
          DISTILL_CUDA_CHECK(cudnnConvolutionForward(c.cudnn(), alpha, plan.x, t.a, plan.w, t.b,
                                                     plan.conv, plan.fwd, workspace_.data(),
                                                     plan.workspace, beta, plan.y, y));
        });
    const Index size = p.batch * p.out_channels * p.g.patches();
    if (!written) launch_for_each(size, detail::FillValue<T>{T(0), y});
    if (bias)
      launch_for_each(size, detail::AddPlaneBias<T>{p.g.patches(), p.out_channels, bias, y});
  }

  void backward_data(const ConvProblem& p, ConvSum<T> terms, T* gx) {
    Plan& plan = plan_for(p);
    const Context& c = Context::current();
    const bool written =
        accumulate_terms(terms, [&](const ConvTerm<T>& t, const T* alpha, const T* beta) {
          DISTILL_CUDA_CHECK(cudnnConvolutionBackwardData(
              c.cudnn(), alpha, plan.w, t.b, plan.y, t.a, plan.conv, plan.bwd_data,
              workspace_.data(), plan.workspace, beta, plan.x, gx));
        });
    if (!written) launch_for_each(p.batch * p.g.image_size(), detail::FillValue<T>{T(0), gx});
  }

  void backward_filter(const ConvProblem& p, ConvSum<T> terms, const T* bias_source, T* gw, T* gb) {
    Plan& plan = plan_for(p);
    const Context& c = Context::current();
    const bool written =
        accumulate_terms(terms, [&](const ConvTerm<T>& t, const T* alpha, const T* beta) {
          DISTILL_CUDA_CHECK(cudnnConvolutionBackwardFilter(
              c.cudnn(), alpha, plan.x, t.a, plan.y, t.b, plan.conv, plan.bwd_filter,
              workspace_.data(), plan.workspace, beta, plan.w, gw));
        });
    if (!written) launch_for_each(p.weight_size(), detail::FillValue<T>{T(0), gw});
    if (!gb) return;
    if (bias_source)
      launch_plane_sum(p.batch, p.out_channels, p.g.patches(), bias_source, gb);
    else
      launch_for_each(p.out_channels, detail::FillValue<T>{T(0), gb});
  }

  /// The algorithms chosen for a problem (for benchmarks and logs).
  struct Algorithms {
    cudnnConvolutionFwdAlgo_t forward;
    cudnnConvolutionBwdDataAlgo_t backward_data;
    cudnnConvolutionBwdFilterAlgo_t backward_filter;
  };
  Algorithms algorithms(const ConvProblem& p) {
    const Plan& plan = plan_for(p);
    return {plan.fwd, plan.bwd_data, plan.bwd_filter};
  }

 private:
  struct Key {
    Index batch, channels, height, width, kernel, padding, out;
    bool tf32;
    bool operator==(const Key& o) const {
      return batch == o.batch && channels == o.channels && height == o.height && width == o.width &&
             kernel == o.kernel && padding == o.padding && out == o.out && tf32 == o.tf32;
    }
  };
  struct Plan {
    Key key{};
    cudnnTensorDescriptor_t x = nullptr, y = nullptr;
    cudnnFilterDescriptor_t w = nullptr;
    cudnnConvolutionDescriptor_t conv = nullptr;
    cudnnConvolutionFwdAlgo_t fwd{};
    cudnnConvolutionBwdDataAlgo_t bwd_data{};
    cudnnConvolutionBwdFilterAlgo_t bwd_filter{};
    std::size_t workspace = 0;
    Plan() = default;
    Plan(const Plan&) = delete;
    Plan& operator=(const Plan&) = delete;
    ~Plan() {
      if (conv) cudnnDestroyConvolutionDescriptor(conv);
      if (w) cudnnDestroyFilterDescriptor(w);
      if (y) cudnnDestroyTensorDescriptor(y);
      if (x) cudnnDestroyTensorDescriptor(x);
    }
  };

  // call(term, α, β) for each present term: β = 0 for the first (it overwrites), 1 after (it
  // adds); returns whether any term was present.
  template <class F>
  static bool accumulate_terms(const ConvSum<T>& terms, F&& call) {
    static const T one = 1, zero = 0;
    bool written = false;
    for (const ConvTerm<T>& t : terms.terms) {
      if (!t.present()) continue;
      call(t, &one, written ? &one : &zero);
      written = true;
    }
    return written;
  }

  static cudnnDataType_t data_type() {
    return std::is_same<T, float>::value ? CUDNN_DATA_FLOAT : CUDNN_DATA_DOUBLE;
  }

  // The first deterministic, successful candidate whose workspace fits (heuristics come best
  // first).
  template <class Perf>
  static Perf pick(const Perf* perf, int count, const char* what) {
    for (int i = 0; i < count; ++i)
      if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].determinism == CUDNN_DETERMINISTIC &&
          perf[i].memory <= kMaxWorkspace)
        return perf[i];
    ::distill::detail::cuda_fail(what, "no deterministic algorithm with a workspace under 256 MiB",
                                 __FILE__, __LINE__);
  }

  Plan& plan_for(const ConvProblem& p) {
    const Context& c = Context::current();
    const Key key{p.batch,    p.g.channels, p.g.height,     p.g.width,
                  p.g.kernel, p.g.padding,  p.out_channels, c.tf32()};
    for (auto& plan : plans_)
      if (plan->key == key) return *plan;
    auto plan = std::make_unique<Plan>();
    plan->key = key;
    const cudnnDataType_t dt = data_type();
    DISTILL_CUDA_CHECK(cudnnCreateTensorDescriptor(&plan->x));
    DISTILL_CUDA_CHECK(cudnnCreateTensorDescriptor(&plan->y));
    DISTILL_CUDA_CHECK(cudnnCreateFilterDescriptor(&plan->w));
    DISTILL_CUDA_CHECK(cudnnCreateConvolutionDescriptor(&plan->conv));
    DISTILL_CUDA_CHECK(cudnnSetTensor4dDescriptor(
        plan->x, CUDNN_TENSOR_NCHW, dt, DISTILL_CUDA_INT(p.batch), DISTILL_CUDA_INT(p.g.channels),
        DISTILL_CUDA_INT(p.g.height), DISTILL_CUDA_INT(p.g.width)));
    DISTILL_CUDA_CHECK(cudnnSetTensor4dDescriptor(
        plan->y, CUDNN_TENSOR_NCHW, dt, DISTILL_CUDA_INT(p.batch), DISTILL_CUDA_INT(p.out_channels),
        DISTILL_CUDA_INT(p.g.out_height()), DISTILL_CUDA_INT(p.g.out_width())));
    DISTILL_CUDA_CHECK(
        cudnnSetFilter4dDescriptor(plan->w, dt, CUDNN_TENSOR_NCHW, DISTILL_CUDA_INT(p.out_channels),
                                   DISTILL_CUDA_INT(p.g.channels), DISTILL_CUDA_INT(p.g.kernel),
                                   DISTILL_CUDA_INT(p.g.kernel)));
    DISTILL_CUDA_CHECK(cudnnSetConvolution2dDescriptor(plan->conv, DISTILL_CUDA_INT(p.g.padding),
                                                       DISTILL_CUDA_INT(p.g.padding), 1, 1, 1, 1,
                                                       CUDNN_CROSS_CORRELATION, dt));
    DISTILL_CUDA_CHECK(cudnnSetConvolutionMathType(plan->conv, c.cudnn_math()));

    int n = 0;
    cudnnConvolutionFwdAlgoPerf_t fwd[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    DISTILL_CUDA_CHECK(
        cudnnGetConvolutionForwardAlgorithm_v7(c.cudnn(), plan->x, plan->w, plan->conv, plan->y,
                                               CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &n, fwd));
    const auto f = pick(fwd, n, "cudnnGetConvolutionForwardAlgorithm_v7");
    cudnnConvolutionBwdDataAlgoPerf_t bd[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    DISTILL_CUDA_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(
        c.cudnn(), plan->w, plan->y, plan->conv, plan->x, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &n,
        bd));
    const auto d = pick(bd, n, "cudnnGetConvolutionBackwardDataAlgorithm_v7");
    cudnnConvolutionBwdFilterAlgoPerf_t bf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
    DISTILL_CUDA_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
        c.cudnn(), plan->x, plan->y, plan->conv, plan->w, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT,
        &n, bf));
    const auto w = pick(bf, n, "cudnnGetConvolutionBackwardFilterAlgorithm_v7");
    plan->fwd = f.algo;
    plan->bwd_data = d.algo;
    plan->bwd_filter = w.algo;
    plan->workspace = std::max({f.memory, d.memory, w.memory});
    workspace_.resize(std::max<std::size_t>(plan->workspace, 1));
    plans_.push_back(std::move(plan));
    return *plans_.back();
  }

  std::vector<std::unique_ptr<Plan>> plans_;
  DeviceArray<unsigned char> workspace_;
};

}  // namespace distill::cuda

#endif  // DISTILL_BACKEND_CUDA_CONV_CUDNN_HPP
