#include <catch2/catch.hpp>

#include <algorithm>

#include "distill/methods/config/method_settings.hpp"
#include "distill/methods/config/registry.hpp"

using namespace distill;

TEST_CASE("SettingsReader: records the fields read, not the ones merely present", "[methods][method_settings]") {
  DistillSettings s;
  s.syn_steps = 9;
  SettingsReader r(s);
  CHECK(r.syn_steps() == 9);
  CHECK(r.alpha() == 0);
  CHECK(r.method_name() == "mtt");
  CHECK(r.fields_read() == std::set<std::string>{"alpha", "syn_steps"});
}

TEST_CASE("from_settings: policies get their fields as constructor arguments", "[methods][method_settings]") {
  DistillSettings s = preset_settings("datm-clr", "cifar10-ipc10");
  const DATM_CLR clr = from_settings<DATM_CLR>(s);
  CHECK(clr.config().syn_steps == 80);
  CHECK(clr.config().inner.fusion);
  CHECK(clr.label_lr() == 2);
  CHECK(clr.window().max_start_epoch() == 20);
  CHECK(clr.window().upper(0) == 10);  // sequential generation starts at current_max_start_epoch
  s.expansion_end_epoch = 0;           // off: the window is fixed
  CHECK(from_settings<DifficultyAligned>(s).upper(0) == 20);
  s.update = false;
  CHECK(from_settings<ContrastiveUpdate>(s).weight() == 0);
  s.update = true;
  s.update_weight = 0.3;
  CHECK(from_settings<ContrastiveUpdate>(s).weight() == 0.3);
  DistillSettings tgdd = preset_settings("tgdd", "cifar10-ipc50");
  CHECK(from_settings<TGDD>(tgdd).config().batch_real == 128);
  CHECK(from_settings<StageCrossEntropy>(tgdd).weight() == 0.5);
  CHECK(from_settings<TrajectoryStage>(tgdd).region() == 7);
  tgdd.factor = 3;
  CHECK(from_settings<TGDD_MF>(tgdd).formation().factor() == 3);
}

TEST_CASE("from_settings: settings a policy cannot honour are named", "[methods][method_settings]") {
  DistillSettings mtt = preset_settings("mtt", "cifar10-ipc1");
  mtt.lr_label = 1;
  CHECK_THROWS_WITH(from_settings<MTT>(mtt), Catch::Contains("field 'lr_label': method mtt uses fixed hard labels"));
  mtt.lr_label = 0;
  mtt.update = true;
  CHECK_THROWS_WITH(from_settings<MTT>(mtt), Catch::Contains("field 'update': method mtt has no Contrastive Update"));
  DistillSettings datm = preset_settings("datm", "cifar10-ipc1");
  datm.lr_label = 0;
  CHECK_THROWS_WITH(from_settings<DATM>(datm), Catch::Contains("field 'lr_label': method datm learns its labels"));
  DistillSettings dm = preset_settings("dm", "cifar10-ipc1");
  dm.alpha = 1;
  CHECK_THROWS_WITH(from_settings<DM>(dm), Catch::Contains("field 'alpha': method dm has no distribution constraint"));
  dm.alpha = 0;
  dm.init = "correct";
  CHECK_THROWS_WITH(from_settings<DM>(dm), Catch::Contains("field 'init': dm starts from real or noise images"));
}

TEST_CASE("driver_fields: the step size's optimiser only where it is learned", "[methods][method_settings]") {
  const auto tm = driver_fields<MTT>(), dm = driver_fields<DM>();
  CHECK(std::count(tm.begin(), tm.end(), "lr_lr") == 1);
  CHECK(std::count(dm.begin(), dm.end(), "lr_lr") == 0);
  CHECK(std::count(dm.begin(), dm.end(), "iterations") == 1);
}
