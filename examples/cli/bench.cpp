// distill bench: the speed of the library's kernels on generated data; the last line of each
// is a figure (images_per_second=..., seconds_per_iteration=... peak_rss_mib=...).
#include <sys/resource.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "commands.hpp"
#include "distill/bench/flops.hpp"
#include "distill/bench/method_workload.hpp"
#include "distill/bench/tm_workload.hpp"
#include "bench_train.hpp"
#include "progress.hpp"

namespace distill::cli {

namespace {

double peak_rss_mib() {
  struct rusage u {};
  ::getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

/// What a timed workload did per second, and on the CPU its fraction of the same process's
/// SGEMM rate (2048³, the same threads; docs/performance.md): " gflops=… gemm_gflops=…
/// gemm_fraction=…", or " gflops=…" on a GPU.
std::string rate_fields(double flops, double seconds, bool cpu) {
  const double gflops = flops / seconds / 1e9;
  char buf[160];
  if (!cpu) {
    std::snprintf(buf, sizeof buf, " gflops=%.1f", gflops);
  } else {
    const double gemm = bench::sgemm_gflops();
    std::snprintf(buf, sizeof buf, " gflops=%.1f gemm_gflops=%.1f gemm_fraction=%.3f", gflops, gemm, gflops / gemm);
  }
  return buf;
}

/// The last line of `bench tm` and `bench dm`: seconds per iteration, memory (the device's too,
/// for a GPU run) and the rate.
void print_time_line(double seconds, const DeviceMemoryMiB* device, double flops) {
  const std::string rate = rate_fields(flops, seconds, device == nullptr);
  if (device)
    std::printf("seconds_per_iteration=%.3f peak_rss_mib=%.0f pool_peak_mib=%.0f pool_reserved_peak_mib=%.0f "
                "device_used_mib=%.0f device_total_mib=%.0f%s\n",
                seconds, peak_rss_mib(), device->pool_peak_in_use, device->pool_peak_reserved, device->device_used,
                device->device_total, rate.c_str());
  else
    std::printf("seconds_per_iteration=%.3f peak_rss_mib=%.0f%s\n", seconds, peak_rss_mib(), rate.c_str());
}

const ConvNetConfig kCifar10{3, 32, 32, 10};

void bench_train(Index batch, Index images, const std::string& device, bool tf32) {
  DISTILL_CHECK(images >= batch, "--images (" << images << ") must be at least --batch (" << batch << ")");
  const Index steps = images / batch;
  TrainFigures f;
  if (device == "cuda") {
    f = train_figures_cuda(batch, steps);
  } else {
    f = train_figures<cpu::Backend>(batch, steps);
  }
  std::printf("network=ConvNet-3 width=128 params=%ld batch=%ld steps=%ld device=%s math=%s threads=%d loss=%.4f "
              "seconds=%.3f\n",
              long(f.params), long(batch), long(steps), f.device.c_str(), math_name(tf32), max_threads(), f.loss,
              f.seconds * double(steps));
  const double flops = bench::training_step_flops(bench::conv_net_pass(kCifar10, 128, 3, batch));
  std::printf("images_per_second=%.1f%s\n", double(batch) / f.seconds,
              rate_fields(flops, f.seconds, device != "cuda").c_str());
}

/// One trajectory-matching iteration: the exact unrolled gradient through `steps` SGD steps
/// of ConvNet-3 with DSA, on generated images and random expert parameters.
void bench_tm(Index ipc, Index classes, Index steps, Index batch_syn, Index iterations, Index unroll_memory,
              const std::string& device, bool tf32) {
  TmFigures f;
  if (device == "cuda") {
    f = tm_figures_cuda(ipc, classes, steps, batch_syn, iterations, unroll_memory);
  } else {
    bench::TmWorkload w(ipc, steps, batch_syn, classes, std::size_t(unroll_memory) << 20);
    const auto [seconds, loss] = time_iterations("tm iteration", iterations, [&](Index it) {
      return w.iteration(std::uint64_t(it));
    });
    f = {"cpu", w.net.num_params(), w.images_count(), seconds, loss, w.grads.lr, w.unroll.kept_steps()};
  }
  const Index n = f.images;
  std::printf("network=ConvNet-3 width=128 classes=%ld images=%ld syn_steps=%ld batch_syn=%ld iterations=%ld "
              "unroll_memory_mib=%ld kept_steps=%ld device=%s math=%s threads=%d loss=%.5f grad_lr=%.4g\n",
              long(classes), long(n), long(steps), long(std::min(batch_syn, n)), long(iterations), long(unroll_memory),
              long(f.kept_steps), f.device.c_str(), math_name(tf32), max_threads(), f.loss, f.grad_lr);
  const ConvNetConfig net{3, 32, 32, classes};
  print_time_line(f.seconds, device == "cuda" ? &f.memory : nullptr,
                  bench::exact_unroll_flops(net, 128, 3, steps, std::min(batch_syn, n), f.kept_steps));
}

/// One distribution-matching iteration (any distribution-matching method of the registry at
/// its CIFAR-10 preset, every class) on generated data and a generated expert.
void bench_dm(const std::string& method, Index ipc, Index iterations, const std::string& device, bool tf32) {
  const DistillSettings s = preset_settings(method, "cifar10-ipc" + std::to_string(ipc));
  DmFigures f;
  if (device == "cuda") {
    f = dm_figures_cuda(method, ipc, iterations);
  } else {
    builtin_methods().visit(s, [&](auto m) {
      bench::MethodWorkload<decltype(m)> w(std::move(m), s, ipc);
      const auto [seconds, loss] = time_iterations("dm iteration", iterations, [&](Index it) { return w.iteration(it); });
      f = {"cpu", w.steps_per_iteration(), seconds, loss};
    });
  }
  std::printf("method=%s network=ConvNet-3 width=128 ipc=%ld batch_real=%ld steps_per_iteration=%ld "
              "iterations=%ld device=%s math=%s threads=%d loss=%.5f\n",
              method.c_str(), long(ipc), long(s.batch_real), long(f.steps_per_iteration), long(iterations),
              f.device.c_str(), math_name(tf32), max_threads(), f.loss);
  // The workload's classes have 300 real images each; every class steps once per iteration.
  const double flops = 10 * bench::distribution_matching_class_flops(kCifar10, 128, 3, std::min<Index>(s.batch_real, 300),
                                                                     ipc * s.factor * s.factor, s.alpha > 0);
  print_time_line(f.seconds, device == "cuda" ? &f.memory : nullptr, flops);
}

/// One network of the evaluation protocol (ConvNet-3, DSA, batch 256, SGD with momentum, the
/// learning rate ×0.1 at the midpoint) trained on `ipc` generated images per class, then tested
/// on `test_images` generated images: what a run's final evaluation costs per network.
void bench_eval(Index ipc, Index epochs, Index test_images) {
  const Index n = kCifar10.classes * ipc;
  Rng rng(1);
  Tensor<float> images(Shape(n, kCifar10.channels, kCifar10.height, kCifar10.width));
  for (Index i = 0; i < images.size(); ++i) images[i] = float(rng.normal());
  std::vector<int> labels(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) labels[std::size_t(i)] = int(i % kCifar10.classes);
  Dataset<float> test;
  test.classes = kCifar10.classes;
  test.images.resize(Shape(test_images, kCifar10.channels, kCifar10.height, kCifar10.width));
  for (Index i = 0; i < test.images.size(); ++i) test.images[i] = float(rng.normal());
  for (Index i = 0; i < test_images; ++i) test.labels.push_back(int(rng.below(std::uint64_t(kCifar10.classes))));
  EvalConfig cfg;
  cfg.runs = 1;
  cfg.epochs = epochs;
  Progress progress("evaluation epoch", epochs, "epoch");
  cfg.on_epoch = [&](Index, Index epoch) { progress.update(epoch + 1); };
  Timer timer;
  const EvalResult r = evaluate_set<cpu::Backend>(cfg, images.cview(), Labels<float>{&labels, {}}, kCifar10.classes,
                                                  test, Dsa<float>{});
  const double seconds = timer.seconds();
  progress.finish();
  std::printf("network=ConvNet-3 width=128 ipc=%ld images=%ld epochs=%ld batch=%ld test_images=%ld device=cpu "
              "threads=%d accuracy=%.4f seconds=%.3f\n",
              long(ipc), long(n), long(epochs), long(cfg.batch), long(test_images), max_threads(), r.mean, seconds);
  const double flops = bench::evaluation_flops(kCifar10, 128, 3, n, cfg.batch, epochs, test_images);
  std::printf("images_per_second=%.1f%s\n", double(n) * double(epochs) / seconds,
              rate_fields(flops, seconds, true).c_str());
}

}  // namespace

void add_bench(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "Measure the speed of the library's kernels");
  bench->require_subcommand(1);
  // The sub-subcommands share one set of values; only the one given runs.
  struct Args {
    std::string device = "cpu";
    bool tf32 = false;
    Index batch = 256, images = 2560, tm_ipc = 1, tm_classes = 10, tm_steps = 50, tm_batch = 10, tm_iterations = 3,
          tm_unroll_memory = setting_defaults::unroll_memory,
          dm_ipc = 10, dm_iterations = 5, eval_ipc = 10, eval_epochs = 100, eval_test = 10000;
    std::string dm_method = "dm";
    CommonFlags common;
  };
  auto a = std::make_shared<Args>();
  auto* train = bench->add_subcommand("train", "ConvNet-3 (width 128) training steps (forward, backward, SGD) on "
                                               "generated 32x32x3 data; the last line is images_per_second=...");
  train->add_option("--batch", a->batch, "Images per step")->capture_default_str()->check(at_least(1));
  train->add_option("--images", a->images, "Images to process in the timed steps")->capture_default_str()->check(at_least(1));
  train->add_option("--device", a->device, "cpu, or cuda (the GPU backend, when built with it)")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  auto* tm = bench->add_subcommand("tm", "One trajectory-matching iteration (exact unrolled gradient, ConvNet-3, DSA) "
                                         "on generated data; the last line is seconds_per_iteration=... peak_rss_mib=...");
  tm->add_option("--ipc", a->tm_ipc, "Images per class")->capture_default_str()->check(at_least(1));
  tm->add_option("--classes", a->tm_classes, "Classes: 10 (CIFAR-10's network) or 100 (CIFAR-100's)")
      ->capture_default_str()
      ->check(at_least(2));
  tm->add_option("--syn-steps", a->tm_steps, "Unrolled SGD steps N")->capture_default_str()->check(at_least(1));
  tm->add_option("--batch-syn", a->tm_batch, "Synthetic minibatch per step")->capture_default_str()->check(at_least(1));
  tm->add_option("--iterations", a->tm_iterations, "Timed iterations (after one warm-up)")
      ->capture_default_str()
      ->check(at_least(1));
  tm->add_option("--unroll-memory", a->tm_unroll_memory,
                 "MiB of each step's convolution results kept between the sweeps (0: recompute every step)")
      ->capture_default_str()
      ->check(at_least(0));
  tm->add_option("--device", a->device, "cpu, or cuda (the GPU backend, when built with it)")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  auto* dm = bench->add_subcommand("dm", "One distribution-matching iteration (DM or TGDD at its CIFAR-10 preset) on "
                                         "generated data; the last line is seconds_per_iteration=... peak_rss_mib=...");
  std::vector<std::string> dm_methods;
  for (const std::string& n : builtin_methods().names())
    if (builtin_methods().info(n).family == MethodFamily::kDistributionMatching) dm_methods.push_back(n);
  dm->add_option("--method", a->dm_method, "A distribution-matching method")
      ->check(CLI::IsMember(dm_methods))
      ->capture_default_str();
  dm->add_option("--ipc", a->dm_ipc, "Images per class: 1, 10 or 50 (the presets)")->capture_default_str()->check(at_least(1));
  dm->add_option("--iterations", a->dm_iterations, "Timed iterations (after one warm-up)")
      ->capture_default_str()
      ->check(at_least(1));
  dm->add_option("--device", a->device, "cpu, or cuda (the GPU backend, when built with it)")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  auto* eval = bench->add_subcommand("eval", "One network of the evaluation protocol (ConvNet-3, DSA, batch 256) on a "
                                             "generated set, then its test pass; the last line is images_per_second=...");
  eval->add_option("--ipc", a->eval_ipc, "Images per class of the set")->capture_default_str()->check(at_least(1));
  eval->add_option("--epochs", a->eval_epochs, "Training epochs (the protocol's 1000 cost 10x the default)")
      ->capture_default_str()
      ->check(at_least(1));
  eval->add_option("--test-images", a->eval_test, "Test images classified after training")
      ->capture_default_str()
      ->check(at_least(1));
  a->common.add(eval, false);
  eval->callback([a] {
    a->common.apply();
    bench_eval(a->eval_ipc, a->eval_epochs, a->eval_test);
  });
  for (CLI::App* sub : {train, tm, dm}) {
    add_tf32_flag(sub, a->tf32);
    a->common.add(sub, false);
  }
  train->callback([a] {
    a->common.apply();
    use_device(a->device, a->tf32);
    bench_train(a->batch, a->images, a->device, a->tf32);
  });
  tm->callback([a] {
    a->common.apply();
    use_device(a->device, a->tf32);
    bench_tm(a->tm_ipc, a->tm_classes, a->tm_steps, a->tm_batch, a->tm_iterations, a->tm_unroll_memory, a->device,
             a->tf32);
  });
  dm->callback([a] {
    a->common.apply();
    use_device(a->device, a->tf32);
    bench_dm(a->dm_method, a->dm_ipc, a->dm_iterations, a->device, a->tf32);
  });
}

}  // namespace distill::cli
