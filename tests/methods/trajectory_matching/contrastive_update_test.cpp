#include <catch2/catch.hpp>

#include "distill/augment/dsa.hpp"
#include "distill/methods/trajectory_matching/contrastive_update.hpp"
#include "distill/nn/conv_net.hpp"
#include "support/gradcheck.hpp"

using namespace distill;
using test::Vec;

TEST_CASE("ContrastiveUpdate: pixel gradient matches finite differences, in chunks or not",
          "[methods][contrastive_update]") {
  using Net = ConvNet<double, 2, 4, norm::Instance, pool::Avg>;
  Net net(ConvNetConfig{2, 6, 6, 3});
  const auto theta = net.init_params(5);
  Tensor<double> images(Shape(6, 2, 6, 6));
  const Vec x = test::random_vec(images.size(), 9);
  std::copy(x.begin(), x.end(), images.data());
  const std::vector<int> labels{0, 0, 1, 1, 2, 2};
  Dsa<double> dsa;
  for (Contrast kind : {Contrast::kSupCon, Contrast::kNtXent}) {
    for (Index chunk : {Index(256), Index(5)}) {
      ContrastiveUpdate update(0.7, kind, 0.3, chunk);
      Tensor<double> grad(images.shape());
      const double value = update.add(net, dsa, theta, images.cview(), labels, 42, grad);
      CHECK(value > 0);
      auto at = [&](const Tensor<double>& im) {
        Tensor<double> scratch(im.shape());
        return update.add(net, dsa, theta, im.cview(), labels, 42, scratch);
      };
      INFO("kind " << int(kind) << " chunk " << chunk);
      CHECK(test::tensor_gradient_error(images, grad, at, 50, 3, 1e-5) <= 1e-6);
    }
  }
  // Weight 0 is off: no value, no gradient.
  ContrastiveUpdate off(0.0);
  Tensor<double> grad(images.shape());
  CHECK(off.add(net, dsa, theta, images.cview(), labels, 1, grad) == 0);
  CHECK(grad.vec().cwiseAbs().maxCoeff() == 0);
}
