// The second seed paper's example: distil CIFAR-10 into ten images per class with TGDD
// (trajectory-guided distribution matching) in about twenty minutes on two CPU cores. It
// normalises the data per channel (TGDD does not whiten), trains two short expert
// trajectories whose stages TGDD samples, distils at the published IPC 10 setting for a few
// hundred iterations, evaluates the 100 images on fresh networks and writes report.html for
// the experts and for the run. Every stage resumes: run it again after a stop.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "distill/distill.hpp"

using namespace distill;

namespace {

struct Options {
  std::string data = "../shared/data/cifar-10-batches-bin", out = "runs/tgdd";
  Index experts = 2, expert_epochs = 4, expert_images = 8000;
  Index iterations = 400, eval_runs = 3;
  int threads = 0;
};

/// Trains (or completes) the experts in `dir` on the first `images` training images, logging
/// every epoch to dir/metrics.jsonl and keeping dir/report.html current.
void train_normalized_experts(const Options& o, const DatasetSplits<float>& data, const Preprocessing<float>& pre,
                              const std::string& dir) {
  DatasetSplits<float> subset{data.train, data.test};
  keep_first(subset.train, std::min(o.expert_images, data.train.size()));
  ExpertConfig cfg;
  cfg.experts = o.experts;
  cfg.epochs = o.expert_epochs;
  cfg.dataset = "cifar10";
  MetricsLog log(dir + "/metrics.jsonl");
  train_experts(cfg, subset, pre, dir, Dsa<float>(), [&](const ExpertEpoch& e) {
    std::printf("      expert %ld epoch %ld: test accuracy %.1f%% (%.0f s)\n", long(e.expert), long(e.epoch),
                100 * e.test_accuracy, e.seconds);
    std::fflush(stdout);
    log.write(report::expert_epoch_record(e));
    report::write_report(dir);
  });
  report::write_report(dir);
}

int tgdd_example(const Options& o) {
  if (o.threads > 0) set_threads(o.threads);
  Timer total;
  create_directories(o.out);

  // 1. Data normalised per channel with CIFAR-10's published mean and deviation.
  DatasetSplits<float> data = load_dataset<float>("cifar10", o.data);
  const auto pre = Preprocessing<float>::normalize(cifar10_mean_std());
  pre.apply(data.train.images);
  pre.apply(data.test.images);
  std::printf("[1/4] CIFAR-10: %ld training and %ld test images, normalised per channel\n", long(data.train.size()),
              long(data.test.size()));

  // 2. Experts: ConvNet-3, SGD lr 0.01, DSA; TGDD draws its stages from their checkpoints.
  const std::string experts_dir = o.out + "/experts";
  create_directories(experts_dir);
  std::printf("[2/4] training %ld experts for %ld epochs on %ld images\n", long(o.experts), long(o.expert_epochs),
              long(std::min(o.expert_images, data.train.size())));
  std::fflush(stdout);
  train_normalized_experts(o, data, pre, experts_dir);

  // 3. TGDD at the published IPC 10 setting, for fewer iterations.
  DistillSettings s = preset_settings("tgdd", "cifar10-ipc10");
  s.iterations = o.iterations;
  s.eval_every = 0;
  s.final_eval_runs = o.eval_runs;
  const ExpertSet experts = load_experts(experts_dir);
  ConvNet3<float> net;
  DistillerOptions opt;
  opt.out_dir = o.out + "/tgdd";
  opt.resume = true;
  create_directories(opt.out_dir);
  std::printf("[3/4] TGDD, 10 images per class: %ld iterations over stages 0-%ld of the experts\n",
              long(s.iterations), long(experts.epochs()));
  std::fflush(stdout);
  opt.on_iteration = [](const IterationRecord& r) {
    if (r.iteration % 50 == 0)
      std::printf("      iteration %ld/%ld: loss %.4f (%.2f s/iteration)\n", long(r.iteration), long(r.iterations),
                  r.loss, r.seconds);
    std::fflush(stdout);
  };
  opt.on_evaluation = [&](const EvaluationRecord&) {
    std::printf("[4/4] evaluated: %ld fresh ConvNets trained on the 100 images for 1000 epochs\n", long(o.eval_runs));
  };
  const Dsa<float> dsa(dsa_config(s));
  using Run = Distiller<TGDD, ConvNet3<float>>;
  const DistillResult result = Run(from_settings<TGDD>(s), s, net, data, experts, dsa, opt).run();

  const EvalResult& r = result.final_evaluation;
  char summary[640];
  std::snprintf(summary, sizeof summary,
                "TGDD, CIFAR-10, 10 images per class\n"
                "  experts: %ld x %ld epochs on %ld images (normalised, not whitened)\n"
                "  distillation: %ld iterations of the cifar10-ipc10 preset\n"
                "  test accuracy: %.2f%% +- %.2f%% (%ld ConvNet-3, 1000 epochs, DSA)\n"
                "  report: %s\n  set: %s\n  wall time: %.1f min\n",
                long(o.experts), long(o.expert_epochs), long(std::min(o.expert_images, data.train.size())),
                long(result.iterations), 100 * r.mean, 100 * r.std, long(r.accuracies.size()),
                report::report_path(opt.out_dir).c_str(), Run::synthetic_path(opt.out_dir).c_str(),
                total.seconds() / 60);
  const std::string text = summary;
  write_file_atomic(o.out + "/summary.txt", {{text.data(), text.size()}});
  std::printf("\n%s", summary);
  std::printf("accuracy_mean=%.2f accuracy_std=%.2f\n", 100 * r.mean, 100 * r.std);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  distill::warn_if_narrow_build();
  CLI::App app{"distill example: CIFAR-10 into 10 images per class with TGDD"};
  Options o;
  app.add_option("--data", o.data, "CIFAR-10 binary directory")->capture_default_str();
  app.add_option("--out", o.out, "Output directory (a stopped run resumes)")->capture_default_str();
  app.add_option("--experts", o.experts, "Expert trajectories to train")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--expert-epochs", o.expert_epochs, "Epochs per expert")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--expert-images", o.expert_images, "Training images the experts see")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--iterations", o.iterations, "Distillation iterations")->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--eval-runs", o.eval_runs, "Networks of the final evaluation")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--threads", o.threads, "Threads (0: all cores)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    return tgdd_example(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cifar10-tgdd: error: %s\n", e.what());
    return 1;
  }
}
