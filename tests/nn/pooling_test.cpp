#include <catch2/catch.hpp>

#include "distill/nn/pooling.hpp"
#include "support/gradcheck.hpp"

using namespace distill;
using test::Vec;

namespace {

template <class Pool>
test::FourPasses pool_passes(Pool& pool, Shape in) {
  const Shape out = pool.output_shape(in);
  test::FourPasses f;
  f.forward = [&pool, in, out](const Vec& x, const Vec&) {
    Vec y(out.size());
    pool.forward({x.data(), in}, {y.data(), out});
    return y;
  };
  f.tangent = [&pool, in, out](const Vec& x, const Vec&, const Vec& xd, const Vec&) {
    Vec y(out.size()), yd(out.size());
    pool.forward({x.data(), in}, {y.data(), out});
    pool.tangent({xd.data(), in}, {yd.data(), out});
    return yd;
  };
  f.backward = [&pool, in, out](const Vec& x, const Vec&, const Vec& gy) {
    Vec y(out.size()), g(in.size());
    pool.forward({x.data(), in}, {y.data(), out});
    pool.backward({gy.data(), out}, {g.data(), in});
    return g;
  };
  f.backward_tangent = [&pool, in, out](const Vec& x, const Vec&, const Vec&, const Vec&,
                                        const Vec&, const Vec& gyd) {
    Vec y(out.size()), g(in.size());
    pool.forward({x.data(), in}, {y.data(), out});
    pool.backward_tangent({gyd.data(), out}, {g.data(), in});
    return g;
  };
  return f;
}

}  // namespace

TEST_CASE("AvgPool and MaxPool: all four passes match finite differences", "[nn][pooling][cpu]") {
  // 5×6 input: the odd row is dropped, as PyTorch's AvgPool2d(2)/MaxPool2d(2) do.
  const Shape in(2, 3, 5, 6);
  const Vec x = test::random_vec(in.size(), 1);
  SECTION("avg") {
    AvgPool<double> pool(2);
    test::check_four_passes(pool_passes(pool, in), x, {}, 2);
  }
  SECTION("max") {
    MaxPool<double> pool(2);
    test::check_four_passes(pool_passes(pool, in), x, {}, 3);
  }
}

TEST_CASE("Pooling: known values", "[nn][pooling][cpu]") {
  Tensor<float> x(Shape(1, 1, 2, 4));
  const float v[] = {1, 5, 2, 2, 3, 4, 8, 0};
  for (int i = 0; i < 8; ++i) x[i] = v[i];
  Tensor<float> y(Shape(1, 1, 1, 2));
  AvgPool<float>(2).forward(x, y);
  CHECK(y[0] == 3.25f);
  CHECK(y[1] == 3.0f);
  MaxPool<float> mp(2);
  mp.forward(x, y);
  CHECK(y[0] == 5.f);
  CHECK(y[1] == 8.f);
  Tensor<float> gx(x.shape());
  y[0] = 1;
  y[1] = 2;
  mp.backward(y, gx);
  CHECK(gx[1] == 1.f);
  CHECK(gx[6] == 2.f);
  CHECK(gx.vec().sum() == 3.f);
}
