#include "distill/data/preprocess.hpp"

#include <catch2/catch.hpp>
#include <cmath>

#include "distill/core/rng.hpp"

using namespace distill;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;

namespace {

// Channel c holds mean[c] + sd[c]·z with z standard normal.
template <class Scalar>
Tensor<Scalar> channel_images(const Shape& shape, const std::vector<double>& mean,
                              const std::vector<double>& sd, std::uint64_t seed) {
  Tensor<Scalar> t(shape);
  Rng rng(seed);
  for (Index n = 0; n < shape.n; ++n)
    for (Index c = 0; c < shape.c; ++c)
      for (Index h = 0; h < shape.h; ++h)
        for (Index w = 0; w < shape.w; ++w) t(n, c, h, w) = Scalar(mean[c] + sd[c] * rng.normal());
  return t;
}

}  // namespace

TEMPLATE_TEST_CASE("ChannelNormalization: fitted statistics are the per-channel mean and std",
                   "[data][preprocess][cpu]", float, double) {
  const Shape shape(200, 3, 4, 5);
  const Tensor<TestType> x = channel_images<TestType>(shape, {0.5, 0.4, 0.3}, {0.25, 0.2, 0.1}, 1);
  const ChannelNormalization stats = ChannelNormalization::fit(x.cview());
  REQUIRE(stats.channels() == 3);
  for (Index c = 0; c < 3; ++c) {
    // Direct two-pass statistics over the same values, in double.
    const double count = double(shape.n * shape.plane());
    double sum = 0, sq = 0;
    for (Index n = 0; n < shape.n; ++n)
      for (Index h = 0; h < shape.h; ++h)
        for (Index w = 0; w < shape.w; ++w) sum += double(x(n, c, h, w));
    const double mean = sum / count;
    for (Index n = 0; n < shape.n; ++n)
      for (Index h = 0; h < shape.h; ++h)
        for (Index w = 0; w < shape.w; ++w) sq += std::pow(double(x(n, c, h, w)) - mean, 2);
    CHECK_THAT(stats.mean[c], WithinAbs(mean, 1e-14));
    CHECK_THAT(stats.stddev[c], WithinRel(std::sqrt(sq / count), 1e-12));
  }
  // 4,000 samples per channel: within a few standard errors of the generating values.
  CHECK_THAT(stats.mean[1], WithinAbs(0.4, 0.02));
  CHECK_THAT(stats.stddev[2], WithinRel(0.1, 0.05));
}

TEMPLATE_TEST_CASE("ChannelNormalization: apply standardises and invert restores",
                   "[data][preprocess][cpu]", float, double) {
  const double tol = std::is_same<TestType, float>::value ? 1e-5 : 1e-13;
  Tensor<TestType> x =
      channel_images<TestType>(Shape(50, 3, 6, 6), {0.5, 0.4, 0.3}, {0.25, 0.2, 0.1}, 2);
  const Tensor<TestType> original = x;
  const ChannelNormalization stats = ChannelNormalization::fit(x.cview());
  stats.apply(x.view());
  const ChannelNormalization after = ChannelNormalization::fit(x.cview());
  for (Index c = 0; c < 3; ++c) {
    CHECK_THAT(after.mean[c], WithinAbs(0.0, tol));
    CHECK_THAT(after.stddev[c], WithinAbs(1.0, tol));
  }
  // Element-wise: x' = (x − m)/s.
  CHECK_THAT(double(x(3, 1, 2, 4)),
             WithinAbs((double(original(3, 1, 2, 4)) - stats.mean[1]) / stats.stddev[1], 10 * tol));
  stats.invert(x.view());
  CHECK_THAT(double((x.vec() - original.vec()).cwiseAbs().maxCoeff()), WithinAbs(0.0, tol));
}

TEST_CASE("ChannelNormalization: CIFAR-10 values and checks", "[data][preprocess][cpu]") {
  const ChannelNormalization cifar = cifar10_mean_std();
  REQUIRE(cifar.channels() == 3);
  CHECK(cifar.mean == std::vector<double>{0.4914, 0.4822, 0.4465});
  CHECK(cifar.stddev == std::vector<double>{0.2023, 0.1994, 0.2010});

  Tensor<float> x(Shape(2, 3, 2, 2), 0.4914f);
  cifar.apply(x.view());
  CHECK_THAT(double(x(1, 0, 1, 1)), WithinAbs(0.0, 1e-7));
  CHECK_THAT(double(x(1, 2, 0, 0)), WithinAbs((0.4914 - 0.4465) / 0.2010, 1e-6));

  Tensor<float> grey(Shape(2, 1, 2, 2));
  CHECK_THROWS_WITH(cifar.apply(grey.view()),
                    Catch::Contains("3 channels") && Catch::Contains("[2, 1, 2, 2]"));
  ChannelNormalization bad{{0.5}, {0.0}};
  CHECK_THROWS_WITH(bad.apply(grey.view()), Catch::Contains("deviation must be positive"));
  ChannelNormalization uneven{{0.5, 0.5}, {1.0}};
  CHECK_THROWS_WITH(uneven.invert(grey.view()), Catch::Contains("2 means but 1 deviations"));
}

