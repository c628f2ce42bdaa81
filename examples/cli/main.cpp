// The `distill` command: expert trajectories, evaluation of synthetic sets, pictures and
// benchmarks. Every error is reported on one line and exits non-zero.
#include <CLI/CLI.hpp>

#include <sys/resource.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "distill/distill.hpp"

namespace {

using namespace distill;
using nlohmann::json;

/// One-line progress bar on stderr with rate and ETA; redraws at most a few times a second.
class Progress {
 public:
  Progress(std::string label, Index total, std::string unit)
      : label_(std::move(label)), total_(total), unit_(std::move(unit)) {}
  void update(Index done) {
    const double s = timer_.seconds();
    if (done < total_ && s - last_ < 0.25) return;
    last_ = s;
    const double rate = s > 0 ? double(done) / s : 0;
    const double eta = rate > 0 ? double(total_ - done) / rate : 0;
    const int width = 30, filled = total_ ? int(width * double(done) / double(total_)) : width;
    std::fprintf(stderr, "\r%s [%.*s%*s] %ld/%ld %s  %.1f %s/s  ETA %s ", label_.c_str(), filled,
                 "##############################", width - filled, "", long(done), long(total_),
                 unit_.c_str(), rate, unit_.c_str(), format_seconds(eta).c_str());
    std::fflush(stderr);
  }
  void finish() { std::fprintf(stderr, "\n"); }

