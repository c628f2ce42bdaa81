#include <catch2/catch.hpp>

#include <cmath>

#include "distill/bench/method_workload.hpp"
#include "distill/methods/config/method_settings.hpp"
#include "distill/methods/config/registry.hpp"
#include "support/prebuilt.hpp"  // the shared specialisations, compiled once

using namespace distill;

TEST_CASE("MethodWorkload: a method's whole iteration on generated data", "[bench][method_workload]") {
  DistillSettings dm = preset_settings("dm", "cifar10-ipc1");
  const DistillSettings tgdd = preset_settings("tgdd", "cifar10-ipc1");
  dm.batch_real = 16;  // the workload's shape, at a test's cost
  bench::MethodWorkload<DM> a(from_settings<DM>(dm), dm, 1);
  CHECK(a.steps_per_iteration() == 1);
  const double la = a.iteration(0);
  CHECK(std::isfinite(la));
  CHECK(la > 0);
  // TGDD samples stages of the generated expert and steps once per class.
  bench::MethodWorkload<TGDD> t(from_settings<TGDD>(tgdd), tgdd, 1);
  CHECK(t.steps_per_iteration() == 10);
}
