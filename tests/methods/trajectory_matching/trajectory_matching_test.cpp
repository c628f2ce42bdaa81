#include <catch2/catch.hpp>

#include "distill/methods/config/method_settings.hpp"
#include "distill/methods/driver/distiller.hpp"
#include "distill/methods/trajectory_matching/trajectory_matching.hpp"
#include "data/temp_dir.hpp"
#include "support/toy_data.hpp"
#include "support/toy_experts.hpp"
#include "support/prebuilt.hpp"  // the shared specialisations, compiled once

using namespace distill;

namespace {

using Net = test::ToyNet;

/// One image per class; the experts take full-batch SGD steps on exactly these images, so the
/// set that generated the trajectories (and the experts' step size) matches it with loss 0.
struct KnownAnswer {
  Net net{ConvNetConfig{3, 8, 8, 4}};
  DatasetSplits<float> data{test::quadrants(4, 1), test::quadrants(40, 2)};
  ExpertSet experts = test::toy_experts(net, data.train, 2, 4, 0.1, 4);
};

DistillSettings known_answer_settings() {
  DistillSettings s;
  s.method = "mtt";
  s.ipc = 1;
  s.syn_steps = 1;
  s.expert_epochs = 1;
  s.max_start_epoch = 3;
  s.lr_teacher = 0.1;
  s.lr_lr = 0;
  s.eval_every = 0;
  s.final_eval_runs = 0;
  s.checkpoint_every = 50;
  return s;
}

}  // namespace

TEST_CASE("TrajectoryMatching: the generating set has matching loss 0", "[methods][trajectory_matching]") {
  KnownAnswer k;
  DistillSettings s = known_answer_settings();
  const MTT method = from_settings<MTT>(s);
  const Dsa<float> none = Dsa<float>::identity();
  MTT::State<Net> state(method, k.net, k.experts, k.data.train, none);
  SyntheticSet syn;
  syn.lr = 0.1;
  state.initialize(syn, 1, 0);  // real init: the only image of each class, i.e. the expert's data
  SyntheticGradients<float> g;
  for (Index it = 0; it < 5; ++it) {
    const StepReport r = state.iterate(it, 0, 0, syn, g);
    CHECK(r.loss < 1e-8);
    CHECK(g.images.vec().cwiseAbs().maxCoeff() < 1e-4);
    CHECK(r.info.at("start_epoch").get<Index>() < 3);
  }
}

TEST_CASE("TrajectoryMatching: MTT from noise drives the matching loss towards 0",
          "[methods][trajectory_matching]") {
  KnownAnswer k;
  test::TempDir dir;
  DistillSettings s = known_answer_settings();
  s.init = "noise";
  s.iterations = 300;
  s.lr_img = 1000;
  std::vector<double> losses;
  DistillerOptions opt;
  opt.out_dir = dir.path();
  opt.on_iteration = [&](const IterationRecord& r) { losses.push_back(r.loss); };
  Distiller<MTT, Net> d(from_settings<MTT>(s), s, k.net, k.data, k.experts, Dsa<float>::identity(), opt);
  d.run();
  REQUIRE(losses.size() == 300);
  double first = 0, last = 0;
  for (Index i = 0; i < 10; ++i) first += losses[i] / 10, last += losses[290 + i] / 10;
  INFO("mean loss of the first 10 iterations " << first << ", of the last 10 " << last);
  CHECK(last < 0.1 * first);
}
