#include <catch2/catch.hpp>

#include "distill/nn/param_layout.hpp"

using namespace distill;

TEST_CASE("ParamLayout: offsets follow registration order", "[nn][param_layout]") {
  ParamLayout layout;
  CHECK(layout.add("conv.weight", {4, 3, 3, 3}) == 0);
  CHECK(layout.add("conv.bias", {4}) == 108);
  CHECK(layout.size() == 112);
  CHECK(layout.at("conv.bias").offset == 108);
  CHECK(layout.at("conv.weight").size == 108);
  CHECK_THROWS_WITH(layout.at("fc.weight"), Catch::Contains("no parameter named 'fc.weight'"));
}
