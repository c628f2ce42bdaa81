#ifndef DISTILL_TESTS_SUPPORT_TOY_EXPERTS_HPP
#define DISTILL_TESTS_SUPPORT_TOY_EXPERTS_HPP

// Expert trajectories trained in memory on a small problem, for the methods' tests.

#include "distill/augment/dsa.hpp"
#include "distill/nn/conv_net.hpp"
#include "distill/train/experts.hpp"
#include "distill/train/trainer.hpp"
#include "support/toy_data.hpp"

namespace distill::test {

/// `experts` trajectories of plain SGD (no augmentation) on `train`: θ_0 and θ after every
/// epoch. With batch ≥ the set, an "epoch" is one full-batch step.
template <class Net>
ExpertSet toy_experts(Net& net, const Dataset<float>& train, Index experts, Index epochs, double lr, Index batch) {
  ExpertSet set;
  set.arch = "ConvNet";
  set.dataset = "toy";
  set.directory = "(in memory)";
  for (Index k = 0; k < experts; ++k) {
    Vector<float> theta = net.init_params(100 + std::uint64_t(k));
    std::vector<Vector<float>> traj{theta};
    for (Index e = 0; e < epochs; ++e) {
      TrainConfig tc;
      tc.epochs = e + 1;
      tc.first_epoch = e;
      tc.batch = batch;
      tc.lr = lr;
      tc.seed = std::uint64_t(k);
      train_network(net, theta, train.images.cview(), Labels<float>{&train.labels, {}}, tc, IdentityAugment{});
      traj.push_back(theta);
    }
    set.final_params.push_back(traj.back());
    set.checkpoints.push_back(std::move(traj));
  }
  return set;
}

using ToyNet = ConvNet<float, 1, 4, norm::Instance, pool::Avg>;

/// The quadrant problem with a tiny network and two 5-epoch experts: what the drivers' tests
/// distil from.
struct ToyDistillation {
  ToyNet net{ConvNetConfig{3, 8, 8, 4}};
  DatasetSplits<float> data{quadrants(64, 1), quadrants(40, 2)};
  ExpertSet experts = toy_experts(net, data.train, 2, 5, 0.05, 16);
  Dsa<float> dsa;
};

}  // namespace distill::test

#endif  // DISTILL_TESTS_SUPPORT_TOY_EXPERTS_HPP
