// The `distill` command: expert trajectories, distillation with any registered method,
// evaluation of synthetic sets, pictures, reports and benchmarks, one source file per subcommand.
// Every error is reported on one line and exits non-zero.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <string>

#include "commands.hpp"
#include "world.hpp"
#include "distill/core/cpu_features.hpp"
#include "distill/version.hpp"

int main(int argc, char** argv) {
  distill::cli::join_world(&argc, &argv);
  if (distill::cli::lead_rank()) distill::warn_if_narrow_build();
  CLI::App app{"distill: dataset distillation on the CPU (" DISTILL_VERSION_STRING ")"};
  app.require_subcommand(1);
  // One line per error, like the errors of the commands themselves.
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("distill: error: ") + e.what() + " (see --help)\n";
  });
  distill::cli::add_experts(app);
  distill::cli::add_evaluate(app);
  distill::cli::add_run(app);
  distill::cli::add_presets(app);
  distill::cli::add_show(app);
  distill::cli::add_report(app);
  distill::cli::add_bench(app);
  try {
    app.parse(argc, argv);  // runs the chosen subcommand's callback
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    if (rc != 0 && distill::cli::world().size() > 1) distill::cli::world().abort(rc, "");
    distill::cli::leave_world();
    return rc;
  } catch (const std::exception& e) {
    distill::cli::fail(e.what());  // in a job, ends every rank
  }
  distill::cli::leave_world();
  return 0;
}
