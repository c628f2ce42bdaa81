#ifndef DISTILL_AUGMENT_BATCH_DSA_HPP
#define DISTILL_AUGMENT_BATCH_DSA_HPP

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "distill/augment/dsa.hpp"
#include "distill/augment/dsa_kernels.hpp"
#include "distill/backend/backend.hpp"
#include "distill/core/memory.hpp"
#include "distill/core/tensor.hpp"

namespace distill {

/// Differentiable Siamese Augmentation on a backend's memory: the passes of Dsa, each op a
/// batch-wide launch of the element functors of dsa_kernels.hpp (on a GPU, a thread per output
/// value; the transposes are gathers, so no atomics and the same bits on every run).
///
/// Draws are Dsa's, made on the host from the same config and seed, and uploaded with each
/// pass (a few doubles a sample) or, staged, once for many passes, so one seed gives the same
/// augmentation on every device and a run may move between devices. On the CPU backend the
/// passes equal Dsa's to the bit, which the CPU tests check. The CPU keeps Dsa (a sample per
/// thread, loops over rows and columns, the affine transpose as a scatter) because the form
/// per value costs it an index division per value and, for the affine transpose, a search of
/// the preimage: 8–44 times Dsa's time on the CPU (benchmarks/augment/bench_dsa.cpp).
///
/// Keeps its workspaces (the uploaded parameters, two batch buffers for chained ops) between
/// calls, so it is not safe to call from two threads at once. Inputs and outputs may be the
/// same tensor but must not partially overlap.
///
/// @tparam Scalar  float or double.
/// @tparam Backend cpu::Backend, cuda::Backend, ...
template <class Scalar, class Backend>
class BatchDsa {
 public:
  using scalar_type = Scalar;
  using backend_type = Backend;
  using memory_space = typename Backend::memory_space;
  using Const = ConstView<Scalar, memory_space>;
  using Mutable = MutableView<Scalar, memory_space>;

  BatchDsa() : BatchDsa(DsaConfig{}) {}
  explicit BatchDsa(DsaConfig config) : dsa_(std::move(config)) {}

  const DsaConfig& config() const { return dsa_.config(); }
  bool is_identity() const { return dsa_.is_identity(); }

  /// Dsa::draw: the same arguments give the same draw on every device.
  DsaDraw draw(Index batch, Index channels, Index height, Index width, std::uint64_t seed,
               bool shared = false) const {
    return dsa_.draw(batch, channels, height, width, seed, shared);
  }
  DsaDraw draw(const Shape& shape, std::uint64_t seed, bool shared = false) const {
    return dsa_.draw(shape, seed, shared);
  }

  /// Uploads the parameters of all `draws` in one copy, from the backend's staging memory, and
  /// points each draw at its copy (DsaDraw::staged), so that the passes given them upload
  /// nothing: an unrolled iteration stages all its steps' draws at its start. The copies stay
  /// valid until the next stage call.
  void stage(std::vector<DsaDraw>& draws) const {
    std::size_t total = 0;
    for (const DsaDraw& d : draws) total += d.samples.size();
    staging_.reserve(std::max<std::size_t>(total, 1));
    staged_.reserve(std::max<std::size_t>(total, 1));
    std::size_t at = 0;
    for (DsaDraw& d : draws) {
      std::copy(d.samples.begin(), d.samples.end(), staging_.data() + at);
      d.staged = staged_.data() + at;
      at += d.samples.size();
    }
    Backend::copy_from_host(Index(total), staging_.data(), staged_.data());
  }

  /// y = A·x + b.
  void forward(const DsaDraw& draw, Const x, Mutable y) const {
    DISTILL_CHECK(!x.empty() || y.size() == 0, "BatchDsa::forward: x is an empty view");
    run(Pass::kForward, draw, x, y, "BatchDsa::forward");
  }
  /// ẏ = A·ẋ; an empty ẋ stands for zero.
  void tangent(const DsaDraw& draw, Const x_dot, Mutable y_dot) const {
    run(Pass::kTangent, draw, x_dot, y_dot, "BatchDsa::tangent");
  }
  /// gx = Aᵀ·gy; an empty gy stands for zero.
  void backward(const DsaDraw& draw, Const gy, Mutable gx) const {
    run(Pass::kBackward, draw, gy, gx, "BatchDsa::backward");
  }

 private:
  enum class Pass { kForward, kTangent, kBackward };

