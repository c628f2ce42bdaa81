#include <catch2/catch.hpp>

#include <set>

#include "distill/methods/config/method_settings.hpp"
#include "distill/methods/trajectory_matching/windows.hpp"

using namespace distill;

TEST_CASE("FixedWindow: start epochs cover {min, ..., max - 1} and nothing else", "[methods][windows]") {
  const FixedWindow w(4, 1);
  Rng rng(7);
  std::set<Index> seen;
  for (Index it = 0; it < 400; ++it) seen.insert(w.sample(it, rng));
  CHECK(seen == std::set<Index>{1, 2, 3});
  CHECK(w.upper(0) == 4);
  CHECK(w.upper(100000) == 4);
  CHECK_THROWS_WITH(FixedWindow(2, 2), Catch::Contains("min_start_epoch < max_start_epoch"));
}

TEST_CASE("DifficultyAligned: the upper bound grows linearly from the current to the maximum",
          "[methods][windows]") {
  // DATM C10 IPC 10: 10 -> 20 over 1000 iterations.
  const DifficultyAligned w(0, 10, 20, 1000);
  CHECK(w.upper(0) == 10);
  CHECK(w.upper(99) == 10);   // floor(10 * 99 / 1000) = 0
  CHECK(w.upper(100) == 11);
  CHECK(w.upper(550) == 15);
  CHECK(w.upper(1000) == 20);
  CHECK(w.upper(5000) == 20);  // never past the maximum
  Rng rng(3);
  Index lo = 100, hi = -1;
  for (Index i = 0; i < 500; ++i) {
    const Index s = w.sample(0, rng);
    lo = std::min(lo, s);
    hi = std::max(hi, s);
  }
  CHECK(lo == 0);
  CHECK(hi == 9);  // exclusive upper bound at iteration 0
  for (Index i = 0; i < 500; ++i) CHECK(w.sample(3000, rng) < 20);
  CHECK_THROWS_WITH(DifficultyAligned(0, 30, 20, 1000), Catch::Contains("current_max_start_epoch <= max_start_epoch"));
}

TEST_CASE("Windows from settings: DATM without Sequential Generation is a fixed window", "[methods][windows]") {
  DistillSettings s;
  s.min_start_epoch = 0;
  s.max_start_epoch = 4;
  s.expansion_end_epoch = 0;
  const auto fixed = from_settings<DifficultyAligned>(s);
  CHECK(fixed.upper(0) == 4);
  CHECK(fixed.upper(10000) == 4);
  s.current_max_start_epoch = 2;
  s.expansion_end_epoch = 10;
  const auto growing = from_settings<DifficultyAligned>(s);
  CHECK(growing.upper(0) == 2);
  CHECK(growing.upper(10) == 4);
  CHECK(from_settings<FixedWindow>(s).upper(0) == 4);
}
