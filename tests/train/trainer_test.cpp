#include <catch2/catch.hpp>

#include "distill/nn/conv_net.hpp"
#include "distill/train/trainer.hpp"
#include "support/toy_data.hpp"

using namespace distill;

namespace {

void make_quadrants(Index n, std::uint64_t seed, Tensor<float>& x, std::vector<int>& labels) {
  Dataset<float> d = test::quadrants(n, seed);
  x = std::move(d.images);
  labels = std::move(d.labels);
}

}  // namespace

TEST_CASE("train_network learns, generalises and is reproducible", "[train][trainer]") {
  Tensor<float> x, xt;
  std::vector<int> y, yt;
  make_quadrants(200, 1, x, y);
  make_quadrants(100, 2, xt, yt);
  ConvNet<float, 2, 8> net({3, 8, 8, 4});
  TrainConfig cfg;
  cfg.epochs = 10;
  cfg.batch = 32;  // 200 = 6·32 + 8: the last partial batch is used
  cfg.lr = 0.05;
  cfg.momentum = 0.9;
  cfg.weight_decay = 5e-4;
  cfg.decay_at_midpoint = true;
  cfg.seed = 4;
  auto theta = net.init_params(1);
  std::vector<EpochStats> stats;
  train_network(net, theta, x.cview(), Labels<float>{&y, {}}, cfg, IdentityAugment{},
                [&](const EpochStats& s) { stats.push_back(s); });
  REQUIRE(stats.size() == 10);
  CHECK(stats.back().loss < stats.front().loss);
  CHECK(test_accuracy(net, theta, xt.cview(), yt) >= 0.95);
  auto again = net.init_params(1);
  train_network(net, again, x.cview(), Labels<float>{&y, {}}, cfg, IdentityAugment{});
  CHECK(again == theta);

  // Soft labels: logits that put almost all mass on the true class train as well.
  Tensor<float> u(Shape(200, 4), -5.f);
  for (Index i = 0; i < 200; ++i) u(i, y[i], 0, 0) = 5.f;
  auto soft = net.init_params(1);
  train_network(net, soft, x.cview(), Labels<float>{nullptr, u.cview()}, cfg, IdentityAugment{});
  CHECK(test_accuracy(net, soft, xt.cview(), yt) >= 0.95);
  CHECK_THROWS_WITH(train_network(net, soft, x.cview(), Labels<float>{&yt, {}}, cfg, IdentityAugment{}),
                    Catch::Contains("100 labels for 200 images"));
  Vector<float> short_theta(10);
  CHECK_THROWS_WITH(train_network(net, short_theta, x.cview(), Labels<float>{&y, {}}, cfg, IdentityAugment{}),
                    Catch::Contains("10 parameters for a network of"));
  CHECK_THROWS_WITH(test_accuracy(net, short_theta, xt.cview(), yt), Catch::Contains("10 parameters for a network of"));
}

TEST_CASE("train_network resumed at an epoch reproduces the uninterrupted run", "[train][trainer]") {
  Tensor<float> x;
  std::vector<int> y;
  make_quadrants(64, 5, x, y);
  ConvNet<float, 2, 8> net({3, 8, 8, 4});
  TrainConfig cfg;
  cfg.epochs = 4;
  cfg.batch = 16;
  cfg.lr = 0.01;
  cfg.seed = 9;
  auto full = net.init_params(1);
  train_network(net, full, x.cview(), Labels<float>{&y, {}}, cfg, IdentityAugment{});
  auto part = net.init_params(1);
  cfg.epochs = 2;
  train_network(net, part, x.cview(), Labels<float>{&y, {}}, cfg, IdentityAugment{});
  cfg.epochs = 4;
  cfg.first_epoch = 2;
  std::vector<Index> epochs;
  train_network(net, part, x.cview(), Labels<float>{&y, {}}, cfg, IdentityAugment{},
                [&](const EpochStats& s) { epochs.push_back(s.epoch); });
  CHECK(epochs == std::vector<Index>{3, 4});
  CHECK(part == full);
}
