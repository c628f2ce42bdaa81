// distill experts: expert trajectories (SGD lr 0.01, batch 256, DSA), θ at initialisation and
// after every epoch, and report.html; an existing run in --out continues where it stopped.
#include <functional>
#include <memory>

#include "commands.hpp"
#include "progress.hpp"
#include "world.hpp"

namespace distill::cli {

namespace {

struct ExpertsArgs {
  std::string data, dataset = "cifar10", out, device = "cpu";
  bool tf32 = false;
  Index experts = 1, epochs = 50, limit = 0, width = 128, depth = 0, image_size = 0;
  bool zca = false;
  std::uint64_t seed = 0;
  CommonFlags common;
};

void run_experts(const ExpertsArgs& a) {
  a.common.apply();
  use_device(a.device, a.tf32);
  create_directories(a.out);
  const std::string kind = dataset_kind(a.dataset, a.image_size);
  auto data = load_data(kind, a.data);
  keep_first(data.train, a.limit);
  const auto pre = preprocess(data, a.zca, kind, a.device);
  ExpertConfig cfg;
  cfg.experts = a.experts;
  cfg.epochs = a.epochs;
  cfg.seed = a.seed;
  cfg.dataset = kind;
  ArchSpec arch;
  arch.depth = a.depth > 0 ? a.depth : conv_net_depth_for(data.train.height(), data.train.width());
  arch.width = a.width;
  cfg.arch = arch.name();
  MetricsLog log(a.common.metrics.empty() ? a.out + "/metrics.jsonl" : a.common.metrics);
  Dsa<float> dsa;
  Progress progress("experts", a.experts * a.epochs, "epochs");
  Index done = 0;
  const std::function<void(const ExpertEpoch&)> on_epoch = [&](const ExpertEpoch& e) {
    progress.finish();
    std::printf("expert %ld epoch %ld/%ld loss %.4f train_acc %.2f%% test_acc %.2f%% (%.1f s)\n", long(e.expert),
                long(e.epoch), long(e.epochs), e.loss, 100 * e.train_accuracy, 100 * e.test_accuracy, e.seconds);
    std::fflush(stdout);
    log.write(report::expert_epoch_record(e));  // every rank its own experts' epochs
    if (lead_rank()) report::refresh(a.out);
    progress.update(++done);
  };
  if (a.device == "cuda") {
    std::string device;
    train_experts_cuda(cfg, data, pre, a.out, dsa, on_epoch, world(), &device);
    std::fprintf(stderr, "trained on %s (%s)\n", device.c_str(), math_name(a.tf32));
  } else {
    train_experts(cfg, data, pre, a.out, dsa, on_epoch, world());
  }
  progress.finish();
  if (lead_rank()) report::refresh(a.out);  // also when every expert was already complete
  std::printf("experts=%ld epochs=%ld out=%s\n", long(a.experts), long(a.epochs), a.out.c_str());
}

}  // namespace

void add_experts(CLI::App& app) {
  auto a = std::make_shared<ExpertsArgs>();
  auto* cmd = app.add_subcommand("experts", "Train expert trajectories (SGD lr 0.01, batch 256, DSA), saving the "
                                            "parameters at initialisation and after every epoch");
  cmd->add_option("--data", a->data, "Dataset directory")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--dataset", a->dataset, "Dataset format")->check(CLI::IsMember(dataset_kinds()))->capture_default_str();
  cmd->add_option("--out", a->out, "Output directory (created with its parents; an existing run there is resumed)")
      ->required();
  cmd->add_option("--experts", a->experts, "Number of experts")->capture_default_str()->check(at_least(1));
  cmd->add_option("--epochs", a->epochs, "Epochs per expert")->capture_default_str()->check(at_least(1));
  cmd->add_option("--limit", a->limit, "Use only the first N training images (0: all)")
      ->capture_default_str()
      ->check(at_least(0));
  cmd->add_flag("--zca", a->zca, "ZCA-whiten the data (eps 0.1, fitted on the training set)");
  cmd->add_option("--width", a->width, "ConvNet width")->capture_default_str()->check(at_least(1));
  cmd->add_option("--depth", a->depth, "ConvNet depth (default: 3 for 32x32 images, 4 for 64x64, 5 for 128x128)")
      ->check(at_least(1));
  cmd->add_option("--image-size", a->image_size, "With --dataset folder: resize every image to N x N on load")
      ->check(at_least(1));
  cmd->add_option("--seed", a->seed, "Random seed")->capture_default_str();
  add_device_flag(cmd, a->device, a->tf32, "training (and the ZCA fit)");
  a->common.add(cmd);
  cmd->callback([a] { run_experts(*a); });
}

}  // namespace distill::cli