  void run(Pass pass, const DsaDraw& draw, Const in, Mutable out, const char* what) const {
    const Shape s = out.shape();
    if (!detail::dsa_check_pass(draw, in.shape(), in.empty(), s, out.empty(), what)) return;
    if (in.empty()) {
      Backend::fill(s.size(), Scalar(0), out.data());
      return;
    }
    const Index k = Index(draw.ops.size());
    const bool aliased = in.data() == out.data();
    if (k == 0) {
      if (!aliased) Backend::copy(s.size(), in.data(), out.data());
      return;
    }
    const DsaSampleParams* params = draw.staged;
    if (!params) {
      const Index sets = Index(draw.samples.size());
      params_.reserve(std::size_t(sets));
      Backend::copy_from_host(sets, draw.samples.data(), params_.data());
      params = params_.data();
    }
    const detail::DsaBatch b{{draw.shape.c, draw.shape.h, draw.shape.w, draw.cutout_h, draw.cutout_w},
                             params,
                             draw.shared};
    // Ping-pong through two batch buffers so that no op reads what it writes; the last op
    // writes straight into the output.
    const Scalar* src = in.data();
    Scalar* ping = nullptr;
    Scalar* pong = nullptr;
    if (aliased || k > 1) {
      ping_.resize(s);
      pong_.resize(s);
      ping = ping_.data();
      pong = pong_.data();
    }
    if (aliased) {
      Backend::copy(s.size(), src, ping);
      src = ping;
    }
    const bool transpose = pass == Pass::kBackward;
    for (Index j = 0; j < k; ++j) {
      const DsaOp op = draw.ops[std::size_t(transpose ? k - 1 - j : j)];
      Scalar* target = j == k - 1 ? out.data() : (src == ping ? pong : ping);
      apply(op, b, s.n, src, target, pass == Pass::kForward, transpose);
      src = target;
    }
  }

  void apply(DsaOp op, const detail::DsaBatch& b, Index n, const Scalar* src, Scalar* dst, bool with_shift,
             bool transpose) const {
    const Index elements = n * b.sample(), pixels = n * b.plane();
    switch (op) {
      case DsaOp::kColor: {
        // Saturation then contrast; the transpose runs them the other way round (dsa_color).
        // Both halves work in place, so the intermediate lives in dst.
        mean_.reserve(std::size_t(n));
        const detail::DsaSampleMean<Scalar> mean{b.sample(), transpose ? src : dst, mean_.data()};
        const detail::DsaContrastElement<Scalar> contrast{b, mean_.data(), transpose ? src : dst, dst};
        if (!transpose) {
          Backend::for_each(pixels, detail::DsaSaturatePixel<Scalar>{b, with_shift, src, dst});
          Backend::for_each(n, mean, b.sample());
          Backend::for_each(elements, contrast);
        } else {
          Backend::for_each(n, mean, b.sample());
          Backend::for_each(elements, contrast);
          Backend::for_each(pixels, detail::DsaSaturatePixel<Scalar>{b, false, dst, dst});
        }
        return;
      }
      case DsaOp::kCrop:
        Backend::for_each(elements, detail::DsaCropElement<Scalar>{b, transpose, src, dst});
        return;
      case DsaOp::kCutout:
        Backend::for_each(elements, detail::DsaCutoutElement<Scalar>{b, src, dst});
        return;
      case DsaOp::kFlip:
        Backend::for_each(elements, detail::DsaFlipElement<Scalar>{b, src, dst});
        return;
      case DsaOp::kScale:
      case DsaOp::kRotate:
        if (transpose)
          Backend::for_each(elements, detail::DsaAffineTransposeElement<Scalar>{b, op, src, dst});
        else
          Backend::for_each(pixels, detail::DsaAffinePixel<Scalar>{b, op, src, dst});
        return;
    }
  }

  Dsa<Scalar> dsa_;  // the draws and the config's checks
  mutable detail::Buffer<DsaSampleParams, memory_space> params_, staged_;
  mutable detail::Buffer<DsaSampleParams, StagingSpace<Backend>> staging_;
  mutable detail::Buffer<Scalar, memory_space> mean_;
  mutable Tensor<Scalar, memory_space> ping_, pong_;
};

/// The DSA module for a backend: Dsa, a sample per thread, in host memory; BatchDsa, a thread
/// per value, anywhere else. Both are made from a DsaConfig and draw the same augmentations.
template <class Scalar, class Backend>
using DsaFor =
    std::conditional_t<kHostAccessible<typename Backend::memory_space>, Dsa<Scalar>, BatchDsa<Scalar, Backend>>;

}  // namespace distill

#endif  // DISTILL_AUGMENT_BATCH_DSA_HPP
