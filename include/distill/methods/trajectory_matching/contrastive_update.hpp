#ifndef DISTILL_METHODS_TRAJECTORY_MATCHING_CONTRASTIVE_UPDATE_HPP
#define DISTILL_METHODS_TRAJECTORY_MATCHING_CONTRASTIVE_UPDATE_HPP

#include <algorithm>
#include <cstdint>
#include <vector>

#include "distill/augment/dsa.hpp"
#include "distill/core/seeds.hpp"
#include "distill/core/tensor.hpp"
#include "distill/losses/sup_con.hpp"
#include "distill/methods/config/settings_table.hpp"

namespace distill {

/// No further term in the outer objective (MTT, TESLA, DATM). An outer-term policy has
/// `template <class Net, class Augment, class Params> double add(Net&, const Augment&, θ*,
/// images, labels, seed, grad_images)`: it returns its term of the outer loss and adds its
/// gradient with respect to the images to grad_images. θ*, the images and their gradient are in
/// the network's memory space.
struct NoOuterTerm {
  template <class Net, class Augment, class Params>
  double add(Net&, const Augment&, const Params&, ConstView<typename Net::scalar_type, typename Net::memory_space>,
             const std::vector<int>&, std::uint64_t, Tensor<typename Net::scalar_type, typename Net::memory_space>&) {
    return 0;
  }
};

/// DATM-CLR's Contrastive Update (docs/design.md §4): the outer objective gains
/// λ·L_con(E), E the embeddings of two independent DSA views of every synthetic image under
/// the target expert θ* (first order: no unroll). L_con is SupCon (positives: same class,
/// including the other view) or NT-Xent (positives: the other view). The network runs in
/// chunks of at most `chunk` samples, so memory does not grow with the set: embeddings are
/// collected first, the loss gradient is taken on all of them, then every chunk is run again
/// and sent back to its pixels.
class ContrastiveUpdate {
 public:
  explicit ContrastiveUpdate(double weight = setting_defaults::update_weight, Contrast kind = Contrast::kSupCon,
                             double temperature = setting_defaults::temperature,
                             Index chunk = 256)
      : weight_(weight), kind_(kind), temperature_(temperature), chunk_(chunk) {
    DISTILL_CHECK(weight >= 0 && temperature > 0 && chunk > 0,
                  "ContrastiveUpdate: need weight >= 0, temperature > 0 and chunk > 0 (got "
                      << weight << ", " << temperature << ", " << chunk << ")");
  }
  double weight() const { return weight_; }

  template <class Net, class Augment, class Params>
  double add(Net& net, const Augment& augment, const Params& theta,
             ConstView<typename Net::scalar_type, typename Net::memory_space> images, const std::vector<int>& labels,
             std::uint64_t seed, Tensor<typename Net::scalar_type, typename Net::memory_space>& grad_images) {
    using Scalar = typename Net::scalar_type;
    using Backend = typename Net::backend_type;
    using Space = typename Net::memory_space;
    if (weight_ == 0) return 0;
    const Shape s = images.shape();
    const Index n = s.n, views = 2, total = views * n, d = net.embedding_size();
    // Once per outer iteration, so these are not kept between calls.
    Tensor<Scalar, Space> x, embeddings, g_embeddings, gx, g_view;
    check_shape(s, grad_images.shape(), "ContrastiveUpdate image gradient");
    // The views, stacked [view 0 of every image; view 1 of every image], their draws uploaded
    // at once where the module stages them.
    using Draw = decltype(augment.draw(n, s.c, s.h, s.w, seed));
    std::vector<Draw> draws;
    if (!augment.is_identity()) {
      for (Index v = 0; v < views; ++v) draws.push_back(augment.draw(n, s.c, s.h, s.w, seeds::view(seed, std::uint64_t(v))));
      if constexpr (detail::CanStage<Augment, std::vector<Draw>>::value) augment.stage(draws);
    }
    x.resize({total, s.c, s.h, s.w});
    for (Index v = 0; v < views; ++v) {
      MutableView<Scalar, Space> out = x.view().samples(v * n, n);
      if (!augment.is_identity())
        augment.forward(draws[std::size_t(v)], images, out);
      else
        Backend::copy(images.size(), images.data(), out.data());
    }
    net.set_training(true);
    embeddings.resize(Shape(total, d));
    for (Index first = 0; first < total; first += chunk_) {
      const Index b = std::min(chunk_, total - first);
      const auto out = net.forward(theta.data(), x.cview().samples(first, b));
      Backend::copy(b * d, out.embedding.data(), embeddings.data() + first * d);
    }
    std::vector<int> view_labels(labels);
    view_labels.insert(view_labels.end(), labels.begin(), labels.end());
    ContrastiveLoss<Scalar, Backend> loss(kind_, temperature_, views);
    const double value = double(loss.forward(embeddings.cview(), view_labels));
    g_embeddings.resize(embeddings.shape());
    loss.backward(g_embeddings);
    Backend::scal(g_embeddings.size(), Scalar(weight_), g_embeddings.data());
    gx.resize(x.shape());
    for (Index first = 0; first < total; first += chunk_) {
      const Index b = std::min(chunk_, total - first);
      net.forward(theta.data(), x.cview().samples(first, b));
      net.backward(theta.data(), {}, g_embeddings.cview().samples(first, b), nullptr, gx.view().samples(first, b));
    }
    for (Index v = 0; v < views; ++v) {
      const ConstView<Scalar, Space> gv = gx.cview().samples(v * n, n);
      if (!augment.is_identity()) {
        g_view.resize(s);
        augment.backward(draws[std::size_t(v)], gv, g_view.view());
        Backend::axpy(s.size(), Scalar(1), g_view.data(), grad_images.data());
      } else {
        Backend::axpy(s.size(), Scalar(1), gv.data(), grad_images.data());
      }
    }
    return weight_ * value;
  }

 private:
  double weight_;
  Contrast kind_;
  double temperature_;
  Index chunk_;
};

}  // namespace distill

#endif  // DISTILL_METHODS_TRAJECTORY_MATCHING_CONTRASTIVE_UPDATE_HPP