 private:
  static std::string format_seconds(double s) {
    char buf[32];
    const long t = long(s + 0.5);
    if (t >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
    else std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
    return buf;
  }
  std::string label_;
  Index total_;
  std::string unit_;
  Timer timer_;
  double last_ = -1;
};

void make_directory(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    DISTILL_CHECK(false, dir << ": cannot create directory: " << std::strerror(errno));
  struct stat st {};
  DISTILL_CHECK(::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode), dir << ": not a directory");
}

/// The first `limit` training images (all when limit ≤ 0).
void limit_train(Dataset<float>& train, Index limit) {
  if (limit <= 0 || limit >= train.size()) return;
  Tensor<float> images(Shape(limit, train.channels(), train.height(), train.width()));
  std::copy(train.images.data(), train.images.data() + images.size(), images.data());
  train.images = std::move(images);
  train.labels.resize(static_cast<std::size_t>(limit));
}

/// ZCA fitted on the training set (ε = 0.1, as the MTT code) or per-channel normalisation
/// (CIFAR-10's published statistics, fitted ones for other data); applied to both splits.
Preprocessing<float> preprocess(DatasetSplits<float>& data, bool zca, const std::string& dataset) {
  Timer t;
  Preprocessing<float> pre = Preprocessing<float>::none();
  if (zca) {
    std::fprintf(stderr, "fitting ZCA whitening on %ld training images ...\n", long(data.train.size()));
    pre = Preprocessing<float>::whiten(ZcaWhitening<float>(data.train.images.cview(), 0.1));
  } else {
    pre = Preprocessing<float>::normalize(dataset == "cifar10" ? cifar10_mean_std()
                                                               : ChannelNormalization::fit(data.train.images.cview()));
  }
  pre.apply(data.train.images);
  pre.apply(data.test.images);
  std::fprintf(stderr, "preprocessing (%s) took %.1f s\n", to_string(pre.kind), t.seconds());
  return pre;
}

DatasetSplits<float> load(const std::string& dataset, const std::string& dir) {
  Timer t;
  auto data = load_dataset<float>(dataset, dir);
  std::fprintf(stderr, "loaded %s: %ld training and %ld test images of %ldx%ldx%ld, %ld classes (%.1f s)\n",
               dataset.c_str(), long(data.train.size()), long(data.test.size()), long(data.train.channels()),
               long(data.train.height()), long(data.train.width()), long(data.train.classes), t.seconds());
  return data;
}

struct Common {
  int threads = 0;
  std::string metrics;
  void add(CLI::App* app, bool with_metrics = true) {
    app->add_option("--threads", threads, "OpenMP threads (0: OMP_NUM_THREADS or all cores)")
        ->capture_default_str();
    if (with_metrics) app->add_option("--metrics", metrics, "JSON-lines metrics file (appended)");
  }
  void apply() const {
    if (threads > 0) set_threads(threads);
  }
};

// ---------------------------------------------------------------------------------------------
struct ExpertsArgs {
  std::string data, dataset = "cifar10", out;
  Index experts = 1, epochs = 50, limit = 0, width = 128, depth = 3;
  bool zca = false;
  std::uint64_t seed = 0;
  Common common;
};

int run_experts(const ExpertsArgs& a) {
  a.common.apply();
  make_directory(a.out);
  auto data = load(a.dataset, a.data);
  limit_train(data.train, a.limit);
  const auto pre = preprocess(data, a.zca, a.dataset);
  ExpertConfig cfg;
  cfg.experts = a.experts;
  cfg.epochs = a.epochs;
  cfg.seed = a.seed;
  cfg.dataset = a.dataset;
  ArchSpec arch;
  arch.depth = a.depth;
  arch.width = a.width;
  cfg.arch = arch.name();
  MetricsLog log(a.common.metrics.empty() ? a.out + "/metrics.jsonl" : a.common.metrics);
  Dsa<float> dsa;
  Progress progress("experts", a.experts * a.epochs, "epochs");
  Index done = 0;
  train_experts(cfg, data, pre, a.out, &dsa, [&](const ExpertEpoch& e) {
    progress.finish();
    std::printf("expert %ld epoch %ld/%ld loss %.4f train_acc %.2f%% test_acc %.2f%% (%.1f s)\n",
                long(e.expert), long(e.epoch), long(e.epochs), e.loss, 100 * e.train_accuracy,
                100 * e.test_accuracy, e.seconds);
    std::fflush(stdout);
    log.write({{"event", "expert_epoch"}, {"expert", e.expert}, {"epoch", e.epoch}, {"loss", e.loss},
               {"train_accuracy", e.train_accuracy}, {"test_accuracy", e.test_accuracy},
               {"seconds", e.seconds}});
    progress.update(++done);
  });
  progress.finish();
  std::printf("experts=%ld epochs=%ld out=%s\n", long(a.experts), long(a.epochs), a.out.c_str());
  return 0;
}

// ---------------------------------------------------------------------------------------------
struct EvaluateArgs {
  std::string data, dataset = "cifar10", synthetic, arch = "ConvNet";
  Index runs = 5, epochs = 1000, random_ipc = 0;
  bool zca = false;
  double lr = 0.01;
  std::uint64_t seed = 0;
  Common common;
};

int run_evaluate(const EvaluateArgs& a) {
  a.common.apply();
  DISTILL_CHECK(a.synthetic.empty() != (a.random_ipc <= 0),
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
    const SyntheticSet set = load_synthetic_set(a.synthetic);
    auto data = load(set.dataset.empty() ? a.dataset : set.dataset, a.data);
    DISTILL_CHECK(data.test.classes <= set.classes,
                  a.synthetic << ": " << set.classes << " classes, the test set has " << data.test.classes);
    set.preprocessing.apply(data.test.images);
    cfg.lr = set.lr;
    const Labels<float> labels = set.has_soft_labels() ? Labels<float>{nullptr, set.label_logits.cview()}
                                                       : Labels<float>{&set.labels, {}};
    what = a.synthetic;
    acc = evaluate_set(cfg, set.images.cview(), labels, set.classes, data.test, &dsa).accuracies;
  } else {
    auto data = load(a.dataset, a.data);
    preprocess(data, a.zca, a.dataset);
    cfg.lr = a.lr;
    what = "random real images, " + std::to_string(a.random_ipc) + " per class" + (a.zca ? ", ZCA" : "");
    // A fresh random selection for every run, as the baseline is defined.
    for (Index r = 0; r < a.runs; ++r) {
      const auto idx = random_per_class(data.train, a.random_ipc, a.seed, std::uint64_t(r));
      Tensor<float> x;
      gather_samples(data.train.images.cview(), idx, 0, Index(idx.size()), x);
      std::vector<int> y;
      for (Index i : idx) y.push_back(data.train.labels[i]);
      EvalConfig one = cfg;
      one.runs = 1;
      one.seed = a.seed * 7919ull + std::uint64_t(r);
      one.on_epoch = [&](Index, Index epoch) { progress.update(r * a.epochs + epoch); };
      acc.push_back(evaluate_set(one, x.cview(), Labels<float>{&y, {}}, data.train.classes, data.test, &dsa)
                        .accuracies[0]);
    }
  }
  progress.finish();
  const EvalResult res = summarize_runs(acc);
  for (std::size_t r = 0; r < acc.size(); ++r) std::printf("run %zu: %.2f%%\n", r, 100 * acc[r]);
  log.write({{"event", "evaluate"}, {"set", what}, {"arch", a.arch}, {"epochs", a.epochs},
             {"accuracies", acc}, {"mean", res.mean}, {"std", res.std}});
  std::printf("set: %s, arch %s, %ld runs of %ld epochs\n", what.c_str(), a.arch.c_str(), long(a.runs),
              long(a.epochs));
  std::printf("accuracy_mean=%.2f accuracy_std=%.2f\n", 100 * res.mean, 100 * res.std);
  return 0;
}

// ---------------------------------------------------------------------------------------------
int run_show(const std::string& synthetic, const std::string& out, Index upscale, bool stretch) {
  SyntheticSet set = load_synthetic_set(synthetic);
  Tensor<float> images = set.images;
  set.preprocessing.invert(images);
  // One row per class, in class order, as many columns as the largest class.
  std::vector<std::vector<Index>> by_class(static_cast<std::size_t>(set.classes));
  for (Index i = 0; i < set.size(); ++i) by_class[set.labels[i]].push_back(i);
  Index cols = 0;
  for (const auto& c : by_class) cols = std::max<Index>(cols, Index(c.size()));
  const Shape s = images.shape();
  Tensor<float> grid(Shape(set.classes * cols, s.c, s.h, s.w), 1.0f);
  for (Index c = 0; c < set.classes; ++c)
    for (Index j = 0; j < Index(by_class[c].size()); ++j)
      std::copy(images.view().sample(by_class[c][j]), images.view().sample(by_class[c][j]) + s.sample_size(),
                grid.view().sample(c * cols + j));
  PngGridOptions opt;
  opt.upscale = upscale;
  opt.stretch = stretch;
  write_png_grid(out, grid.cview(), set.classes, cols, opt);
  std::printf("wrote %s: %ld classes x %ld images\n", out.c_str(), long(set.classes), long(cols));
  return 0;
}

// ---------------------------------------------------------------------------------------------
int run_bench_train(Index batch, Index images) {
  DISTILL_CHECK(batch > 0, "--batch must be positive, got " << batch);
  DISTILL_CHECK(images >= batch, "--images (" << images << ") must be at least --batch (" << batch << ")");
  ConvNet3<float> net;
  auto theta = net.init_params(0);
  Tensor<float> x(net.input_shape(batch)), gz(Shape(batch, 10));
  Rng rng(1);
  for (Index i = 0; i < x.size(); ++i) x[i] = float(rng.normal());
  std::vector<int> labels(batch);
  for (Index i = 0; i < batch; ++i) labels[i] = int(rng.below(10));
  CrossEntropy<float> ce;
  Sgd<float> sgd(0.01f);
  Vector<float> grad(net.num_params());
  auto step = [&] {
    const auto out = net.forward(theta, x);
    const float loss = ce.forward(out.logits, labels);
    ce.backward(gz);
    net.backward(theta.data(), gz, {}, grad.data());
    sgd.step(theta, grad);
    return loss;
  };
  step();  // warm-up: allocates workspaces and touches their pages
  const Index steps = images / batch;
  Progress progress("train step", steps * batch, "images");
  Timer timer;
  float loss = 0;
  for (Index s = 0; s < steps; ++s) {
    loss = step();
    progress.update((s + 1) * batch);
  }
  const double seconds = timer.seconds();
  progress.finish();
  std::printf("network=ConvNet-3 width=128 params=%ld batch=%ld steps=%ld threads=%d loss=%.4f seconds=%.3f\n",
              long(net.num_params()), long(batch), long(steps), max_threads(), loss, seconds);
  std::printf("images_per_second=%.1f\n", double(steps * batch) / seconds);
  return 0;
}

// ---------------------------------------------------------------------------------------------
double peak_rss_mib() {
  struct rusage u {};
  ::getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

/// One trajectory-matching iteration (the exact unrolled gradient through `steps` SGD steps of
/// ConvNet-3 with DSA) on generated images and random expert parameters.
int run_bench_tm(Index ipc, Index steps, Index batch_syn, Index iterations) {
  DISTILL_CHECK(ipc > 0 && steps > 0 && batch_syn > 0 && iterations > 0,
                "bench tm: --ipc, --syn-steps, --batch-syn and --iterations must be positive");
  const Index classes = 10, n = ipc * classes;
  ConvNet3<float> net;
  const auto theta0 = net.init_params(1);
  Vector<float> target = theta0;
  Rng rng(2);
  for (Index i = 0; i < target.size(); ++i) target[i] += 0.01f * float(rng.normal());
  Tensor<float> images(net.input_shape(n));
  for (Index i = 0; i < images.size(); ++i) images[i] = float(rng.normal());
  std::vector<int> labels(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) labels[i] = int(i / ipc);
  Dsa<float> dsa;
  Unroll<ConvNet3<float>, Dsa<float>> unroll(net, &dsa);
  UnrollGradients<float> grads;
  auto iteration = [&](Index it) {
    const auto plan = make_unroll_steps(n, steps, batch_syn, std::uint64_t(it));
    const float loss = unroll.forward(theta0, target, images.cview(), labels, {}, 0.01f, plan);
    unroll.backward(grads);
    return loss;
  };
  iteration(0);  // warm-up: workspaces
  Progress progress("tm iteration", iterations, "it");
  Timer timer;
  float loss = 0;
  for (Index it = 1; it <= iterations; ++it) {
    loss = iteration(it);
    progress.update(it);
  }
  const double seconds = timer.seconds() / double(iterations);
  progress.finish();
  std::printf("network=ConvNet-3 width=128 images=%ld syn_steps=%ld batch_syn=%ld iterations=%ld threads=%d "
              "loss=%.5f grad_lr=%.4g\n",
              long(n), long(steps), long(std::min(batch_syn, n)), long(iterations), max_threads(), loss, grads.lr);
  std::printf("seconds_per_iteration=%.3f peak_rss_mib=%.0f\n", seconds, peak_rss_mib());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"distill: dataset distillation on the CPU (" DISTILL_VERSION_STRING ")"};
  app.require_subcommand(1);
  // One line per error, like the errors of the commands themselves.
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("distill: error: ") + e.what() + " (see --help)\n";
  });
  const std::vector<std::string> datasets = {"cifar10", "cifar100", "idx"};

  ExpertsArgs ex;
  auto* experts = app.add_subcommand("experts", "Train expert trajectories (SGD lr 0.01, batch 256, DSA), "
                                                "saving the parameters at initialisation and after every epoch");
  experts->add_option("--data", ex.data, "Dataset directory")->required()->check(CLI::ExistingDirectory);
  experts->add_option("--dataset", ex.dataset, "Dataset format")->check(CLI::IsMember(datasets))->capture_default_str();
  experts->add_option("--out", ex.out, "Output directory (created; an existing run there is resumed)")->required();
  experts->add_option("--experts", ex.experts, "Number of experts")->capture_default_str()->check(CLI::PositiveNumber);
  experts->add_option("--epochs", ex.epochs, "Epochs per expert")->capture_default_str()->check(CLI::PositiveNumber);
  experts->add_option("--limit", ex.limit, "Use only the first N training images (0: all)")->capture_default_str();
  experts->add_flag("--zca", ex.zca, "ZCA-whiten the data (eps 0.1, fitted on the training set)");
  experts->add_option("--width", ex.width, "ConvNet width")->capture_default_str()->check(CLI::PositiveNumber);
  experts->add_option("--depth", ex.depth, "ConvNet depth")->capture_default_str()->check(CLI::PositiveNumber);
  experts->add_option("--seed", ex.seed, "Random seed")->capture_default_str();
  ex.common.add(experts);

  EvaluateArgs ev;
  auto* evaluate = app.add_subcommand(
      "evaluate", "Train fresh networks on a synthetic set (or random real images) and report test accuracy; "
                  "the last line is accuracy_mean=... accuracy_std=... in percent");
  evaluate->add_option("--data", ev.data, "Dataset directory (for the test set)")->required()->check(CLI::ExistingDirectory);
  evaluate->add_option("--dataset", ev.dataset, "Dataset format (a synthetic set names its own)")
      ->check(CLI::IsMember(datasets))->capture_default_str();
  evaluate->add_option("--synthetic", ev.synthetic, "Synthetic set (.safetensors)")->check(CLI::ExistingFile);
  evaluate->add_option("--random-ipc", ev.random_ipc, "Baseline: K random real images per class, drawn afresh per run");
  evaluate->add_flag("--zca", ev.zca, "With --random-ipc: ZCA-whiten the data (a synthetic set carries its own)");
  evaluate->add_option("--lr", ev.lr, "With --random-ipc: learning rate (a synthetic set carries its own)")->capture_default_str();
  evaluate->add_option("--runs", ev.runs, "Networks to train")->capture_default_str()->check(CLI::PositiveNumber);
  evaluate->add_option("--epochs", ev.epochs, "Epochs per network (lr x0.1 at the midpoint)")->capture_default_str()->check(CLI::PositiveNumber);
  evaluate->add_option("--arch", ev.arch, "ConvNet variant: ConvNet[D<n>][W<n>][BN|IN|NN][AP|MP|NP]")->capture_default_str();
  evaluate->add_option("--seed", ev.seed, "Random seed")->capture_default_str();
  ev.common.add(evaluate);

  std::string show_in, show_out;
  Index upscale = 2;
  bool stretch = false;
  auto* show = app.add_subcommand("show", "Write a synthetic set as a PNG grid, one row per class");
  show->add_option("--synthetic", show_in, "Synthetic set (.safetensors)")->required()->check(CLI::ExistingFile);
  show->add_option("--out", show_out, "PNG file to write")->required();
  show->add_option("--upscale", upscale, "Integer upscaling of every image")->capture_default_str()->check(CLI::PositiveNumber);
  show->add_flag("--stretch", stretch, "Stretch each image to its own min..max instead of clipping to [0,1]");

  auto* bench = app.add_subcommand("bench", "Measure the speed of the library's kernels");
  bench->require_subcommand(1);
  auto* train = bench->add_subcommand(
      "train", "ConvNet-3 (width 128) training steps (forward, backward, SGD) on generated 32x32x3 data; "
               "the last line is images_per_second=...");
  Index batch = 256, images = 2560;
  Common bench_common;
  train->add_option("--batch", batch, "Images per step")->capture_default_str();
  train->add_option("--images", images, "Images to process in the timed steps")->capture_default_str();
  bench_common.add(train, false);

  auto* tm = bench->add_subcommand(
      "tm", "One trajectory-matching iteration (exact unrolled gradient, ConvNet-3, DSA) on generated data; "
            "the last line is seconds_per_iteration=... peak_rss_mib=...");
  Index tm_ipc = 1, tm_steps = 50, tm_batch = 10, tm_iterations = 3;
  tm->add_option("--ipc", tm_ipc, "Images per class (10 classes)")->capture_default_str();
  tm->add_option("--syn-steps", tm_steps, "Unrolled SGD steps N")->capture_default_str();
  tm->add_option("--batch-syn", tm_batch, "Synthetic minibatch per step")->capture_default_str();
  tm->add_option("--iterations", tm_iterations, "Timed iterations (after one warm-up)")->capture_default_str();
  Common tm_common;
  tm_common.add(tm, false);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (experts->parsed()) return run_experts(ex);
    if (evaluate->parsed()) return run_evaluate(ev);
    if (show->parsed()) return run_show(show_in, show_out, upscale, stretch);
    if (train->parsed()) {
      bench_common.apply();
      return run_bench_train(batch, images);
    }
    if (tm->parsed()) {
      tm_common.apply();
      return run_bench_tm(tm_ipc, tm_steps, tm_batch, tm_iterations);
    }
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "\ndistill: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
