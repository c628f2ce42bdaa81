#ifndef DISTILL_NN_CONV2D_IMPL_HPP
#define DISTILL_NN_CONV2D_IMPL_HPP

#include <algorithm>

#include "distill/nn/conv2d.hpp"

namespace distill {

template <class Scalar>
Conv2d<Scalar>::Conv2d(Index in_channels, Index out_channels, Index kernel, Index padding)
    : in_(in_channels), out_(out_channels), k_(kernel), pad_(padding) {
  DISTILL_CHECK(in_ > 0 && out_ > 0 && k_ > 0 && pad_ >= 0,
                "Conv2d: invalid configuration in=" << in_ << " out=" << out_
                                                    << " kernel=" << k_ << " padding=" << pad_);
}

template <class Scalar>
Shape Conv2d<Scalar>::output_shape(const Shape& in) const {
  return {in.n, out_, in.h + 2 * pad_ - k_ + 1, in.w + 2 * pad_ - k_ + 1};
}

template <class Scalar>
void Conv2d<Scalar>::check_input(const Shape& in, const char* what) const {
  DISTILL_CHECK(in.c == in_, what << ": input " << in << " has " << in.c
                                  << " channels, the layer expects " << in_);
  DISTILL_CHECK(in.h + 2 * pad_ >= k_ && in.w + 2 * pad_ >= k_,
                what << ": input " << in << " is smaller than the " << k_ << "x" << k_
                     << " kernel");
}

// Enough images per GEMM that its inner or outer dimension reaches ~256 rows, but at least
// one chunk per thread, and a multiple of the thread count so the static schedule balances.
template <class Scalar>
Index Conv2d<Scalar>::chunk_count(Index n, Index patches) const {
  const Index threads = std::max(1, max_threads());
  if (n <= threads) return n;
  const Index per_chunk = std::max<Index>(1, (256 + patches - 1) / patches);
  const Index rounds = std::max<Index>(1, n / (threads * per_chunk));
  return std::min(n, threads * rounds);
}

template <class Scalar>
typename Conv2d<Scalar>::Chunk Conv2d<Scalar>::chunk(Index n, Index chunks, Index i) {
  const Index base = n / chunks, extra = n % chunks;
  return {i * base + std::min(i, extra), base + (i < extra ? 1 : 0)};
}

template <class Scalar>
void Conv2d<Scalar>::prepare_workspaces() {
  work_.ensure_threads();
}

template <class Scalar>
template <class F>
void Conv2d<Scalar>::for_each_chunk(Index n, Index patches, F&& f) {
  prepare_workspaces();
  const Index chunks = chunk_count(n, patches);
  const Index gemm_cost = patches * std::max<Index>(1, n / chunks) * in_ * k_ * k_ * out_;
  parallel_for(chunks, [&](Index i) { f(chunk(n, chunks, i), work_.local()); }, gemm_cost);
}

template <class Scalar>
const Scalar* Conv2d<Scalar>::gather(const Scalar* src, const Chunk& c, Index patches,
                                     Index channels, std::vector<Scalar>& block) {
  if (c.count == 1) return src + c.begin * patches * channels;
  const Index ld = patches * c.count;
  block.resize(static_cast<std::size_t>(ld * channels));
  for (Index j = 0; j < c.count; ++j) {
    const Scalar* img = src + (c.begin + j) * patches * channels;
    for (Index ch = 0; ch < channels; ++ch)
      std::copy(img + ch * patches, img + (ch + 1) * patches, block.data() + ch * ld + j * patches);
  }
  return block.data();
}

template <class Scalar>
void Conv2d<Scalar>::unfold(const cpu::ConvGeometry& g, const Scalar* x, const Chunk& c,
                            std::vector<Scalar>& col) const {
  const Index patches = g.patches(), ld = patches * c.count, image = g.channels * g.height * g.width;
  col.resize(static_cast<std::size_t>(ld * g.taps()));
  for (Index j = 0; j < c.count; ++j)
    cpu::im2col(g, x + (c.begin + j) * image, col.data() + j * patches, ld);
}

template <class Scalar>
void Conv2d<Scalar>::fold(const cpu::ConvGeometry& g, const Scalar* gcol, const Chunk& c,
                          Scalar* gx) const {
  const Index patches = g.patches(), ld = patches * c.count, image = g.channels * g.height * g.width;
  for (Index j = 0; j < c.count; ++j)
    cpu::col2im(g, gcol + j * patches, ld, gx + (c.begin + j) * image);
}

template <class Scalar>
void Conv2d<Scalar>::reduce_gradients(Scalar* out) {
  std::fill(out, out + param_count(), Scalar(0));
  for (auto& ws : work_.all()) {
    if (ws.grad.empty()) continue;
    for (Index i = 0; i < param_count(); ++i) out[i] += ws.grad[i];
  }
}

template <class Scalar>
void Conv2d<Scalar>::forward(ConstView<Scalar> x, const Scalar* w, MutableView<Scalar> y) {
  check_input(x.shape(), "Conv2d::forward");
  check_shape(output_shape(x.shape()), y.shape(), "Conv2d::forward output");
  const auto g = geometry(x.shape());
  const Index P = g.patches(), K = g.taps();
  const Scalar* bias = w + weight_size();
  for_each_chunk(x.shape().n, P, [&](const Chunk& c, Workspace& ws) {
    const Index ld = P * c.count;
    unfold(g, x.data(), c, ws.col);
    Scalar* dst = y.sample(c.begin);
    if (c.count > 1) {
      ws.out.resize(static_cast<std::size_t>(ld * out_));
      dst = ws.out.data();
    }
    cpu::gemm(cpu::Op::N, cpu::Op::N, ld, out_, K, Scalar(1), ws.col.data(), ld, w, K, Scalar(0),
              dst, ld);
    for (Index j = 0; j < c.count; ++j) {
      Scalar* img = y.sample(c.begin + j);
      for (Index o = 0; o < out_; ++o) {
        const Scalar* src = dst + o * ld + j * P;
        Scalar* plane = img + o * P;
        const Scalar b = bias[o];
        for (Index p = 0; p < P; ++p) plane[p] = src[p] + b;
      }
    }
  });
}

template <class Scalar>
void Conv2d<Scalar>::tangent(ConstView<Scalar> x, ConstView<Scalar> x_dot, const Scalar* w,
                             const Scalar* w_dot, MutableView<Scalar> y_dot) {
  check_input(x.shape(), "Conv2d::tangent");
  if (!x_dot.empty()) check_shape(x.shape(), x_dot.shape(), "Conv2d::tangent input tangent");
  check_shape(output_shape(x.shape()), y_dot.shape(), "Conv2d::tangent output");
  const auto g = geometry(x.shape());
  const Index P = g.patches(), K = g.taps();
  for_each_chunk(x.shape().n, P, [&](const Chunk& c, Workspace& ws) {
    const Index ld = P * c.count;
    ws.out.resize(static_cast<std::size_t>(ld * out_));
    if (w_dot) {
      unfold(g, x.data(), c, ws.col);
      cpu::gemm(cpu::Op::N, cpu::Op::N, ld, out_, K, Scalar(1), ws.col.data(), ld, w_dot, K,
                Scalar(0), ws.out.data(), ld);
    } else {
      std::fill(ws.out.begin(), ws.out.end(), Scalar(0));
    }
    if (!x_dot.empty()) {
      unfold(g, x_dot.data(), c, ws.col_dot);
      cpu::gemm(cpu::Op::N, cpu::Op::N, ld, out_, K, Scalar(1), ws.col_dot.data(), ld, w, K,
                Scalar(1), ws.out.data(), ld);
    }
    const Scalar* bias_dot = w_dot ? w_dot + weight_size() : nullptr;
    for (Index j = 0; j < c.count; ++j) {
      Scalar* img = y_dot.sample(c.begin + j);
      for (Index o = 0; o < out_; ++o) {
        const Scalar* src = ws.out.data() + o * ld + j * P;
        const Scalar b = bias_dot ? bias_dot[o] : Scalar(0);
        for (Index p = 0; p < P; ++p) img[o * P + p] = src[p] + b;
      }
    }
  });
}

template <class Scalar>
void Conv2d<Scalar>::backward(ConstView<Scalar> x, const Scalar* w, ConstView<Scalar> gy,
                              MutableView<Scalar> gx, Scalar* gw) {
  check_input(x.shape(), "Conv2d::backward");
  check_shape(output_shape(x.shape()), gy.shape(), "Conv2d::backward output gradient");
  if (!gx.empty()) check_shape(x.shape(), gx.shape(), "Conv2d::backward input gradient");
  const auto g = geometry(x.shape());
  const Index P = g.patches(), K = g.taps(), W = weight_size();
  for (auto& ws : work_.all()) ws.grad.assign(gw ? param_count() : 0, Scalar(0));
  for_each_chunk(x.shape().n, P, [&](const Chunk& c, Workspace& ws) {
    const Index ld = P * c.count;
    const Scalar* gyb = gather(gy.data(), c, P, out_, ws.gy);
    if (gw) {
      if (ws.grad.empty()) ws.grad.assign(param_count(), Scalar(0));
      unfold(g, x.data(), c, ws.col);
      cpu::gemm(cpu::Op::T, cpu::Op::N, K, out_, ld, Scalar(1), ws.col.data(), ld, gyb, ld,
                Scalar(1), ws.grad.data(), K);
      for (Index o = 0; o < out_; ++o) {
        Scalar s = 0;
        for (Index p = 0; p < ld; ++p) s += gyb[o * ld + p];
        ws.grad[W + o] += s;
      }
    }
    if (!gx.empty()) {
      ws.gcol.resize(static_cast<std::size_t>(ld * K));
      cpu::gemm(cpu::Op::N, cpu::Op::T, ld, K, out_, Scalar(1), gyb, ld, w, K, Scalar(0),
                ws.gcol.data(), ld);
      fold(g, ws.gcol.data(), c, gx.data());
    }
  });
  if (gw) reduce_gradients(gw);
}

template <class Scalar>
void Conv2d<Scalar>::backward_tangent(ConstView<Scalar> x, ConstView<Scalar> x_dot,
                                      const Scalar* w, const Scalar* w_dot, ConstView<Scalar> gy,
                                      ConstView<Scalar> gy_dot, MutableView<Scalar> gx_dot,
                                      Scalar* gw_dot) {
  check_input(x.shape(), "Conv2d::backward_tangent");
  const Shape out_shape = output_shape(x.shape());
  check_shape(out_shape, gy.shape(), "Conv2d::backward_tangent output gradient");
  if (!gy_dot.empty())
    check_shape(out_shape, gy_dot.shape(), "Conv2d::backward_tangent output gradient tangent");
  if (!x_dot.empty()) check_shape(x.shape(), x_dot.shape(), "Conv2d::backward_tangent input tangent");
  if (!gx_dot.empty())
    check_shape(x.shape(), gx_dot.shape(), "Conv2d::backward_tangent input gradient tangent");
  const auto g = geometry(x.shape());
  const Index P = g.patches(), K = g.taps(), W = weight_size();
  for (auto& ws : work_.all()) ws.grad.assign(gw_dot ? param_count() : 0, Scalar(0));
  for_each_chunk(x.shape().n, P, [&](const Chunk& c, Workspace& ws) {
    const Index ld = P * c.count;
    const Scalar* gyb = gather(gy.data(), c, P, out_, ws.gy);
    const Scalar* gyb_dot = gy_dot.empty() ? nullptr : gather(gy_dot.data(), c, P, out_, ws.gy_dot);
    if (gw_dot) {
      if (ws.grad.empty()) ws.grad.assign(param_count(), Scalar(0));
      if (gyb_dot) {
        unfold(g, x.data(), c, ws.col);
        cpu::gemm(cpu::Op::T, cpu::Op::N, K, out_, ld, Scalar(1), ws.col.data(), ld, gyb_dot, ld,
                  Scalar(1), ws.grad.data(), K);
        for (Index o = 0; o < out_; ++o) {
          Scalar s = 0;
          for (Index p = 0; p < ld; ++p) s += gyb_dot[o * ld + p];
          ws.grad[W + o] += s;
        }
      }
      if (!x_dot.empty()) {
        unfold(g, x_dot.data(), c, ws.col_dot);
        cpu::gemm(cpu::Op::T, cpu::Op::N, K, out_, ld, Scalar(1), ws.col_dot.data(), ld, gyb, ld,
                  Scalar(1), ws.grad.data(), K);
      }
    }
    if (!gx_dot.empty()) {
      ws.gcol.resize(static_cast<std::size_t>(ld * K));
      std::fill(ws.gcol.begin(), ws.gcol.end(), Scalar(0));
      if (w_dot)
        cpu::gemm(cpu::Op::N, cpu::Op::T, ld, K, out_, Scalar(1), gyb, ld, w_dot, K, Scalar(1),
                  ws.gcol.data(), ld);
      if (gyb_dot)
        cpu::gemm(cpu::Op::N, cpu::Op::T, ld, K, out_, Scalar(1), gyb_dot, ld, w, K, Scalar(1),
                  ws.gcol.data(), ld);
      fold(g, ws.gcol.data(), c, gx_dot.data());
    }
  });
  if (gw_dot) reduce_gradients(gw_dot);
}

}  // namespace distill

#endif  // DISTILL_NN_CONV2D_IMPL_HPP
