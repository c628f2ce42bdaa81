#include <catch2/catch.hpp>

#include <fstream>

#include "distill/methods/config/registry.hpp"
#include "distill/methods/config/resolve_settings.hpp"
#include "data/temp_dir.hpp"
#include "support/prebuilt.hpp"  // the shared specialisations, compiled once

using namespace distill;

namespace {

SettingsRequest request(const std::string& method, std::vector<GivenSettings> given = {}) {
  SettingsRequest r;
  r.method = method;
  r.ipc = 10;
  r.given = std::move(given);
  return r;
}

}  // namespace

TEST_CASE("Settings: --set key=value is JSON, or a bare string", "[methods][resolve_settings]") {
  const GivenSettings a = parse_setting_assignment("syn_steps=20"), b = parse_setting_assignment("contrast=ntxent");
  CHECK(a.source == "--set syn_steps");
  CHECK(a.fields == nlohmann::json{{"syn_steps", 20}});
  CHECK(b.fields == nlohmann::json{{"contrast", "ntxent"}});
  CHECK_THROWS_WITH(parse_setting_assignment("=3"), Catch::Equals("--set '=3': expected key=value"));
  CHECK_THROWS_WITH(parse_setting_assignment("fusion"), Catch::Contains("expected key=value"));
}

TEST_CASE("Settings: the preset, then the given settings in order", "[methods][resolve_settings]") {
  const auto& m = builtin_methods();
  const ResolvedSettings r = resolve_settings(
      m, request("datm-clr", {parse_setting_assignment("syn_steps=20"), parse_setting_assignment("fusion=false"),
                              {"--syn-steps", {{"syn_steps", 30}}}}));
  CHECK(r.published);
  CHECK(r.origin == "preset cifar10-ipc10");
  CHECK(r.settings.syn_steps == 30);
  CHECK_FALSE(r.settings.fusion);
  CHECK(r.settings.update);
  CHECK(r.settings.method == "datm-clr");
  CHECK_THROWS_WITH(resolve_settings(m, request("dc")), Catch::Contains("unknown method 'dc'"));
  SettingsRequest bad = request("mtt", {parse_setting_assignment("syn_steps=0")});
  CHECK_THROWS_WITH(resolve_settings(m, bad), Catch::Contains("field 'syn_steps': must be positive"));
  bad.preset = "cifar10-ipc2";
  CHECK_THROWS_WITH(resolve_settings(m, bad), Catch::Contains("no preset 'cifar10-ipc2' for method mtt"));
}

TEST_CASE("Settings: a given field the method does not read is refused naming field and method",
          "[methods][resolve_settings]") {
  const auto& m = builtin_methods();
  CHECK_THROWS_WITH(resolve_settings(m, request("dm", {parse_setting_assignment("fusion=true")})),
                    Catch::Equals("--set fusion: field 'fusion' is not read by method dm, which would ignore it"));
  CHECK_THROWS_WITH(resolve_settings(m, request("dm", {{"--syn-steps", {{"syn_steps", 5}}}})),
                    Catch::Contains("--syn-steps: field 'syn_steps' is not read by method dm"));
  CHECK_THROWS_WITH(resolve_settings(m, request("mtt", {parse_setting_assignment("label_momentum=0.5")})),
                    Catch::Contains("field 'label_momentum' is not read by method mtt"));
  // The same fields are read where the method has them, and driver fields by every method.
  CHECK(resolve_settings(m, request("datm-clr", {parse_setting_assignment("fusion=true")})).settings.fusion);
  CHECK(resolve_settings(m, request("dm", {parse_setting_assignment("iterations=3")})).settings.iterations == 3);
  // A config file is named as the source.
  test::TempDir dir;
  std::ofstream(dir.file("cfg.json")) << R"({"iterations": 4, "update": true})";
  SettingsRequest file = request("tgdd", {read_settings_file(dir.file("cfg.json"))});
  CHECK_THROWS_WITH(resolve_settings(m, file),
                    Catch::Equals(dir.file("cfg.json") + ": field 'update' is not read by method tgdd, which would "
                                                         "ignore it"));
  std::ofstream(dir.file("bad.json")) << "{";
  CHECK_THROWS_WITH(read_settings_file(dir.file("bad.json")), Catch::Contains("bad.json: not valid JSON"));
}

TEST_CASE("Settings: data without a published preset take the method's defaults for the IPC",
          "[methods][resolve_settings]") {
  SettingsRequest r = request("dm");
  r.dataset = "idx";
  const ResolvedSettings idx = resolve_settings(builtin_methods(), r);
  CHECK_FALSE(idx.published);
  CHECK(idx.origin == "no published preset 'idx-ipc10' for dm: took the dm preset cifar10-ipc10 (10 per class on "
                      "CIFAR-10)");
  CHECK(idx.settings.dataset == "idx");
  CHECK(idx.settings.ipc == 10);
  CHECK(idx.settings.iterations == preset_settings("dm", "cifar10-ipc10").iterations);
  // The nearest published IPC, the smaller on a tie.
  std::string origin;
  CHECK(builtin_methods().nearest_preset_settings("mtt", "cifar10", 2, &origin).syn_steps == preset_settings("mtt", "cifar10-ipc1").syn_steps);
  CHECK(origin == "the mtt preset cifar10-ipc1 (1 per class on CIFAR-10)");
  CHECK(builtin_methods().nearest_preset_settings("mtt", "cifar10", 40, &origin).max_start_epoch == 40);
  CHECK(builtin_methods().nearest_preset_settings("datm-clr", "idx", 10).fusion);
  CHECK(builtin_methods().nearest_preset_settings("tgdd", "idx", 1).alpha == 2.5);
  CHECK(builtin_methods().nearest_preset_settings("tgdd", "idx", 1).ipc == 1);
}
