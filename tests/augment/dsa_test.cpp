#include "distill/augment/dsa.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <vector>

#include "support/gradcheck.hpp"
#include "support/normal_tensor.hpp"
#include "support/same_bits.hpp"

using namespace distill;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;
using test::Vec;

namespace {

const DsaOp kAllOps[] = {DsaOp::kColor, DsaOp::kCrop,  DsaOp::kCutout,
                         DsaOp::kFlip,  DsaOp::kScale, DsaOp::kRotate};

DsaConfig only(DsaOp op) {
  DsaConfig c;
  c.ops = {op};
  return c;
}

/// The augmentation as a map x → y with no parameters. It is affine in x with a Jacobian that
/// does not depend on x, so the tangent of backward is backward applied to ġy.
test::FourPasses dsa_passes(const Dsa<double>& dsa, const DsaDraw& d, Shape s) {
  test::FourPasses f;
  f.forward = [&dsa, d, s](const Vec& x, const Vec&) {
    Vec y(s.size());
    dsa.forward(d, {x.data(), s}, {y.data(), s});
    return y;
  };
  f.tangent = [&dsa, d, s](const Vec&, const Vec&, const Vec& xd, const Vec&) {
    Vec yd(s.size());
    dsa.tangent(d, {xd.data(), s}, {yd.data(), s});
    return yd;
  };
  f.backward = [&dsa, d, s](const Vec&, const Vec&, const Vec& gy) {
    Vec g(s.size());
    dsa.backward(d, {gy.data(), s}, {g.data(), s});
    return g;
  };
  f.backward_tangent = [&dsa, d, s](const Vec&, const Vec&, const Vec&, const Vec&, const Vec&,
                                    const Vec& gyd) {
    Vec g(s.size());
    dsa.backward(d, {gyd.data(), s}, {g.data(), s});
    return g;
  };
  return f;
}

/// ⟨backward(gy), ẋ⟩ = ⟨gy, tangent(ẋ)⟩.
void check_adjoint(const Dsa<double>& dsa, const DsaDraw& d, Shape s, std::uint64_t seed) {
  const Vec xd = test::random_vec(s.size(), seed);
  const Vec gy = test::random_vec(s.size(), seed + 1);
  Vec yd(s.size()), gx(s.size());
  dsa.tangent(d, {xd.data(), s}, {yd.data(), s});
  dsa.backward(d, {gy.data(), s}, {gx.data(), s});
  CHECK_THAT(test::dot(gx, xd), WithinRel(test::dot(gy, yd), 1e-12));
}

template <class Scalar>
double sample_mean(const Tensor<Scalar>& t, Index n) {
  const Index m = t.shape().sample_size();
  double s = 0;
  for (Index i = 0; i < m; ++i) s += double(t[n * m + i]);
  return s / double(m);
}

template <class Scalar>
constexpr double tol() {
  return sizeof(Scalar) == 4 ? 1e-5 : 1e-12;
}

}  // namespace

TEST_CASE("Dsa: every op's tangent and VJP match finite differences", "[augment][dsa][cpu]") {
  // Non-square images catch swapped height and width.
  const Shape s(3, 2, 7, 9);
  const Vec x = test::random_vec(s.size(), 11);
  for (DsaOp op : kAllOps) {
    INFO("op " << dsa_op_name(op));
    const Dsa<double> dsa(only(op));
    DsaDraw d = dsa.draw(s, 100 + std::uint64_t(op));
    REQUIRE(d.ops == std::vector<DsaOp>{op});
    // Make every sample's transform non-trivial and varied whatever the seed drew.
    d.samples[0].flip = true;
    d.samples[1].flip = false;
    d.samples[2].flip = true;
    d.samples[0].crop_dy = 1;
    d.samples[0].crop_dx = -2;
    d.samples[1].cutout_cy = 0;  // cutout clipped at the top border
    test::check_four_passes(dsa_passes(dsa, d, s), x, {}, 20 + std::uint64_t(op));
    check_adjoint(dsa, d, s, 40 + std::uint64_t(op));
  }
}

