#include <catch2/catch.hpp>

#include "distill/data/subset.hpp"
#include "support/toy_data.hpp"

using namespace distill;

TEST_CASE("keep_first: the first samples, or all", "[data][subset]") {
  Dataset<float> d = test::quadrants(12, 1);
  const float last_kept = d.images(4, 0, 7, 7);
  keep_first(d, 0);
  CHECK(d.size() == 12);
  keep_first(d, 20);
  CHECK(d.size() == 12);
  keep_first(d, 5);
  CHECK(d.size() == 5);
  CHECK(d.labels.size() == 5);
  CHECK(d.images(4, 0, 7, 7) == last_kept);
}

TEST_CASE("random_real_subset: per class, class-major, a fresh draw per stream", "[data][subset]") {
  const Dataset<float> d = test::quadrants(40, 1);
  const Dataset<float> a = random_real_subset(d, 3, 7, 0), b = random_real_subset(d, 3, 7, 0),
                       c = random_real_subset(d, 3, 7, 1);
  CHECK(a.size() == 12);
  CHECK(a.classes == 4);
  CHECK(a.labels == std::vector<int>{0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3});
  CHECK(a.images.vec() == b.images.vec());
  CHECK(a.images.vec() != c.images.vec());
  CHECK_THROWS_WITH(random_real_subset(d, 0, 7, 0), Catch::Contains("must be positive, got 0"));
  CHECK_THROWS_WITH(random_real_subset(d, 11, 7, 0), Catch::Contains("fewer than the 11 requested"));
}
