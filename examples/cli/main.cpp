// The `distill` command. Subcommands arrive with the issues that need them; this one measures
// the ConvNet-3 training step on generated data.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <vector>

#include "distill/distill.hpp"

namespace {

using namespace distill;

/// One-line progress bar on stderr with rate and ETA.
class Progress {
 public:
  Progress(const char* label, Index total, const char* unit)
      : label_(label), total_(total), unit_(unit) {}
  void update(Index done) {
    const double s = timer_.seconds(), rate = s > 0 ? done / s : 0;
    const double eta = rate > 0 ? (total_ - done) / rate : 0;
    const int width = 30, filled = int(width * double(done) / double(total_));
    std::fprintf(stderr, "\r%s [%.*s%*s] %ld/%ld %s  %.1f %s/s  ETA %.0fs ", label_, filled,
                 "##############################", width - filled, "", long(done), long(total_),
                 unit_, rate, unit_, eta);
    std::fflush(stderr);
  }
  void finish() { std::fprintf(stderr, "\n"); }

 private:
  const char* label_;
  Index total_;
  const char* unit_;
  Timer timer_;
};

int bench_train(Index batch, Index images, int threads) {
  DISTILL_CHECK(batch > 0, "--batch must be positive, got " << batch);
  DISTILL_CHECK(images >= batch, "--images (" << images << ") must be at least --batch (" << batch << ")");
  if (threads > 0) set_threads(threads);
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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"distill: dataset distillation on the CPU (" DISTILL_VERSION_STRING ")"};
  app.require_subcommand(1);
  auto* bench = app.add_subcommand("bench", "Measure the speed of the library's kernels");
  bench->require_subcommand(1);
  auto* train = bench->add_subcommand(
      "train", "ConvNet-3 (width 128) training steps (forward, backward, SGD) on generated 32x32x3 data");
  Index batch = 256, images = 2560;
  int threads = 0;
  train->add_option("--batch", batch, "Images per step")->capture_default_str();
  train->add_option("--images", images, "Images to process in the timed steps")->capture_default_str();
  train->add_option("--threads", threads, "OpenMP threads (0: OMP_NUM_THREADS or all cores)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    if (train->parsed()) return bench_train(batch, images, threads);
  } catch (const std::exception& e) {
    std::cerr << "distill: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
