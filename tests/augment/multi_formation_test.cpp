#include <catch2/catch.hpp>

#include "distill/augment/multi_formation.hpp"
#include "support/gradcheck.hpp"

using namespace distill;
using test::Vec;

TEST_CASE("decode_formation: PyTorch's bilinear up-sampling (align_corners=False) of each tile",
          "[augment][multi_formation]") {
  // One 1-channel 4x4 stored image, factor 2: four 2x2 tiles, each up-sampled to 4x4.
  Tensor<double> stored(Shape(1, 1, 4, 4));
  for (Index i = 0; i < 16; ++i) stored[i] = double(i);
  Tensor<double> decoded(decoded_shape(stored.shape(), 2));
  REQUIRE(decoded.shape() == Shape(4, 1, 4, 4));
  decode_formation(stored.cview(), 2, decoded.view());
  // 1-D rule for 2 → 4 samples [a, b]: [a, 0.75a + 0.25b, 0.25a + 0.75b, b].
  const double w[4][2] = {{1, 0}, {0.75, 0.25}, {0.25, 0.75}, {0, 1}};
  for (Index a = 0; a < 2; ++a)
    for (Index b = 0; b < 2; ++b) {
      const Index tile = a * 2 + b;
      auto in = [&](Index y, Index x) { return stored[(2 * a + y) * 4 + 2 * b + x]; };
      for (Index y = 0; y < 4; ++y)
        for (Index x = 0; x < 4; ++x) {
          double expected = 0;
          for (Index i = 0; i < 2; ++i)
            for (Index j = 0; j < 2; ++j) expected += w[y][i] * w[x][j] * in(i, j);
          INFO("tile " << tile << " pixel " << y << "," << x);
          CHECK(decoded[tile * 16 + y * 4 + x] == Approx(expected).epsilon(1e-14));
        }
    }
  // Factor 1 is the identity.
  Tensor<double> same(stored.shape());
  decode_formation(stored.cview(), 1, same.view());
  for (Index i = 0; i < 16; ++i) CHECK(same[i] == stored[i]);
}

TEST_CASE("decode_formation_vjp against central differences in double", "[augment][multi_formation]") {
  for (Index factor : {2, 3, 4}) {
    const Shape s(2, 3, 12, 12);
    Tensor<double> x(s), gx(s), y(decoded_shape(s, factor)), g(decoded_shape(s, factor));
    const Vec xv = test::random_vec(s.size(), 1), gv = test::random_vec(g.size(), 2);
    std::copy(xv.begin(), xv.end(), x.data());
    std::copy(gv.begin(), gv.end(), g.data());
    decode_formation_vjp(g.cview(), factor, gx.view());
    auto objective = [&](const Tensor<double>& at) {
      decode_formation(at.cview(), factor, y.view());
      double sum = 0;
      for (Index i = 0; i < y.size(); ++i) sum += y[i] * g[i];
      return sum;
    };
    INFO("factor " << factor);
    CHECK(test::tensor_gradient_error(x, gx, objective, 200, 3, 1e-4) <= 1e-10);
  }
}

TEST_CASE("encode_mosaic then decode gives back constant images exactly", "[augment][multi_formation]") {
  // Each tile reads only its own pixels, so a mosaic of constant images decodes to them.
  const Index f = 2;
  Tensor<float> full(Shape(8, 3, 8, 8));
  for (Index i = 0; i < 8; ++i)
    for (Index j = 0; j < full.shape().sample_size(); ++j) full.view().sample(i)[j] = float(i) - 3.5f;
  Tensor<float> stored(Shape(2, 3, 8, 8)), back(full.shape());
  encode_mosaic(full.cview(), f, stored.view());
  decode_formation(stored.cview(), f, back.view());
  for (Index i = 0; i < full.size(); ++i) REQUIRE(back[i] == full[i]);
}

TEST_CASE("decoded_set repeats hard and soft labels per tile; bad factors are named",
          "[augment][multi_formation]") {
  SyntheticSet set;
  set.classes = 3;
  set.images.resize(Shape(3, 1, 4, 4));
  set.labels = {0, 1, 2};
  set.label_logits.resize(Shape(3, 3));
  for (Index i = 0; i < 9; ++i) set.label_logits[i] = float(i);
  CHECK(formation_factor(set) == 1);
  CHECK(decoded_set(set).size() == 3);
  set.info["formation_factor"] = "2";
  const SyntheticSet d = decoded_set(set);
  REQUIRE(d.size() == 12);
  CHECK(d.labels == std::vector<int>{0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2});
  REQUIRE(d.label_logits.shape() == Shape(12, 3));
  for (Index i = 0; i < 12; ++i)
    for (Index c = 0; c < 3; ++c) CHECK(d.label_logits[i * 3 + c] == float((i / 4) * 3 + c));
  CHECK(d.info.count("formation_factor") == 0);
  CHECK(d.images_per_class() == 4);

  set.info["formation_factor"] = "two";
  CHECK_THROWS_WITH(decoded_set(set), Catch::Contains("'formation_factor'") && Catch::Contains("'two'"));
  set.info["formation_factor"] = "3";
  CHECK_THROWS_WITH(decoded_set(set), Catch::Contains("factor 3 does not divide the image size 4x4"));
}
