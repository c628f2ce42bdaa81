#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "distill/data/sampling.hpp"
#include "support/toy_data.hpp"

using namespace distill;
using test::quadrants;

TEST_CASE("random_permutation is a reproducible permutation", "[data][sampling]") {
  auto p = random_permutation(100, 3, 1);
  CHECK(p == random_permutation(100, 3, 1));
  CHECK(p != random_permutation(100, 3, 2));
  std::sort(p.begin(), p.end());
  for (Index i = 0; i < 100; ++i) CHECK(p[i] == i);
}

TEST_CASE("random_per_class picks distinct samples of each class", "[data][sampling]") {
  const auto d = quadrants(40, 1);
  const auto idx = random_per_class(d, 3, 7);
  REQUIRE(idx.size() == 12);
  std::set<Index> distinct(idx.begin(), idx.end());
  CHECK(distinct.size() == 12);
  for (Index j = 0; j < 12; ++j) CHECK(d.labels[idx[j]] == int(j / 3));
  CHECK(idx == random_per_class(d, 3, 7));
  CHECK(idx != random_per_class(d, 3, 7, 1));
  CHECK_THROWS_WITH(random_per_class(d, 11, 7), Catch::Contains("fewer than the 11 requested"));
}
