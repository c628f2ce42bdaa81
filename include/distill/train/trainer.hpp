#ifndef DISTILL_TRAIN_TRAINER_HPP
#define DISTILL_TRAIN_TRAINER_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <numeric>
#include <type_traits>
#include <vector>

#include "distill/augment/batch_dsa.hpp"
#include "distill/augment/identity.hpp"
#include "distill/core/rng.hpp"
#include "distill/core/seeds.hpp"
#include "distill/core/tensor.hpp"
#include "distill/data/sample_source.hpp"
#include "distill/data/sampling.hpp"
#include "distill/losses/cross_entropy.hpp"
#include "distill/train/sgd.hpp"

namespace distill {

/// Labels of a training set: hard class indices or soft labels given as logits [N, K].
template <class Scalar>
struct Labels {
  const std::vector<int>* hard = nullptr;
  ConstView<Scalar> soft;  ///< used when hard is null
};

/// Minibatch SGD settings. With `halve_at_midpoint` the learning rate is multiplied by 0.1 once
/// half the epochs are done (the evaluation protocol's schedule).
struct TrainConfig {
  Index epochs = 1;       ///< total epochs of the schedule
  Index first_epoch = 0;  ///< 0-based epoch to start from (resuming: earlier epochs are done)
  Index batch = 256;
  double lr = 0.01;
  double momentum = 0.0;
  double weight_decay = 0.0;
  bool decay_at_midpoint = false;
  std::uint64_t seed = 0;
  /// Called after every batch with (batches done in this epoch, batches per epoch); optional.
  std::function<void(Index, Index)> on_batch;
};

/// Statistics of one epoch.
struct EpochStats {
  Index epoch = 0;  ///< 1-based
  double loss = 0, accuracy = 0;
};

namespace detail {

/// The augmentation a training loop on `Backend` runs: the given one, or on a device, for a
/// Dsa, a BatchDsa with its config (the same draws, so a seed augments alike on every device).
template <class Backend, class Augment>
struct AugmentOn {
  static const Augment& make(const Augment& augment) { return augment; }
};
template <class Backend, class Scalar>
struct AugmentOn<Backend, Dsa<Scalar>> {
  static DsaFor<Scalar, Backend> make(const Dsa<Scalar>& dsa) { return DsaFor<Scalar, Backend>(dsa.config()); }
};

/// Top-1 accuracy of logits in a backend's memory (brought to the host: [B, K] is small).
template <class Backend, class Scalar, class Space>
double batch_accuracy(ConstView<Scalar, Space> logits, const std::vector<int>& labels, Tensor<Scalar>& host) {
  if constexpr (kHostAccessible<Space>) {
    return accuracy(logits, labels);
  } else {
    host.resize(logits.shape());
    Backend::copy_to_host(logits.size(), logits.data(), host.data());
    return accuracy(host.cview(), labels);
  }
}

}  // namespace detail

/// Trains θ in place by minibatch SGD with cross-entropy on (images, labels): a fresh
/// permutation per epoch (drawn from cfg.seed), the last partial batch kept, `augment` (Dsa, or
/// IdentityAugment for none) applied to every batch with a draw seeded by (seed, epoch, batch),
/// as the reference evaluation and expert code do. `on_epoch` (may be empty) sees each epoch's
/// mean loss and accuracy, with `theta` holding the parameters after that epoch.
///
/// The loop runs on the network's backend. θ, the images and the labels are host data either
/// way; on a device θ and the optimiser's state stay there for the whole call (θ is brought
/// back after every epoch), the images are read through a SampleSource (resident when they
/// fit), a Dsa becomes a BatchDsa with the same draws, and per batch only the labels, the
/// augmentation parameters and the loss cross the bus. Every epoch depends only on θ and
/// (seed, epoch), so a run stopped after epoch e and resumed with first_epoch = e reproduces the
/// uninterrupted one when the optimiser has no state (momentum 0, as for expert trajectories).
template <class Net, class Augment, class Scalar = typename Net::scalar_type>
void train_network(Net& net, Vector<Scalar>& theta, ConstView<Scalar> images, const Labels<Scalar>& labels,
                   const TrainConfig& cfg, const Augment& augment,
                   const std::function<void(const EpochStats&)>& on_epoch = {}) {
  using Backend = typename Net::backend_type;
  using Space = typename Net::memory_space;
  constexpr bool kHost = kHostAccessible<Space>;
  const Index n = images.shape().n;
  DISTILL_CHECK(n > 0, "train_network: empty training set");
  DISTILL_CHECK(cfg.batch > 0 && cfg.epochs >= 0,
                "train_network: batch must be positive and epochs non-negative");
  DISTILL_CHECK(theta.size() == net.num_params(),
                "train_network: " << theta.size() << " parameters for a network of " << net.num_params());
  if (labels.hard) {
    DISTILL_CHECK(static_cast<Index>(labels.hard->size()) == n,
                  "train_network: " << labels.hard->size() << " labels for " << n << " images");
  } else {
    DISTILL_CHECK(labels.soft.shape().n == n, "train_network: soft labels " << labels.soft.shape()
                                                                            << " for " << n << " images");
  }
  net.set_training(true);
  if (cfg.first_epoch >= cfg.epochs) return;
  decltype(auto) aug = detail::AugmentOn<Backend, Augment>::make(augment);
  Sgd<Scalar, Backend> sgd(Scalar(cfg.lr), Scalar(cfg.momentum), Scalar(cfg.weight_decay));
  CrossEntropy<Scalar, Backend> ce;
  SampleSource<Scalar, Backend> source(images);
  const Index k = net.classes(), p = theta.size();
  Tensor<Scalar, Space> params_device, grad(Shape(p, 1)), xb, xa, gz, ub;
  Tensor<Scalar> ub_host, logits_host;
  Scalar* params = theta.data();
  if constexpr (!kHost) {
    params_device.resize(Shape(p, 1));
    Backend::copy_from_host(p, theta.data(), params_device.data());
    params = params_device.data();
  }
  std::vector<int> yb;
  for (Index epoch = cfg.first_epoch; epoch < cfg.epochs; ++epoch) {
    if (cfg.decay_at_midpoint && epoch >= cfg.epochs / 2) sgd.set_lr(Scalar(cfg.lr * 0.1));
    const auto order = random_permutation(n, cfg.seed, static_cast<std::uint64_t>(epoch));
    double loss_sum = 0, correct = 0;
    for (Index first = 0, b = 0; first < n; first += cfg.batch, ++b) {
      const Index count = std::min(cfg.batch, n - first);
      ConstView<Scalar, Space> input = source.gather(order, first, count, xb);
      if (!augment.is_identity()) {
        const auto draw = aug.draw(count, xb.shape().c, xb.shape().h, xb.shape().w,
                                   seeds::training_batch(cfg.seed, std::uint64_t(epoch), std::uint64_t(b)));
        xa.resize(xb.shape());
        aug.forward(draw, xb.cview(), xa.view());
        input = xa.cview();
      }
      const auto out = net.forward(params, input);
      Scalar loss;
      if (labels.hard) {
        yb.resize(static_cast<std::size_t>(count));
        for (Index j = 0; j < count; ++j) yb[j] = (*labels.hard)[order[first + j]];
        loss = ce.forward(out.logits, yb);
        correct += detail::batch_accuracy<Backend>(out.logits, yb, logits_host) * double(count);
      } else {
        if constexpr (kHost) {
          gather_samples(labels.soft.reshaped({n, k, 1, 1}), order, first, count, ub);
        } else {
          gather_samples(labels.soft.reshaped({n, k, 1, 1}), order, first, count, ub_host);
          ub.resize(ub_host.shape());
          Backend::copy_from_host(ub_host.size(), ub_host.data(), ub.data());
        }
        loss = ce.forward(out.logits, ub.cview());
      }
      DISTILL_CHECK(std::isfinite(double(loss)),
                    "train_network: loss is " << loss << " at epoch " << epoch + 1 << ", batch " << b);
      loss_sum += double(loss) * double(count);
      gz.resize(out.logits.shape());
      ce.backward(gz.view());
      net.backward(params, gz.cview(), {}, grad.data());
      sgd.step(p, params, grad.data());
      if (cfg.on_batch) cfg.on_batch(b + 1, (n + cfg.batch - 1) / cfg.batch);
    }
    if constexpr (!kHost) Backend::copy_to_host(p, params_device.data(), theta.data());
    if (on_epoch) on_epoch({epoch + 1, loss_sum / double(n), labels.hard ? correct / double(n) : 0.0});
  }
}

/// Top-1 accuracy of θ (host memory) on a labelled set read through `source`, in inference mode
/// (batch norm uses running statistics), evaluated in batches on the network's backend.
template <class Net, class Scalar = typename Net::scalar_type>
double test_accuracy(Net& net, const Vector<Scalar>& theta, SampleSource<Scalar, typename Net::backend_type>& source,
                     const std::vector<int>& labels, Index batch = 500) {
  using Backend = typename Net::backend_type;
  using Space = typename Net::memory_space;
  const Index n = source.size();
  DISTILL_CHECK(static_cast<Index>(labels.size()) == n,
                "test_accuracy: " << labels.size() << " labels for " << n << " images");
  DISTILL_CHECK(theta.size() == net.num_params(),
                "test_accuracy: " << theta.size() << " parameters for a network of " << net.num_params());
  const Scalar* params = theta.data();
  Tensor<Scalar, Space> params_device, xb;
  Tensor<Scalar> logits_host;
  if constexpr (!kHostAccessible<Space>) {
    params_device.resize(Shape(theta.size(), 1));
    Backend::copy_from_host(theta.size(), theta.data(), params_device.data());
    params = params_device.data();
  }
  const bool was_training = net.training();
  net.set_training(false);
  double correct = 0;
  std::vector<int> yb;
  for (Index first = 0; first < n; first += batch) {
    const Index count = std::min(batch, n - first);
    const auto out = net.forward(params, source.range(first, count, xb));
    yb.assign(labels.begin() + first, labels.begin() + first + count);
    correct += detail::batch_accuracy<Backend>(out.logits, yb, logits_host) * double(count);
  }
  net.set_training(was_training);
  return n ? correct / double(n) : 0.0;
}

/// test_accuracy on host images, streamed batch by batch to a device network.
template <class Net, class Scalar = typename Net::scalar_type>
double test_accuracy(Net& net, const Vector<Scalar>& theta, ConstView<Scalar> images,
                     const std::vector<int>& labels, Index batch = 500) {
  SampleSource<Scalar, typename Net::backend_type> source(images, 0);
  return test_accuracy(net, theta, source, labels, batch);
}

}  // namespace distill

#endif  // DISTILL_TRAIN_TRAINER_HPP
