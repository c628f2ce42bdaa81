#include <catch2/catch.hpp>

#include "distill/methods/config/registry.hpp"

using namespace distill;

TEST_CASE("Presets: every published setting parses and validates", "[methods][presets]") {
  const auto names = builtin_methods().preset_names();
  CHECK(names.size() >= 3 * 6);  // CIFAR-10 IPC 1, 10, 50 for each of the six methods
  for (const auto& [method, name] : names) {
    INFO(method << " " << name);
    DistillSettings s;
    REQUIRE_NOTHROW(s = preset_settings(method, name));
    CHECK(s.method == method);
    CHECK(name == s.dataset + "-ipc" + std::to_string(s.ipc));
    CHECK_NOTHROW(validate(s, name));
    // The JSON form round-trips.
    DistillSettings back;
    apply_settings(back, to_json(s), "round trip");
    CHECK(to_json(back) == to_json(s));
  }
  for (const char* m : {"mtt", "tesla", "datm", "datm-clr", "dm", "tgdd"})
    for (const char* n : {"cifar10-ipc1", "cifar10-ipc10", "cifar10-ipc50"}) CHECK_NOTHROW(preset_settings(m, n));
}

TEST_CASE("Presets: the published numbers", "[methods][presets]") {
  const DistillSettings mtt = preset_settings("mtt", "cifar10-ipc1");
  CHECK(mtt.syn_steps == 50);
  CHECK(mtt.expert_epochs == 2);
  CHECK(mtt.max_start_epoch == 2);
  CHECK(mtt.lr_lr == 1e-7);
  CHECK(mtt.lr_label == 0);
  const DistillSettings datm = preset_settings("datm", "cifar10-ipc10");
  CHECK(datm.syn_steps == 80);
  CHECK(datm.current_max_start_epoch == 10);
  CHECK(datm.max_start_epoch == 20);
  CHECK(datm.expansion_end_epoch == 1000);
  CHECK(datm.lr_label == 2);
  CHECK(datm.threshold == 1.0);
  CHECK(datm.init == "correct");
  CHECK_FALSE(datm.fusion);
  const DistillSettings clr = preset_settings("datm-clr", "cifar10-ipc1");
  CHECK(clr.fusion);
  CHECK(clr.update);
  CHECK(clr.threshold == 1.1);
  CHECK(clr.contrast == "supcon");
  CHECK(preset_settings("mtt", "cifar10-ipc50").zca == false);
  // TGDD augments with IDC's color_crop_cutout, every op on every call; the others use DSA "S".
  const DistillSettings tgdd = preset_settings("tgdd", "cifar10-ipc10");
  const DsaConfig a = dsa_config(tgdd);
  CHECK(a.ops == std::vector<DsaOp>{DsaOp::kColor, DsaOp::kCrop, DsaOp::kCutout});
  CHECK(a.mode == DsaMode::kAll);
  CHECK(dsa_config(mtt).ops.size() == 6);
  CHECK(dsa_config(mtt).mode == DsaMode::kSingle);
}

TEST_CASE("Settings: unknown fields, wrong types and bad values are named", "[methods][presets]") {
  DistillSettings s;
  CHECK_THROWS_WITH(apply_settings(s, nlohmann::json{{"syn_step", 3}}, "my.json"),
                    Catch::Equals("my.json: unknown field 'syn_step'"));
  CHECK_THROWS_WITH(apply_settings(s, nlohmann::json{{"syn_steps", "ten"}}, "my.json"),
                    Catch::Contains("my.json: field 'syn_steps': expected an integer"));
  CHECK_THROWS_WITH(apply_settings(s, nlohmann::json{{"fusion", 1}}, "x"),
                    Catch::Contains("field 'fusion': expected true or false"));
  CHECK_THROWS_WITH(apply_settings(s, nlohmann::json{{"seed", -1}}, "x"),
                    Catch::Contains("field 'seed': expected a non-negative integer"));
  apply_settings(s, nlohmann::json{{"syn_steps", 0}}, "x");
  CHECK_THROWS_WITH(validate(s, "x"), Catch::Contains("field 'syn_steps': must be positive"));
  s = DistillSettings{};
  s.contrast = "triplet";
  CHECK_THROWS_WITH(validate(s, "x"), Catch::Contains("field 'contrast'"));
  s = DistillSettings{};
  s.current_max_start_epoch = 30;
  s.max_start_epoch = 20;
  s.expansion_end_epoch = 100;
  CHECK_THROWS_WITH(validate(s, "x"), Catch::Contains("field 'current_max_start_epoch'"));
  s = DistillSettings{};
  s.augment = "color_blur";
  CHECK_THROWS_WITH(validate(s, "x"), Catch::Contains("field 'augment'") && Catch::Contains("unknown op 'blur'"));
  s.augment = "none";
  validate(s, "x");
  CHECK(dsa_config(s).ops.empty());
  s.augment_mode = "all";
  CHECK_THROWS_WITH(validate(s, "x"), Catch::Contains("field 'augment_mode': 'all' is not S or M"));
  CHECK_THROWS_WITH(preset_settings("mtt", "cifar10-ipc2"), Catch::Contains("no preset 'cifar10-ipc2' for method mtt"));
  CHECK_THROWS_WITH(preset_settings("foo", "cifar10-ipc1"), Catch::Contains("unknown method"));
}
