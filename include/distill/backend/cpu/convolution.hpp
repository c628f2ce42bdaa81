#ifndef DISTILL_BACKEND_CPU_CONVOLUTION_HPP
#define DISTILL_BACKEND_CPU_CONVOLUTION_HPP

#include <algorithm>
#include <vector>

#include "distill/backend/backend.hpp"
#include "distill/backend/cpu/gemm.hpp"
#include "distill/backend/cpu/im2col.hpp"
#include "distill/core/parallel.hpp"

namespace distill::cpu {

/// The three convolution primitives of the CPU backend (cuDNN's forward, backward-data and
/// backward-filter), each over a sum of up to two bilinear terms, by im2col + Eigen GEMM. With
/// col(x) the unfolded input (patches × taps) and W the weight seen as taps × out:
///   forward          y  = Σ col(xᵢ)·Wᵢ + b
///   backward_data    gx = col2im(Σ gyᵢ·Wᵢᵀ)
///   backward_filter  gW = Σ col(xᵢ)ᵀ·gyᵢ,  gb = Σ gy_b   (over the batch)
/// Images are processed in chunks spread over threads; a chunk stacks several small images so
/// that each GEMM is large enough to run near the machine's peak. The workspaces live in the
/// object, so a layer that owns one stops allocating once it has seen its largest batch.
template <class T>
class Convolution {
 public:
  /// terms: {x, W}; bias may be null (no bias).
  void forward(const ConvProblem& p, ConvSum<T> terms, const T* bias, T* y);
  /// terms: {gy, W}.
  void backward_data(const ConvProblem& p, ConvSum<T> terms, T* gx);
  /// terms: {x, gy}; gw (weight_size values) and gb (out_channels values) are overwritten; a
  /// null bias_source gives gb = 0, a null gb skips it.
  void backward_filter(const ConvProblem& p, ConvSum<T> terms, const T* bias_source, T* gw, T* gb);
  /// backward_filter and backward_data in one sweep over the chunks, with the same results: each
  /// chunk's output gradient is read by both GEMMs while it is still in cache, where the two
  /// calls read it from memory twice (the first layer's 32×32 planes do not stay in cache).
  void backward(const ConvProblem& p, ConvSum<T> filter_terms, const T* bias_source, T* gw, T* gb,
                ConvSum<T> data_terms, T* gx);

 private:
  struct Workspace {
    std::vector<T> col, out, gy, gcol;
    std::vector<T> grad;  // this thread's partial weight and bias gradient
  };
  /// Images [begin, begin + count) of one chunk.
  struct Chunk {
    Index begin, count;
  };

  static Index chunk_count(Index n, Index patches);
  static Chunk chunk(Index n, Index chunks, Index i) {
    const Index base = n / chunks, extra = n % chunks;
    return {i * base + std::min(i, extra), base + (i < extra ? 1 : 0)};
  }
  template <class F>
  void for_each_chunk(const ConvProblem& p, F&& f);
  // Stacks images of a chunk into a (count·patches) × channels column-major block.
  static const T* gather(const T* src, const Chunk& c, Index patches, Index channels,
                         std::vector<T>& block);
  static void unfold(const ConvGeometry& g, const T* x, const Chunk& c, std::vector<T>& col);
  static void fold(const ConvGeometry& g, const T* gcol, const Chunk& c, T* gx);
  // One chunk's share of each backward primitive; the weight gradient goes to the thread's
  // partial sum, which begin_filter zeroes and end_filter adds up.
  static void filter_chunk(const ConvProblem& p, const ConvSum<T>& terms, const T* bias_source, const Chunk& c,
                           Workspace& ws);
  static void data_chunk(const ConvProblem& p, const ConvSum<T>& terms, const Chunk& c, Workspace& ws, T* gx);
  void begin_filter(const ConvProblem& p);
  void end_filter(const ConvProblem& p, T* gw, T* gb);

