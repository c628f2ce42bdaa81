// Quick start (design §6): distil CIFAR-10 into one image per class with DATM-CLR in about a
// quarter of an hour on two CPU cores. It whitens the data (ZCA), trains a few short expert
// trajectories, runs DATM-CLR, evaluates the set with the published protocol and writes the
// images as a PNG grid, a summary and report.html for the experts and for the run. Every stage resumes: run it again after a stop.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "distill/distill.hpp"

using namespace distill;

namespace {

struct Options {
  std::string data = "../shared/data/cifar-10-batches-bin", out = "runs/quickstart";
  Index experts = 3, expert_epochs = 4, expert_images = 10000;
  Index iterations = 200, syn_steps = 20;
  int threads = 0;
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

  // 2. Expert trajectories: ConvNet-3, SGD lr 0.01, DSA, on the first `expert_images` images.
  const std::string experts_dir = o.out + "/experts";
  create_directories(experts_dir);
  {
    DatasetSplits<float> subset{data.train, data.test};
    const Index n = std::min(o.expert_images, data.train.size());
    keep_first(subset.train, n);
    ExpertConfig cfg;
    cfg.experts = o.experts;
    cfg.epochs = o.expert_epochs;
    cfg.dataset = "cifar10";
    Dsa<float> dsa;
    std::printf("[2/4] training %ld experts for %ld epochs on %ld images\n", long(o.experts), long(o.expert_epochs),
                long(n));
    std::fflush(stdout);
    MetricsLog log(experts_dir + "/metrics.jsonl");
    train_experts(cfg, subset, zca, experts_dir, dsa, [&](const ExpertEpoch& e) {
      std::printf("      expert %ld epoch %ld: test accuracy %.1f%% (%.0f s)\n", long(e.expert), long(e.epoch),
                  100 * e.test_accuracy, e.seconds);
      std::fflush(stdout);
      log.write(report::expert_epoch_record(e));
    });
    report::write_report(experts_dir);
  }

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
  opt.resume = true;
  create_directories(opt.out_dir);
  std::printf("[3/4] DATM-CLR, 1 image per class: %ld iterations of %ld unrolled steps\n", long(s.iterations),
              long(s.syn_steps));
  std::fflush(stdout);
  Timer distill_time;
  opt.on_iteration = [&](const IterationRecord& r) {
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

  const std::string png = o.out + "/datm-clr/synthetic.png";
  PngGridOptions grid;
  grid.upscale = 4;
  write_synthetic_set_png(png, result.set, grid);
  const EvalResult& r = result.final_evaluation;
  char summary[640];
  std::snprintf(summary, sizeof summary,
                "DATM-CLR, CIFAR-10, 1 image per class\n"
                "  experts: %ld x %ld epochs on %ld images\n"
                "  distillation: %ld iterations, N = %ld\n"
                "  test accuracy: %.2f%% +- %.2f%% (5 ConvNet-3, 1000 epochs, DSA)\n"
                "  images: %s\n  set: %s\n  report: %s\n  wall time: %.1f min\n",
                long(o.experts), long(o.expert_epochs), long(std::min(o.expert_images, data.train.size())),
                long(result.iterations), long(s.syn_steps), 100 * r.mean, 100 * r.std, png.c_str(),
                Distiller<DATM_CLR, ConvNet3<float>>::synthetic_path(opt.out_dir).c_str(),
                report::report_path(opt.out_dir).c_str(), total.seconds() / 60);
  const std::string text = summary;
  write_file_atomic(o.out + "/summary.txt", {{reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}});
  std::printf("\n%s", summary);
  std::printf("accuracy_mean=%.2f accuracy_std=%.2f\n", 100 * r.mean, 100 * r.std);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  distill::warn_if_narrow_build();
  CLI::App app{"distill quick start: CIFAR-10 into 1 image per class with DATM-CLR"};
  Options o;
  app.add_option("--data", o.data, "CIFAR-10 binary directory")->capture_default_str();
  app.add_option("--out", o.out, "Output directory (a stopped run resumes)")->capture_default_str();
  app.add_option("--experts", o.experts, "Expert trajectories to train")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--expert-epochs", o.expert_epochs, "Epochs per expert (at least 3)")->capture_default_str()->check(CLI::Range(3, 1000));
  app.add_option("--expert-images", o.expert_images, "Training images the experts see")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--iterations", o.iterations, "Distillation iterations")->capture_default_str();
  app.add_option("--syn-steps", o.syn_steps, "Unrolled student steps")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--threads", o.threads, "Threads (0: all cores)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    return quickstart(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "quickstart: error: %s\n", e.what());
    return 1;
  }
}
