#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "data/temp_dir.hpp"
#include "methods/config/scaled_mean_matching.hpp"
#include "support/prebuilt.hpp"  // the shared specialisations, compiled once
#include "support/toy_experts.hpp"

using namespace distill;

namespace {

// ScaledMeanMatching's registry row: its field `scale` and its one preset are declared here, so
// adding the method with its hyper-parameter touches its header and this row, nothing else.
auto scaled_mean_matching_row() {
  return method_row<ScaledMeanMatching>("scaled-mean-matching", MethodFamily::kDistributionMatching,
                                        /*needs_experts=*/false,
                                        [](SettingsReader& r) { return ScaledMeanMatching(r.field<double>("scale")); })
      .declaring({method_field<double>("scale", 1.0, "the multiple of its class mean an image moves to",
                                       [](const double& v) { return v > 0 ? std::string() : "must be positive"; })})
      .with_presets({{"toy-ipc2", "this test",
                      R"({"scale":0.5,"iterations":40,"lr_img":0.5,"eval_every":0,"final_eval_runs":0})"}});
}

const auto& scaled_methods() {
  static const auto methods = builtin_methods().with(scaled_mean_matching_row());
  return methods;
}

ResolvedSettings resolve(std::vector<GivenSettings> given, const std::string& method = "scaled-mean-matching") {
  SettingsRequest req;
  req.method = method;
  req.dataset = "toy";
  req.ipc = 2;
  req.given = std::move(given);
  return resolve_settings(scaled_methods(), req);
}

}  // namespace

TEST_CASE("Declared fields: a method's own field takes presets, --set, checks and JSON like the library's",
          "[methods][registry][settings]") {
  const ResolvedSettings preset = resolve({});
  CHECK(preset.published);
  CHECK(preset.settings.extra.at("scale") == 0.5);
  CHECK(preset.settings.iterations == 40);
  CHECK(to_json(preset.settings).at("scale") == 0.5);
  CHECK(scaled_methods().defaults("scaled-mean-matching").extra.at("scale") == 1.0);
  CHECK(scaled_methods().fields_read(preset.settings).count("scale"));

  const ResolvedSettings set = resolve({parse_setting_assignment("scale=0.25")});
  CHECK(set.settings.extra.at("scale") == 0.25);
  scaled_methods().visit(set.settings, [](const auto& m) {
    if constexpr (std::is_same<std::decay_t<decltype(m)>, ScaledMeanMatching>::value) CHECK(m.scale() == 0.25);
  });
  CHECK_THROWS_WITH(resolve({parse_setting_assignment("scale=-1")}),
                    Catch::Equals("settings: field 'scale': must be positive"));
  CHECK_THROWS_WITH(resolve({parse_setting_assignment("scale=big")}),
                    Catch::Contains("--set scale: field 'scale': expected a number"));
  // The field is the method's: another method does not have it.
  CHECK_THROWS_WITH(resolve({parse_setting_assignment("scale=1")}, "dm"), Catch::Contains("unknown field 'scale'"));
  // A declared name may not shadow a library field or another declared one.
  CHECK_THROWS_WITH(scaled_mean_matching_row().declaring({method_field<Index>("ipc", 1, "")}),
                    Catch::Contains("field 'ipc' exists already"));
  CHECK_THROWS_WITH(scaled_mean_matching_row().declaring({method_field<double>("scale", 2.0, "")}),
                    Catch::Contains("field 'scale' exists already"));
  // The library's lists follow from the table: the field is not the driver's, and a resume may
  // not change it.
  const auto driver = driver_fields<ScaledMeanMatching>();
  CHECK(std::find(driver.begin(), driver.end(), "scale") == driver.end());
  CHECK(std::find(driver.begin(), driver.end(), "lr_img") != driver.end());
  CHECK(std::find(driver.begin(), driver.end(), "lr_lr") == driver.end());
  DistillSettings other = set.settings;
  other.extra["scale"] = 0.75;
  CHECK_THROWS_WITH(check_resumable(set.settings, other, "c"),
                    Catch::Equals("c: cannot resume: it was started with scale = 0.25, this run has 0.75"));
  other = set.settings;
  other.iterations = 40;
  CHECK_NOTHROW(check_resumable(set.settings, other, "c"));
}

TEST_CASE("Declared fields: the method runs with its field, and a checkpoint keeps it", "[methods][registry][settings]") {
  test::ToyDistillation toy;
  test::TempDir dir;
  ResolvedSettings r = resolve({parse_setting_assignment("scale=0.25"), parse_setting_assignment("checkpoint_every=5")});
  DistillerOptions opt;
  opt.out_dir = dir.path();
  const DistillResult result = run_method(scaled_methods(), r.settings, toy.net, toy.data, toy.experts, toy.dsa, opt);
  REQUIRE(result.iterations == 40);
  // The images reach a quarter of their class means.
  const Dataset<float>& train = toy.data.train;
  const Index d = train.images.shape().sample_size();
  for (Index j = 0; j < result.set.size(); ++j) {
    const int c = result.set.labels[j];
    for (Index k = 0; k < d; k += 17) {
      double mean = 0, n = 0;
      for (Index i = 0; i < train.size(); ++i)
        if (train.labels[i] == c) mean += train.images.data()[i * d + k], ++n;
      CHECK(std::abs(result.set.images.data()[j * d + k] - 0.25 * mean / n) < 1e-3);
    }
  }
  const Checkpoint c = load_checkpoint(dir.file("checkpoint.safetensors"), r.settings.declared);
  CHECK(c.settings.extra.at("scale") == 0.25);
  CHECK_THROWS_WITH(load_checkpoint(dir.file("checkpoint.safetensors")), Catch::Contains("unknown field 'scale'"));
  // Resuming with another scale is refused, naming the field; with the same, it continues.
  r.settings.extra["scale"] = 0.5;
  r.settings.iterations = 45;
  opt.resume = true;
  CHECK_THROWS_WITH(run_method(scaled_methods(), r.settings, toy.net, toy.data, toy.experts, toy.dsa, opt),
                    Catch::Contains("cannot resume: it was started with scale = 0.25, this run has 0.5"));
  r.settings.extra["scale"] = 0.25;
  CHECK(run_method(scaled_methods(), r.settings, toy.net, toy.data, toy.experts, toy.dsa, opt).iterations == 45);
}