  PerThread<Workspace> work_;
};

// Enough images per GEMM that its outer dimension reaches ~256 rows, in a multiple of two
// chunks (balanced on 2, 4, … threads). The layout depends on the batch and the image size only,
// never on the thread count: Eigen's GEMM rounds a row differently depending on where it falls in
// the matrix, so a thread-dependent stacking would make results depend on the thread count. A
// fixed number of chunks instead (say 8) would split small batches of small images into GEMMs
// too short to run at speed.
template <class T>
Index Convolution<T>::chunk_count(Index n, Index patches) {
  constexpr Index kMultiple = 2;
  if (n <= kMultiple) return n;
  const Index per_chunk = std::max<Index>(1, (256 + patches - 1) / patches);
  const Index rounds = std::max<Index>(1, n / (kMultiple * per_chunk));
  return std::min(n, kMultiple * rounds);
}

// Chunks come largest first and run cyclically over threads, which balances them.
template <class T>
template <class F>
void Convolution<T>::for_each_chunk(const ConvProblem& p, F&& f) {
  work_.ensure_threads();
  const Index n = p.batch, patches = p.g.patches();
  const Index chunks = chunk_count(n, patches);
  const Index gemm_cost = patches * std::max<Index>(1, n / chunks) * p.g.taps() * p.out_channels;
  parallel_for(chunks, [&](Index i) { f(chunk(n, chunks, i), work_.local()); }, gemm_cost, Schedule::kCyclic);
}

template <class T>
const T* Convolution<T>::gather(const T* src, const Chunk& c, Index patches, Index channels,
                                std::vector<T>& block) {
  if (c.count == 1) return src + c.begin * patches * channels;
  const Index ld = patches * c.count;
  block.resize(static_cast<std::size_t>(ld * channels));
  for (Index j = 0; j < c.count; ++j) {
    const T* img = src + (c.begin + j) * patches * channels;
    for (Index ch = 0; ch < channels; ++ch)
      std::copy(img + ch * patches, img + (ch + 1) * patches, block.data() + ch * ld + j * patches);
  }
  return block.data();
}

template <class T>
void Convolution<T>::unfold(const ConvGeometry& g, const T* x, const Chunk& c, std::vector<T>& col) {
  const Index patches = g.patches(), ld = patches * c.count;
  col.resize(static_cast<std::size_t>(ld * g.taps()));
  for (Index j = 0; j < c.count; ++j)
    im2col(g, x + (c.begin + j) * g.image_size(), col.data() + j * patches, ld);
}

template <class T>
void Convolution<T>::fold(const ConvGeometry& g, const T* gcol, const Chunk& c, T* gx) {
  const Index patches = g.patches(), ld = patches * c.count;
  for (Index j = 0; j < c.count; ++j)
    col2im(g, gcol + j * patches, ld, gx + (c.begin + j) * g.image_size());
}

template <class T>
void Convolution<T>::forward(const ConvProblem& p, ConvSum<T> terms, const T* bias, T* y) {
  const Index P = p.g.patches(), K = p.g.taps(), out = p.out_channels;
  const bool both = terms.terms[0].present() && terms.terms[1].present();
  for_each_chunk(p, [&](const Chunk& c, Workspace& ws) {
    const Index ld = P * c.count;
    T* first_image = y + c.begin * out * P;
    // A single image with a single term needs no staging: the GEMM writes y's planes directly.
    T* dst = first_image;
    if (c.count > 1 || both) {
      ws.out.resize(static_cast<std::size_t>(ld * out));
      dst = ws.out.data();
    }
    bool written = false;
    for (const ConvTerm<T>& t : terms.terms) {
      if (!t.present()) continue;
      unfold(p.g, t.a, c, ws.col);
      gemm(Op::N, Op::N, ld, out, K, T(1), ws.col.data(), ld, t.b, K, written ? T(1) : T(0), dst, ld);
      written = true;
    }
    if (!written) std::fill(dst, dst + ld * out, T(0));
    for (Index j = 0; j < c.count; ++j) {
      T* img = first_image + j * out * P;
      for (Index o = 0; o < out; ++o) {
        const T* src = dst + o * ld + j * P;
        T* plane = img + o * P;
        const T b = bias ? bias[o] : T(0);
        for (Index q = 0; q < P; ++q) plane[q] = src[q] + b;
      }
    }
  });
}

template <class T>
void Convolution<T>::data_chunk(const ConvProblem& p, const ConvSum<T>& terms, const Chunk& c, Workspace& ws,
                                T* gx) {
  const Index P = p.g.patches(), K = p.g.taps(), out = p.out_channels, ld = P * c.count;
  ws.gcol.resize(static_cast<std::size_t>(ld * K));
  bool written = false;
  for (const ConvTerm<T>& t : terms.terms) {
    if (!t.present()) continue;
    const T* gyb = gather(t.a, c, P, out, ws.gy);
    gemm(Op::N, Op::T, ld, K, out, T(1), gyb, ld, t.b, K, written ? T(1) : T(0), ws.gcol.data(), ld);
    written = true;
  }
  if (!written) std::fill(ws.gcol.begin(), ws.gcol.end(), T(0));
  fold(p.g, ws.gcol.data(), c, gx);
}

template <class T>
void Convolution<T>::filter_chunk(const ConvProblem& p, const ConvSum<T>& terms, const T* bias_source,
                                  const Chunk& c, Workspace& ws) {
  const Index P = p.g.patches(), K = p.g.taps(), out = p.out_channels, W = p.weight_size(), ld = P * c.count;
  if (ws.grad.empty()) ws.grad.assign(static_cast<std::size_t>(W + out), T(0));
  for (const ConvTerm<T>& t : terms.terms) {
    if (!t.present()) continue;
    const T* gyb = gather(t.b, c, P, out, ws.gy);
    unfold(p.g, t.a, c, ws.col);
    gemm(Op::T, Op::N, K, out, ld, T(1), ws.col.data(), ld, gyb, ld, T(1), ws.grad.data(), K);
  }
  if (bias_source) {
    const T* gyb = gather(bias_source, c, P, out, ws.gy);
    for (Index o = 0; o < out; ++o) {
      T s = 0;
      for (Index q = 0; q < ld; ++q) s += gyb[o * ld + q];
      ws.grad[W + o] += s;
    }
  }
}

template <class T>
void Convolution<T>::begin_filter(const ConvProblem& p) {
  // Threads that join later (ensure_threads) start from an empty partial sum: filter_chunk sizes it.
  for (auto& ws : work_.all()) ws.grad.assign(static_cast<std::size_t>(p.weight_size() + p.out_channels), T(0));
}

template <class T>
void Convolution<T>::end_filter(const ConvProblem& p, T* gw, T* gb) {
  const Index W = p.weight_size(), out = p.out_channels;
  std::fill(gw, gw + W, T(0));
  if (gb) std::fill(gb, gb + out, T(0));
  for (auto& ws : work_.all()) {
    if (ws.grad.empty()) continue;
    for (Index i = 0; i < W; ++i) gw[i] += ws.grad[i];
    if (gb)
      for (Index o = 0; o < out; ++o) gb[o] += ws.grad[W + o];
  }
}

template <class T>
void Convolution<T>::backward_data(const ConvProblem& p, ConvSum<T> terms, T* gx) {
  for_each_chunk(p, [&](const Chunk& c, Workspace& ws) { data_chunk(p, terms, c, ws, gx); });
}

template <class T>
void Convolution<T>::backward_filter(const ConvProblem& p, ConvSum<T> terms, const T* bias_source,
                                     T* gw, T* gb) {
  const T* bias = gb ? bias_source : nullptr;
  begin_filter(p);
  for_each_chunk(p, [&](const Chunk& c, Workspace& ws) { filter_chunk(p, terms, bias, c, ws); });
  end_filter(p, gw, gb);
}

template <class T>
void Convolution<T>::backward(const ConvProblem& p, ConvSum<T> filter_terms, const T* bias_source, T* gw,
                              T* gb, ConvSum<T> data_terms, T* gx) {
  const T* bias = gb ? bias_source : nullptr;
  begin_filter(p);
  for_each_chunk(p, [&](const Chunk& c, Workspace& ws) {
    filter_chunk(p, filter_terms, bias, c, ws);
    data_chunk(p, data_terms, c, ws, gx);
  });
  end_filter(p, gw, gb);
}

}  // namespace distill::cpu

#endif  // DISTILL_BACKEND_CPU_CONVOLUTION_HPP