TEST_CASE("Dsa: chained ops (mode kAll) and mode S draws match finite differences",
          "[augment][dsa][cpu]") {
  const Shape s(2, 3, 8, 6);
  const Vec x = test::random_vec(s.size(), 12);
  DsaConfig all;
  all.mode = DsaMode::kAll;
  const Dsa<double> chained(all);
  const DsaDraw d = chained.draw(s, 7);
  REQUIRE(d.ops.size() == 6);
  test::check_four_passes(dsa_passes(chained, d, s), x, {}, 31);
  check_adjoint(chained, d, s, 32);

  const Dsa<double> single;
  for (std::uint64_t seed = 0; seed < 6; ++seed) {
    const DsaDraw ds = single.draw(s, seed);
    INFO("seed " << seed << " op " << dsa_op_name(ds.ops.at(0)));
    test::check_four_passes(dsa_passes(single, ds, s), x, {}, 50 + seed);
    check_adjoint(single, ds, s, 60 + seed);
  }
}

TEMPLATE_TEST_CASE("Dsa: flip reverses columns of the flipped samples", "[augment][dsa][cpu]",
                   float, double) {
  const Shape s(2, 3, 4, 5);
  const Dsa<TestType> dsa(only(DsaOp::kFlip));
  DsaDraw d = dsa.draw(s, 1);
  d.samples[0].flip = true;
  d.samples[1].flip = false;
  const Tensor<TestType> x = test::normal_tensor<TestType>(s, 1, 5);
  Tensor<TestType> y(s);
  dsa.forward(d, x, y);
  for (Index c = 0; c < s.c; ++c)
    for (Index h = 0; h < s.h; ++h)
      for (Index w = 0; w < s.w; ++w) {
        CHECK(y(0, c, h, w) == x(0, c, h, s.w - 1 - w));
        CHECK(y(1, c, h, w) == x(1, c, h, w));
      }
}

TEMPLATE_TEST_CASE("Dsa: crop shifts by the drawn offset with zero fill", "[augment][dsa][cpu]",
                   float, double) {
  const Shape s(16, 2, 32, 24);
  const Dsa<TestType> dsa(only(DsaOp::kCrop));
  const DsaDraw d = dsa.draw(s, 3);
  const Tensor<TestType> x = test::normal_tensor<TestType>(s, 2, 5);
  Tensor<TestType> y(s);
  dsa.forward(d, x, y);
  bool nonzero_shift = false;
  for (Index n = 0; n < s.n; ++n) {
    const Index dy = d.samples[n].crop_dy, dx = d.samples[n].crop_dx;
    // int(0.125·32 + 0.5) = 4 rows, int(0.125·24 + 0.5) = 3 columns.
    CHECK(std::abs(dy) <= 4);
    CHECK(std::abs(dx) <= 3);
    nonzero_shift = nonzero_shift || (dy != 0 && dx != 0);
    for (Index c = 0; c < s.c; ++c)
      for (Index h = 0; h < s.h; ++h)
        for (Index w = 0; w < s.w; ++w) {
          const Index sh = h + dy, sw = w + dx;
          const bool inside = sh >= 0 && sh < s.h && sw >= 0 && sw < s.w;
          CHECK(y(n, c, h, w) == (inside ? x(n, c, sh, sw) : TestType(0)));
        }
  }
  CHECK(nonzero_shift);
}

TEST_CASE("Dsa: crop offsets cover the whole reference range", "[augment][dsa][cpu]") {
  const Dsa<float> dsa(only(DsaOp::kCrop));
  const DsaDraw d = dsa.draw(2000, 1, 32, 32, 9);
  std::vector<int> seen(9, 0);
  for (const auto& p : d.samples) {
    REQUIRE(std::abs(p.crop_dy) <= 4);
    seen[std::size_t(p.crop_dy + 4)] += 1;
  }
  for (int count : seen) CHECK(count > 0);
}

