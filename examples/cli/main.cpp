// The `distill` command: expert trajectories, evaluation of synthetic sets, pictures and
// benchmarks. Every error is reported on one line and exits non-zero.
#include <CLI/CLI.hpp>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "common/tm_workload.hpp"
#include "distill/distill.hpp"

namespace {

using namespace distill;
using nlohmann::json;

/// One-line progress bar on stderr with rate and ETA; redraws at most a few times a second.
class Progress {
 public:
  Progress(std::string label, Index total, std::string unit)
      : label_(std::move(label)), total_(total), unit_(std::move(unit)), drawn_(::isatty(::fileno(stderr)) != 0) {}
  void update(Index done) {
    // A redirected log gets the printed iteration lines, not hundreds of redrawn bars.
    if (!drawn_) return;
    const double s = timer_.seconds();
    if (done < total_ && s - last_ < 0.25) return;
    last_ = s;
    const double rate = s > 0 ? double(done) / s : 0;
    const double eta = rate > 0 ? double(total_ - done) / rate : 0;
    const int width = 30, filled = total_ ? int(width * double(done) / double(total_)) : width;
    char speed[48];
    if (rate >= 1 || rate == 0) std::snprintf(speed, sizeof speed, "%.1f %s/s", rate, unit_.c_str());
    else std::snprintf(speed, sizeof speed, "%.1f s per %.*s", 1 / rate, int(unit_.size() - (unit_.back() == 's')),
                       unit_.c_str());
    std::fprintf(stderr, "\r%s [%.*s%*s] %ld/%ld %s  %s  ETA %s ", label_.c_str(), filled,
                 "##############################", width - filled, "", long(done), long(total_),
                 unit_.c_str(), speed, format_seconds(eta).c_str());
    std::fflush(stderr);
  }
  void finish() {
    if (drawn_) std::fprintf(stderr, "\n");
  }

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
  bool drawn_;
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
    // A multi-formation set trains on its decoded images.
    const SyntheticSet stored = load_synthetic_set(a.synthetic);
    const SyntheticSet set = decoded_set(stored);
    auto data = load(set.dataset.empty() ? a.dataset : set.dataset, a.data);
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
int run_show(const std::string& synthetic, const std::string& out, Index upscale, bool stretch, bool decode) {
  const SyntheticSet stored = load_synthetic_set(synthetic);
  const SyntheticSet set = decode ? decoded_set(stored) : stored;
  PngGridOptions opt;
  opt.upscale = upscale;
  opt.stretch = stretch;
  write_synthetic_set_png(out, set, opt);
  std::printf("wrote %s: %ld classes, %ld images\n", out.c_str(), long(set.classes), long(set.size()));
  return 0;
}

// ---------------------------------------------------------------------------------------------
struct RunArgs {
  std::string method, experts, data, dataset = "cifar10", out, preset, config;
  std::vector<std::string> set;
  Index ipc = 1, iterations = -1, syn_steps = -1, batch_syn = -1, eval_every = -1, eval_runs = -1, eval_epochs = -1,
        final_eval_runs = -1, checkpoint_every = -1;
  long long seed = -1;
  bool resume = false, print_settings = false;
  Common common;
};

/// Preset, then --config, then --set key=value, then the explicit flags; validated.
DistillSettings resolve_settings(const RunArgs& a, const std::string& dataset) {
  const std::string name = a.preset.empty() ? dataset + "-ipc" + std::to_string(a.ipc) : a.preset;
  DistillSettings s = preset_settings(a.method, name);
  s.ipc = a.ipc;
  if (!a.config.empty()) {
    const auto bytes = read_file_bytes(a.config);
    json j;
    try {
      j = json::parse(bytes.begin(), bytes.end());
    } catch (const std::exception& e) {
      DISTILL_CHECK(false, a.config << ": not valid JSON: " << e.what());
    }
    apply_settings(s, j, a.config);
  }
  for (const std::string& kv : a.set) {
    const auto eq = kv.find('=');
    DISTILL_CHECK(eq != std::string::npos && eq > 0, "--set '" << kv << "': expected key=value");
    const std::string key = kv.substr(0, eq), value = kv.substr(eq + 1);
    json v;
    try {
      v = json::parse(value);
    } catch (const std::exception&) {
      v = value;  // a bare word is a string: --set contrast=ntxent
    }
    apply_settings(s, json{{key, v}}, "--set " + key);
  }
  if (a.iterations >= 0) s.iterations = a.iterations;
  if (a.syn_steps >= 0) s.syn_steps = a.syn_steps;
  if (a.batch_syn >= 0) s.batch_syn = a.batch_syn;
  if (a.eval_every >= 0) s.eval_every = a.eval_every;
  if (a.eval_runs >= 0) s.eval_runs = a.eval_runs;
  if (a.final_eval_runs >= 0) s.final_eval_runs = a.final_eval_runs;
  if (a.eval_epochs >= 0) s.eval_epochs = a.eval_epochs;
  if (a.checkpoint_every >= 0) s.checkpoint_every = a.checkpoint_every;
  if (a.seed >= 0) s.seed = std::uint64_t(a.seed);
  s.method = a.method;
  validate(s, "settings");
  return s;
}

using DistillNet = ConvNet<float, Dynamic, Dynamic, norm::Instance, pool::Avg>;

template <class Method>
DistillResult distill_with(const DistillSettings& s, DistillNet& net, const DatasetSplits<float>& data,
                           const ExpertSet& experts, const RunArgs& a) {
  const Dsa<float> dsa(dsa_config(s));
  DistillerOptions opt;
  opt.out_dir = a.out;
  opt.resume = a.resume;
  Progress progress("distill", s.iterations, "it");
  opt.on_iteration = [&](const IterationRecord& r) {
    progress.update(r.iteration);
    if (r.iteration % 10 == 0 || r.iteration == r.iterations) {
      progress.finish();
      std::printf("iteration %ld/%ld loss %.5f%s lr %.6g (%.2f s/it)\n", long(r.iteration), long(r.iterations),
                  r.loss, r.skipped ? " (skipped)" : "", r.lr, r.seconds);
      std::fflush(stdout);
    }
  };
  opt.on_evaluation = [&](const EvaluationRecord& e) {
    progress.finish();
    std::printf("%s evaluation at iteration %ld: %.2f%% +- %.2f%% (%zu runs, %.0f s)\n", e.final ? "final" : "periodic",
                long(e.iteration), 100 * e.result.mean, 100 * e.result.std, e.result.accuracies.size(), e.seconds);
    std::fflush(stdout);
  };
  Distiller<Method, DistillNet> d(Method::from_settings(s), s, net, data, experts,
                                  dsa.config().ops.empty() ? nullptr : &dsa, opt);
  return d.run();
}

int run_distill(const RunArgs& a) {
  a.common.apply();
  // DM needs no experts; every other method does, and the experts' dataset picks the preset.
  const bool needs_experts = a.method != "dm";
  DISTILL_CHECK(!needs_experts || !a.experts.empty(), "run: --method " << a.method << " needs --experts DIR");
  std::string dataset = a.dataset;
  if (!a.experts.empty()) {
    const ExpertTrajectory first = load_expert(expert_path(a.experts, 0));
    if (first.metadata.count("dataset")) dataset = first.metadata.at("dataset");
  }
  DistillSettings s = resolve_settings(a, dataset);
  if (a.print_settings) {
    std::printf("%s\n", to_json(s).dump(2).c_str());
    return 0;
  }
  Timer wall;
  const bool tm = s.method == "mtt" || s.method == "tesla" || s.method == "datm" || s.method == "datm-clr";
  ExpertSet experts;
  DatasetSplits<float> data;
  if (needs_experts) {
    experts = load_experts(a.experts, tm ? last_expert_epoch(s) : -1);
    // Trajectory matching loads only the epochs its start window can reach.
    std::fprintf(stderr, "experts: %ld from %s (%s, %s, epochs 0-%ld loaded)\n", long(experts.size()),
                 a.experts.c_str(), experts.arch.c_str(), to_string(experts.preprocessing.kind), long(experts.epochs()));
    if (s.zca != (experts.preprocessing.kind == PreprocessKind::kZca))
      std::fprintf(stderr, "warning: the %s setting %s ZCA, the experts were trained %s it\n", s.method.c_str(),
                   s.zca ? "uses" : "does not use",
                   experts.preprocessing.kind == PreprocessKind::kZca ? "with" : "without");
    data = load(experts.dataset.empty() ? s.dataset : experts.dataset, a.data);
    experts.preprocessing.apply(data.train.images);
    experts.preprocessing.apply(data.test.images);
  } else {
    data = load(dataset, a.data);
    experts.preprocessing = preprocess(data, s.zca, dataset);
    experts.dataset = dataset;
    experts.arch = "ConvNet";
  }
  const ArchSpec arch = parse_arch(experts.arch.empty() ? "ConvNet" : experts.arch);
  DISTILL_CHECK(arch.norm == ArchSpec::Norm::kInstance && arch.pool == ArchSpec::Pool::kAvg,
                a.experts << ": experts use " << arch.name()
                          << "; distillation runs ConvNet[D n][W n] with instance norm and average pooling");
  make_directory(a.out);
  DistillNet net(ConvNetConfig{data.train.channels(), data.train.height(), data.train.width(), data.train.classes,
                               arch.width, arch.depth});
  DistillResult r;
  if (s.method == "mtt") r = distill_with<MTT>(s, net, data, experts, a);
  else if (s.method == "tesla") r = distill_with<TESLA>(s, net, data, experts, a);
  else if (s.method == "datm") r = distill_with<DATM>(s, net, data, experts, a);
  else if (s.method == "datm-clr") r = distill_with<DATM_CLR>(s, net, data, experts, a);
  else if (s.method == "dm") r = s.factor > 1 ? distill_with<DM_MF>(s, net, data, experts, a) : distill_with<DM>(s, net, data, experts, a);
  else r = s.factor > 1 ? distill_with<TGDD_MF>(s, net, data, experts, a) : distill_with<TGDD>(s, net, data, experts, a);

  const std::string png = a.out + "/synthetic.png";
  write_synthetic_set_png(png, r.set);
  json summary = {{"method", s.method}, {"settings", to_json(s)}, {"experts", a.experts},
                  {"experts_count", experts.size()}, {"iterations", r.iterations}, {"lr", r.set.lr},
                  {"seconds", wall.seconds()}, {"synthetic", a.out + "/synthetic.safetensors"}, {"png", png}};
  if (r.best_iteration >= 0) summary["best"] = {{"iteration", r.best_iteration}, {"accuracy", r.best_accuracy}};
  if (!r.final_evaluation.accuracies.empty())
    summary["final_evaluation"] = {{"accuracies", r.final_evaluation.accuracies},
                                   {"mean", r.final_evaluation.mean}, {"std", r.final_evaluation.std}};
  const std::string text = summary.dump(2) + "\n";
  write_file_atomic(a.out + "/summary.json", {{reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}});
  std::printf("wrote %s/synthetic.safetensors, %s, %s/summary.json (%.0f s)\n", a.out.c_str(), png.c_str(),
              a.out.c_str(), wall.seconds());
  if (!r.final_evaluation.accuracies.empty())
    std::printf("accuracy_mean=%.2f accuracy_std=%.2f\n", 100 * r.final_evaluation.mean, 100 * r.final_evaluation.std);
  else
    std::printf("iterations=%ld\n", long(r.iterations));
  return 0;
}

int run_presets() {
  for (const auto& [method, name] : preset_names())
    std::printf("%s %s %s\n", method.c_str(), name.c_str(), to_json(preset_settings(method, name)).dump().c_str());
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

/// Runs `iteration(0)` once to warm up workspaces, then iterations 1 … n under a progress bar;
/// returns the mean seconds per timed iteration and the last iteration's value.
template <class F>
std::pair<double, double> time_iterations(const char* label, Index n, F&& iteration) {
  iteration(0);
  Progress progress(label, n, "it");
  Timer timer;
  double last = 0;
  for (Index it = 1; it <= n; ++it) {
    last = double(iteration(it));
    progress.update(it);
  }
  const double seconds = timer.seconds() / double(n);
  progress.finish();
  return {seconds, last};
}

/// One trajectory-matching iteration (the exact unrolled gradient through `steps` SGD steps of
/// ConvNet-3 with DSA) on generated images and random expert parameters.
int run_bench_tm(Index ipc, Index steps, Index batch_syn, Index iterations) {
  DISTILL_CHECK(ipc > 0 && steps > 0 && batch_syn > 0 && iterations > 0,
                "bench tm: --ipc, --syn-steps, --batch-syn and --iterations must be positive");
  bench::TmWorkload w(ipc, steps, batch_syn);
  const Index n = w.images_count();
  auto iteration = [&](Index it) { return w.iteration(std::uint64_t(it)); };
  const auto [seconds, loss] = time_iterations("tm iteration", iterations, iteration);
  std::printf("network=ConvNet-3 width=128 images=%ld syn_steps=%ld batch_syn=%ld iterations=%ld threads=%d "
              "loss=%.5f grad_lr=%.4g\n",
              long(n), long(steps), long(std::min(batch_syn, n)), long(iterations), max_threads(), loss, w.grads.lr);
  std::printf("seconds_per_iteration=%.3f peak_rss_mib=%.0f\n", seconds, peak_rss_mib());
  return 0;
}

/// One distribution-matching iteration (DM or TGDD at its preset, all classes) on generated
/// CIFAR-10-shaped data and random expert parameters.
template <class Method>
int bench_dm_with(const std::string& method, Index ipc, Index iterations) {
  const DistillSettings s = preset_settings(method, "cifar10-ipc" + std::to_string(ipc));
  const Index classes = 10, per_class = 300;
  DatasetSplits<float> data;
  data.train.classes = data.test.classes = classes;
  data.train.images.resize(Shape(classes * per_class, 3, 32, 32));
  Rng rng(5);
  for (Index i = 0; i < data.train.images.size(); ++i) data.train.images[i] = float(rng.normal());
  for (Index i = 0; i < classes * per_class; ++i) data.train.labels.push_back(int(i % classes));
  DistillNet net(ConvNetConfig{3, 32, 32, classes, 128, 3});
  ExpertSet experts;
  experts.directory = "(generated)";
  std::vector<Vector<float>> traj{net.init_params(1)};
  for (Index e = 1; e <= 20; ++e) {
    traj.push_back(traj.back());
    for (Index i = 0; i < traj.back().size(); ++i) traj.back()[i] += 0.001f * float(rng.normal());
  }
  experts.final_params.push_back(traj.back());
  experts.checkpoints.push_back(traj);
  Dsa<float> dsa;
  const Method m = Method::from_settings(s);
  typename Method::template State<DistillNet> state(m, net, experts, data.train, &dsa);
  SyntheticSet syn;
  state.initialize(syn, ipc, 0);
  SyntheticGradients<float> grads;
  Sgd<float> opt(float(s.lr_img), float(s.image_momentum));
  auto iteration = [&](Index it) {
    double loss = 0;
    for (Index step = 0; step < state.steps_per_iteration(); ++step) {
      loss += state.iterate(it, step, 0, syn, grads).loss;
      opt.step(syn.images.vec(), grads.images.vec());
    }
    return loss;
  };
  const auto [seconds, loss] = time_iterations("dm iteration", iterations, iteration);
  std::printf("method=%s network=ConvNet-3 width=128 ipc=%ld batch_real=%ld steps_per_iteration=%ld iterations=%ld "
              "threads=%d loss=%.5f\n",
              method.c_str(), long(ipc), long(s.batch_real), long(state.steps_per_iteration()), long(iterations),
              max_threads(), loss);
  std::printf("seconds_per_iteration=%.3f peak_rss_mib=%.0f\n", seconds, peak_rss_mib());
  return 0;
}

int run_bench_dm(const std::string& method, Index ipc, Index iterations) {
  DISTILL_CHECK(ipc > 0 && iterations > 0, "bench dm: --ipc and --iterations must be positive");
  return method == "dm" ? bench_dm_with<DM>(method, ipc, iterations) : bench_dm_with<TGDD>(method, ipc, iterations);
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

  RunArgs ra;
  auto* run = app.add_subcommand(
      "run", "Distil a dataset (trajectory matching or distribution matching); writes the synthetic set, "
             "a PNG grid, checkpoints, metrics and a summary; the last line is accuracy_mean=... accuracy_std=...");
  const std::vector<std::string> methods = {"mtt", "tesla", "datm", "datm-clr", "dm", "tgdd"};
  run->add_option("--method", ra.method, "Method")->required()->check(CLI::IsMember(methods));
  run->add_option("--ipc", ra.ipc, "Synthetic images per class")->capture_default_str()->check(CLI::PositiveNumber);
  run->add_option("--experts", ra.experts, "Directory of expert trajectories (distill experts); all methods but dm")
      ->check(CLI::ExistingDirectory);
  run->add_option("--dataset", ra.dataset, "Dataset format when no experts are given (dm)")
      ->check(CLI::IsMember(datasets))->capture_default_str();
  run->add_option("--data", ra.data, "Dataset directory")->required()->check(CLI::ExistingDirectory);
  run->add_option("--out", ra.out, "Output directory (created)")->required();
  run->add_option("--preset", ra.preset, "Published setting, e.g. cifar10-ipc10 (default: <dataset>-ipc<K>; "
                                         "see `distill presets`)");
  run->add_option("--config", ra.config, "JSON file of settings applied over the preset")->check(CLI::ExistingFile);
  run->add_option("--set", ra.set, "Override one setting, key=value (JSON value), e.g. --set syn_steps=20 "
                                   "--set contrast=ntxent; repeatable");
  run->add_option("--iterations", ra.iterations, "Outer iterations (default: the preset's)");
  run->add_option("--syn-steps", ra.syn_steps, "Unrolled student steps N (default: the preset's)");
  run->add_option("--batch-syn", ra.batch_syn, "Student minibatch (0: the whole set; default: the preset's)");
  run->add_option("--eval-every", ra.eval_every, "Evaluate every E iterations (0: only at the end; default 500)");
  run->add_option("--eval-runs", ra.eval_runs, "Networks per periodic evaluation (default 1)");
  run->add_option("--final-eval-runs", ra.final_eval_runs, "Networks for the final evaluation (default 5; 0: none)");
  run->add_option("--eval-epochs", ra.eval_epochs, "Epochs per evaluation network (default 1000)");
  run->add_option("--checkpoint-every", ra.checkpoint_every, "Write the checkpoint every C iterations (default 10)");
  run->add_option("--seed", ra.seed, "Random seed (default 0)");
  run->add_flag("--resume", ra.resume, "Continue the run in --out from its checkpoint");
  run->add_flag("--print-settings", ra.print_settings, "Print the resolved settings as JSON and exit");
  ra.common.add(run, false);

  auto* presets_cmd = app.add_subcommand("presets", "List the published settings: method, preset, settings as JSON");

  std::string show_in, show_out;
  Index upscale = 2;
  bool stretch = false, decode = false;
  auto* show = app.add_subcommand("show", "Write a synthetic set as a PNG grid, one row per class");
  show->add_option("--synthetic", show_in, "Synthetic set (.safetensors)")->required()->check(CLI::ExistingFile);
  show->add_option("--out", show_out, "PNG file to write")->required();
  show->add_option("--upscale", upscale, "Integer upscaling of every image")->capture_default_str()->check(CLI::PositiveNumber);
  show->add_flag("--stretch", stretch, "Stretch each image to its own min..max instead of clipping to [0,1]");
  show->add_flag("--decode", decode, "Show a multi-formation set's decoded images (f² per stored image)");

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

  auto* dm = bench->add_subcommand(
      "dm", "One distribution-matching iteration (DM or TGDD at its CIFAR-10 preset) on generated data; "
            "the last line is seconds_per_iteration=... peak_rss_mib=...");
  std::string dm_method = "dm";
  Index dm_ipc = 10, dm_iterations = 5;
  dm->add_option("--method", dm_method, "dm or tgdd")->check(CLI::IsMember({"dm", "tgdd"}))->capture_default_str();
  dm->add_option("--ipc", dm_ipc, "Images per class: 1, 10 or 50 (the presets)")->capture_default_str();
  dm->add_option("--iterations", dm_iterations, "Timed iterations (after one warm-up)")->capture_default_str();
  Common dm_common;
  dm_common.add(dm, false);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (experts->parsed()) return run_experts(ex);
    if (evaluate->parsed()) return run_evaluate(ev);
    if (run->parsed()) return run_distill(ra);
    if (presets_cmd->parsed()) return run_presets();
    if (show->parsed()) return run_show(show_in, show_out, upscale, stretch, decode);
    if (train->parsed()) {
      bench_common.apply();
      return run_bench_train(batch, images);
    }
    if (tm->parsed()) {
      tm_common.apply();
      return run_bench_tm(tm_ipc, tm_steps, tm_batch, tm_iterations);
    }
    if (dm->parsed()) {
      dm_common.apply();
      return run_bench_dm(dm_method, dm_ipc, dm_iterations);
    }
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "\ndistill: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
