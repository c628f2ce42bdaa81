#ifndef DISTILL_REPORT_EXPERTS_REPORT_HPP
#define DISTILL_REPORT_EXPERTS_REPORT_HPP

// The report of a directory of expert trajectories (train_experts): what was trained, how
// long, and each expert's per-epoch train and test accuracy, loss and seconds.

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "distill/data/safetensors.hpp"
#include "distill/report/html.hpp"
#include "distill/report/run_log.hpp"
#include "distill/report/svg_chart.hpp"
#include "distill/train/experts.hpp"

namespace distill::report {

/// One expert file, from its header alone.
struct ExpertInfo {
  std::string file;
  std::map<std::string, std::string> metadata;
  std::vector<double> train_accuracy, test_accuracy;  ///< per epoch done
  std::vector<double> loss, seconds;  ///< per epoch, from metrics.jsonl (NaN where it has no record)
};

struct ExpertsDirectory {
  std::string directory;
  std::vector<ExpertInfo> experts;  ///< expert_000, expert_001, … while they exist
  bool has_metrics = false;

  /// A metadata field of the first expert ("arch", "dataset", "preprocessing", …), or "".
  std::string field(const char* key) const {
    if (experts.empty()) return "";
    const auto it = experts[0].metadata.find(key);
    return it == experts[0].metadata.end() ? "" : it->second;
  }
  Index epochs_done() const {
    Index e = -1;
    for (const ExpertInfo& x : experts) e = e < 0 ? Index(x.test_accuracy.size()) : std::min(e, Index(x.test_accuracy.size()));
    return std::max<Index>(e, 0);
  }
};

/// The metrics.jsonl record of one expert epoch, which the experts' page reads its loss and
/// seconds from.
inline nlohmann::json expert_epoch_record(const ExpertEpoch& e) {
  return {{"event", "expert_epoch"}, {"expert", e.expert}, {"epoch", e.epoch}, {"loss", e.loss},
          {"train_accuracy", e.train_accuracy}, {"test_accuracy", e.test_accuracy}, {"seconds", e.seconds}};
}

/// True when `dir` holds expert_000.safetensors.
inline bool is_experts_directory(const std::string& dir) { return regular_file_exists(expert_path(dir, 0)); }

/// Reads the headers of every expert_NNN.safetensors in `dir` and, when present, the
/// expert_epoch records of its metrics.jsonl; errors name the file and the field.
inline ExpertsDirectory read_experts_directory(const std::string& dir) {
  ExpertsDirectory out;
  out.directory = dir;
  for (Index k = 0; regular_file_exists(expert_path(dir, k)); ++k) {
    ExpertInfo e;
    e.file = expert_path(dir, k);
    e.metadata = read_safetensors_metadata(e.file);
    DISTILL_CHECK(e.metadata.count("kind") && e.metadata["kind"] == "distill.expert_trajectory",
                  e.file << ": not an expert trajectory (metadata field 'kind')");
    for (auto [key, values] : {std::make_pair("train_accuracy", &e.train_accuracy),
                               std::make_pair("test_accuracy", &e.test_accuracy)}) {
      DISTILL_CHECK(e.metadata.count(key), e.file << ": metadata field '" << key << "' is missing");
      try {
        *values = nlohmann::json::parse(e.metadata[key]).get<std::vector<double>>();
      } catch (const nlohmann::json::exception& ex) {
        DISTILL_CHECK(false, e.file << ": metadata field '" << key << "': " << ex.what());
      }
    }
    e.loss.assign(e.test_accuracy.size(), std::nan(""));
    e.seconds.assign(e.test_accuracy.size(), std::nan(""));
    out.experts.push_back(std::move(e));
  }
  DISTILL_CHECK(!out.experts.empty(), dir << ": no expert_000.safetensors (is it a directory written by `distill "
                                             "experts`?)");
  const std::string metrics = dir + "/metrics.jsonl";
  if (!regular_file_exists(metrics)) return out;
  out.has_metrics = true;
  const JsonLines lines = read_json_lines(metrics);
  for (std::size_t i = 0; i < lines.records.size(); ++i) {
    const nlohmann::json& r = lines.records[i];
    if (!r.contains("event") || r["event"] != "expert_epoch") continue;
    const std::string where = metrics + " line " + std::to_string(lines.line_numbers[i]);
    const Index k = detail::field<Index>(r, "expert", where), epoch = detail::field<Index>(r, "epoch", where);
    if (k < 0 || k >= Index(out.experts.size())) continue;  // an expert file removed since
    ExpertInfo& e = out.experts[std::size_t(k)];
    if (epoch < 1 || epoch > Index(e.loss.size())) continue;
    e.loss[std::size_t(epoch - 1)] = detail::field<double>(r, "loss", where);
    e.seconds[std::size_t(epoch - 1)] = detail::field<double>(r, "seconds", where);
  }
  return out;
}

/// The experts' page: settings, budget and the per-epoch curves of every expert overlaid.
inline std::string experts_report_html(const ExpertsDirectory& d) {
  const Index done = d.epochs_done();
  const std::string planned = d.field("epochs_planned");
  double seconds = 0;
  bool timed = false;
  for (const ExpertInfo& e : d.experts)
    for (const double s : e.seconds)
      if (std::isfinite(s)) {
        seconds += s;
        timed = true;
      }
  std::string body = "<header><h1>Expert trajectories: " + escape(d.field("arch")) + " on " +
                     escape(d.field("dataset")) + "</h1><p>" + escape(d.directory) + " · " +
                     std::to_string(d.experts.size()) + " experts, " + std::to_string(done) + " of " +
                     escape(planned) + " epochs done</p></header><main>";

  auto per_expert = [&](auto value) {
    std::vector<Series> s;
    for (std::size_t k = 0; k < d.experts.size(); ++k) {
      Series one;
      one.name = "expert " + std::to_string(k);
      const std::vector<double>& v = value(d.experts[k]);
      for (std::size_t i = 0; i < v.size(); ++i) {
        one.x.push_back(double(i + 1));
        one.y.push_back(v[i]);
      }
      one.markers = v.size() <= 30;
      s.push_back(std::move(one));
    }
    return s;
  };
  auto scaled = [](const std::vector<double>& v) {
    std::vector<double> p;
    for (const double x : v) p.push_back(100 * x);
    return p;
  };
  body += "<section><h2>Accuracy per epoch</h2><div class=\"charts\">";
  ChartOptions o;
  o.x_label = "epoch";
  o.y_label = "accuracy (%)";
  o.id = "expert-test-accuracy";
  o.title = "test accuracy";
  body += line_chart(per_expert([&](const ExpertInfo& e) { return scaled(e.test_accuracy); }), o);
  o.id = "expert-train-accuracy";
  o.title = "train accuracy";
  body += line_chart(per_expert([&](const ExpertInfo& e) { return scaled(e.train_accuracy); }), o);
  if (d.has_metrics) {
    o.id = "expert-loss";
    o.title = "training loss";
    o.y_label = "cross-entropy";
    body += line_chart(per_expert([](const ExpertInfo& e) { return e.loss; }), o);
    o.id = "expert-seconds";
    o.title = "seconds per epoch";
    o.y_label = "seconds";
    body += line_chart(per_expert([](const ExpertInfo& e) { return e.seconds; }), o);
  }
  body += "</div></section>";

  std::vector<std::vector<std::string>> rows;
  for (std::size_t k = 0; k < d.experts.size(); ++k) {
    const ExpertInfo& e = d.experts[k];
    const auto meta = [&](const char* key) {
      const auto it = e.metadata.find(key);
      return it == e.metadata.end() ? std::string("&#8211;") : escape(it->second);
    };
    rows.push_back({std::to_string(k), std::to_string(e.test_accuracy.size()),
                    e.train_accuracy.empty() ? "&#8211;" : percent(e.train_accuracy.back()),
                    e.test_accuracy.empty() ? "&#8211;" : percent(e.test_accuracy.back()), meta("seed"),
                    escape(std::filesystem::path(e.file).filename().string())});
  }
  body += "<section><h2>Experts</h2>" +
          table({"expert", "epochs", "train accuracy (%)", "test accuracy (%)", "seed", "file"}, rows) + "</section>";
  const std::vector<std::vector<std::string>> settings = {
      {"architecture", escape(d.field("arch"))},
      {"dataset", escape(d.field("dataset")) + " (" + escape(d.field("train_size")) + " training images)"},
      {"preprocessing", escape(d.field("preprocessing"))},
      {"augmentation", escape(d.field("augmentation"))},
      {"SGD", "lr " + escape(d.field("lr")) + ", batch " + escape(d.field("batch"))},
      {"budget", std::to_string(d.experts.size()) + " experts × " + escape(planned) + " epochs"},
      {"training time", timed ? duration(seconds) + " (sum of the logged epochs)" : "not logged"}};
  body += "<section><h2>Settings and budget</h2>" + table({}, settings, "kv") + "</section></main>";
  return page("experts " + d.field("arch") + " " + d.field("dataset"), body);
}

}  // namespace distill::report

#endif  // DISTILL_REPORT_EXPERTS_REPORT_HPP
