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

TEST_CASE("parallel_for's schedules give each thread a fixed set of items", "[core][parallel]") {
  for (Schedule schedule : {Schedule::kBlocked, Schedule::kCyclic}) {
    std::vector<int> hits(7, 0), owner(7, -1);
    const int before = max_threads();
    set_threads(2);
    parallel_for(7, [&](Index i) { hits[i] += 1, owner[i] = thread_index(); }, kParallelGrain, schedule);
    set_threads(before);
    for (int h : hits) CHECK(h == 1);
#ifdef _OPENMP
    // Blocked: {0, 1, 2, 3} and {4, 5, 6}; cyclic: the even and the odd items.
    const std::vector<int> expected = schedule == Schedule::kBlocked ? std::vector<int>{0, 0, 0, 0, 1, 1, 1}
                                                                     : std::vector<int>{0, 1, 0, 1, 0, 1, 0};
    CHECK(owner == expected);
#endif
  }
}
