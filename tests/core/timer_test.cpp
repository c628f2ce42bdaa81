#include <catch2/catch.hpp>

#include <thread>

#include "distill/core/timer.hpp"

TEST_CASE("Timer measures elapsed wall time", "[core][timer]") {
  distill::Timer t;
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const double s = t.seconds();
  CHECK(s >= 0.019);
  t.reset();
  CHECK(t.seconds() < s);
}
