#include <catch2/catch.hpp>

#include "distill/nn/linear.hpp"
#include "support/gradcheck.hpp"

using namespace distill;
using test::Vec;

TEST_CASE("Linear: all four passes match finite differences", "[nn][linear][cpu]") {
  Linear<double> fc(12, 5);
  const Shape in(4, 3, 2, 2), out(4, 5);
  auto opt = [](const Vec& v, Shape s) { return v.empty() ? ConstView<double>{} : ConstView<double>(v.data(), s); };
  test::FourPasses f;
  f.forward = [&](const Vec& x, const Vec& w) {
    Vec y(out.size());
    fc.forward({x.data(), in}, w.data(), {y.data(), out});
    return y;
  };
  f.tangent = [&](const Vec& x, const Vec& w, const Vec& xd, const Vec& wd) {
    Vec y(out.size());
    fc.tangent({x.data(), in}, opt(xd, in), w.data(), wd.empty() ? nullptr : wd.data(), {y.data(), out});
    return y;
  };
  f.backward = [&](const Vec& x, const Vec& w, const Vec& gy) {
    Vec g(in.size() + w.size());
    fc.backward({x.data(), in}, w.data(), {gy.data(), out}, {g.data(), in}, g.data() + in.size());
    return g;
  };
  f.backward_tangent = [&](const Vec& x, const Vec& w, const Vec& xd, const Vec& wd, const Vec& gy,
                           const Vec& gyd) {
    Vec g(in.size() + w.size());
    fc.backward_tangent({x.data(), in}, opt(xd, in), w.data(), wd.empty() ? nullptr : wd.data(),
                        {gy.data(), out}, opt(gyd, out), {g.data(), in}, g.data() + in.size());
    return g;
  };
  test::check_four_passes(f, test::random_vec(in.size(), 1), test::random_vec(fc.param_count(), 2), 3);
}

TEST_CASE("Linear: y = x·Wᵀ + b with PyTorch's [out, in] weight", "[nn][linear][cpu]") {
  Linear<float> fc(2, 3);
  std::vector<float> w = {1, 2, 3, 4, 5, 6, 10, 20, 30};  // W rows (1,2) (3,4) (5,6), b
  Tensor<float> x(Shape(1, 2)), y(Shape(1, 3));
  x[0] = 1;
  x[1] = -1;
  fc.forward(x, w.data(), y);
  CHECK(y[0] == 9.f);
  CHECK(y[1] == 19.f);
  CHECK(y[2] == 29.f);
  Tensor<float> bad(Shape(1, 3));
  CHECK_THROWS_WITH(fc.forward(bad, w.data(), y), Catch::Contains("expects 2"));
}