TEMPLATE_TEST_CASE("Dsa: cutout zeroes the drawn square, clipped at the borders",
                   "[augment][dsa][cpu]", float, double) {
  const Shape s(24, 2, 32, 32);
  const Dsa<TestType> dsa(only(DsaOp::kCutout));
  DsaDraw d = dsa.draw(s, 4);
  CHECK(d.cutout_h == 16);  // int(0.5·32 + 0.5)
  CHECK(d.cutout_w == 16);
  d.samples[0].cutout_cy = 0;   // only rows [0, 8) left
  d.samples[0].cutout_cx = 32;  // columns [24, 32)
  d.samples[1].cutout_cy = 16;  // rows [8, 24), the full square
  d.samples[1].cutout_cx = 9;   // columns [1, 17)
  const Tensor<TestType> x = test::normal_tensor<TestType>(s, 3, 5);
  Tensor<TestType> y(s);
  dsa.forward(d, x, y);
  for (Index n = 0; n < s.n; ++n) {
    const auto& p = d.samples[n];
    CHECK(p.cutout_cy >= 0);
    CHECK(p.cutout_cy <= 32);  // randint(0, 32 + 1) for an even side
    const Index r0 = p.cutout_cy - 8, c0 = p.cutout_cx - 8;
    Index zeroed = 0;
    for (Index c = 0; c < s.c; ++c)
      for (Index h = 0; h < s.h; ++h)
        for (Index w = 0; w < s.w; ++w) {
          const bool cut = h >= r0 && h < r0 + 16 && w >= c0 && w < c0 + 16;
          CHECK(y(n, c, h, w) == (cut ? TestType(0) : x(n, c, h, w)));
          zeroed += cut;
        }
    if (n == 0) CHECK(zeroed == 2 * 8 * 8);
    if (n == 1) CHECK(zeroed == 2 * 16 * 16);
  }
}

TEST_CASE("Dsa: cutout centre range follows the parity of the side", "[augment][dsa][cpu]") {
  const Dsa<float> dsa(only(DsaOp::kCutout));
  // Height 5: side int(3.0) = 3 (odd), centre in [0, 4]; width 7: side 4 (even), centre [0, 7].
  const DsaDraw d = dsa.draw(3000, 1, 5, 7, 10);
  CHECK(d.cutout_h == 3);
  CHECK(d.cutout_w == 4);
  Index max_cy = 0, max_cx = 0, min_cy = 99, min_cx = 99;
  for (const auto& p : d.samples) {
    max_cy = std::max(max_cy, p.cutout_cy);
    max_cx = std::max(max_cx, p.cutout_cx);
    min_cy = std::min(min_cy, p.cutout_cy);
    min_cx = std::min(min_cx, p.cutout_cx);
  }
  CHECK(min_cy == 0);
  CHECK(max_cy == 4);
  CHECK(min_cx == 0);
  CHECK(max_cx == 7);
}

TEMPLATE_TEST_CASE("Dsa: scale 1 and rotation 0 are the identity", "[augment][dsa][cpu]", float,
                   double) {
  const Shape s(2, 3, 9, 7);
  const Tensor<TestType> x = test::normal_tensor<TestType>(s, 4, 5);
  Tensor<TestType> y(s);
  for (DsaOp op : {DsaOp::kScale, DsaOp::kRotate}) {
    INFO("op " << dsa_op_name(op));
    const Dsa<TestType> dsa(only(op));
    DsaDraw d = dsa.draw(s, 5);
    for (auto& p : d.samples) {
      p.scale_x = p.scale_y = 1;
      p.rotate = 0;
    }
    dsa.forward(d, x, y);
    for (Index i = 0; i < s.size(); ++i)
      CHECK_THAT(double(y[i]), WithinAbs(double(x[i]), tol<TestType>()));
  }
}

