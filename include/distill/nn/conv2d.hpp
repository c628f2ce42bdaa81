#ifndef DISTILL_NN_CONV2D_HPP
#define DISTILL_NN_CONV2D_HPP

#include <vector>

#include "distill/backend/cpu/gemm.hpp"
#include "distill/backend/cpu/im2col.hpp"
#include "distill/core/parallel.hpp"
#include "distill/core/tensor.hpp"

namespace distill {

/// k×k convolution, stride 1, zero padding, with bias (PyTorch's nn.Conv2d).
///
/// Parameters are one slice of a flat vector: the weight [out, in, k, k] then the bias [out].
/// The four passes (design §2) are im2col + GEMM: with col the unfolded input (patches × taps)
/// and W the weight seen as taps × out,
///   forward           y  = col·W + b
///   tangent           ẏ  = col·Ẇ + ċol·W + ḃ
///   backward          gW = colᵀ·gy,  gb = Σ gy,  gx = col2im(gy·Wᵀ)
///   backward_tangent  ġW = colᵀ·ġy + ċolᵀ·gy,  ġb = Σ ġy,  ġx = col2im(gy·Ẇᵀ + ġy·Wᵀ)
/// Images are processed in chunks spread over threads; a chunk stacks several small images so
/// that each GEMM is large enough to run near the machine's peak. Workspaces live in the
/// layer and are reused, so steady-state calls do not allocate.
///
/// Optional arguments: an empty tangent view means a zero tangent; an empty gradient view or a
/// null parameter-gradient pointer means "not wanted" and skips that work.
template <class Scalar>
class Conv2d {
 public:
  Conv2d() = default;
  Conv2d(Index in_channels, Index out_channels, Index kernel = 3, Index padding = 1);

  Index in_channels() const { return in_; }
  Index out_channels() const { return out_; }
  Index kernel() const { return k_; }
  Index padding() const { return pad_; }
  Index weight_size() const { return out_ * in_ * k_ * k_; }
  Index param_count() const { return weight_size() + out_; }
  Shape output_shape(const Shape& in) const;

  void forward(ConstView<Scalar> x, const Scalar* w, MutableView<Scalar> y);
  void tangent(ConstView<Scalar> x, ConstView<Scalar> x_dot, const Scalar* w,
               const Scalar* w_dot, MutableView<Scalar> y_dot);
  void backward(ConstView<Scalar> x, const Scalar* w, ConstView<Scalar> gy,
                MutableView<Scalar> gx, Scalar* gw);
  void backward_tangent(ConstView<Scalar> x, ConstView<Scalar> x_dot, const Scalar* w,
                        const Scalar* w_dot, ConstView<Scalar> gy, ConstView<Scalar> gy_dot,
                        MutableView<Scalar> gx_dot, Scalar* gw_dot);

 private:
  struct Workspace {
    std::vector<Scalar> col, col_dot, out, gy, gy_dot, gcol;
    std::vector<Scalar> grad;  // this thread's partial parameter gradient
  };
  /// Images [begin, begin + count) of one chunk.
  struct Chunk {
    Index begin, count;
  };

  cpu::ConvGeometry geometry(const Shape& in) const {
    return {in.c, in.h, in.w, k_, pad_};
  }
  void check_input(const Shape& in, const char* what) const;
  Index chunk_count(Index n, Index patches) const;
  static Chunk chunk(Index n, Index chunks, Index i);
  void prepare_workspaces();
  template <class F>
  void for_each_chunk(Index n, Index patches, F&& f);
  // Stacks images of a chunk into a (count·patches) × channels column-major block.
  static const Scalar* gather(const Scalar* src, const Chunk& c, Index patches, Index channels,
                              std::vector<Scalar>& block);
  void unfold(const cpu::ConvGeometry& g, const Scalar* x, const Chunk& c,
              std::vector<Scalar>& col) const;
  void fold(const cpu::ConvGeometry& g, const Scalar* gcol, const Chunk& c, Scalar* gx) const;
  void reduce_gradients(Scalar* out);

  Index in_ = 0, out_ = 0, k_ = 3, pad_ = 1;
  PerThread<Workspace> work_;
};

}  // namespace distill

#include "distill/nn/conv2d_impl.hpp"

#endif  // DISTILL_NN_CONV2D_HPP
