#ifndef DISTILL_REPORT_RUN_REPORT_HPP
#define DISTILL_REPORT_RUN_REPORT_HPP

// The report of one distillation run directory (the Distiller's files): the synthetic images,
// the curves over iterations, the evaluations per architecture, the settings and the budget.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "distill/methods/config/registry.hpp"
#include "distill/methods/driver/checkpoint.hpp"
#include "distill/report/experts_report.hpp"
#include "distill/report/image_grid.hpp"
#include "distill/report/run_log.hpp"
#include "distill/report/svg_chart.hpp"

namespace distill::report {

/// Everything a run directory holds that a report shows.
struct RunDirectory {
  std::string directory;
  RunLog log;                   ///< metrics.jsonl
  nlohmann::json summary;       ///< summary.json (null until a program writes it at the end)
  std::optional<SyntheticSet> set;  ///< the newest set: the checkpoint's, else synthetic.safetensors
  Index set_iteration = 0;
  std::vector<EvaluationPoint> recorded;  ///< evaluations.jsonl (`distill evaluate`)
  std::optional<ExpertsDirectory> experts;  ///< the experts the run started from, when still there

  /// The directory's last path component: what the comparison page calls the run.
  std::string name() const {
    const std::filesystem::path p = std::filesystem::path(directory).lexically_normal();
    const std::string leaf = (p.has_filename() ? p.filename() : p.parent_path().filename()).string();
    return leaf.empty() ? directory : leaf;
  }
  /// A setting as text ("" when the run did not log it).
  std::string setting(const char* key) const {
    if (!log.settings.is_object() || !log.settings.contains(key)) return "";
    const nlohmann::json& v = log.settings[key];
    return v.is_string() ? v.get<std::string>() : v.dump();
  }
  Index planned_iterations() const {
    return log.settings.contains("iterations") && log.settings["iterations"].is_number_integer()
               ? log.settings["iterations"].get<Index>()
               : 0;
  }
  Index iterations_done() const { return log.iterations.empty() ? 0 : log.iterations.back().iteration; }
  /// The last evaluation of the run itself, when it was the final one.
  const EvaluationPoint* final_evaluation() const {
    return !log.evaluations.empty() && log.evaluations.back().final ? &log.evaluations.back() : nullptr;
  }
};

/// Whether the run's method unrolls student steps: trajectory matching does, the distribution
/// matching family does not (its syn_steps setting is unused); a method the library does not
/// know is taken at its word.
inline bool unrolls(const RunDirectory& r) {
  const std::string method = r.setting("method");
  return !builtin_methods().contains(method) ||
         builtin_methods().info(method).family == MethodFamily::kTrajectoryMatching;
}

/// True when `dir` holds a Distiller's metrics.jsonl.
inline bool is_run_directory(const std::string& dir) { return regular_file_exists(dir + "/metrics.jsonl"); }

/// Reads a run directory; a missing optional file (summary, set, evaluations, experts) is left
/// out, a malformed one is an error naming it.
inline RunDirectory read_run_directory(const std::string& dir) {
  RunDirectory r;
  r.directory = dir;
  const std::string metrics = dir + "/metrics.jsonl";
  DISTILL_CHECK(regular_file_exists(metrics), dir << ": no metrics.jsonl (is it the output directory of `distill run`?)");
  r.log = read_run_log(metrics);
  const std::string summary = dir + "/summary.json";
  if (regular_file_exists(summary)) {
    const std::vector<std::uint8_t> bytes = read_file_bytes(summary);
    try {
      r.summary = nlohmann::json::parse(bytes.begin(), bytes.end());
    } catch (const nlohmann::json::exception& e) {
      DISTILL_CHECK(false, summary << ": not valid JSON: " << e.what());
    }
  }
  const std::string checkpoint = checkpoint_file(dir), synthetic = dir + "/synthetic.safetensors";
  if (regular_file_exists(checkpoint)) {
    Checkpoint c = load_checkpoint(checkpoint);
    r.set = std::move(c.set);
    r.set_iteration = c.iteration;
    r.log.settings = to_json(c.settings);  // the settings the run continues with, also for older logs
  } else if (regular_file_exists(synthetic)) {
    r.set = load_synthetic_set(synthetic);
    const auto it = r.set->info.find("iteration");
    r.set_iteration = it == r.set->info.end() ? 0 : std::atol(it->second.c_str());
  }
  if (regular_file_exists(dir + "/evaluations.jsonl")) r.recorded = read_recorded_evaluations(dir + "/evaluations.jsonl");
  if (!r.log.experts.empty() && is_experts_directory(r.log.experts)) r.experts = read_experts_directory(r.log.experts);
  return r;
}

/// The four curves over iterations, one series per run (named by `names`): matching loss,
/// test accuracy (periodic evaluations and the final one), step size, seconds per iteration.
inline std::string run_charts(const std::vector<const RunDirectory*>& runs, const std::vector<std::string>& names) {
  std::vector<Series> loss, lr, seconds, accuracy;
  for (std::size_t k = 0; k < runs.size(); ++k) {
    Series l, a, t, s;
    l.name = a.name = t.name = s.name = names[k];
    for (const IterationPoint& p : runs[k]->log.iterations) {
      if (!p.skipped) {
        l.x.push_back(double(p.iteration));
        l.y.push_back(p.loss);
      }
      a.x.push_back(double(p.iteration));
      a.y.push_back(p.lr);
      s.x.push_back(double(p.iteration));
      s.y.push_back(p.seconds);
    }
    for (const EvaluationPoint& e : runs[k]->log.evaluations) {
      t.x.push_back(double(e.iteration));
      t.y.push_back(100 * e.mean);
    }
    t.markers = true;
    loss.push_back(std::move(l));
    lr.push_back(std::move(a));
    accuracy.push_back(std::move(t));
    seconds.push_back(std::move(s));
  }
  ChartOptions o;
  // Every chart spans the iterations, so a lone evaluation point sits where it happened.
  for (const RunDirectory* r : runs) {
    o.x_range[0] = std::min(o.x_range[0], 1.0);
    o.x_range[1] = std::max(o.x_range[1], double(std::max<Index>(r->planned_iterations(), r->iterations_done())));
  }
  std::string out = "<div class=\"charts\">";
  o.id = "loss", o.title = "matching loss", o.y_label = "loss", o.y_scale = YScale::kAuto;
  out += line_chart(loss, o);
  o.id = "accuracy", o.title = "test accuracy (periodic and final evaluations)", o.y_label = "accuracy (%)";
  o.y_scale = YScale::kLinear;
  out += line_chart(accuracy, o);
  o.id = "lr", o.title = "step size (learned by MTT-style methods)", o.y_label = "lr";
  out += line_chart(lr, o);
  o.id = "seconds", o.title = "seconds per iteration", o.y_label = "seconds";
  out += line_chart(seconds, o);
  return out + "</div>";
}

/// The evaluation rows of a run: its final evaluation, then what `distill evaluate` recorded,
/// as (architecture, mean ± std, every run, epochs, source).
inline std::vector<std::vector<std::string>> evaluation_rows(const RunDirectory& r) {
  std::vector<std::vector<std::string>> rows;
  auto runs_text = [](const std::vector<double>& acc) {
    std::string s;
    for (const double a : acc) s += (s.empty() ? "" : " ") + percent(a);
    return s;
  };
  const std::string eval_epochs = r.setting("eval_epochs");
  if (const EvaluationPoint* f = r.final_evaluation())
    rows.push_back({escape(f->arch.empty() ? "the run's network" : f->arch),
                    "<b>" + percent(f->mean) + " ± " + percent(f->std) + "</b>", runs_text(f->accuracies),
                    escape(eval_epochs), "final evaluation of the run, iteration " + std::to_string(f->iteration)});
  for (const EvaluationPoint& e : r.recorded)
    rows.push_back({escape(e.arch), "<b>" + percent(e.mean) + " ± " + percent(e.std) + "</b>", runs_text(e.accuracies),
                    std::to_string(e.epochs),
                    "distill evaluate, " + escape(e.set) +
                        (e.iteration >= 0 ? " (iteration " + std::to_string(e.iteration) + ")" : "")});
  return rows;
}

/// A run's budget and wall time split by phase, as rows of (what, how much).
inline std::vector<std::vector<std::string>> budget_rows(const RunDirectory& r) {
  std::vector<std::vector<std::string>> rows;
  std::string experts = r.log.experts_logged ? "none" : "not recorded in metrics.jsonl";
  if (r.experts) {
    experts = std::to_string(r.experts->experts.size()) + " × " + std::to_string(r.experts->epochs_done()) +
              " epochs of " + escape(r.experts->field("arch")) + " (" + escape(r.experts->directory) + ")";
  } else if (!r.log.experts.empty()) {
    experts = std::to_string(r.log.experts_count) + " from " + escape(r.log.experts) + " (not found now)";
  }
  rows.push_back({"experts", experts});
  rows.push_back({"iterations", std::to_string(r.iterations_done()) + " of " + std::to_string(r.planned_iterations()) +
                                    (r.log.resumes ? " (resumed " + std::to_string(r.log.resumes) + "×)" : "")});
  if (r.set) {
    const Index f = formation_factor(*r.set);
    rows.push_back({"synthetic images", std::to_string(r.set->size()) + " (" + escape(r.setting("ipc")) +
                                            " per class" +
                                            (f > 1 ? ", decoded to " + std::to_string(r.set->size() * f * f) : "") +
                                            ")"});
  }
  if (unrolls(r) && !r.setting("syn_steps").empty())
    rows.push_back({"unrolled steps", escape(r.setting("syn_steps")) + " per iteration, minibatch " +
                                          escape(r.setting("batch_syn"))});
  rows.push_back({"time in iterations", duration(r.log.iteration_seconds)});
  rows.push_back({"time in periodic evaluations", duration(r.log.evaluation_seconds)});
  rows.push_back({"time in the final evaluation", duration(r.log.final_evaluation_seconds)});
  if (r.summary.is_object() && r.summary.contains("seconds") && r.summary["seconds"].is_number())
    rows.push_back({"wall time of the last invocation", duration(r.summary["seconds"].get<double>()) +
                                                            " (with loading, checkpoints and writing)"});
  return rows;
}

/// The run's page.
inline std::string run_report_html(const RunDirectory& r) {
  const std::string method = r.setting("method"), dataset = r.setting("dataset"), ipc = r.setting("ipc");
  const EvaluationPoint* f = r.final_evaluation();
  std::string status;
  if (f) {
    status = "finished: " + std::to_string(r.iterations_done()) + " iterations, final accuracy " + percent(f->mean) +
             " ± " + percent(f->std) + " %";
  } else {
    status = "iteration " + std::to_string(r.iterations_done()) + " of " + std::to_string(r.planned_iterations()) +
             (r.set ? ", last checkpoint at iteration " + std::to_string(r.set_iteration) : "");
  }
  std::string body = "<header><h1>" + escape(method) + " · IPC " + escape(ipc) + " · " + escape(dataset) +
                     "</h1><p>" + escape(r.directory) + " · " + status + "</p></header><main>";
  body += "<section><h2>Synthetic images</h2>";
  if (r.set) {
    body += "<p class=\"note\">The set at iteration " + std::to_string(r.set_iteration) +
            ", one row per class, in viewable colours (the preprocessing inverted); click an image to enlarge it.</p>";
    body += set_grids(*r.set, "synthetic");
  } else {
    body += "<p class=\"note\">No set written yet.</p>";
  }
  body += "</section><section><h2>Curves</h2>" + run_charts({&r}, {r.name()});
  if (r.log.partial) body += "<p class=\"note\">The last line of metrics.jsonl was cut off (a run stopped while writing) and is not shown.</p>";
  body += "</section>";
  const std::vector<std::vector<std::string>> evals = evaluation_rows(r);
  body += "<section><h2>Evaluation</h2>";
  body += evals.empty() ? "<p class=\"note\">No final evaluation yet.</p>"
                        : table({"architecture", "accuracy (%)", "every run (%)", "epochs", "source"}, evals);
  double best = -1;
  Index best_it = -1;
  for (const EvaluationPoint& e : r.log.evaluations)
    if (!e.final && e.mean > best) best = e.mean, best_it = e.iteration;
  if (best_it >= 0)
    body += "<p class=\"note\">Best periodic evaluation: " + percent(best) + " % at iteration " +
            std::to_string(best_it) + " (best.safetensors).</p>";
  body += "</section><section><h2>Budget</h2>" + table({}, budget_rows(r), "kv") + "</section>";
  std::vector<std::vector<std::string>> settings;
  if (r.log.settings.is_object())
    for (auto it = r.log.settings.begin(); it != r.log.settings.end(); ++it)
      settings.push_back({"<code>" + escape(it.key()) + "</code>",
                          "<code>" + escape(it->is_string() ? it->get<std::string>() : it->dump()) + "</code>"});
  body += "<section><h2>Settings</h2>" + table({"field", "value"}, settings, "kv") + "</section></main>";
  return page(method + " ipc " + ipc + " " + dataset, body);
}

}  // namespace distill::report

#endif  // DISTILL_REPORT_RUN_REPORT_HPP
