#include <catch2/catch.hpp>

#include <set>

#include "distill/methods/distribution_matching/stage_samplers.hpp"
#include "distill/nn/conv_net.hpp"

using namespace distill;

TEST_CASE("TrajectoryStage: s in {0..M} inclusive, t in {s..min(s+L-1, M)}, never past M",
          "[methods][stage_samplers]") {
  const TrajectoryStage sampler(7);
  const Index M = 10, experts = 3;
  Rng rng(1);
  std::set<Index> stages, experts_seen;
  bool t_equals_s = false, t_at_region_end = false, t_at_m = false;
  for (int i = 0; i < 20000; ++i) {
    const auto d = sampler.draw(rng, experts, M);
    experts_seen.insert(d.expert);
    stages.insert(d.stage);
    REQUIRE(d.stage >= 0);
    REQUIRE(d.stage <= M);
    REQUIRE(d.later >= d.stage);
    REQUIRE(d.later <= std::min(d.stage + 6, M));
    t_equals_s |= d.later == d.stage;
    t_at_region_end |= d.stage == 2 && d.later == 8;
    t_at_m |= d.stage == M && d.later == M;
  }
  CHECK(stages.size() == std::size_t(M + 1));  // both 0 (the untrained network) and M occur
  CHECK(experts_seen.size() == 3);
  CHECK(t_equals_s);
  CHECK(t_at_region_end);
  CHECK(t_at_m);
  // A region of 1 makes t = s.
  const TrajectoryStage one(1);
  for (int i = 0; i < 100; ++i) {
    const auto d = one.draw(rng, 1, 4);
    CHECK(d.later == d.stage);
  }
  CHECK_THROWS_WITH(TrajectoryStage(0), Catch::Contains("must be positive"));
}

TEST_CASE("RandomInit: a fresh network per draw, reproducible from the seed", "[methods][stage_samplers]") {
  ConvNet<float, 1, 4, norm::Instance, pool::Avg> net(ConvNetConfig{3, 8, 8, 4});
  ExpertSet none;
  RandomInit a, b;
  Rng r1(3, 0), r2(3, 0);
  const Stage s1 = a.sample(0, r1, net, none);
  const Stage s2 = b.sample(0, r2, net, none);
  CHECK(*s1.extractor == *s2.extractor);
  CHECK(s1.expert == s1.extractor);
  const Vector<float> first = *s1.extractor;
  CHECK(*a.sample(1, r1, net, none).extractor != first);
}
