#include <catch2/catch.hpp>

#include <cmath>

#include "distill/bench/tm_workload.hpp"
#include "support/prebuilt.hpp"  // the shared specialisations, compiled once

using namespace distill;

TEST_CASE("TmWorkload: a deterministic unrolled iteration on generated data", "[bench][tm_workload]") {
  bench::TmWorkload a(1, 2, 10), b(1, 2, 10);
  CHECK(a.images_count() == 10);
  CHECK(a.labels == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  const float la = a.iteration(3), lb = b.iteration(3);
  CHECK(la == lb);  // the figures of two programs timing it describe the same computation
  CHECK(std::isfinite(la));
  CHECK(la > 0);
  CHECK(a.grads.images.shape() == a.images.shape());
  CHECK(a.grads.images.vec().norm() > 0);
  CHECK(a.grads.lr == b.grads.lr);
}