TEST_CASE("Dsa: scale and rotate follow affine_grid + grid_sample(align_corners=True)",
          "[augment][dsa][cpu]") {
  const Dsa<double> scale(only(DsaOp::kScale));
  SECTION("sx = 2 samples columns -2, 0, 2, 4, 6 of a 5-wide row: zero outside") {
    const Shape s(1, 1, 3, 5);
    DsaDraw d = scale.draw(s, 1);
    d.samples[0].scale_x = 2;
    d.samples[0].scale_y = 1;
    const Tensor<double> x = test::normal_tensor<double>(s, 6, 5);
    Tensor<double> y(s);
    scale.forward(d, x, y);
    for (Index h = 0; h < 3; ++h) {
      CHECK_THAT(y(0, 0, h, 0), WithinAbs(0.0, 1e-15));
      CHECK_THAT(y(0, 0, h, 1), WithinAbs(x(0, 0, h, 0), 1e-15));
      CHECK_THAT(y(0, 0, h, 2), WithinAbs(x(0, 0, h, 2), 1e-15));
      CHECK_THAT(y(0, 0, h, 3), WithinAbs(x(0, 0, h, 4), 1e-15));
      CHECK_THAT(y(0, 0, h, 4), WithinAbs(0.0, 1e-15));
    }
  }
  SECTION("sy = 0.5 on a vertical ramp interpolates linearly between rows") {
    const Shape s(1, 1, 5, 3);
    DsaDraw d = scale.draw(s, 1);
    d.samples[0].scale_x = 1;
    d.samples[0].scale_y = 0.5;
    Tensor<double> x(s);
    for (Index h = 0; h < 5; ++h)
      for (Index w = 0; w < 3; ++w) x(0, 0, h, w) = double(h);
    Tensor<double> y(s);
    scale.forward(d, x, y);
    // yₙ = −1, −.5, 0, .5, 1 → iy = (0.5·yₙ + 1)/2·4 = 1, 1.5, 2, 2.5, 3.
    const double expect[] = {1, 1.5, 2, 2.5, 3};
    for (Index h = 0; h < 5; ++h)
      for (Index w = 0; w < 3; ++w) CHECK_THAT(y(0, 0, h, w), WithinAbs(expect[h], 1e-14));
  }
  SECTION("a 90° rotation with θ = [[cos, −sin], [sin, cos]] maps y(h, w) = x(w, W − 1 − h)") {
    const Dsa<double> rotate(only(DsaOp::kRotate));
    const Shape s(1, 2, 6, 6);
    DsaDraw d = rotate.draw(s, 1);
    d.samples[0].rotate = std::acos(-1.0) / 2;
    const Tensor<double> x = test::normal_tensor<double>(s, 7, 5);
    Tensor<double> y(s);
    rotate.forward(d, x, y);
    for (Index c = 0; c < 2; ++c)
      for (Index h = 0; h < 6; ++h)
        for (Index w = 0; w < 6; ++w)
          CHECK_THAT(y(0, c, h, w), WithinAbs(x(0, c, w, 5 - h), 1e-12));
  }
  SECTION("drawn parameters lie in the reference ranges") {
    const Dsa<double> dsa;
    const DsaDraw d = dsa.draw(4000, 1, 4, 4, 3);
    double min_sx = 9, max_sx = 0, min_r = 9, max_r = -9;
    for (const auto& p : d.samples) {
      min_sx = std::min({min_sx, p.scale_x, p.scale_y});
      max_sx = std::max({max_sx, p.scale_x, p.scale_y});
      min_r = std::min(min_r, p.rotate);
      max_r = std::max(max_r, p.rotate);
    }
    const double deg15 = 15.0 / 180.0 * std::acos(-1.0);
    CHECK(min_sx >= 1 / 1.2);
    CHECK(max_sx < 1.2);
    CHECK(min_sx < 1 / 1.2 + 0.01);
    CHECK(max_sx > 1.2 - 0.01);
    CHECK(min_r >= -deg15);
    CHECK(max_r < deg15);
    CHECK(min_r < -deg15 + 0.01);
    CHECK(max_r > deg15 - 0.01);
  }
}

