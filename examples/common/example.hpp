#ifndef DISTILL_EXAMPLES_COMMON_EXAMPLE_HPP
#define DISTILL_EXAMPLES_COMMON_EXAMPLE_HPP

// What the CIFAR-10 examples share: their command line (data and output directories, the
// experts they train, iterations, threads, one error line on failure), the experts' training
// with its log and report, and the summary at the end.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>

#include "distill/distill.hpp"

namespace distill::examples {

struct ExampleOptions {
  std::string data = "../shared/data/cifar-10-batches-bin", out;
  Index experts = 0, expert_epochs = 0, expert_images = 0, iterations = 0;
  int threads = 0;
};

/// Adds --data, --out, --experts, --expert-epochs (at least `min_epochs`), --expert-images,
/// --iterations and --threads, with `o`'s values as their defaults.
inline void add_example_options(CLI::App& app, ExampleOptions& o, Index min_epochs) {
  app.add_option("--data", o.data, "CIFAR-10 binary directory")->capture_default_str();
  app.add_option("--out", o.out, "Output directory (a stopped run resumes)")->capture_default_str();
  app.add_option("--experts", o.experts, "Expert trajectories to train")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--expert-epochs", o.expert_epochs, "Epochs per expert (at least " + std::to_string(min_epochs) + ")")
      ->capture_default_str()
      ->check(CLI::Range(min_epochs, Index(1000)));
  app.add_option("--expert-images", o.expert_images, "Training images the experts see")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--iterations", o.iterations, "Distillation iterations")->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--threads", o.threads, "Threads (0: all cores)")->capture_default_str();
}

/// Parses the command line and runs `body`: the note on a narrow build first, CLI11's own
/// messages for bad flags, and one line "<name>: error: …" (exit 1) for anything `body` throws.
template <class F>
int run_example(CLI::App& app, int argc, char** argv, const char* name, F&& body) {
  warn_if_narrow_build();
  CLI11_PARSE(app, argc, argv);
  try {
    return body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", name, e.what());
    return 1;
  }
}

/// Step 2 of both examples: trains (or completes) o.experts ConvNet-3 experts of
/// o.expert_epochs epochs (SGD lr 0.01, DSA) on the first o.expert_images training images
/// into out/experts, printing each epoch's test accuracy, logging it to metrics.jsonl and
/// keeping report.html current there. Returns the directory.
inline std::string train_example_experts(const ExampleOptions& o, const DatasetSplits<float>& data,
                                         const Preprocessing<float>& pre) {
  const std::string dir = o.out + "/experts";
  create_directories(dir);
  DatasetSplits<float> subset{data.train, data.test};
  keep_first(subset.train, std::min(o.expert_images, data.train.size()));
  ExpertConfig cfg;
  cfg.experts = o.experts;
  cfg.epochs = o.expert_epochs;
  cfg.dataset = "cifar10";
  std::printf("[2/4] training %ld experts for %ld epochs on %ld images\n", long(o.experts), long(o.expert_epochs),
              long(subset.train.size()));
  std::fflush(stdout);
  MetricsLog log(dir + "/metrics.jsonl");
  train_experts(cfg, subset, pre, dir, Dsa<float>(), [&](const ExpertEpoch& e) {
    std::printf("      expert %ld epoch %ld: test accuracy %.1f%% (%.0f s)\n", long(e.expert), long(e.epoch),
                100 * e.test_accuracy, e.seconds);
    std::fflush(stdout);
    log.write(report::expert_epoch_record(e));
    report::write_report(dir);
  });
  report::write_report(dir);  // also when every expert was already complete
  return dir;
}

/// Writes `summary` to out/summary.txt atomically and prints it, then the line
/// accuracy_mean=… accuracy_std=… (percent) that scripts read.
inline int finish_example(const std::string& out, const std::string& summary, const EvalResult& r) {
  write_file_atomic(out + "/summary.txt", {{summary.data(), summary.size()}});
  std::printf("\n%s", summary.c_str());
  std::printf("accuracy_mean=%.2f accuracy_std=%.2f\n", 100 * r.mean, 100 * r.std);
  return 0;
}

}  // namespace distill::examples

#endif  // DISTILL_EXAMPLES_COMMON_EXAMPLE_HPP
