#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

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

TEST_CASE("Pooling: the per-value kernels of device memory give the per-plane kernels' bits",
          "[nn][pooling][cpu]") {
  // Odd sizes leave rows and columns no window covers; repeated values make arg-max ties.
  for (const Index k : {2, 3}) {
    const Index planes = 5, ih = 7, iw = 9, oh = ih / k, ow = iw / k;
    INFO("k = " << k);
    const detail::PoolGeometry g{k, ih, iw, oh, ow};
    std::vector<float> x(std::size_t(planes * ih * iw)), gy(std::size_t(planes * oh * ow));
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(int(i * 7919 % 13) - 6) * 0.25f;
    for (std::size_t i = 0; i < gy.size(); ++i) gy[i] = float(std::sin(double(i) * 1.3));
    gy[0] = -0.0f;
    const auto same = [](const std::vector<float>& a, const std::vector<float>& b) {
      return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
    };
    std::vector<float> y1(gy.size()), y2(gy.size()), gx1(x.size(), 9.f), gx2(x.size(), 7.f);
    std::vector<std::int32_t> a1(gy.size()), a2(gy.size());
    cpu::Backend::for_each(planes, detail::AvgPoolPlane<float>{g, x.data(), y1.data()}, 1);
    cpu::Backend::for_each(planes * oh * ow, detail::AvgPoolElement<float>{g, x.data(), y2.data()});
    CHECK(same(y1, y2));
    cpu::Backend::for_each(planes, detail::AvgUnpoolPlane<float>{g, gy.data(), gx1.data()}, 1);
    cpu::Backend::for_each(planes * ih * iw, detail::AvgUnpoolElement<float>{g, gy.data(), gx2.data()});
    CHECK(same(gx1, gx2));
    cpu::Backend::for_each(planes, detail::MaxPoolPlane<float>{g, x.data(), y1.data(), a1.data()}, 1);
    cpu::Backend::for_each(planes * oh * ow, detail::MaxPoolElement<float>{g, x.data(), y2.data(), a2.data()});
    CHECK(same(y1, y2));
    CHECK(a1 == a2);
    cpu::Backend::for_each(planes, detail::MaxGatherPlane<float>{g, gx1.data(), a1.data(), y1.data()}, 1);
    cpu::Backend::for_each(planes * oh * ow, detail::MaxGatherElement<float>{g, gx1.data(), a1.data(), y2.data()});
    CHECK(same(y1, y2));
    std::fill(gx1.begin(), gx1.end(), 9.f);
    std::fill(gx2.begin(), gx2.end(), 7.f);
    cpu::Backend::for_each(planes, detail::MaxScatterPlane<float>{g, gy.data(), a1.data(), gx1.data()}, 1);
    cpu::Backend::for_each(planes * ih * iw, detail::MaxScatterElement<float>{g, gy.data(), a1.data(), gx2.data()});
    CHECK(same(gx1, gx2));
  }
}
