// The second seed paper's example: distil CIFAR-10 into ten images per class with TGDD
// (trajectory-guided distribution matching) in about twenty minutes on two CPU cores. It
// normalises the data per channel (TGDD does not whiten), trains two short expert
// trajectories whose stages TGDD samples, distils at the published IPC 10 setting for 200
// iterations (the paper runs 10,000), evaluates the 100 images on a fresh network
// (--eval-runs 5 for the protocol's five) and writes report.html for the experts and the run.
// Every stage resumes: run it again after a stop.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "distill/distill.hpp"
#include "../common/example.hpp"

using namespace distill;

namespace {

struct Options : examples::ExampleOptions {
  Options() : ExampleOptions{"../shared/data/cifar-10-batches-bin", "runs/tgdd", 2, 4, 8000, 200, 0} {}
  Index eval_runs = 1;  // each network is about six minutes on two cores; the protocol uses 5
};

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
  const std::string experts_dir = examples::train_example_experts(o, data, pre);

  // 3. TGDD at the published IPC 10 setting, for fewer iterations.
  DistillSettings s = preset_settings("tgdd", "cifar10-ipc10");
  s.iterations = o.iterations;
  s.eval_every = 0;
  s.final_eval_runs = o.eval_runs;
  const ExpertSet experts = load_experts(experts_dir);
  ConvNet3<float> net;
  DistillerOptions opt;
  opt.out_dir = o.out + "/tgdd";
  opt.on_files_written = report::refresh;
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
    std::printf("[4/4] evaluated: %ld fresh ConvNet(s) trained on the 100 images for 1000 epochs\n", long(o.eval_runs));
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
  return examples::finish_example(o.out, summary, r);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"distill example: CIFAR-10 into 10 images per class with TGDD"};
  Options o;
  examples::add_example_options(app, o, 1);
  app.add_option("--eval-runs", o.eval_runs, "Networks of the final evaluation")->capture_default_str()->check(CLI::PositiveNumber);
  return examples::run_example(app, argc, argv, "cifar10-tgdd", [&] { return tgdd_example(o); });
}
