#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "data/temp_dir.hpp"
#include "distill/data/safetensors.hpp"
#include "distill/methods/config/method_settings.hpp"
#include "distill/methods/config/registry.hpp"
#include "distill/methods/driver/distiller.hpp"
#include "distill/methods/trajectory_matching/trajectory_matching.hpp"
#include "distill/report/report.hpp"
#include "support/toy_experts.hpp"
#include "support/text.hpp"
#include "support/prebuilt.hpp"  // the shared specialisations, compiled once

using namespace distill;

namespace {

std::string read_text(const std::string& path) {
  const std::vector<std::uint8_t> b = read_file_bytes(path);
  return std::string(b.begin(), b.end());
}

/// The part of `html` from the chart `id`'s svg to its end.
std::string chart(const std::string& html, const std::string& id) {
  const auto begin = html.find("data-chart=\"" + id + "\"");
  if (begin == std::string::npos) return "";
  return html.substr(begin, html.find("</svg>", begin) - begin);
}

/// DATM on the toy problem: 4 iterations with a checkpoint every 2, a periodic evaluation at 2.
DistillSettings tiny_datm() {
  DistillSettings s = preset_settings("datm", "cifar10-ipc1");
  apply_settings(s, nlohmann::json::parse(R"({"ipc": 2, "iterations": 4, "syn_steps": 2, "batch_syn": 0,
      "min_start_epoch": 0, "current_max_start_epoch": 1, "max_start_epoch": 2, "expansion_end_epoch": 3,
      "lr_lr": 1e-4, "threshold": 0, "eval_every": 2, "eval_runs": 2, "eval_epochs": 2, "final_eval_runs": 2,
      "checkpoint_every": 2})"),
                 "tiny_datm");
  return s;
}

}  // namespace

TEST_CASE("report: a run's report.html is written at every checkpoint and at the end, from its files",
          "[report][distiller]") {
  test::ToyDistillation t;
  t.data.train.class_names = {"north <west>", "north-east", "south-west", "south-east"};
  const DistillSettings s = tiny_datm();
  test::TempDir dir;
  DistillerOptions opt;
  opt.out_dir = dir.path();
  opt.on_files_written = report::refresh;
  const std::string page = report::report_path(dir.path());
  std::vector<std::string> seen;  // the page as each iteration ends
  opt.on_iteration = [&](const IterationRecord&) { seen.push_back(read_text(page)); };
  const DistillResult r = Distiller<DATM, test::ToyNet>(from_settings<DATM>(s), s, t.net, t.data, t.experts, t.dsa,
                                                        opt).run();
  // Written at the start and at every checkpoint (iterations 2 and 4), then at the end.
  REQUIRE(seen.size() == 4);
  CHECK(seen[0].find("iteration 0 of 4, last checkpoint at iteration 0") != std::string::npos);
  CHECK(seen[1].find("iteration 2 of 4, last checkpoint at iteration 2") != std::string::npos);
  CHECK(seen[2] == seen[1]);
  CHECK(seen[3].find("iteration 4 of 4, last checkpoint at iteration 4") != std::string::npos);
  const std::string html = read_text(page);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.size() > 1000);
  CHECK(html.find("</html>") != std::string::npos);
  CHECK(html.find("finished: 4 iterations, final accuracy") != std::string::npos);
  // The images: one embedded PNG per synthetic image, rows named by the data's classes.
  CHECK(test::occurrences(html, "<img class=\"cell\" src=\"data:image/png;base64,iVBORw0KGgo") == std::size_t(r.set.size()));
  CHECK(html.find("north &lt;west&gt;") != std::string::npos);
  // The curves: a line through every iteration; accuracy markers for 1 periodic + 1 final evaluation.
  CHECK(test::occurrences(chart(html, "loss"), "<polyline") == 1);
  CHECK(test::occurrences(chart(html, "lr"), "<polyline") == 1);
  CHECK(test::occurrences(chart(html, "seconds"), "<polyline") == 1);
  CHECK(test::occurrences(chart(html, "accuracy"), "<circle") == 2);
  // The evaluation table, settings and budget.
  char final_line[128];
  std::snprintf(final_line, sizeof final_line, "<b>%.2f ± %.2f</b>", 100 * r.final_evaluation.mean,
                100 * r.final_evaluation.std);
  CHECK(html.find(final_line) != std::string::npos);
  CHECK(html.find("final evaluation of the run, iteration 4") != std::string::npos);
  CHECK(html.find("<code>syn_steps</code>") != std::string::npos);
  CHECK(html.find("4 of 4") != std::string::npos);
  // Written atomically: no temporary file is left beside it.
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    CHECK(e.path().filename().string().find(".tmp") == std::string::npos);

  // `distill evaluate` records evaluations beside the run; the page shows them, re-rendered from the files.
  std::ofstream(dir.file("evaluations.jsonl"))
      << report::evaluation_record("synthetic.safetensors", "ConvNetBN", 300, {0.25, 0.35}, 0.3, 0.05, 4).dump() << "\n";
  report::write_report(dir.path());
  const std::string again = read_text(page);
  CHECK(again.find("<td>ConvNetBN</td><td><b>30.00 ± 5.00</b></td><td>25.00 35.00</td>") != std::string::npos);
}

