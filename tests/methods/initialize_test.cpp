#include <catch2/catch.hpp>

#include "distill/methods/initialize.hpp"
#include "distill/nn/conv_net.hpp"
#include "support/toy_data.hpp"

using namespace distill;

namespace {
using InitNet = ConvNet<float, 1, 4, norm::Instance, pool::Avg>;
}

TEST_CASE("initialize: real, correct and noise starting sets", "[methods][initialize]") {
  const Dataset<float> train = test::quadrants(64, 1);
  InitNet net(ConvNetConfig{3, 8, 8, 4});
  // Two untrained "experts": each gets some images right by chance.
  std::vector<Vector<float>> experts{net.init_params(1), net.init_params(2)};
  Tensor<float> images;
  std::vector<int> labels;
  initialize_images(ImageInit::kReal, net, experts, train, 3, 5, images, labels);
  CHECK(images.shape() == Shape(12, 3, 8, 8));
  CHECK(labels == std::vector<int>{0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3});

  Index filled = -1;
  const auto idx = select_correctly_classified(net, experts, train, 3, 5, &filled);
  REQUIRE(idx.size() == 12);
  const auto pred0 = predict_classes(net, experts[0], train.images.cview());
  const auto pred1 = predict_classes(net, experts[1], train.images.cview());
  Index correct = 0;
  for (std::size_t j = 0; j < idx.size(); ++j) {
    CHECK(train.labels[idx[j]] == int(j / 3));  // class-major
    correct += pred0[idx[j]] == train.labels[idx[j]] || pred1[idx[j]] == train.labels[idx[j]];
  }
  // Images some expert gets right come first; the rest are filled in and counted.
  CHECK(correct + filled == 12);

  initialize_images(ImageInit::kNoise, net, experts, train, 2, 5, images, labels);
  CHECK(images.shape() == Shape(8, 3, 8, 8));
  CHECK_THROWS_WITH(initialize_images(ImageInit::kReal, net, experts, train, 17, 5, images, labels),
                    Catch::Contains("fewer than the 17 requested"));
  CHECK(parse_image_init("correct") == ImageInit::kCorrect);
  CHECK_THROWS_WITH(parse_image_init("zeros"), Catch::Contains("expected real, correct or noise"));
}

TEST_CASE("expert_label_logits: mean logits of the experts that are right", "[methods][initialize]") {
  const Dataset<float> train = test::quadrants(8, 2);
  InitNet net(ConvNetConfig{3, 8, 8, 4});
  const std::vector<Vector<float>> experts{net.init_params(1), net.init_params(2), net.init_params(3)};
  const Tensor<float> u = expert_label_logits(net, experts, train.images.cview(), train.labels);
  REQUIRE(u.shape() == Shape(8, 4));
  // Recompute by hand.
  std::vector<Tensor<float>> logits;
  for (const auto& t : experts) {
    net.set_training(false);
    const auto out = net.forward(t.data(), train.images.cview());
    logits.emplace_back(out.logits.shape());
    std::copy(out.logits.data(), out.logits.data() + out.logits.size(), logits.back().data());
  }
  for (Index i = 0; i < 8; ++i) {
    std::vector<Index> right;
    for (Index e = 0; e < 3; ++e) {
      const float* row = logits[e].data() + i * 4;
      if (std::max_element(row, row + 4) - row == train.labels[i]) right.push_back(e);
    }
    for (Index k = 0; k < 4; ++k) {
      double expect = 0;
      const auto& use = right.empty() ? std::vector<Index>{0, 1, 2} : right;
      for (Index e : use) expect += logits[e][i * 4 + k];
      expect /= double(use.size());
      CHECK_THAT(double(u[i * 4 + k]), Catch::Matchers::WithinAbs(expect, 1e-5));
    }
  }
}
