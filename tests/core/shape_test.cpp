#include <catch2/catch.hpp>

#include "distill/core/shape.hpp"

using distill::Shape;

TEST_CASE("Shape: sizes and printing", "[core][shape]") {
  const Shape s(4, 3, 32, 30);
  CHECK(s.size() == 4 * 3 * 32 * 30);
  CHECK(s.sample_size() == 3 * 32 * 30);
  CHECK(s.plane() == 32 * 30);
  CHECK(distill::to_string(s) == "[4, 3, 32, 30]");
  CHECK(Shape(2, 10) == Shape(2, 10, 1, 1));
  CHECK(Shape(2, 10) != Shape(2, 11));
}

TEST_CASE("check_shape names both shapes", "[core][shape]") {
  CHECK_NOTHROW(distill::check_shape(Shape(1, 2, 3, 4), Shape(1, 2, 3, 4), "x"));
  CHECK_THROWS_WITH(distill::check_shape(Shape(8, 3, 32, 32), Shape(8, 1, 28, 28), "Conv input"),
                    "Conv input: shape mismatch: expected [8, 3, 32, 32], got [8, 1, 28, 28]");
}
