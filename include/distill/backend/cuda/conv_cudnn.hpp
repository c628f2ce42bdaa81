#ifndef DISTILL_BACKEND_CUDA_CONV_CUDNN_HPP
#define DISTILL_BACKEND_CUDA_CONV_CUDNN_HPP

#include <cudnn.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "distill/backend/conv_kernels.hpp"
#include "distill/backend/cuda/context.hpp"
#include "distill/backend/cuda/launch.hpp"
#include "distill/backend/cuda/memory.hpp"
#include "distill/backend/sample_kernels.hpp"

namespace distill::cuda {

/// Where the convolution policy reports the algorithms it chose, one line per shape. By default
/// the lines go to stderr when the environment variable DISTILL_LOG_CUDNN is set (non-empty),
/// and nowhere otherwise; a program may set its own sink.
inline std::function<void(const std::string&)>& cudnn_choice_log() {
  static std::function<void(const std::string&)> sink = [](const std::string& line) {
    const char* on = std::getenv("DISTILL_LOG_CUDNN");
    if (on && *on) std::fprintf(stderr, "%s\n", line.c_str());
  };
  return sink;
}

/// Convolution by cuDNN's three primitives (the legacy API of libcudnn_cnn, which cuDNN 9
/// still ships). A plan per shape (batch, geometry, output channels, TF32 switch) holds the
/// descriptors and the algorithms, chosen once by cuDNN's heuristics (the _v7 queries): for each
/// direction, the deterministic candidates whose workspace fits kMaxWorkspace are tried in
/// cuDNN's order on scratch tensors of the plan's shape, each with the math type cuDNN returned
/// for it set on that direction's descriptor, and the first that executes is kept (a candidate
/// that fails clears the runtime's error; none executing is an error naming what was tried).
/// The choice is logged once per shape (cudnn_choice_log). Heuristics rather than Find: Find
/// times the candidates, so two processes could choose differently and a resumed run would not
/// reproduce the uninterrupted one bit for bit. The second term of a sum accumulates with
/// beta = 1; the bias is added and reduced by the library's own deterministic kernels.
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
                                                     plan.conv_fwd, plan.fwd, workspace_.data(),
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
              c.cudnn(), alpha, plan.w, t.b, plan.y, t.a, plan.conv_bwd_data, plan.bwd_data,
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
              c.cudnn(), alpha, plan.x, t.a, plan.y, t.b, plan.conv_bwd_filter, plan.bwd_filter,
              workspace_.data(), plan.workspace, beta, plan.w, gw));
        });
    if (!written) launch_for_each(p.weight_size(), detail::FillValue<T>{T(0), gw});
    if (!gb) return;
    if (bias_source)
      launch_plane_sum(p.batch, p.out_channels, p.g.patches(), bias_source, gb);
    else
      launch_for_each(p.out_channels, detail::FillValue<T>{T(0), gb});
  }

  /// The algorithms chosen for a problem, with their math types (for benchmarks and logs).
  struct Algorithms {
    cudnnConvolutionFwdAlgo_t forward;
    cudnnConvolutionBwdDataAlgo_t backward_data;
    cudnnConvolutionBwdFilterAlgo_t backward_filter;
    cudnnMathType_t forward_math, backward_data_math, backward_filter_math;
  };
  Algorithms algorithms(const ConvProblem& p) {
    const Plan& plan = plan_for(p);
    return {plan.fwd, plan.bwd_data, plan.bwd_filter, plan.fwd_math, plan.bwd_data_math, plan.bwd_filter_math};
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
    // One convolution descriptor per direction: each carries the math type of its algorithm.
    cudnnConvolutionDescriptor_t conv_fwd = nullptr, conv_bwd_data = nullptr, conv_bwd_filter = nullptr;
    cudnnConvolutionFwdAlgo_t fwd{};
    cudnnConvolutionBwdDataAlgo_t bwd_data{};
    cudnnConvolutionBwdFilterAlgo_t bwd_filter{};
    cudnnMathType_t fwd_math{}, bwd_data_math{}, bwd_filter_math{};
    std::size_t workspace = 0;
    Plan() = default;
    Plan(const Plan&) = delete;
    Plan& operator=(const Plan&) = delete;
    ~Plan() {
      const cudnnConvolutionDescriptor_t convs[] = {conv_fwd, conv_bwd_data, conv_bwd_filter};
      for (cudnnConvolutionDescriptor_t d : convs)
        if (d) cudnnDestroyConvolutionDescriptor(d);
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

  // The first deterministic candidate (heuristics come best first) whose workspace fits and
  // that executes: run(candidate) sets its math type on the direction's descriptor and calls the
  // primitive once on scratch tensors. A failure clears the runtime's last error (a failed
  // launch would otherwise be reported again by the next check) and the next candidate is tried.
  template <class Perf, class Run>
  Perf choose(const Perf* perf, int count, const char* what, Run&& run) {
    std::ostringstream tried;
    for (int i = 0; i < count; ++i) {
      const Perf& c = perf[i];
      if (c.status != CUDNN_STATUS_SUCCESS || c.determinism != CUDNN_DETERMINISTIC || c.memory > kMaxWorkspace)
        continue;
      workspace_.resize(std::max<std::size_t>(c.memory, 1));
      const cudnnStatus_t status = run(c);
      const cudaError_t sync = cudaStreamSynchronize(Context::current().stream());
      if (status == CUDNN_STATUS_SUCCESS && sync == cudaSuccess) return c;
      cudaGetLastError();
      tried << " algorithm " << int(c.algo) << ": "
            << (status != CUDNN_STATUS_SUCCESS ? cudnnGetErrorString(status) : cudaGetErrorString(sync)) << ";";
    }
    const std::string message = "no deterministic algorithm with a workspace under 256 MiB executed;" + tried.str();
    ::distill::detail::cuda_fail(what, message.c_str(), __FILE__, __LINE__);
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
    cudnnConvolutionDescriptor_t* const created[] = {&plan->conv_fwd, &plan->conv_bwd_data, &plan->conv_bwd_filter};
    for (cudnnConvolutionDescriptor_t* d : created) DISTILL_CUDA_CHECK(cudnnCreateConvolutionDescriptor(d));
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
    const cudnnConvolutionDescriptor_t convs[] = {plan->conv_fwd, plan->conv_bwd_data, plan->conv_bwd_filter};
    for (cudnnConvolutionDescriptor_t d : convs) {
      DISTILL_CUDA_CHECK(cudnnSetConvolution2dDescriptor(d, DISTILL_CUDA_INT(p.g.padding),
                                                         DISTILL_CUDA_INT(p.g.padding), 1, 1, 1, 1,
                                                         CUDNN_CROSS_CORRELATION, dt));
      // What the heuristics may propose: TF32 tensor ops only under the TF32 switch.
      DISTILL_CUDA_CHECK(cudnnSetConvolutionMathType(d, c.cudnn_math()));
    }

    // Scratch tensors of the plan's shape, zeros, for the trial executions.
    const std::size_t x_size = std::size_t(p.batch * p.g.image_size()), w_size = std::size_t(p.weight_size()),
                      y_size = std::size_t(p.batch * p.out_channels * p.g.patches());
    DeviceArray<T> xs(x_size), ws(w_size), ys(y_size);
    launch_for_each(Index(x_size), detail::FillValue<T>{T(0), xs.data()});
    launch_for_each(Index(w_size), detail::FillValue<T>{T(0), ws.data()});
    launch_for_each(Index(y_size), detail::FillValue<T>{T(0), ys.data()});
    static const T one = 1, zero = 0;

    int n = 0;
    cudnnConvolutionFwdAlgoPerf_t fwd[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    DISTILL_CUDA_CHECK(
        cudnnGetConvolutionForwardAlgorithm_v7(c.cudnn(), plan->x, plan->w, plan->conv_fwd, plan->y,
                                               CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &n, fwd));
    const auto f = choose(fwd, n, "cudnnConvolutionForward", [&](const cudnnConvolutionFwdAlgoPerf_t& a) {
      DISTILL_CUDA_CHECK(cudnnSetConvolutionMathType(plan->conv_fwd, a.mathType));
      return cudnnConvolutionForward(c.cudnn(), &one, plan->x, xs.data(), plan->w, ws.data(), plan->conv_fwd,
                                     a.algo, workspace_.data(), a.memory, &zero, plan->y, ys.data());
    });
    cudnnConvolutionBwdDataAlgoPerf_t bd[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    DISTILL_CUDA_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(
        c.cudnn(), plan->w, plan->y, plan->conv_bwd_data, plan->x, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT,
        &n, bd));
    const auto d = choose(bd, n, "cudnnConvolutionBackwardData", [&](const cudnnConvolutionBwdDataAlgoPerf_t& a) {
      DISTILL_CUDA_CHECK(cudnnSetConvolutionMathType(plan->conv_bwd_data, a.mathType));
      return cudnnConvolutionBackwardData(c.cudnn(), &one, plan->w, ws.data(), plan->y, ys.data(),
                                          plan->conv_bwd_data, a.algo, workspace_.data(), a.memory, &zero,
                                          plan->x, xs.data());
    });
    cudnnConvolutionBwdFilterAlgoPerf_t bf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
    DISTILL_CUDA_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
        c.cudnn(), plan->x, plan->y, plan->conv_bwd_filter, plan->w, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT,
        &n, bf));
    const auto w =
        choose(bf, n, "cudnnConvolutionBackwardFilter", [&](const cudnnConvolutionBwdFilterAlgoPerf_t& a) {
          DISTILL_CUDA_CHECK(cudnnSetConvolutionMathType(plan->conv_bwd_filter, a.mathType));
          return cudnnConvolutionBackwardFilter(c.cudnn(), &one, plan->x, xs.data(), plan->y, ys.data(),
                                                plan->conv_bwd_filter, a.algo, workspace_.data(), a.memory,
                                                &zero, plan->w, ws.data());
        });
    plan->fwd = f.algo;
    plan->bwd_data = d.algo;
    plan->bwd_filter = w.algo;
    plan->fwd_math = f.mathType;
    plan->bwd_data_math = d.mathType;
    plan->bwd_filter_math = w.mathType;
    plan->workspace = std::max({f.memory, d.memory, w.memory});
    workspace_.resize(std::max<std::size_t>(plan->workspace, 1));
    std::ostringstream line;
    line << "cudnn: batch " << p.batch << ", " << p.g.channels << "x" << p.g.height << "x" << p.g.width << " -> "
         << p.out_channels << " (" << p.g.kernel << "x" << p.g.kernel << ", pad " << p.g.padding << "), "
         << (c.tf32() ? "tf32" : "fp32") << ": forward algorithm " << int(f.algo) << " math " << int(f.mathType)
         << ", backward data " << int(d.algo) << " math " << int(d.mathType) << ", backward filter "
         << int(w.algo) << " math " << int(w.mathType) << ", workspace " << plan->workspace << " bytes";
    if (cudnn_choice_log()) cudnn_choice_log()(line.str());
    plans_.push_back(std::move(plan));
    return *plans_.back();
  }

  std::vector<std::unique_ptr<Plan>> plans_;
  DeviceArray<unsigned char> workspace_;
};

}  // namespace distill::cuda

#endif  // DISTILL_BACKEND_CUDA_CONV_CUDNN_HPP
