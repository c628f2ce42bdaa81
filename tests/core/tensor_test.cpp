#include <catch2/catch.hpp>

#include "distill/core/tensor.hpp"

using namespace distill;

TEMPLATE_TEST_CASE("Tensor: NCHW indexing, views and reuse of capacity", "[core][tensor]", float,
                   double) {
  Tensor<TestType> t(Shape(2, 3, 4, 5));
  CHECK(t.size() == 120);
  for (Index i = 0; i < t.size(); ++i) t[i] = TestType(i);
  CHECK(t(1, 2, 3, 4) == TestType(((1 * 3 + 2) * 4 + 3) * 5 + 4));
  TensorView<TestType> v = t.view();
  CHECK(v.sample(1) == t.data() + 60);
  auto s = v.samples(1, 1);
  CHECK(s.shape() == Shape(1, 3, 4, 5));
  CHECK(s(0, 0, 0, 0) == TestType(60));
  ConstView<TestType> c = v;  // mutable converts to const
  CHECK(c.data() == t.data());
  CHECK(v.reshaped(Shape(2, 60)).shape() == Shape(2, 60));
  CHECK_THROWS_WITH(v.reshaped(Shape(2, 61)),
                    Catch::Contains("[2, 3, 4, 5]") && Catch::Contains("[2, 61, 1, 1]"));

  const TestType* before = t.data();
  t.resize(Shape(1, 3, 4, 5));  // shrinking keeps the allocation
  CHECK(t.data() == before);
  t.resize(Shape(2, 3, 4, 5), TestType(7));
  CHECK(t.data() == before);
  CHECK(t.vec().sum() == TestType(7 * 120));
  CHECK(TensorView<TestType>().empty());
}
