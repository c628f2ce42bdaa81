#ifndef DISTILL_TRAIN_TRAINER_HPP
#define DISTILL_TRAIN_TRAINER_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <numeric>
#include <vector>

#include "distill/augment/identity.hpp"
#include "distill/core/rng.hpp"
#include "distill/core/seeds.hpp"
#include "distill/core/tensor.hpp"
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

/// Trains θ in place by minibatch SGD with cross-entropy on (images, labels): a fresh
/// permutation per epoch (drawn from cfg.seed), the last partial batch kept, `augment` (Dsa, or
/// IdentityAugment for none) applied to every batch with a draw seeded by (seed, epoch, batch),
/// as the reference evaluation and expert code do. Augment needs `draw(n, c, h, w, seed)`,
/// `forward(draw, x, y)` and `is_identity()`. `on_epoch` (may be empty) sees each epoch's mean loss and accuracy.
/// Every epoch depends only on θ and (seed, epoch), so a run stopped after epoch e and resumed
/// with first_epoch = e reproduces the uninterrupted one when the optimiser has no state
/// (momentum 0, as for expert trajectories).
template <class Net, class Augment, class Scalar = typename Net::scalar_type>
void train_network(Net& net, Vector<Scalar>& theta, ConstView<Scalar> images, const Labels<Scalar>& labels,
                   const TrainConfig& cfg, const Augment& augment,
                   const std::function<void(const EpochStats&)>& on_epoch = {}) {
  const Index n = images.shape().n;
  DISTILL_CHECK(n > 0, "train_network: empty training set");
  DISTILL_CHECK(cfg.batch > 0 && cfg.epochs >= 0,
                "train_network: batch must be positive and epochs non-negative");
  if (labels.hard) {
    DISTILL_CHECK(static_cast<Index>(labels.hard->size()) == n,
                  "train_network: " << labels.hard->size() << " labels for " << n << " images");
  } else {
    DISTILL_CHECK(labels.soft.shape().n == n, "train_network: soft labels " << labels.soft.shape()
                                                                            << " for " << n << " images");
  }
  net.set_training(true);
  Sgd<Scalar> sgd(Scalar(cfg.lr), Scalar(cfg.momentum), Scalar(cfg.weight_decay));
  CrossEntropy<Scalar> ce;
  Vector<Scalar> grad(theta.size());
  Tensor<Scalar> xb, xa, gz, ub;
  std::vector<int> yb;
  const Index k = net.classes();
  for (Index epoch = cfg.first_epoch; epoch < cfg.epochs; ++epoch) {
    if (cfg.decay_at_midpoint && epoch >= cfg.epochs / 2) sgd.set_lr(Scalar(cfg.lr * 0.1));
    const auto order = random_permutation(n, cfg.seed, static_cast<std::uint64_t>(epoch));
    double loss_sum = 0, correct = 0;
    for (Index first = 0, b = 0; first < n; first += cfg.batch, ++b) {
      const Index count = std::min(cfg.batch, n - first);
      gather_samples(images, order, first, count, xb);
      ConstView<Scalar> input = xb;
      if (!augment.is_identity()) {
        const auto draw = augment.draw(count, xb.shape().c, xb.shape().h, xb.shape().w,
                                        seeds::training_batch(cfg.seed, std::uint64_t(epoch), std::uint64_t(b)));
        xa.resize(xb.shape());
        augment.forward(draw, xb, xa);
        input = xa;
      }
      const auto out = net.forward(theta.data(), input);
      Scalar loss;
      if (labels.hard) {
        yb.resize(static_cast<std::size_t>(count));
        for (Index j = 0; j < count; ++j) yb[j] = (*labels.hard)[order[first + j]];
        loss = ce.forward(out.logits, yb);
        correct += accuracy(out.logits, yb) * double(count);
      } else {
        gather_samples(labels.soft.reshaped({n, k, 1, 1}), order, first, count, ub);
        loss = ce.forward(out.logits, ub.cview());
      }
      DISTILL_CHECK(std::isfinite(double(loss)),
                    "train_network: loss is " << loss << " at epoch " << epoch + 1 << ", batch " << b);
      loss_sum += double(loss) * double(count);
      gz.resize(out.logits.shape());
      ce.backward(gz);
      net.backward(theta.data(), gz, {}, grad.data());
      sgd.step(theta, grad);
      if (cfg.on_batch) cfg.on_batch(b + 1, (n + cfg.batch - 1) / cfg.batch);
    }
    if (on_epoch) on_epoch({epoch + 1, loss_sum / double(n), labels.hard ? correct / double(n) : 0.0});
  }
}

/// Top-1 accuracy of θ on a labelled set, in inference mode (batch norm uses running
/// statistics), evaluated in batches.
template <class Net, class Scalar = typename Net::scalar_type>
double test_accuracy(Net& net, const Vector<Scalar>& theta, ConstView<Scalar> images,
                     const std::vector<int>& labels, Index batch = 500) {
  const Index n = images.shape().n;
  DISTILL_CHECK(static_cast<Index>(labels.size()) == n,
                "test_accuracy: " << labels.size() << " labels for " << n << " images");
  const bool was_training = net.training();
  net.set_training(false);
  double correct = 0;
  std::vector<int> yb;
  for (Index first = 0; first < n; first += batch) {
    const Index count = std::min(batch, n - first);
    const auto out = net.forward(theta.data(), images.samples(first, count));
    yb.assign(labels.begin() + first, labels.begin() + first + count);
    correct += accuracy(out.logits, yb) * double(count);
  }
  net.set_training(was_training);
  return n ? correct / double(n) : 0.0;
}

}  // namespace distill

#endif  // DISTILL_TRAIN_TRAINER_HPP
