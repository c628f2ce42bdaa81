#include <catch2/catch.hpp>

#include <cmath>

#include "distill/nn/normalization.hpp"
#include "support/gradcheck.hpp"

using namespace distill;
using test::Vec;

namespace {

test::FourPasses norm_passes(Normalization<double>& norm, Shape s) {
  auto view = [s](const Vec& v) { return ConstView<double>(v.data(), s); };
  auto opt = [s](const Vec& v) { return v.empty() ? ConstView<double>{} : ConstView<double>(v.data(), s); };
  test::FourPasses f;
  f.forward = [&norm, s, view](const Vec& x, const Vec& w) {
    Vec y(s.size());
    norm.forward(view(x), w.data(), {y.data(), s});
    return y;
  };
  f.tangent = [&norm, s, view, opt](const Vec& x, const Vec& w, const Vec& xd, const Vec& wd) {
    Vec y(s.size()), yd(s.size());
    norm.forward(view(x), w.data(), {y.data(), s});
    norm.tangent(view(x), opt(xd), w.data(), wd.empty() ? nullptr : wd.data(), {yd.data(), s});
    return yd;
  };
  f.backward = [&norm, s, view](const Vec& x, const Vec& w, const Vec& gy) {
    Vec y(s.size()), g(s.size() + w.size());
    norm.forward(view(x), w.data(), {y.data(), s});
    norm.backward(view(x), w.data(), view(gy), {g.data(), s}, g.data() + s.size());
    return g;
  };
  f.backward_tangent = [&norm, s, view, opt](const Vec& x, const Vec& w, const Vec& xd,
                                             const Vec& wd, const Vec& gy, const Vec& gyd) {
    Vec y(s.size()), yd(s.size()), g(s.size() + w.size());
    const double* wdp = wd.empty() ? nullptr : wd.data();
    norm.forward(view(x), w.data(), {y.data(), s});
    norm.tangent(view(x), opt(xd), w.data(), wdp, {yd.data(), s});
    norm.backward_tangent(view(x), opt(xd), w.data(), wdp, view(gy), opt(gyd), {g.data(), s},
                          g.data() + s.size());
    return g;
  };
  return f;
}

}  // namespace

TEST_CASE("InstanceNorm and BatchNorm: all four passes match finite differences",
          "[nn][normalization][cpu]") {
  const Shape s(3, 4, 3, 5);
  Vec w = test::random_vec(8, 2, 0.5);
  for (int c = 0; c < 4; ++c) w[c] += 1.0;  // γ around 1
  const Vec x = test::random_vec(s.size(), 1, 2.0);
  SECTION("instance") {
    InstanceNorm<double> norm(4);
    test::check_four_passes(norm_passes(norm, s), x, w, 3);
  }
  SECTION("batch") {
    BatchNorm<double> norm(4);
    test::check_four_passes(norm_passes(norm, s), x, w, 4);
  }
}

TEST_CASE("InstanceNorm: each (sample, channel) plane is standardised", "[nn][normalization][cpu]") {
  const Shape s(2, 3, 4, 4);
  InstanceNorm<double> norm(3);
  const Vec x = test::random_vec(s.size(), 5, 3.0);
  std::vector<double> w = {1, 1, 1, 0, 0, 0};
  Vec y(s.size());
  norm.forward({x.data(), s}, w.data(), {y.data(), s});
  for (Index p = 0; p < s.n * s.c; ++p) {
    double m = 0, v = 0;
    for (Index i = 0; i < 16; ++i) m += y[p * 16 + i] / 16;
    for (Index i = 0; i < 16; ++i) v += (y[p * 16 + i] - m) * (y[p * 16 + i] - m) / 16;
    CHECK_THAT(m, Catch::Matchers::WithinAbs(0.0, 1e-12));
    // var(y) = var(x)/(var(x) + ε) with PyTorch's ε = 1e-5 inside the square root.
    const double sigma = norm.sigma()[p];
    CHECK_THAT(v, Catch::Matchers::WithinRel((sigma * sigma - 1e-5) / (sigma * sigma), 1e-12));
  }
}

TEST_CASE("BatchNorm: statistics span the batch", "[nn][normalization][cpu]") {
  const Shape s(4, 2, 3, 3);
  BatchNorm<double> norm(2);
  const Vec x = test::random_vec(s.size(), 6);
  std::vector<double> w = {2, 2, 0.5, -0.5};
  Vec y(s.size());
  norm.forward({x.data(), s}, w.data(), {y.data(), s});
  REQUIRE(norm.mean().size() == 2);
  for (Index c = 0; c < 2; ++c) {
    double m = 0;
    for (Index n = 0; n < 4; ++n)
      for (Index i = 0; i < 9; ++i) m += y[(n * 2 + c) * 9 + i] / 36;
    CHECK_THAT(m, Catch::Matchers::WithinAbs(w[2 + c], 1e-12));  // mean of y is β
  }
}

TEST_CASE("Normalization: misuse is reported", "[nn][normalization][cpu]") {
  InstanceNorm<float> norm(4);
  Tensor<float> x(Shape(2, 3, 4, 4)), y(Shape(2, 3, 4, 4));
  std::vector<float> w(8, 1.f);
  CHECK_THROWS_WITH(norm.forward(x, w.data(), y), Catch::Contains("expects 4"));
  Tensor<float> x4(Shape(2, 4, 4, 4)), y4(Shape(2, 4, 4, 4));
  CHECK_THROWS_WITH(norm.backward(x4, w.data(), y4, y4, nullptr), Catch::Contains("call forward"));
}

TEST_CASE("BatchNorm: running statistics and inference mode follow PyTorch", "[nn][normalization][cpu]") {
  const Shape s(4, 2, 3, 3);
  BatchNorm<double> norm(2);
  std::vector<double> w = {1.5, 0.5, 0.25, -1.0};
  Vec y(s.size());
  Vec x = test::random_vec(s.size(), 9, 2.0);
  for (Index i = 0; i < s.size(); ++i) x[i] += 3.0;  // mean ≈ 3
  norm.forward({x.data(), s}, w.data(), {y.data(), s});
  // One update from (0, 1) with momentum 0.1 and the unbiased batch variance.
  for (Index c = 0; c < 2; ++c) {
    double m = 0, v = 0;
    for (Index n = 0; n < 4; ++n)
      for (Index i = 0; i < 9; ++i) m += x[(n * 2 + c) * 9 + i] / 36;
    for (Index n = 0; n < 4; ++n)
      for (Index i = 0; i < 9; ++i) v += std::pow(x[(n * 2 + c) * 9 + i] - m, 2) / 35;
    CHECK_THAT(norm.running_mean()[c], Catch::Matchers::WithinRel(0.1 * m, 1e-12));
    CHECK_THAT(norm.running_var()[c], Catch::Matchers::WithinRel(0.9 + 0.1 * v, 1e-12));
  }
  norm.set_training(false);
  norm.forward({x.data(), s}, w.data(), {y.data(), s});
  const double rm = norm.running_mean()[1], rv = norm.running_var()[1];
  CHECK_THAT(y[9], Catch::Matchers::WithinRel(w[1] * (x[9] - rm) / std::sqrt(rv + 1e-5) + w[3], 1e-12));
  Vec g(s.size());
  CHECK_THROWS_WITH(norm.backward({x.data(), s}, w.data(), {y.data(), s}, {g.data(), s}, nullptr),
                    Catch::Contains("call forward on this input first"));
}
