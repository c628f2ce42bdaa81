#include <catch2/catch.hpp>

#include "distill/train/sgd.hpp"

using namespace distill;

TEST_CASE("Sgd follows torch.optim.SGD", "[train][sgd]") {
  // Hand-computed for lr 0.1, momentum 0.9, weight decay 0.01, two steps with gradient g = 1:
  // d1 = 1 + 0.01·1 = 1.01, v1 = 1.01, θ1 = 1 − 0.101 = 0.899;
  // d2 = 1 + 0.00899 = 1.00899, v2 = 0.909 + 1.00899 = 1.91799, θ2 = 0.899 − 0.191799 = 0.707201.
  Sgd<double> sgd(0.1, 0.9, 0.01);
  Vector<double> theta = Vector<double>::Constant(3, 1.0), g = Vector<double>::Ones(3);
  sgd.step(theta, g);
  CHECK_THAT(theta[0], Catch::Matchers::WithinAbs(0.899, 1e-15));
  sgd.step(theta, g);
  CHECK_THAT(theta[2], Catch::Matchers::WithinAbs(0.707201, 1e-15));
  CHECK_THAT(sgd.velocity()[1], Catch::Matchers::WithinAbs(1.91799, 1e-15));

  Sgd<float> plain(0.5f);
  Vector<float> p = Vector<float>::Constant(2, 2.f), q = Vector<float>::Constant(2, 1.f);
  plain.step(p, q);
  CHECK(p[0] == 1.5f);

  Sgd<double> nesterov(0.1, 0.5, 0.0, true);
  Vector<double> t = Vector<double>::Zero(1), one = Vector<double>::Ones(1);
  nesterov.step(t, one);  // v = 1, update d + μv = 1.5
  CHECK_THAT(t[0], Catch::Matchers::WithinAbs(-0.15, 1e-15));
  CHECK_THROWS_WITH(sgd.step(theta, Vector<double>::Ones(2)), Catch::Contains("3 parameters but 2"));
}