TEST_CASE("PreprocessKind: names round-trip", "[data][preprocess][cpu]") {
  for (PreprocessKind k : {PreprocessKind::kNone, PreprocessKind::kNormalize, PreprocessKind::kZca})
    CHECK(parse_preprocess_kind(to_string(k)) == k);
  CHECK(std::string(to_string(PreprocessKind::kZca)) == "zca");
  CHECK_THROWS_WITH(parse_preprocess_kind("whiten"), Catch::Contains("'whiten'"));
}

TEST_CASE("Preprocessing: apply and invert dispatch on the kind", "[data][preprocess][cpu]") {
  const Shape shape(300, 3, 2, 2);
  const Tensor<double> x = channel_images<double>(shape, {0.5, 0.4, 0.3}, {0.25, 0.2, 0.1}, 3);

  SECTION("none leaves images alone") {
    const auto p = Preprocessing<double>::none();
    CHECK(p.kind == PreprocessKind::kNone);
    Tensor<double> y = x;
    p.apply(y.view());
    CHECK(y.vec() == x.vec());
    p.invert(y.view());
    CHECK(y.vec() == x.vec());
  }
  SECTION("normalize applies the channel statistics") {
    const auto p = Preprocessing<double>::normalize(cifar10_mean_std());
    CHECK(p.kind == PreprocessKind::kNormalize);
    Tensor<double> y = x, expected = x;
    p.apply(y.view());
    cifar10_mean_std().apply(expected.view());
    CHECK(y.vec() == expected.vec());
    p.invert(y.view());
    CHECK_THAT((y.vec() - x.vec()).cwiseAbs().maxCoeff(), WithinAbs(0.0, 1e-14));
  }
  SECTION("zca applies the whitening") {
    const auto p = Preprocessing<double>::whiten(ZcaWhitening<double>(x.cview(), 0.1));
    CHECK(p.kind == PreprocessKind::kZca);
    Tensor<double> y = x, expected = x;
    p.apply(y.view());
    p.zca.apply(expected.view());
    CHECK(y.vec() == expected.vec());
    p.invert(y.view());
    CHECK_THAT((y.vec() - x.vec()).cwiseAbs().maxCoeff(), WithinAbs(0.0, 1e-13));
  }
  CHECK_THROWS_WITH(Preprocessing<double>::whiten(ZcaWhitening<double>()),
                    Catch::Contains("not fitted"));
}

TEST_CASE("Preprocessing: clamp_to_pixel_range is the image of pixels in [0, 1]", "[data][preprocess][cpu]") {
  // Pixels spread over [-1, 2]: after clamping in the preprocessed space, inverting gives
  // exactly the pixels clamped to [0, 1].
  const Shape shape(4, 3, 5, 5);
  Tensor<double> pixels(shape);
  Rng rng(9);
  for (Index i = 0; i < pixels.size(); ++i) pixels[i] = -1 + 3 * rng.uniform();
  for (const auto& p : {Preprocessing<double>::none(), Preprocessing<double>::normalize(cifar10_mean_std())}) {
    Tensor<double> y = pixels;
    p.apply(y.view());
    p.clamp_to_pixel_range(y.view());
    p.invert(y.view());
    double worst = 0;
    for (Index i = 0; i < y.size(); ++i)
      worst = std::max(worst, std::abs(y[i] - std::min(std::max(pixels[i], 0.0), 1.0)));
    INFO(to_string(p.kind));
    CHECK(worst <= 1e-14);
    CHECK(p.has_pixel_box());
  }
  const auto z = Preprocessing<double>::whiten(ZcaWhitening<double>(pixels.cview(), 0.1));
  CHECK_FALSE(z.has_pixel_box());
  Tensor<double> y = pixels;
  CHECK_THROWS_WITH(z.clamp_to_pixel_range(y.view()), Catch::Contains("ZCA"));
}
