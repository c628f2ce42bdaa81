#include <catch2/catch.hpp>

#include "distill/methods/config/registry.hpp"
#include "distill/methods/driver/run_method.hpp"
#include "distill/train/prepare_data.hpp"
#include "data/temp_dir.hpp"
#include "support/toy_data.hpp"
#include "support/prebuilt.hpp"  // the shared specialisations, compiled once

using namespace distill;

namespace {

/// One expert of 6 epochs on the quadrant problem, written to `dir`.
void write_toy_experts(const std::string& dir) {
  ExpertConfig cfg;
  cfg.experts = 1;
  cfg.epochs = 6;
  cfg.batch = 16;
  cfg.dataset = "toy";
  cfg.arch = "ConvNetD1W4";
  const DatasetSplits<float> data{test::quadrants(32, 1), test::quadrants(8, 2)};
  train_experts(cfg, data, Preprocessing<float>::none(), dir, IdentityAugment{}, [](const ExpertEpoch&) {});
}

}  // namespace

TEST_CASE("Run: the experts a method loads follow its registry row", "[methods][run]") {
  test::TempDir dir;
  write_toy_experts(dir.path());
  CHECK(experts_dataset(dir.path(), "cifar10") == "toy");
  const auto& m = builtin_methods();
  DistillSettings mtt = preset_settings("mtt", "cifar10-ipc1");  // window [0, 2), 2 epochs ahead
  const ExpertSet tm = load_experts_for(m.info("mtt"), mtt, dir.path());
  CHECK(tm.size() == 1);
  CHECK(tm.epochs() == last_expert_epoch(mtt));
  const ExpertSet tgdd = load_experts_for(m.info("tgdd"), preset_settings("tgdd", "cifar10-ipc1"), dir.path());
  CHECK(tgdd.epochs() == 6);  // every stage
  CHECK(load_experts_for(m.info("dm"), preset_settings("dm", "cifar10-ipc1"), dir.path()).size() == 0);
  CHECK_THROWS_WITH(load_experts_for(m.info("datm"), mtt, ""), Catch::Contains("method datm needs expert trajectories"));
}

TEST_CASE("Run: without experts the settings choose the preprocessing", "[methods][run]") {
  DatasetSplits<float> data{test::quadrants(32, 1), test::quadrants(8, 2)};
  CHECK(choose_preprocessing(data.train, false, "cifar10").kind == PreprocessKind::kNormalize);
  CHECK(choose_preprocessing(data.train, true, "idx").kind == PreprocessKind::kZca);
  ExpertSet none;
  DistillSettings s = preset_settings("dm", "cifar10-ipc1");
  const float before = data.test.images[0];
  prepare_run_data(data, none, s.zca, "toy");
  CHECK(none.preprocessing.kind == PreprocessKind::kNormalize);
  CHECK(none.dataset == "toy");
  CHECK(none.arch == "ConvNet");
  CHECK(data.test.images[0] != before);  // both splits are transformed
  // The net matches the data's shape and the experts' architecture; others are refused.
  none.arch = "ConvNetD2W8";
  const DistillNet net = make_distill_net(none, data.train);
  CHECK(net.num_params() == DistillNet(ConvNetConfig{3, 8, 8, 4, 8, 2}).num_params());
  none.arch = "ConvNetBN";
  CHECK_THROWS_WITH(make_distill_net(none, data.train), Catch::Contains("experts use ConvNetBN"));
}