TEMPLATE_TEST_CASE("Dsa: color adds the brightness shift, saturation and contrast keep means",
                   "[augment][dsa][cpu]", float, double) {
  const Shape s(4, 3, 5, 6);
  const Dsa<TestType> dsa(only(DsaOp::kColor));
  const Tensor<TestType> x = test::normal_tensor<TestType>(s, 8, 5);
  Tensor<TestType> y(s);
  const DsaDraw drawn = dsa.draw(s, 6);
  for (const auto& p : drawn.samples) {
    CHECK(p.brightness >= -0.5);
    CHECK(p.brightness < 0.5);
    CHECK(p.saturation >= 0);
    CHECK(p.saturation < 2);
    CHECK(p.contrast >= 0.5);
    CHECK(p.contrast < 1.5);
  }
  SECTION("brightness alone adds the drawn shift; the tangent drops it") {
    DsaDraw d = drawn;
    for (auto& p : d.samples) p.saturation = p.contrast = 1;
    dsa.forward(d, x, y);
    for (Index n = 0; n < s.n; ++n)
      for (Index i = 0; i < s.sample_size(); ++i) {
        const Index k = n * s.sample_size() + i;
        CHECK_THAT(double(y[k]),
                   WithinAbs(double(x[k]) + d.samples[n].brightness, tol<TestType>()));
      }
    dsa.tangent(d, x, y);
    for (Index k = 0; k < s.size(); ++k)
      CHECK_THAT(double(y[k]), WithinAbs(double(x[k]), tol<TestType>()));
  }
  SECTION("saturation keeps every pixel's channel mean and scales the deviation") {
    DsaDraw d = drawn;
    for (auto& p : d.samples) p.brightness = 0, p.contrast = 1;
    dsa.forward(d, x, y);
    for (Index n = 0; n < s.n; ++n)
      for (Index h = 0; h < s.h; ++h)
        for (Index w = 0; w < s.w; ++w) {
          double mx = 0, my = 0;
          for (Index c = 0; c < s.c; ++c) mx += x(n, c, h, w) / 3.0, my += y(n, c, h, w) / 3.0;
          CHECK_THAT(my, WithinAbs(mx, tol<TestType>()));
          for (Index c = 0; c < s.c; ++c)
            CHECK_THAT(
                double(y(n, c, h, w)),
                WithinAbs(mx + (x(n, c, h, w) - mx) * d.samples[n].saturation, tol<TestType>()));
        }
  }
  SECTION("contrast keeps the sample mean and scales the deviation") {
    DsaDraw d = drawn;
    for (auto& p : d.samples) p.brightness = 0, p.saturation = 1;
    dsa.forward(d, x, y);
    for (Index n = 0; n < s.n; ++n) {
      const double mx = sample_mean(x, n);
      CHECK_THAT(sample_mean(y, n), WithinAbs(mx, tol<TestType>()));
      for (Index i = 0; i < s.sample_size(); ++i) {
        const Index k = n * s.sample_size() + i;
        CHECK_THAT(double(y[k]),
                   WithinAbs(mx + (x[k] - mx) * d.samples[n].contrast, 10 * tol<TestType>()));
      }
    }
  }
  SECTION("the full color op moves the sample mean by exactly the brightness shift") {
    dsa.forward(drawn, x, y);
    for (Index n = 0; n < s.n; ++n)
      CHECK_THAT(sample_mean(y, n),
                 WithinAbs(sample_mean(x, n) + drawn.samples[n].brightness, tol<TestType>()));
  }
}

TEST_CASE("Dsa: mode kAll applies the listed ops in order", "[augment][dsa][cpu]") {
  DsaConfig config;
  config.mode = DsaMode::kAll;
  config.ops = {DsaOp::kCrop, DsaOp::kRotate, DsaOp::kColor};
  const Dsa<double> dsa(config);
  const Shape s(3, 3, 8, 8);
  const DsaDraw d = dsa.draw(s, 2);
  REQUIRE(d.ops == config.ops);
  const Tensor<double> x = test::normal_tensor<double>(s, 9, 5);
  Tensor<double> y(s), a(s), b(s);
  dsa.forward(d, x, y);
  DsaDraw step = d;
  step.ops = {DsaOp::kCrop};
  dsa.forward(step, x, a);
  step.ops = {DsaOp::kRotate};
  dsa.forward(step, a, b);
  step.ops = {DsaOp::kColor};
  dsa.forward(step, b, a);
  CHECK(test::same_bits(y, a));
}

TEST_CASE("Dsa: a replayed draw gives bitwise identical output; other seeds differ",
          "[augment][dsa][cpu]") {
  const Shape s(8, 3, 16, 16);
  const Tensor<float> x = test::normal_tensor<float>(s, 10, 5);
  for (DsaMode mode : {DsaMode::kSingle, DsaMode::kAll}) {
    DsaConfig config;
    config.mode = mode;
    const Dsa<float> dsa(config);
    for (std::uint64_t seed : {0u, 1u, 12345u}) {
      const DsaDraw d1 = dsa.draw(s, seed), d2 = dsa.draw(s, seed), other = dsa.draw(s, seed + 1);
      CHECK(d1 == d2);
      CHECK(d1 != other);
      Tensor<float> y1(s), y2(s), y3(s);
      dsa.forward(d1, x, y1);
      dsa.forward(d2, x, y2);
      dsa.forward(other, x, y3);
      CHECK(test::same_bits(y1, y2));
      CHECK_FALSE(test::same_bits(y1, y3));
      // A stored draw replays later, after other draws and passes.
      const DsaDraw copy = d1;
      dsa.forward(copy, x, y3);
      CHECK(test::same_bits(y1, y3));
    }
  }
}

