#ifndef DISTILL_NN_CONV_NET_IMPL_HPP
#define DISTILL_NN_CONV_NET_IMPL_HPP

#include <algorithm>
#include <utility>

#include "distill/nn/conv_net.hpp"

namespace distill {

template <class Scalar, int Depth, int Width, class Norm, class Pool, class Backend>
ConvNet<Scalar, Depth, Width, Norm, Pool, Backend>::ConvNet(const ConvNetConfig& config) : config_(config) {
  auto resolve = [](Index given, int fixed, const char* what) -> Index {
    if (fixed == Dynamic) {
      DISTILL_CHECK(given > 0, "ConvNet: " << what << " is Dynamic, so ConvNetConfig::net_" << what
                                           << " must be positive (got " << given << ")");
      return given;
    }
    DISTILL_CHECK(given == 0 || given == fixed, "ConvNet: ConvNetConfig::net_"
                                                    << what << " = " << given
                                                    << " contradicts the template argument "
                                                    << fixed);
    return fixed;
  };
  config_.net_depth = resolve(config.net_depth, Depth, "depth");
  config_.net_width = resolve(config.net_width, Width, "width");
  DISTILL_CHECK(config_.channels > 0 && config_.height > 0 && config_.width > 0 &&
                    config_.classes > 0,
                "ConvNet: invalid data shape: channels=" << config_.channels << " height="
                                                         << config_.height << " width="
                                                         << config_.width << " classes="
                                                         << config_.classes);

  Shape s = input_shape(1);
  Index module = 0;
  blocks_.resize(static_cast<std::size_t>(config_.net_depth));
  for (Index d = 0; d < config_.net_depth; ++d) {
    Block& b = blocks_[d];
    // The reference ConvNet pads the first layer of 1-channel (MNIST-style 28×28) data by 3.
    const Index padding = (config_.channels == 1 && d == 0) ? 3 : 1;
    b.conv = Conv2d<Scalar, Backend>(s.c, config_.net_width, 3, padding);
    const std::string conv = "features." + std::to_string(module++);
    const Index fan_in = s.c * 9;
    add_param(conv + ".weight", {config_.net_width, s.c, 3, 3}, {fan_in, 0}, &b.conv_offset);
    add_param(conv + ".bias", {config_.net_width}, {fan_in, 0}, nullptr);
    s = b.conv.output_shape(s);
    if (kHasNorm) {
      b.norm = Normalization<Scalar, Backend>(
          config_.net_width,
          std::is_same<Norm, norm::Instance>::value ? NormGroups::kInstance : NormGroups::kBatch);
      const std::string name = "features." + std::to_string(module++);
      add_param(name + ".weight", {config_.net_width}, {0, Scalar(1)}, &b.norm_offset);
      add_param(name + ".bias", {config_.net_width}, {0, Scalar(0)}, nullptr);
    }
    ++module;  // ReLU
    if (kHasPool) {
      b.pool = PoolLayer(2);
      s = b.pool.output_shape(s);
      DISTILL_CHECK(s.h > 0 && s.w > 0, "ConvNet: a " << config_.height << "x" << config_.width
                                                      << " input is too small for depth "
                                                      << config_.net_depth << " with pooling");
      ++module;
    }
  }
  embedding_size_ = s.sample_size();
  classifier_ = Linear<Scalar, Backend>(embedding_size_, config_.classes);
  add_param("classifier.weight", {config_.classes, embedding_size_}, {embedding_size_, 0},
            &classifier_offset_);
  add_param("classifier.bias", {config_.classes}, {embedding_size_, 0}, nullptr);
}

template <class Scalar, int Depth, int Width, class Norm, class Pool, class Backend>
typename ConvNet<Scalar, Depth, Width, Norm, Pool, Backend>::ParamVector
ConvNet<Scalar, Depth, Width, Norm, Pool, Backend>::init_params(std::uint64_t seed) const {
  ParamVector theta(num_params());
  const auto& entries = layout_.entries();
  for (std::size_t t = 0; t < entries.size(); ++t) {
    Scalar* p = theta.data() + entries[t].offset;
    const InitRule& rule = init_rules_[t];
    if (rule.fan_in > 0) {
      Rng rng(seed, t);  // one stream per tensor: independent of threads and of other tensors
      init_uniform_fan_in(p, entries[t].size, rule.fan_in, rng);
    } else {
      init_constant(p, entries[t].size, rule.value);
    }
  }
  return theta;
}

template <class Scalar, int Depth, int Width, class Norm, class Pool, class Backend>
std::size_t ConvNet<Scalar, Depth, Width, Norm, Pool, Backend>::kept_bytes(Index n) const {
  Shape s = input_shape(n);
  Index values = 0;
  for (Index d = 0; d < depth(); ++d) {
    if (d > 0) values += s.size();
    s = blocks_[d].conv.output_shape(s);
    values += s.size();
    if (kHasPool) s = blocks_[d].pool.output_shape(s);
  }
  return std::size_t(values) * sizeof(Scalar);
}

template <class Scalar, int Depth, int Width, class Norm, class Pool, class Backend>
typename ConvNet<Scalar, Depth, Width, Norm, Pool, Backend>::Outputs
ConvNet<Scalar, Depth, Width, Norm, Pool, Backend>::forward(const Scalar* theta, View x, const Kept* kept) {
  DISTILL_CHECK(theta != nullptr, "ConvNet::forward: null parameter vector");
  const Shape in = x.shape();
  check_shape(input_shape(in.n), in, "ConvNet::forward input");
  DISTILL_CHECK(in.n > 0, "ConvNet::forward: empty batch");
  DISTILL_CHECK(!kept || Index(kept->conv_out.size()) == depth(), "ConvNet::forward: the kept pass has "
                                                                      << kept->conv_out.size() << " blocks, not "
                                                                      << depth());
  input_.resize(in);
  Backend::copy(x.size(), x.data(), input_.data());
  for (Index d = 0; d < depth(); ++d) {
    Block& b = blocks_[d];
    const View xin = block_in(d);
    b.conv_out.resize(b.conv.output_shape(xin.shape()));
    if (kept) {
      const Activations& y = kept->conv_out[std::size_t(d)];
      check_shape(b.conv_out.shape(), y.shape(), "ConvNet::forward kept convolution output");
      Backend::copy(y.size(), y.data(), b.conv_out.data());
    } else {
      b.conv.forward(xin, theta + b.conv_offset, b.conv_out);
    }
    if (kHasNorm) {
      b.norm_out.resize(b.conv_out.shape());
      b.norm.forward(b.conv_out, theta + b.norm_offset, b.norm_out);
    }
    b.relu_out.resize(b.conv_out.shape());
    relu_.forward(relu_in(b), b.relu_out);
    if (kHasPool) {
      b.pool_out.resize(b.pool.output_shape(b.relu_out.shape()));
      b.pool.forward(b.relu_out, b.pool_out);
    }
  }
  const View emb = embedding_view();
  logits_.resize(classifier_.output_shape(emb.shape()));
  classifier_.forward(emb, theta + classifier_offset_, logits_);
  // Inference-mode batch norm keeps no cache for the other passes.
  has_forward_ = training_ || !std::is_same<Norm, norm::Batch>::value;
  has_tangent_ = false;
  return {logits_.cview(), emb};
}

template <class Scalar, int Depth, int Width, class Norm, class Pool, class Backend>
typename ConvNet<Scalar, Depth, Width, Norm, Pool, Backend>::Outputs
ConvNet<Scalar, Depth, Width, Norm, Pool, Backend>::tangent(const Scalar* theta, const Scalar* theta_dot,
                                                    View x_dot) {
  DISTILL_CHECK(has_forward_, "ConvNet::tangent: call forward first");
  has_input_dot_ = !x_dot.empty();
  if (has_input_dot_) {
    check_shape(input_.shape(), x_dot.shape(), "ConvNet::tangent input tangent");
    input_dot_.resize(x_dot.shape());
    Backend::copy(x_dot.size(), x_dot.data(), input_dot_.data());
  }
  auto slice = [&](Index offset) { return theta_dot ? theta_dot + offset : nullptr; };
  for (Index d = 0; d < depth(); ++d) {
    Block& b = blocks_[d];
    b.conv_dot.resize(b.conv_out.shape());
    b.conv.tangent(block_in(d), block_in_dot(d), theta + b.conv_offset, slice(b.conv_offset),
                   b.conv_dot);
    if (kHasNorm) {
      b.norm_dot.resize(b.norm_out.shape());
      b.norm.tangent(b.conv_out, b.conv_dot, theta + b.norm_offset, slice(b.norm_offset),
                     b.norm_dot);
    }
    b.relu_dot.resize(b.relu_out.shape());
    relu_.tangent(relu_in(b), relu_in_dot(b), b.relu_dot);
    if (kHasPool) {
      b.pool_dot.resize(b.pool_out.shape());
      b.pool.tangent(b.relu_dot, b.pool_dot);
    }
  }
  logits_dot_.resize(logits_.shape());
  classifier_.tangent(embedding_view(), embedding_dot_view(), theta + classifier_offset_,
                      slice(classifier_offset_), logits_dot_);
  has_tangent_ = true;
  return {logits_dot_.cview(), embedding_dot_view()};
}

template <class Scalar, int Depth, int Width, class Norm, class Pool, class Backend>
void ConvNet<Scalar, Depth, Width, Norm, Pool, Backend>::backward(const Scalar* theta,
                                                         View g_logits,
                                                         View g_embedding,
                                                         Scalar* g_theta, MutView g_x, Kept* keep) {
  DISTILL_CHECK(has_forward_, "ConvNet::backward: call forward first");
  if (!g_logits.empty()) check_shape(logits_.shape(), g_logits.shape(), "ConvNet::backward logits gradient");
  const View emb = embedding_view();
  if (!g_embedding.empty())
    check_shape(emb.shape(), g_embedding.shape(), "ConvNet::backward embedding gradient");
  if (!g_x.empty()) check_shape(input_.shape(), g_x.shape(), "ConvNet::backward input gradient");
  auto slice = [&](Index offset) { return g_theta ? g_theta + offset : nullptr; };
  if (keep) {
    keep->conv_out.resize(std::size_t(depth()));
    keep->grad_in.resize(std::size_t(depth()));
  }

  int cur = 0;
  Activations* g = grad_;
  g[cur].resize(emb.shape());
  if (!g_logits.empty()) {
    classifier_.backward(emb, theta + classifier_offset_, g_logits, g[cur], slice(classifier_offset_));
  } else {
    g[cur].set_zero();
    if (g_theta)
      Backend::fill(classifier_.param_count(), Scalar(0), g_theta + classifier_offset_);
  }
  if (!g_embedding.empty()) Backend::axpy(g_embedding.size(), Scalar(1), g_embedding.data(), g[cur].data());

  for (Index d = depth() - 1; d >= 0; --d) {
    Block& b = blocks_[d];
    const Shape out_shape = block_out(b).shape();
    MutView gy(g[cur].data(), out_shape);
    if (kHasPool) {
      g[1 - cur].resize(b.relu_out.shape());
      b.pool.backward(gy, g[1 - cur]);
      cur = 1 - cur;
      gy = g[cur].view();
    }
    relu_.backward(relu_in(b), gy, gy);  // in place
    if (kHasNorm) {
      g[1 - cur].resize(b.conv_out.shape());
      b.norm.backward(b.conv_out, theta + b.norm_offset, gy, g[1 - cur], slice(b.norm_offset));
      cur = 1 - cur;
      gy = g[cur].view();
    }
    MutView gx;
    if (d > 0) {
      g[1 - cur].resize(block_in(d).shape());
      gx = g[1 - cur].view();
    } else {
      gx = g_x;
    }
    b.conv.backward(block_in(d), theta + b.conv_offset, gy, gx, slice(b.conv_offset));
    if (keep && d > 0) keep_copy(gx.shape(), gx.data(), keep->grad_in[std::size_t(d)]);
    cur = 1 - cur;
  }
  if (keep) {
    for (Index d = 0; d < depth(); ++d) {
      const Activations& y = blocks_[d].conv_out;
      keep_copy(y.shape(), y.data(), keep->conv_out[std::size_t(d)]);
    }
  }
}

template <class Scalar, int Depth, int Width, class Norm, class Pool, class Backend>
void ConvNet<Scalar, Depth, Width, Norm, Pool, Backend>::backward_tangent(
    const Scalar* theta, const Scalar* theta_dot, View g_logits,
    View g_logits_dot, View g_embedding,
    View g_embedding_dot, Scalar* g_theta, Scalar* g_theta_dot,
    MutView g_x, MutView g_x_dot, const Kept* kept) {
  DISTILL_CHECK(has_forward_ && has_tangent_,
                "ConvNet::backward_tangent: call forward and tangent first");
  DISTILL_CHECK(!kept || (!g_theta && g_x.empty()),
                "ConvNet::backward_tangent: with a kept pass, the parameter and input gradients are not computed");
  const View emb = embedding_view();
  const View emb_dot = embedding_dot_view();
  for (auto v : {g_logits, g_logits_dot})
    if (!v.empty()) check_shape(logits_.shape(), v.shape(), "ConvNet::backward_tangent logits gradient");
  for (auto v : {g_embedding, g_embedding_dot})
    if (!v.empty()) check_shape(emb.shape(), v.shape(), "ConvNet::backward_tangent embedding gradient");
  for (auto v : {g_x, g_x_dot})
    if (!v.empty()) check_shape(input_.shape(), v.shape(), "ConvNet::backward_tangent input gradient");
  auto slice = [](Scalar* base, Index offset) { return base ? base + offset : nullptr; };
  auto slice_c = [](const Scalar* base, Index offset) { return base ? base + offset : nullptr; };

  int cur = 0;
  Activations* g = grad_;
  Activations* gd = grad_dot_;
  g[cur].resize(emb.shape());
  gd[cur].resize(emb.shape());
  const Scalar* w_fc = theta + classifier_offset_;
  if (!g_logits.empty()) {
    classifier_.backward(emb, w_fc, g_logits, g[cur], slice(g_theta, classifier_offset_));
    classifier_.backward_tangent(emb, emb_dot, w_fc, slice_c(theta_dot, classifier_offset_),
                                 g_logits, g_logits_dot, gd[cur],
                                 slice(g_theta_dot, classifier_offset_));
  } else {
    // Without a logits gradient the classifier sees gy = 0, so only ġy can contribute.
    g[cur].set_zero();
    if (g_theta)
      Backend::fill(classifier_.param_count(), Scalar(0), g_theta + classifier_offset_);
    Activations zero(logits_.shape());
    classifier_.backward_tangent(emb, emb_dot, w_fc, slice_c(theta_dot, classifier_offset_), zero,
                                 g_logits_dot, gd[cur], slice(g_theta_dot, classifier_offset_));
  }
  if (!g_embedding.empty()) Backend::axpy(g_embedding.size(), Scalar(1), g_embedding.data(), g[cur].data());
  if (!g_embedding_dot.empty())
    Backend::axpy(g_embedding_dot.size(), Scalar(1), g_embedding_dot.data(), gd[cur].data());

  for (Index d = depth() - 1; d >= 0; --d) {
    Block& b = blocks_[d];
    const Shape out_shape = block_out(b).shape();
    MutView gy(g[cur].data(), out_shape), gyd(gd[cur].data(), out_shape);
    if (kHasPool) {
      g[1 - cur].resize(b.relu_out.shape());
      gd[1 - cur].resize(b.relu_out.shape());
      b.pool.backward(gy, g[1 - cur]);
      b.pool.backward_tangent(gyd, gd[1 - cur]);
      cur = 1 - cur;
      gy = g[cur].view();
      gyd = gd[cur].view();
    }
    relu_.backward(relu_in(b), gy, gy);
    relu_.backward_tangent(relu_in(b), gyd, gyd);
    if (kHasNorm) {
      g[1 - cur].resize(b.conv_out.shape());
      gd[1 - cur].resize(b.conv_out.shape());
      const Scalar* w = theta + b.norm_offset;
      b.norm.backward(b.conv_out, w, gy, g[1 - cur], slice(g_theta, b.norm_offset));
      b.norm.backward_tangent(b.conv_out, b.conv_dot, w, slice_c(theta_dot, b.norm_offset), gy, gyd,
                              gd[1 - cur], slice(g_theta_dot, b.norm_offset));
      cur = 1 - cur;
      gy = g[cur].view();
      gyd = gd[cur].view();
    }
    MutView gx, gxd;
    if (d > 0) {
      g[1 - cur].resize(block_in(d).shape());
      gd[1 - cur].resize(block_in(d).shape());
      gx = g[1 - cur].view();
      gxd = gd[1 - cur].view();
    } else {
      gx = g_x;
      gxd = g_x_dot;
    }
    const Scalar* w = theta + b.conv_offset;
    if (!kept) {
      b.conv.backward(block_in(d), w, gy, gx, slice(g_theta, b.conv_offset));
    } else if (d > 0) {
      const Activations& kept_gx = kept->grad_in[std::size_t(d)];
      check_shape(gx.shape(), kept_gx.shape(), "ConvNet::backward_tangent kept input gradient");
      Backend::copy(kept_gx.size(), kept_gx.data(), gx.data());
    }
    b.conv.backward_tangent(block_in(d), block_in_dot(d), w, slice_c(theta_dot, b.conv_offset), gy,
                            gyd, gxd, slice(g_theta_dot, b.conv_offset));
    cur = 1 - cur;
  }
}

}  // namespace distill

#endif  // DISTILL_NN_CONV_NET_IMPL_HPP
