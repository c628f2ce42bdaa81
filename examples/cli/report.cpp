// distill report: report.html of run and experts directories, or one page comparing runs.
#include <memory>

#include "commands.hpp"

namespace distill::cli {

namespace {

struct ReportArgs {
  std::vector<std::string> dirs;
  std::string out;
};

void run_report(const ReportArgs& a) {
  if (a.out.empty()) {
    // Each directory's own page, rewritten from its files (as `distill run` does at checkpoints).
    for (const std::string& d : a.dirs) std::printf("wrote %s\n", report::write_report(d).c_str());
    return;
  }
  report::write_comparison_report(a.dirs, a.out);
  std::printf("wrote %s: %zu runs\n", a.out.c_str(), a.dirs.size());
}

}  // namespace

void add_report(CLI::App& app) {
  auto a = std::make_shared<ReportArgs>();
  auto* cmd = app.add_subcommand("report", "Write report.html into run or experts directories (as `distill run` and "
                                           "`distill experts` do), or with --out one page comparing runs");
  cmd->add_option("dirs", a->dirs, "Run directories (distill run --out) or experts directories (distill experts --out)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--out", a->out, "Comparison page to write (its directory is created): the runs' curves overlaid, "
                                   "one table of final accuracies with budgets, every evaluation and the images");
  cmd->callback([a] { run_report(*a); });
}

}  // namespace distill::cli