TEST_CASE("Dsa: a shared draw gives identical transforms on batches of different sizes",
          "[augment][dsa][cpu]") {
  const Shape real_shape(256, 3, 8, 8), syn_shape(10, 3, 8, 8);
  const Tensor<float> syn = test::normal_tensor<float>(syn_shape, 11, 5);
  Tensor<float> real(real_shape);
  for (Index n = 0; n < 256; ++n)
    std::copy(syn.data() + (n % 10) * syn_shape.sample_size(),
              syn.data() + (n % 10 + 1) * syn_shape.sample_size(),
              real.data() + n * real_shape.sample_size());
  std::vector<DsaConfig> configs(1);
  for (DsaOp op : kAllOps) configs.push_back(only(op));
  configs.emplace_back();
  configs.back().mode = DsaMode::kAll;
  for (const DsaConfig& config : configs) {
    const Dsa<float> dsa(config);
    for (std::uint64_t seed : {3u, 4u}) {
      const DsaDraw d = dsa.draw(real_shape, seed, /*shared=*/true);
      INFO("ops " << d.ops.size() << " first " << dsa_op_name(d.ops[0]) << " seed " << seed);
      CHECK(d.samples.size() == 1);
      // The shared parameters are sample 0's of the per-sample draw with the same seed.
      CHECK(d.samples[0] == dsa.draw(real_shape, seed).samples[0]);
      Tensor<float> y_real(real_shape), y_syn(syn_shape), g_real(real_shape), g_syn(syn_shape);
      dsa.forward(d, real, y_real);
      dsa.forward(d, syn, y_syn);
      dsa.backward(d, real, g_real);
      dsa.backward(d, syn, g_syn);
      const Index m = syn_shape.sample_size();
      bool same = true;
      for (Index n = 0; n < 256; ++n)
        same =
            same &&
            std::memcmp(y_real.data() + n * m, y_syn.data() + (n % 10) * m, sizeof(float) * m) ==
                0 &&
            std::memcmp(g_real.data() + n * m, g_syn.data() + (n % 10) * m, sizeof(float) * m) == 0;
      CHECK(same);
    }
  }
}

TEST_CASE("Dsa: shape mismatches throw naming the shapes", "[augment][dsa][cpu]") {
  const Dsa<float> dsa;
  const DsaDraw d = dsa.draw(256, 3, 8, 8, 1);
  Tensor<float> x10(Shape(10, 3, 8, 8)), y10(Shape(10, 3, 8, 8));
  CHECK_THROWS_WITH(dsa.forward(d, x10, y10),
                    Catch::Contains("[10, 3, 8, 8]") && Catch::Contains("[256, 3, 8, 8]"));
  const DsaDraw shared = dsa.draw(256, 3, 8, 8, 1, true);
  CHECK_NOTHROW(dsa.forward(shared, x10, y10));
  Tensor<float> x4(Shape(10, 4, 8, 8)), y4(Shape(10, 4, 8, 8));
  CHECK_THROWS_WITH(dsa.backward(shared, x4, y4),
                    Catch::Contains("[10, 4, 8, 8]") && Catch::Contains("[any, 3, 8, 8]"));
  Tensor<float> y9(Shape(10, 3, 8, 9));
  CHECK_THROWS_WITH(dsa.tangent(shared, x10, y9),
                    Catch::Contains("[10, 3, 8, 8]") && Catch::Contains("[10, 3, 8, 9]"));
  CHECK_THROWS_AS(dsa.draw(0, 3, 8, 8, 1), distill::error);
}

TEST_CASE("Dsa: mode S picks each family about equally often", "[augment][dsa][cpu]") {
  const Dsa<float> dsa;
  std::vector<int> counts(6, 0);
  const int draws = 6000;
  for (int seed = 0; seed < draws; ++seed) {
    const DsaDraw d = dsa.draw(1, 3, 32, 32, std::uint64_t(seed));
    REQUIRE(d.ops.size() == 1);
    counts[std::size_t(d.ops[0])] += 1;
  }
  // Expected 1000 each, standard deviation about 29.
  for (int c : counts) {
    CHECK(c > 880);
    CHECK(c < 1120);
  }
}

