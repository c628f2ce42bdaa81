#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "distill/core/error.hpp"
#include "distill/core/parallel.hpp"

using namespace distill;

TEST_CASE("parallel_for visits every index once", "[core][parallel]") {
  std::vector<int> hits(1000, 0);
  parallel_for(1000, [&](Index i) { hits[i] += 1; });
  for (int h : hits) CHECK(h == 1);
  parallel_for(0, [&](Index) { FAIL("called for an empty range"); });
}

TEST_CASE("parallel_for rethrows the first exception on the caller", "[core][parallel]") {
  CHECK_THROWS_AS(parallel_for(100,
                               [](Index i) {
                                 if (i == 37) DISTILL_CHECK(false, "item " << i);
                               }),
                  distill::error);
}

TEST_CASE("PerThread gives each thread its own object", "[core][parallel]") {
  PerThread<long> sums;
  for (auto& s : sums.all()) s = 0;
  parallel_for(1000, [&](Index i) { sums.local() += i; });
  long total = 0;
  for (long s : sums.all()) total += s;
  CHECK(total == 999L * 1000L / 2);
}
