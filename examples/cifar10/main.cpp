// Quick start (docs/design.md §6): distil CIFAR-10 into one image per class with DATM-CLR in about
// a quarter of an hour on two CPU cores. It whitens the data (ZCA), trains a few short expert
// trajectories, runs DATM-CLR, evaluates the set with the published protocol and writes the images
// as a PNG grid, a summary and report.html for the experts and for the run. Every stage resumes:
// run it again after a stop.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "distill/distill.hpp"
#include "../common/example.hpp"

using namespace distill;

namespace {

struct Options : examples::ExampleOptions {
  Options() : ExampleOptions{"../shared/data/cifar-10-batches-bin", "runs/quickstart", 3, 4, 10000, 200, 0} {}
  Index syn_steps = 20;
};

int quickstart(const Options& o) {
  if (o.threads > 0) set_threads(o.threads);
  Timer total;
  create_directories(o.out);  // with its parents: runs/ does not exist in a fresh clone

  // 1. Data in ZCA space (ε = 0.1, fitted on the training set, as the trajectory-matching code).
  DatasetSplits<float> data = load_dataset<float>("cifar10", o.data);
  std::printf("[1/4] CIFAR-10: %ld training and %ld test images; fitting ZCA ...\n", long(data.train.size()),
              long(data.test.size()));
  std::fflush(stdout);
  const auto zca = Preprocessing<float>::whiten(ZcaWhitening<float>(data.train.images.cview(), 0.1));
  zca.apply(data.train.images);
  zca.apply(data.test.images);
  const double zca_seconds = total.seconds();

  // 2. Expert trajectories: ConvNet-3, SGD lr 0.01, DSA, on the first `expert_images` images.
  const std::string experts_dir = examples::train_example_experts(o, data, zca);
  const double experts_seconds = total.seconds() - zca_seconds;

  // 3. DATM-CLR at IPC 1: the published DATM setting with Contrastive Fusion and Update, a
  //    shorter unroll and fewer iterations, and the window fitted to the short experts.
  DistillSettings s = preset_settings("datm-clr", "cifar10-ipc1");
  s.iterations = o.iterations;
  s.syn_steps = o.syn_steps;
  s.max_start_epoch = std::min<Index>(s.max_start_epoch, o.expert_epochs - s.expert_epochs + 1);
  s.eval_every = 0;
  s.final_eval_runs = 5;
  const ExpertSet experts = load_experts(experts_dir, last_expert_epoch(s));
  ConvNet3<float> net;
  const Dsa<float> dsa(dsa_config(s));
  DistillerOptions opt;
  opt.out_dir = o.out + "/datm-clr";
  opt.on_files_written = report::refresh;
  opt.resume = true;
  create_directories(opt.out_dir);
  std::printf("[3/4] DATM-CLR, 1 image per class: %ld iterations of %ld unrolled steps\n", long(s.iterations),
              long(s.syn_steps));
  std::fflush(stdout);
  Timer distill_time;
  double iterations_seconds = 0;  // until the last iteration; the final evaluation follows
  opt.on_iteration = [&](const IterationRecord& r) {
    iterations_seconds = distill_time.seconds();
    if (r.iteration % 25 == 0)
      std::printf("      iteration %ld/%ld: matching loss %.4f, step size %.5f (%.1f s/iteration)\n", long(r.iteration),
                  long(r.iterations), r.info.at("matching_loss").get<double>(), r.lr, r.seconds);
    std::fflush(stdout);
  };
  opt.on_evaluation = [](const EvaluationRecord&) {
    std::printf("[4/4] evaluated: 5 fresh ConvNets trained on the 10 images for 1000 epochs\n");
  };
  Distiller<DATM_CLR, ConvNet3<float>> distiller(from_settings<DATM_CLR>(s), s, net, data, experts, dsa, opt);
  const DistillResult result = distiller.run();
  const double evaluation_seconds = distill_time.seconds() - iterations_seconds;

  const std::string png = o.out + "/datm-clr/synthetic.png";
  PngGridOptions grid;
  grid.upscale = 4;
  write_synthetic_set_png(png, result.set, grid);
  const EvalResult& r = result.final_evaluation;
  char summary[896];
  std::snprintf(summary, sizeof summary,
                "DATM-CLR, CIFAR-10, 1 image per class\n"
                "  experts: %ld x %ld epochs on %ld images\n"
                "  distillation: %ld iterations, N = %ld\n"
                "  test accuracy: %.2f%% +- %.2f%% (5 ConvNet-3, 1000 epochs, DSA)\n"
                "  images: %s\n  set: %s\n  report: %s\n  wall time: %.1f min (data and ZCA %.1f, experts %.1f, "
                "iterations %.1f, evaluation %.1f; a resumed stage counts only this start's time)\n",
                long(o.experts), long(o.expert_epochs), long(std::min(o.expert_images, data.train.size())),
                long(result.iterations), long(s.syn_steps), 100 * r.mean, 100 * r.std, png.c_str(),
                Distiller<DATM_CLR, ConvNet3<float>>::synthetic_path(opt.out_dir).c_str(),
                report::report_path(opt.out_dir).c_str(), total.seconds() / 60, zca_seconds / 60, experts_seconds / 60,
                iterations_seconds / 60, evaluation_seconds / 60);
  return examples::finish_example(o.out, summary, r);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"distill quick start: CIFAR-10 into 1 image per class with DATM-CLR"};
  Options o;
  examples::add_example_options(app, o, 3);
  app.add_option("--syn-steps", o.syn_steps, "Unrolled student steps")->capture_default_str()->check(CLI::PositiveNumber);
  return examples::run_example(app, argc, argv, "quickstart", [&] { return quickstart(o); });
}