TEST_CASE("report: an experts directory gets the per-epoch accuracy of every expert", "[report]") {
  DatasetSplits<float> data{test::quadrants(64, 1), test::quadrants(32, 2)};
  test::TempDir dir;
  ExpertConfig cfg;
  cfg.experts = 2, cfg.epochs = 3, cfg.batch = 32, cfg.lr = 0.05;
  cfg.arch = "ConvNetD2W8", cfg.dataset = "quadrants";
  train_experts(cfg, data, Preprocessing<float>::none(), dir.path(), IdentityAugment{});
  const report::ExpertsDirectory d = report::read_experts_directory(dir.path());
  REQUIRE(d.experts.size() == 2);
  CHECK(d.epochs_done() == 3);
  CHECK(d.field("arch") == "ConvNetD2W8");
  CHECK_FALSE(d.has_metrics);
  // The header-only read agrees with the whole file's.
  CHECK(d.experts[1].test_accuracy == load_expert(expert_path(dir.path(), 1)).test_accuracy);
  report::write_report(dir.path());
  const std::string html = read_text(report::report_path(dir.path()));
  CHECK(test::occurrences(chart(html, "expert-test-accuracy"), "<polyline") == 2);
  CHECK(test::occurrences(chart(html, "expert-train-accuracy"), "<polyline") == 2);
  CHECK(chart(html, "expert-loss").empty());  // no metrics.jsonl: no loss curve to draw
  CHECK(html.find("2 experts, 3 of 3 epochs done") != std::string::npos);
}

TEST_CASE("report: a comparison page overlays the runs and names them uniquely; bad directories are errors",
          "[report]") {
  test::ToyDistillation t;
  DistillSettings s = tiny_datm();
  s.eval_every = 0;
  s.final_eval_runs = 1;
  test::TempDir root;
  const std::string a = root.file("ipc2/run"), b = root.file("other/run");
  for (const std::string& d : {a, b}) {
    create_directories(d);
    DistillerOptions opt;
    opt.out_dir = d;  // no on_files_written: the driver writes no page
    Distiller<DATM, test::ToyNet>(from_settings<DATM>(s), s, t.net, t.data, t.experts, t.dsa, opt).run();
    CHECK_FALSE(regular_file_exists(report::report_path(d)));
  }
  const std::string out = root.file("pages/compare.html");
  report::write_comparison_report({a, b}, out);
  const std::string html = read_text(out);
  CHECK(html.find("Comparison of 2 runs") != std::string::npos);
  CHECK(html.find("ipc2/run") != std::string::npos);
  CHECK(html.find("other/run") != std::string::npos);
  CHECK(test::occurrences(chart(html, "loss"), "<polyline") == 2);
  CHECK(test::occurrences(chart(html, "accuracy"), "<circle") == 2);  // each run's final evaluation
  CHECK(test::occurrences(html, "data-grid=\"synthetic-") == 2);

  CHECK_THROWS_WITH(report::write_comparison_report({a, root.file("pages")}, out),
                    Catch::Contains("pages: not a run directory"));
  CHECK_THROWS_WITH(report::write_report(root.file("pages")), Catch::Contains("neither a run directory"));
  CHECK_THROWS_WITH(report::write_comparison_report({}, out), Catch::Contains("no run directories"));
  // A corrupt metrics file names itself; the last good page stays as it was.
  std::ofstream(a + "/metrics.jsonl", std::ios::app) << "{broken\n" << "{}\n";
  const std::string before = read_text(out);
  CHECK_THROWS_WITH(report::write_comparison_report({a, b}, out), Catch::Contains("run/metrics.jsonl line"));
  CHECK(read_text(out) == before);
}

TEST_CASE("report: a multi-formation set shows its stored and its decoded images", "[report]") {
  SyntheticSet set;
  set.classes = 2;
  set.images.resize(Shape(4, 3, 8, 8));
  for (Index i = 0; i < set.images.size(); ++i) set.images[i] = float(i % 11) / 10.0f;
  set.labels = {0, 0, 1, 1};
  set.info["formation_factor"] = "2";
  set.info["class_names"] = R"(["cat", "dog"])";
  const std::string html = report::set_grids(set, "synthetic");
  CHECK(html.find("multi-formation factor 2") != std::string::npos);
  const auto stored = html.find("data-grid=\"synthetic\""), decoded = html.find("data-grid=\"synthetic-decoded\"");
  REQUIRE(stored != std::string::npos);
  REQUIRE(decoded != std::string::npos);
  CHECK(test::occurrences(html.substr(stored, decoded - stored), "<img class=\"cell\"") == 4);
  CHECK(test::occurrences(html.substr(decoded), "<img class=\"cell\"") == 16);  // f² decoded images per stored one
  CHECK(test::occurrences(html, ">dog</div>") == 2);
  // Without the factor: one grid; names that do not fit the classes fall back to numbers.
  set.info.erase("formation_factor");
  set.info["class_names"] = R"(["only one"])";
  const std::string plain = report::set_grids(set, "synthetic");
  CHECK(test::occurrences(plain, "data-grid=") == 1);
  CHECK(plain.find(">class 1</div>") != std::string::npos);
}
