#include <catch2/catch.hpp>

#include "distill/nn/relu.hpp"
#include "support/gradcheck.hpp"

using namespace distill;
using test::Vec;

TEST_CASE("Relu: all four passes match finite differences", "[nn][relu][cpu]") {
  const Shape s(2, 3, 4, 5);
  Relu<double> relu;
  auto v = [s](const Vec& a) { return ConstView<double>(a.data(), s); };
  test::FourPasses f;
  f.forward = [&](const Vec& x, const Vec&) {
    Vec y(s.size());
    relu.forward(v(x), {y.data(), s});
    return y;
  };
  f.tangent = [&](const Vec& x, const Vec&, const Vec& xd, const Vec&) {
    Vec y(s.size());
    relu.tangent(v(x), v(xd), {y.data(), s});
    return y;
  };
  f.backward = [&](const Vec& x, const Vec&, const Vec& gy) {
    Vec g(s.size());
    relu.backward(v(x), v(gy), {g.data(), s});
    return g;
  };
  f.backward_tangent = [&](const Vec& x, const Vec&, const Vec&, const Vec&, const Vec&,
                           const Vec& gyd) {
    Vec g(s.size());
    relu.backward_tangent(v(x), v(gyd), {g.data(), s});
    return g;
  };
  test::check_four_passes(f, test::random_vec(s.size(), 1), {}, 2);
}

TEST_CASE("Relu: forward clamps negatives and works in place", "[nn][relu][cpu]") {
  Tensor<float> x(Shape(1, 1, 1, 4));
  x[0] = -1;
  x[1] = 0;
  x[2] = 2;
  x[3] = -0.5f;
  Relu<float> relu;
  relu.forward(x, x);
  CHECK(x[0] == 0);
  CHECK(x[1] == 0);
  CHECK(x[2] == 2);
  CHECK(x[3] == 0);
}
