#ifndef DISTILL_REPORT_REPORT_HPP
#define DISTILL_REPORT_REPORT_HPP

// The entry points: report.html of a run or experts directory, and one page comparing runs.

#include <cstdio>
#include <exception>
#include <map>
#include <string>
#include <vector>

#include "distill/report/experts_report.hpp"
#include "distill/report/html.hpp"
#include "distill/report/run_report.hpp"

namespace distill::report {

/// Where a directory's report goes.
inline std::string report_path(const std::string& dir) { return dir + "/report.html"; }

/// (Re)writes `dir`/report.html from the files in `dir`, atomically, so a browser open on it
/// sees the old page or the new one, never half of one: a run directory (metrics.jsonl) gets
/// the run's page, an experts directory (expert_000.safetensors) the experts' page. Anything
/// else is an error naming the directory. Returns the page's path.
inline std::string write_report(const std::string& dir) {
  std::string html;
  if (is_run_directory(dir) && !is_experts_directory(dir)) {
    html = run_report_html(read_run_directory(dir));
  } else if (is_experts_directory(dir)) {
    html = experts_report_html(read_experts_directory(dir));
  } else {
    DISTILL_CHECK(false, dir << ": neither a run directory (metrics.jsonl) nor an experts directory "
                                "(expert_000.safetensors)");
  }
  const std::string path = report_path(dir);
  write_page(path, html);
  return path;
}

/// write_report for a program that must go on: a page that cannot be written is a warning on
/// stderr, never the end of a run or of the experts' training. What a program passes as
/// DistillerOptions::on_files_written.
inline void refresh(const std::string& dir) {
  try {
    write_report(dir);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "warning: %s/report.html not updated: %s\n", dir.c_str(), e.what());
  }
}

/// Names for the runs of a comparison: the directory names, made unique by their parents
/// ("ipc10/dm", "ipc1/dm") or, failing that, by their position.
inline std::vector<std::string> run_names(const std::vector<RunDirectory>& runs) {
  std::vector<std::string> names;
  for (const RunDirectory& r : runs) names.push_back(r.name());
  std::map<std::string, int> count;
  for (const std::string& n : names) ++count[n];
  for (std::size_t k = 0; k < runs.size(); ++k) {
    if (count[names[k]] < 2) continue;
    const std::filesystem::path p = std::filesystem::path(runs[k].directory).lexically_normal();
    const std::string parent = p.parent_path().filename().string();
    names[k] = (parent.empty() ? std::string(".") : parent) + "/" + names[k];
  }
  std::map<std::string, int> seen;
  for (std::string& n : names)
    if (++seen[n] > 1) n += " (" + std::to_string(seen[n]) + ")";
  return names;
}

/// The comparison page of several runs: the curves overlaid, one table of final accuracies
/// with each run's budget, every recorded per-architecture evaluation, and the image grids.
inline std::string comparison_html(const std::vector<RunDirectory>& runs) {
  const std::vector<std::string> names = run_names(runs);
  std::vector<const RunDirectory*> ptrs;
  for (const RunDirectory& r : runs) ptrs.push_back(&r);
  std::string body = "<header><h1>Comparison of " + std::to_string(runs.size()) + " runs</h1><p>";
  for (std::size_t k = 0; k < runs.size(); ++k) body += (k ? " · " : "") + escape(runs[k].directory);
  body += "</p></header><main>";

  std::vector<std::vector<std::string>> rows, arch_rows;
  for (std::size_t k = 0; k < runs.size(); ++k) {
    const RunDirectory& r = runs[k];
    const EvaluationPoint* f = r.final_evaluation();
    double best = -1;
    for (const EvaluationPoint& e : r.log.evaluations)
      if (!e.final) best = std::max(best, e.mean);
    const double wall = r.log.iteration_seconds + r.log.evaluation_seconds + r.log.final_evaluation_seconds;
    std::string experts = r.log.experts_logged ? "none" : "not recorded";
    if (r.experts) experts = std::to_string(r.experts->experts.size()) + " × " + std::to_string(r.experts->epochs_done());
    else if (!r.log.experts.empty()) experts = std::to_string(r.log.experts_count);
    rows.push_back({"<span style=\"white-space:nowrap\"><span style=\"color:" + std::string(palette(k)) +
                        "\">&#9632;</span> " + escape(names[k]) + "</span>",
                    escape(r.setting("method")), escape(r.setting("dataset")), escape(r.setting("ipc")),
                    std::to_string(r.iterations_done()) + " / " + std::to_string(r.planned_iterations()),
                    unrolls(r) ? escape(r.setting("syn_steps")) : "&#8211;", experts, duration(wall),
                    f ? "<b>" + percent(f->mean) + " ± " + percent(f->std) + "</b> (" + std::to_string(f->runs) + ")"
                      : "&#8211;",
                    best >= 0 ? percent(best) : "&#8211;"});
    for (const std::vector<std::string>& e : evaluation_rows(r)) {
      std::vector<std::string> row = {escape(names[k])};
      row.insert(row.end(), e.begin(), e.end());
      arch_rows.push_back(std::move(row));
    }
  }
  body += "<section><h2>Final accuracies and budgets</h2>" +
          table({"run", "method", "dataset", "IPC", "iterations", "unrolled steps", "experts × epochs",
                 "time (iterations + evaluations)", "final accuracy (%) (networks)", "best periodic (%)"},
                rows) +
          "</section>";
  body += "<section><h2>Curves</h2>" + run_charts(ptrs, names) + "</section>";
  if (!arch_rows.empty())
    body += "<section><h2>Every evaluation</h2>" +
            table({"run", "architecture", "accuracy (%)", "every run (%)", "epochs", "source"}, arch_rows) +
            "</section>";
  body += "<section><h2>Synthetic images</h2><div class=\"grids\">";
  for (std::size_t k = 0; k < runs.size(); ++k) {
    body += "<div><h3>" + escape(names[k]) + "</h3>";
    body += runs[k].set ? image_grid(*runs[k].set, "synthetic-" + std::to_string(k))
                        : std::string("<p class=\"note\">no set yet</p>");
    body += "</div>";
  }
  body += "</div></section></main>";
  return page("distill: comparison of " + std::to_string(runs.size()) + " runs", body);
}

/// Reads every run directory in `dirs` and writes their comparison to `out` atomically.
inline void write_comparison_report(const std::vector<std::string>& dirs, const std::string& out) {
  DISTILL_CHECK(!dirs.empty(), "report: no run directories to compare");
  std::vector<RunDirectory> runs;
  for (const std::string& d : dirs) {
    DISTILL_CHECK(is_run_directory(d), d << ": not a run directory (no metrics.jsonl); a comparison shows runs of "
                                            "`distill run`");
    runs.push_back(read_run_directory(d));
  }
  write_page(out, comparison_html(runs));
}

}  // namespace distill::report

#endif  // DISTILL_REPORT_REPORT_HPP
