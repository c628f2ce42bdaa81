// distill evaluate: the evaluation protocol on a synthetic set, or on random real images (a
// fresh draw per network); the last line is accuracy_mean=... accuracy_std=... in percent. A
// set in a run directory gets its results recorded there and shown in the run's report.
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "commands.hpp"
#include "progress.hpp"
#include "world.hpp"

namespace distill::cli {

namespace {

struct EvaluateArgs {
  std::string data, dataset = "cifar10", synthetic, arch = "ConvNet", device = "cpu";
  bool tf32 = false;
  Index runs = 5, epochs = 1000, random_ipc = 0, image_size = 0;
  bool zca = false;
  double lr = 0.01;
  std::uint64_t seed = 0;
  CommonFlags common;
};

/// The architectures of --arch, comma-separated, each checked by name.
std::vector<std::string> arch_list(const std::string& flag) {
  std::vector<std::string> archs;
  std::string::size_type begin = 0;
  while (begin <= flag.size()) {
    const auto end = flag.find(',', begin);
    const std::string name = flag.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    DISTILL_CHECK(!name.empty(), "--arch: empty architecture name in '" << flag << "'");
    parse_arch(name);  // throws naming the architecture
    archs.push_back(name);
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  return archs;
}

/// A set that lives in a run directory gets its results appended to the run's
/// evaluations.jsonl, and the run's report.html shows them.
void record_in_run(const EvaluateArgs& a, const std::vector<std::string>& archs, const std::vector<EvalResult>& results,
                   const std::map<std::string, std::string>& info) {
  if (a.synthetic.empty()) return;
  const std::filesystem::path file(a.synthetic);
  const std::string dir = file.has_parent_path() ? file.parent_path().string() : ".";
  if (!report::is_run_directory(dir)) return;
  const auto it = info.find("iteration");
  const Index iteration = it == info.end() ? -1 : std::atol(it->second.c_str());
  MetricsLog log(dir + "/evaluations.jsonl");
  for (std::size_t ai = 0; ai < archs.size(); ++ai)
    log.write(report::evaluation_record(file.filename().string(), archs[ai], a.epochs, results[ai].accuracies,
                                        results[ai].mean, results[ai].std, iteration));
  report::refresh(dir);
  std::fprintf(stderr, "recorded in %s/evaluations.jsonl and %s\n", dir.c_str(), report::report_path(dir).c_str());
}

void run_evaluate(const EvaluateArgs& a) {
  a.common.apply();
  use_device(a.device, a.tf32);
  DISTILL_CHECK(a.synthetic.empty() != (a.random_ipc == 0),
                "evaluate: give exactly one of --synthetic FILE and --random-ipc K");
  const std::vector<std::string> archs = arch_list(a.arch);
  MetricsLog log;
  if (!a.common.metrics.empty() && lead_rank()) log.open(a.common.metrics);
  EvalConfig cfg;
  cfg.runs = a.runs;
  cfg.epochs = a.epochs;
  cfg.seed = a.seed;
  Dsa<float> dsa;
  std::string device_name = "cpu";
  // The protocol on the chosen device; its runs spread over `comm`'s ranks.
  const auto evaluate_on = [&](const EvalConfig& c, ConstView<float> images, const Labels<float>& labels,
                               Index classes, const Dataset<float>& test, const Communicator& comm) {
    if (a.device == "cuda") return evaluate_set_cuda(c, images, labels, classes, test, dsa, comm, &device_name);
    return evaluate_set(c, images, labels, classes, test, dsa, {}, comm);
  };
  const Index per_arch = a.runs * a.epochs;
  Progress progress("evaluate", Index(archs.size()) * per_arch, "epochs");
  std::string what;
  // evaluate(arch_index) trains the networks of one architecture and returns their accuracies.
  std::function<std::vector<double>(std::size_t)> evaluate;
  std::optional<SyntheticSet> set;
  std::optional<DatasetSplits<float>> data;
  if (!a.synthetic.empty()) {
    // A multi-formation set trains on its decoded images.
    const SyntheticSet stored = load_synthetic_set(a.synthetic);
    set = decoded_set(stored);
    data = load_data(set->dataset.empty() ? dataset_kind(a.dataset, a.image_size) : set->dataset, a.data);
    DISTILL_CHECK(data->test.classes <= set->classes,
                  a.synthetic << ": " << set->classes << " classes, the test set has " << data->test.classes);
    set->preprocessing.apply(data->test.images);
    cfg.lr = set->lr;
    what = a.synthetic + ", " + std::to_string(set->size()) + " images";
    if (const Index f = formation_factor(stored); f > 1)
      what += " (" + std::to_string(stored.size()) + " stored, multi-formation factor " + std::to_string(f) + ")";
    evaluate = [&](std::size_t ai) {
      EvalConfig c = cfg;
      c.arch = archs[ai];
      c.on_epoch = [&, ai](Index run, Index epoch) { progress.update(Index(ai) * per_arch + run * a.epochs + epoch); };
      const Labels<float> labels = set->has_soft_labels() ? Labels<float>{nullptr, set->label_logits.cview()}
                                                          : Labels<float>{&set->labels, {}};
      return evaluate_on(c, set->images.cview(), labels, set->classes, data->test, world()).accuracies;
    };
  } else {
    const std::string kind = dataset_kind(a.dataset, a.image_size);
    data = load_data(kind, a.data);
    preprocess(*data, a.zca, kind, a.device);
    cfg.lr = a.lr;
    what = "random real images, " + std::to_string(a.random_ipc) + " per class" + (a.zca ? ", ZCA" : "");
    // A fresh random selection for every network, as the baseline is defined; run r on rank
    // r mod size, the accuracies in run order on every rank.
    evaluate = [&](std::size_t ai) {
      std::vector<std::pair<Index, std::vector<double>>> mine;
      for (Index r = 0; r < a.runs; ++r) {
        if (owner_round_robin(r, world().size()) != world().rank()) continue;
        const Dataset<float> subset = random_real_subset(data->train, a.random_ipc, a.seed, std::uint64_t(r));
        EvalConfig one = cfg;
        one.arch = archs[ai];
        one.runs = 1;
        one.seed = seeds::evaluation_run(a.seed, std::uint64_t(r));
        one.on_epoch = [&, ai, r](Index, Index epoch) { progress.update(Index(ai) * per_arch + r * a.epochs + epoch); };
        mine.push_back({r, evaluate_on(one, subset.images.cview(), Labels<float>{&subset.labels, {}},
                                       data->train.classes, data->test, single_process())
                               .accuracies});
      }
      std::vector<double> acc;
      for (const std::vector<double>& run : exchange_shards(world(), a.runs, mine)) acc.push_back(run.at(0));
      return acc;
    };
  }
  std::vector<EvalResult> results;
  for (std::size_t ai = 0; ai < archs.size(); ++ai) {
    const std::vector<double> acc = evaluate(ai);
    results.push_back(summarize_runs(acc));
    log.write({{"event", "evaluate"}, {"set", what}, {"arch", archs[ai]}, {"epochs", a.epochs},
               {"accuracies", acc}, {"mean", results.back().mean}, {"std", results.back().std}});
  }
  progress.finish();
  if (a.device == "cuda") std::fprintf(stderr, "evaluated on %s (%s)\n", device_name.c_str(), math_name(a.tf32));
  if (lead_rank()) record_in_run(a, archs, results, set ? set->info : std::map<std::string, std::string>{});
  if (archs.size() == 1) {
    for (std::size_t r = 0; r < results[0].accuracies.size(); ++r)
      std::printf("run %zu: %.2f%%\n", r, 100 * results[0].accuracies[r]);
    std::printf("set: %s, arch %s, %ld runs of %ld epochs\n", what.c_str(), archs[0].c_str(), long(a.runs),
                long(a.epochs));
    std::printf("accuracy_mean=%.2f accuracy_std=%.2f\n", 100 * results[0].mean, 100 * results[0].std);
    return;
  }
  // One table (mean ± std and every run), then one line per architecture for scripts.
  std::printf("set: %s, %ld runs of %ld epochs per architecture\n", what.c_str(), long(a.runs), long(a.epochs));
  std::printf("%-16s %15s  runs\n", "architecture", "accuracy (%)");
  for (std::size_t ai = 0; ai < archs.size(); ++ai) {
    std::string runs;
    char buf[32];
    for (double x : results[ai].accuracies) {
      std::snprintf(buf, sizeof buf, "%s%.2f", runs.empty() ? "" : " ", 100 * x);
      runs += buf;
    }
    std::printf("%-16s %6.2f +- %5.2f  %s\n", archs[ai].c_str(), 100 * results[ai].mean, 100 * results[ai].std,
                runs.c_str());
  }
  for (std::size_t ai = 0; ai < archs.size(); ++ai)
    std::printf("arch=%s accuracy_mean=%.2f accuracy_std=%.2f\n", archs[ai].c_str(), 100 * results[ai].mean,
                100 * results[ai].std);
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
  cmd->add_option("--arch", a->arch, "ConvNet variant(s), comma-separated for one table: "
                                     "ConvNet[D<n>][W<n>][BN|IN|NN][AP|MP|NP], e.g. ConvNet,ConvNetBN,ConvNetD4")
      ->capture_default_str();
  cmd->add_option("--image-size", a->image_size, "With --dataset folder: resize every image to N x N on load")
      ->check(at_least(1));
  cmd->add_option("--seed", a->seed, "Random seed")->capture_default_str();
  add_device_flag(cmd, a->device, a->tf32, "the networks' training and testing (and a ZCA fit)");
  a->common.add(cmd);
  cmd->callback([a] { run_evaluate(*a); });
}

}  // namespace distill::cli
