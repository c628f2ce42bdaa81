#include <catch2/catch.hpp>

#include "distill/nn/flatten.hpp"

using namespace distill;

TEST_CASE("Flatten: views the same memory as [N, C·H·W] and back", "[nn][flatten][cpu]") {
  Tensor<float> x(Shape(2, 3, 4, 5));
  const auto flat = Flatten::forward(x.view());
  CHECK(flat.shape() == Shape(2, 60));
  CHECK(flat.data() == x.data());
  // PyTorch's flatten order: sample-major, then channel, row, column.
  x(1, 2, 3, 4) = 7.f;
  CHECK(flat[60 + (2 * 4 + 3) * 5 + 4] == 7.f);
  const auto back = Flatten::backward(flat, x.shape());
  CHECK(back.shape() == x.shape());
  CHECK_THROWS_WITH(Flatten::backward(flat, Shape(2, 3, 4, 4)), Catch::Contains("[2, 60, 1, 1]"));
}
