#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <type_traits>

#include "distill/methods/config/registry.hpp"
#include "data/temp_dir.hpp"
#include "methods/registry_doc_example.hpp"
#include "support/toy_experts.hpp"
#include "support/prebuilt.hpp"  // the shared specialisations, compiled once

using namespace distill;

namespace {

template <class M>
std::string type_of(const DistillSettings& s) {
  return builtin_methods().visit(s, [](const auto& m) { return std::is_same<std::decay_t<decltype(m)>, M>::value; })
             ? "same"
             : "other";
}

DistillSettings named(const std::string& method) { return preset_settings(method, "cifar10-ipc1"); }

}  // namespace

TEST_CASE("Registry: the library's methods, their families and whether they need experts", "[methods][registry]") {
  const auto& m = builtin_methods();
  CHECK(m.names() == std::vector<std::string>{"mtt", "tesla", "datm", "datm-clr", "dm", "tgdd"});
  for (const char* tm : {"mtt", "tesla", "datm", "datm-clr"}) {
    CHECK(m.info(tm).family == MethodFamily::kTrajectoryMatching);
    CHECK(m.info(tm).needs_experts);
  }
  CHECK(m.info("dm").family == MethodFamily::kDistributionMatching);
  CHECK_FALSE(m.info("dm").needs_experts);
  CHECK(m.info("tgdd").needs_experts);
  CHECK_THROWS_WITH(m.info("dc"), Catch::Equals("unknown method 'dc' (known: mtt, tesla, datm, datm-clr, dm, tgdd)"));
  DistillSettings s;
  s.method = "dc";
  CHECK_THROWS_WITH(m.visit(s, [](const auto&) { return 0; }), Catch::Contains("unknown method 'dc'"));
  CHECK_THROWS_WITH(m.with(mean_matching_row()).with(mean_matching_row()),
                    Catch::Contains("'mean-matching' is registered already"));
}

TEST_CASE("Registry: visit turns the name into the policy type, multi-formation by factor", "[methods][registry]") {
  CHECK(type_of<MTT>(named("mtt")) == "same");
  CHECK(type_of<TESLA>(named("tesla")) == "same");
  CHECK(type_of<DATM>(named("datm")) == "same");
  CHECK(type_of<DATM_CLR>(named("datm-clr")) == "same");
  CHECK(type_of<DM>(named("dm")) == "same");
  CHECK(type_of<TGDD>(named("tgdd")) == "same");
  DistillSettings dm = named("dm"), tgdd = named("tgdd"), mtt = named("mtt");
  dm.factor = tgdd.factor = mtt.factor = 2;
  CHECK(type_of<DM_MF>(dm) == "same");
  CHECK(type_of<TGDD_MF>(tgdd) == "same");
  CHECK_THROWS_WITH(type_of<MTT>(mtt), Catch::Contains("field 'factor': method mtt has no multi-formation"));
  // The settings reach the policies: the built method carries them.
  DistillSettings clr = named("datm-clr");
  clr.syn_steps = 7;
  builtin_methods().visit(clr, [](const auto& m) {
    if constexpr (std::is_same<std::decay_t<decltype(m)>, DATM_CLR>::value) CHECK(m.config().syn_steps == 7);
  });
}

TEST_CASE("Registry: the fields a method reads are those its maker read and the driver's", "[methods][registry]") {
  const auto& m = builtin_methods();
  const auto dm = m.fields_read(named("dm")), clr = m.fields_read(named("datm-clr")), mtt = m.fields_read(named("mtt"));
  CHECK_FALSE(dm.count("fusion"));
  CHECK_FALSE(dm.count("syn_steps"));
  CHECK_FALSE(dm.count("lr_lr"));  // DM does not learn the step size
  CHECK(dm.count("batch_real"));
  CHECK(dm.count("factor"));
  CHECK(dm.count("iterations"));
  CHECK(clr.count("fusion"));
  CHECK(clr.count("update_weight"));
  CHECK(clr.count("expansion_end_epoch"));
  CHECK(clr.count("lr_lr"));
  CHECK_FALSE(clr.count("batch_real"));
  CHECK_FALSE(mtt.count("expansion_end_epoch"));  // a fixed window
  CHECK_FALSE(mtt.count("label_momentum"));       // hard labels
  CHECK(mtt.count("max_start_epoch"));
  CHECK(m.fields_read(named("tgdd")).count("stage_region"));
}

TEST_CASE("Registry: a method a test registers runs end to end through the Distiller", "[methods][registry]") {
  test::ToyDistillation toy;
  test::TempDir dir;
  CHECK(my_methods().info("mean-matching").family == MethodFamily::kDistributionMatching);
  SettingsRequest req;
  req.method = "mean-matching";
  req.dataset = "toy";
  req.ipc = 2;
  req.given = {parse_setting_assignment("batch_real=8"), parse_setting_assignment("lr_img=0.2"),
               {"test", {{"iterations", 12}, {"eval_every", 0}, {"final_eval_runs", 1}, {"eval_epochs", 2}}}};
  const ResolvedSettings r = resolve_settings(my_methods(), req);
  CHECK_FALSE(r.published);
  CHECK(r.origin == "no published preset 'toy-ipc2' for mean-matching: took the defaults (method "
                    "mean-matching publishes no presets)");
  CHECK(r.settings.batch_real == 8);
  // What it does not read is refused, as for the library's methods.
  req.given.push_back(parse_setting_assignment("fusion=true"));
  CHECK_THROWS_WITH(resolve_settings(my_methods(), req),
                    Catch::Equals("--set fusion: field 'fusion' is not read by method mean-matching, which would "
                                  "ignore it"));

  DistillerOptions opt;
  opt.out_dir = dir.path();
  std::vector<double> losses;
  opt.on_iteration = [&](const IterationRecord& rec) { losses.push_back(rec.loss); };
  const DistillResult result = run_method(my_methods(), r.settings, toy.net, toy.data, toy.experts, Dsa<float>::identity(), opt);
  CHECK(result.iterations == 12);
  REQUIRE(losses.size() == 12);
  CHECK(losses.back() < 0.5 * losses.front());  // the images approach their class means
  CHECK(result.set.size() == 8);
  CHECK(result.set.labels == std::vector<int>{0, 0, 1, 1, 2, 2, 3, 3});
  CHECK(result.final_evaluation.accuracies.size() == 1);
  CHECK(regular_file_exists(dir.file("synthetic.safetensors")));
}

TEST_CASE("Registry: the code of docs/methods.md is this test's toy method", "[methods][registry]") {
  auto read = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  const std::string doc = read(DISTILL_TEST_SOURCE_DIR "/docs/methods.md");
  const auto start = doc.find("```cpp\n");
  REQUIRE(start != std::string::npos);
  const auto stop = doc.find("\n```\n", start);
  REQUIRE(stop != std::string::npos);
  const std::string snippet = doc.substr(start + 7, stop + 1 - (start + 7));
  CHECK(snippet == read(DISTILL_TEST_SOURCE_DIR "/tests/methods/registry_doc_example.hpp"));
}
