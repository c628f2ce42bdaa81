// The `distill` command: expert trajectories, distillation with any registered method,
// evaluation of synthetic sets, pictures, reports and benchmarks, one source file per subcommand.
// Every error is reported on one line and exits non-zero.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <string>

#include "commands.hpp"
#include "distill/core/cpu_features.hpp"
#include "distill/version.hpp"

int main(int argc, char** argv) {
  distill::warn_if_narrow_build();
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
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "\ndistill: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
