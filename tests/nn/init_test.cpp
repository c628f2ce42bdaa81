#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "distill/nn/init.hpp"

using namespace distill;

TEST_CASE("init_uniform_fan_in draws U(±1/√fan_in) reproducibly", "[nn][init]") {
  std::vector<double> a(10000), b(10000);
  Rng r1(5, 1), r2(5, 1);
  init_uniform_fan_in(a.data(), 10000, 64, r1);
  init_uniform_fan_in(b.data(), 10000, 64, r2);
  CHECK(a == b);
  double mx = 0, mean = 0;
  for (double v : a) {
    mx = std::max(mx, std::abs(v));
    mean += v / 10000;
  }
  CHECK(mx <= 0.125);
  CHECK(mx > 0.124);
  CHECK_THAT(mean, Catch::Matchers::WithinAbs(0.0, 0.005));
  std::vector<float> c(4);
  init_constant(c.data(), 4, 1.f);
  CHECK(c == std::vector<float>(4, 1.f));
}
