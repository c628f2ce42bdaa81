// distill evaluate: the evaluation protocol on a synthetic set, or on random real images (a
// fresh draw per network); the last line is accuracy_mean=... accuracy_std=... in percent.
#include <memory>

#include "commands.hpp"
#include "progress.hpp"

namespace distill::cli {

namespace {

struct EvaluateArgs {
  std::string data, dataset = "cifar10", synthetic, arch = "ConvNet";
  Index runs = 5, epochs = 1000, random_ipc = 0;
  bool zca = false;
  double lr = 0.01;
  std::uint64_t seed = 0;
  CommonFlags common;
};

void run_evaluate(const EvaluateArgs& a) {
  a.common.apply();
  DISTILL_CHECK(a.synthetic.empty() != (a.random_ipc == 0),
                "evaluate: give exactly one of --synthetic FILE and --random-ipc K");
  MetricsLog log;
  if (!a.common.metrics.empty()) log.open(a.common.metrics);
  EvalConfig cfg;
  cfg.arch = a.arch;
  cfg.runs = a.runs;
  cfg.epochs = a.epochs;
  cfg.seed = a.seed;
  Dsa<float> dsa;
  Progress progress("evaluate", a.runs * a.epochs, "epochs");
  cfg.on_epoch = [&](Index run, Index epoch) { progress.update(run * a.epochs + epoch); };
  std::vector<double> acc;
  std::string what;
  if (!a.synthetic.empty()) {
    // A multi-formation set trains on its decoded images.
    const SyntheticSet stored = load_synthetic_set(a.synthetic);
    const SyntheticSet set = decoded_set(stored);
    auto data = load_data(set.dataset.empty() ? a.dataset : set.dataset, a.data);
    DISTILL_CHECK(data.test.classes <= set.classes,
                  a.synthetic << ": " << set.classes << " classes, the test set has " << data.test.classes);
    set.preprocessing.apply(data.test.images);
    cfg.lr = set.lr;
    const Labels<float> labels = set.has_soft_labels() ? Labels<float>{nullptr, set.label_logits.cview()}
                                                       : Labels<float>{&set.labels, {}};
    what = a.synthetic + ", " + std::to_string(set.size()) + " images";
    if (const Index f = formation_factor(stored); f > 1)
      what += " (" + std::to_string(stored.size()) + " stored, multi-formation factor " + std::to_string(f) + ")";
    acc = evaluate_set(cfg, set.images.cview(), labels, set.classes, data.test, &dsa).accuracies;
  } else {
    auto data = load_data(a.dataset, a.data);
    preprocess(data, a.zca, a.dataset);
    cfg.lr = a.lr;
    what = "random real images, " + std::to_string(a.random_ipc) + " per class" + (a.zca ? ", ZCA" : "");
    // A fresh random selection for every network, as the baseline is defined.
    for (Index r = 0; r < a.runs; ++r) {
      const Dataset<float> subset = random_real_subset(data.train, a.random_ipc, a.seed, std::uint64_t(r));
      EvalConfig one = cfg;
      one.runs = 1;
      one.seed = seeds::evaluation_run(a.seed, std::uint64_t(r));
      one.on_epoch = [&](Index, Index epoch) { progress.update(r * a.epochs + epoch); };
      acc.push_back(evaluate_set(one, subset.images.cview(), Labels<float>{&subset.labels, {}}, data.train.classes,
                                 data.test, &dsa)
                        .accuracies[0]);
    }
  }
  progress.finish();
  const EvalResult res = summarize_runs(acc);
  for (std::size_t r = 0; r < acc.size(); ++r) std::printf("run %zu: %.2f%%\n", r, 100 * acc[r]);
  log.write({{"event", "evaluate"}, {"set", what}, {"arch", a.arch}, {"epochs", a.epochs},
             {"accuracies", acc}, {"mean", res.mean}, {"std", res.std}});
  std::printf("set: %s, arch %s, %ld runs of %ld epochs\n", what.c_str(), a.arch.c_str(), long(a.runs), long(a.epochs));
  std::printf("accuracy_mean=%.2f accuracy_std=%.2f\n", 100 * res.mean, 100 * res.std);
}

}  // namespace

void add_evaluate(CLI::App& app) {
  auto a = std::make_shared<EvaluateArgs>();
  auto* cmd = app.add_subcommand("evaluate", "Train fresh networks on a synthetic set (or random real images) and "
                                             "report test accuracy; the last line is accuracy_mean=... "
                                             "accuracy_std=... in percent");
  cmd->add_option("--data", a->data, "Dataset directory (for the test set)")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--dataset", a->dataset, "Dataset format (a synthetic set names its own)")
      ->check(CLI::IsMember(dataset_kinds()))
      ->capture_default_str();
  cmd->add_option("--synthetic", a->synthetic, "Synthetic set (.safetensors)")->check(CLI::ExistingFile);
  cmd->add_option("--random-ipc", a->random_ipc, "Baseline: K random real images per class, drawn afresh per run")
      ->check(at_least(1));
  cmd->add_flag("--zca", a->zca, "With --random-ipc: ZCA-whiten the data (a synthetic set carries its own)");
  cmd->add_option("--lr", a->lr, "With --random-ipc: learning rate (a synthetic set carries its own)")
      ->capture_default_str()
      ->check(positive_real());
  cmd->add_option("--runs", a->runs, "Networks to train")->capture_default_str()->check(at_least(1));
  cmd->add_option("--epochs", a->epochs, "Epochs per network (lr x0.1 at the midpoint)")
      ->capture_default_str()
      ->check(at_least(1));
  cmd->add_option("--arch", a->arch, "ConvNet variant: ConvNet[D<n>][W<n>][BN|IN|NN][AP|MP|NP]")->capture_default_str();
  cmd->add_option("--seed", a->seed, "Random seed")->capture_default_str();
  a->common.add(cmd);
  cmd->callback([a] { run_evaluate(*a); });
}

}  // namespace distill::cli
