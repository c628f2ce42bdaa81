#ifndef DISTILL_TRAIN_EVALUATE_HPP
#define DISTILL_TRAIN_EVALUATE_HPP

#include <cmath>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "distill/cluster/communicator.hpp"
#include "distill/core/seeds.hpp"
#include "distill/data/dataset.hpp"
#include "distill/data/sample_source.hpp"
#include "distill/data/sampling.hpp"
#include "distill/nn/arch.hpp"
#include "distill/train/trainer.hpp"

namespace distill {

/// The evaluation protocol of the distillation papers (MTT `evaluate_synset`): fresh networks
/// trained on a (synthetic) set with SGD momentum 0.9, weight decay 5e-4, batch 256, lr = the
/// set's learned step size, `epochs` epochs with the lr ×0.1 at the midpoint, DSA on every
/// batch, then top-1 test accuracy; mean ± std (population, as numpy.std) over `runs` networks.
struct EvalConfig {
  std::string arch = "ConvNet";
  Index runs = 5;
  Index epochs = 1000;
  Index batch = 256;
  double lr = 0.01;
  double momentum = 0.9;
  double weight_decay = 5e-4;
  std::uint64_t seed = 0;
  /// Called after every training epoch with (run, epoch); optional, for progress displays.
  std::function<void(Index, Index)> on_epoch;
};

struct EvalResult {
  std::vector<double> accuracies;  ///< per run, in [0, 1]
  double mean = 0, std = 0;
};

inline EvalResult summarize_runs(std::vector<double> accuracies) {
  EvalResult r;
  r.accuracies = std::move(accuracies);
  const double n = double(r.accuracies.size());
  for (double a : r.accuracies) r.mean += a / n;
  for (double a : r.accuracies) r.std += (a - r.mean) * (a - r.mean) / n;
  r.std = std::sqrt(r.std);
  return r;
}

/// Trains cfg.runs fresh networks of architecture cfg.arch on (images, labels) and tests each on
/// `test`. Run r initialises with seed (cfg.seed, r) and draws its batches and augmentations
/// from the same, so every run is reproducible on its own. `on_run(r, accuracy)` is optional.
/// The networks train and test on `Backend` (train_network; on a device the test set is
/// uploaded once for all runs); the data are host data either way. Across the ranks of `comm`,
/// run r trains on rank r mod size and every rank returns every run's accuracy, in run order:
/// one process's result. `on_run` and cfg.on_epoch report this rank's runs.
template <class Backend = cpu::Backend, class Scalar, class Augment>
EvalResult evaluate_set(const EvalConfig& cfg, ConstView<Scalar> images, const Labels<Scalar>& labels,
                        Index classes, const Dataset<Scalar>& test, const Augment& augment,
                        const std::function<void(Index, double)>& on_run = {},
                        const Communicator& comm = single_process()) {
  DISTILL_CHECK(cfg.runs > 0, "evaluate: runs must be positive, got " << cfg.runs);
  const Shape s = images.shape();
  DISTILL_CHECK(test.channels() == s.c && test.height() == s.h && test.width() == s.w,
                "evaluate: test images " << test.images.shape() << " do not match the set " << s);
  const ArchSpec arch = parse_arch(cfg.arch);
  SampleSource<Scalar, Backend> test_images(test.images.cview());
  std::vector<std::pair<Index, std::vector<double>>> mine;
  for (Index r = 0; r < cfg.runs; ++r) {
    if (owner_round_robin(r, comm.size()) != comm.rank()) continue;
    const double a = visit_conv_net<Scalar, Backend>(arch, ConvNetConfig{s.c, s.h, s.w, classes}, [&](auto& net) {
      const std::uint64_t seed = seeds::evaluation_run(cfg.seed, std::uint64_t(r));
      auto theta = net.init_params(seed);
      TrainConfig tc;
      tc.epochs = cfg.epochs;
      tc.batch = cfg.batch;
      tc.lr = cfg.lr;
      tc.momentum = cfg.momentum;
      tc.weight_decay = cfg.weight_decay;
      tc.decay_at_midpoint = true;
      tc.seed = seed;
      train_network(net, theta, images, labels, tc, augment, [&](const EpochStats& st) {
        if (cfg.on_epoch) cfg.on_epoch(r, st.epoch);
      });
      return test_accuracy(net, theta, test_images, test.labels);
    });
    mine.push_back({r, {a}});
    if (on_run) on_run(r, a);
  }
  std::vector<double> acc;
  for (const auto& run : exchange_shards(comm, cfg.runs, mine)) acc.push_back(run.at(0));
  return summarize_runs(std::move(acc));
}

}  // namespace distill

#endif  // DISTILL_TRAIN_EVALUATE_HPP
