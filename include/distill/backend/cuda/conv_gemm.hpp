#ifndef DISTILL_BACKEND_CUDA_CONV_GEMM_HPP
#define DISTILL_BACKEND_CUDA_CONV_GEMM_HPP

#include <algorithm>

#include "distill/backend/conv_kernels.hpp"
#include "distill/backend/cuda/blas.hpp"
#include "distill/backend/cuda/launch.hpp"
#include "distill/backend/cuda/memory.hpp"
#include "distill/backend/sample_kernels.hpp"

namespace distill::cuda {

/// Convolution by im2col + cuBLAS GEMM, in cpu::Convolution's layout: a chunk of images unfolds
/// into a (count·P) × K column-major matrix, so each primitive is one GEMM per chunk and term:
///   forward          Y = Σ col(xᵢ)·Wᵢ, restacked into NCHW with the bias
///   backward_data    gx = col2im(Σ stack(gyᵢ)·Wᵢᵀ)
///   backward_filter  gW = Σ_chunks Σᵢ col(xᵢ)ᵀ·stack(gyᵢ)   (accumulated by the GEMM, in order)
/// Chunks keep the column matrix under kMaxColumn elements; the workspaces come from the pool
/// and are kept, so calls stop allocating once the largest shape has been seen.
template <class T>
class GemmConvolution {
 public:
  static constexpr Index kMaxColumn = Index(1) << 25;

  void forward(const ConvProblem& p, ConvSum<T> terms, const T* bias, T* y) {
    const Index P = p.g.patches(), K = p.g.taps(), out = p.out_channels;
    for_each_chunk(p, [&](Index begin, Index count) {
      const Index ld = count * P;
      out_.resize(std::size_t(ld * out));
      bool written = false;
      for (const ConvTerm<T>& t : terms.terms) {
        if (!t.present()) continue;
        unfold(p.g, t.a + begin * p.g.image_size(), ld);
        blas::gemm(Context::current().cublas(), Op::N, Op::N, ld, out, K, T(1), col_.data(), ld, t.b, K,
                   written ? T(1) : T(0), out_.data(), ld);
        written = true;
      }
      if (!written) launch_for_each(ld * out, detail::FillValue<T>{T(0), out_.data()});
      launch_for_each(ld * out, detail::UnstackPlanesBias<T>{P, out, ld, out_.data(), bias, y + begin * out * P});
    });
  }

  void backward_data(const ConvProblem& p, ConvSum<T> terms, T* gx) {
    const Index P = p.g.patches(), K = p.g.taps(), out = p.out_channels;
    for_each_chunk(p, [&](Index begin, Index count) {
      const Index ld = count * P;
      col_.resize(std::size_t(ld * K));
      bool written = false;
      for (const ConvTerm<T>& t : terms.terms) {
        if (!t.present()) continue;
        stack(P, out, ld, t.a + begin * out * P);
        blas::gemm(Context::current().cublas(), Op::N, Op::T, ld, K, out, T(1), stacked_.data(), ld, t.b, K,
                   written ? T(1) : T(0), col_.data(), ld);
        written = true;
      }
      if (!written) launch_for_each(ld * K, detail::FillValue<T>{T(0), col_.data()});
      launch_for_each(count * p.g.image_size(), detail::Col2imElement<T>{p.g, ld, col_.data(), gx + begin * p.g.image_size()});
    });
  }

  void backward_filter(const ConvProblem& p, ConvSum<T> terms, const T* bias_source, T* gw, T* gb) {
    const Index P = p.g.patches(), K = p.g.taps(), out = p.out_channels;
    launch_for_each(p.weight_size(), detail::FillValue<T>{T(0), gw});
    for_each_chunk(p, [&](Index begin, Index count) {
      const Index ld = count * P;
      for (const ConvTerm<T>& t : terms.terms) {
        if (!t.present()) continue;
        unfold(p.g, t.a + begin * p.g.image_size(), ld);
        stack(P, out, ld, t.b + begin * out * P);
        blas::gemm(Context::current().cublas(), Op::T, Op::N, K, out, ld, T(1), col_.data(), ld, stacked_.data(), ld,
                   T(1), gw, K);
      }
    });
    if (!gb) return;
    if (bias_source)
      launch_plane_sum(p.batch, out, P, bias_source, gb);
    else
      launch_for_each(out, detail::FillValue<T>{T(0), gb});
  }

 private:
  template <class F>
  static void for_each_chunk(const ConvProblem& p, F&& f) {
    const Index per_image = p.g.patches() * std::max(p.g.taps(), p.out_channels);
    const Index chunk = std::max<Index>(1, std::min<Index>(p.batch, kMaxColumn / std::max<Index>(1, per_image)));
    for (Index begin = 0; begin < p.batch; begin += chunk) f(begin, std::min(chunk, p.batch - begin));
  }
  void unfold(const ConvGeometry& g, const T* x, Index ld) {
    col_.resize(std::size_t(ld * g.taps()));
    launch_for_each(ld * g.taps(), detail::Im2colElement<T>{g, ld, x, col_.data()});
  }
  void stack(Index P, Index planes, Index ld, const T* src) {
    stacked_.resize(std::size_t(ld * planes));
    launch_for_each(ld * planes, detail::StackPlanes<T>{P, planes, ld, src, stacked_.data()});
  }

  DeviceArray<T> col_, out_, stacked_;
};

}  // namespace distill::cuda

#endif  // DISTILL_BACKEND_CUDA_CONV_GEMM_HPP