TEST_CASE("Dsa: results do not depend on the thread count", "[augment][dsa][cpu]") {
  const int saved = max_threads();
  const Shape s(64, 3, 16, 16);  // 64 · 768 elements: above the parallel grain
  const Tensor<double> x = test::normal_tensor<double>(s, 12, 5);
  std::vector<DsaConfig> configs;
  for (DsaOp op : kAllOps) configs.push_back(only(op));
  configs.emplace_back();
  configs.back().mode = DsaMode::kAll;
  for (const DsaConfig& config : configs) {
    const Dsa<double> dsa(config);
    Tensor<double> ref_y(s), ref_t(s), ref_g(s);
    for (int threads : {1, 2, 3}) {
      set_threads(threads);
      const DsaDraw d = dsa.draw(s, 77);
      Tensor<double> y(s), t(s), g(s);
      dsa.forward(d, x, y);
      dsa.tangent(d, x, t);
      dsa.backward(d, x, g);
      if (threads == 1) {
        ref_y = y;
        ref_t = t;
        ref_g = g;
      } else {
        INFO("threads " << threads << " ops " << d.ops.size());
        CHECK(test::same_bits(y, ref_y));
        CHECK(test::same_bits(t, ref_t));
        CHECK(test::same_bits(g, ref_g));
      }
    }
  }
  set_threads(saved);
}

TEST_CASE("Dsa: in place, empty tangents, no ops and float against double", "[augment][dsa][cpu]") {
  const Shape s(4, 3, 8, 8);
  DsaConfig config;
  config.mode = DsaMode::kAll;
  const Dsa<double> dsa(config);
  const DsaDraw d = dsa.draw(s, 5);
  const Tensor<double> x = test::normal_tensor<double>(s, 13, 5);
  Tensor<double> y(s);
  SECTION("in place equals out of place, single op and chained") {
    for (const DsaDraw& draw : {d, Dsa<double>(only(DsaOp::kRotate)).draw(s, 5)}) {
      dsa.forward(draw, x, y);
      Tensor<double> z = x;
      dsa.forward(draw, z, z);
      CHECK(test::same_bits(y, z));
      dsa.backward(draw, x, y);
      z = x;
      dsa.backward(draw, z, z);
      CHECK(test::same_bits(y, z));
    }
  }
  SECTION("an empty tangent or output gradient stands for zero") {
    y.set_constant(1);
    dsa.tangent(d, ConstView<double>(), y);
    CHECK(y.vec().cwiseAbs().maxCoeff() == 0);
    y.set_constant(1);
    dsa.backward(d, ConstView<double>(), y);
    CHECK(y.vec().cwiseAbs().maxCoeff() == 0);
    CHECK_THROWS_AS(dsa.forward(d, ConstView<double>(), y), distill::error);
  }
  SECTION("no ops is the identity") {
    DsaConfig none;
    none.ops = dsa_ops_from_strategy("none");
    const Dsa<double> identity(none);
    const DsaDraw di = identity.draw(s, 1);
    CHECK(di.ops.empty());
    identity.forward(di, x, y);
    CHECK(test::same_bits(x, y));
  }
  SECTION("float agrees with double") {
    const Dsa<float> dsa_f(config);
    Tensor<float> xf(s), yf(s);
    for (Index i = 0; i < s.size(); ++i) xf[i] = float(x[i]);
    dsa.forward(d, x, y);
    dsa_f.forward(d, xf, yf);
    for (Index i = 0; i < s.size(); ++i) CHECK_THAT(double(yf[i]), WithinAbs(y[i], 1e-5));
  }
}

TEST_CASE("Dsa: strategy strings and configuration checks", "[augment][dsa][cpu]") {
  CHECK(dsa_ops_from_strategy("color_crop_cutout_flip_scale_rotate") == DsaConfig().ops);
  CHECK(dsa_ops_from_strategy("color_crop") == std::vector<DsaOp>{DsaOp::kColor, DsaOp::kCrop});
  CHECK(dsa_ops_from_strategy("").empty());
  CHECK_THROWS_WITH(dsa_ops_from_strategy("color_noise"), Catch::Contains("'noise'"));
  DsaConfig bad;
  bad.prob_flip = 1.5;
  CHECK_THROWS_AS(Dsa<float>(bad), distill::error);
  bad = DsaConfig();
  bad.ratio_scale = 0.5;
  CHECK_THROWS_AS(Dsa<float>(bad), distill::error);
  bad = DsaConfig();
  bad.mode = DsaMode::kAll;
  bad.ops = {DsaOp::kFlip, DsaOp::kFlip};
  CHECK_THROWS_WITH(Dsa<float>(bad), Catch::Contains("twice"));
}
