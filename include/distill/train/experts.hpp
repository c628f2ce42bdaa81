#ifndef DISTILL_TRAIN_EXPERTS_HPP
#define DISTILL_TRAIN_EXPERTS_HPP

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "distill/cluster/communicator.hpp"
#include "distill/core/seeds.hpp"
#include "distill/core/timer.hpp"
#include "distill/data/dataset.hpp"
#include "distill/data/file_io.hpp"
#include "distill/data/preprocess_io.hpp"
#include "distill/data/safetensors.hpp"
#include "distill/data/sample_source.hpp"
#include "distill/nn/arch.hpp"
#include "distill/train/trainer.hpp"

namespace distill {

/// Expert trajectories as the MTT buffer code trains them: plain SGD (lr 0.01, no momentum,
/// no weight decay), batch 256, DSA on every batch, parameters saved at initialisation and
/// after every epoch.
struct ExpertConfig {
  Index experts = 1;
  Index epochs = 50;
  Index batch = 256;
  double lr = 0.01;
  std::uint64_t seed = 0;
  std::string arch = "ConvNet";
  std::string dataset;  ///< recorded in the files, e.g. "cifar10"
};

/// One expert: checkpoints θ_0 … θ_e (e = epochs done so far) and per-epoch accuracies.
struct ExpertTrajectory {
  std::vector<Vector<float>> checkpoints;
  std::vector<double> train_accuracy, test_accuracy;  ///< one per epoch done
  std::map<std::string, std::string> metadata;
  Index epochs_done() const { return static_cast<Index>(checkpoints.size()) - 1; }
};

/// Progress of expert training, reported after every epoch.
struct ExpertEpoch {
  Index expert = 0, epoch = 0, epochs = 0;
  double loss = 0, train_accuracy = 0, test_accuracy = 0, seconds = 0;
};

inline std::string expert_path(const std::string& dir, Index expert) {
  char name[64];
  std::snprintf(name, sizeof name, "expert_%03ld.safetensors", long(expert));
  return dir + "/" + name;
}
inline std::string preprocessing_path(const std::string& dir) {
  return dir + "/preprocessing.safetensors";
}

inline ExpertTrajectory load_expert(const std::string& path) {
  const SafetensorsFile f = read_safetensors(path);
  ExpertTrajectory t;
  t.metadata = f.metadata;
  DISTILL_CHECK(f.metadata.count("kind") && f.metadata.at("kind") == "distill.expert_trajectory",
                path << ": not an expert trajectory (metadata field 'kind')");
  t.checkpoints = f.get_stacked<float>("trajectory");
  DISTILL_CHECK(!t.checkpoints.empty(), path << ": tensor 'trajectory' has no checkpoints");
  auto accuracies = [&](const char* key) {
    DISTILL_CHECK(f.metadata.count(key), path << ": metadata field '" << key << "' is missing");
    std::vector<double> v;
    try {
      v = nlohmann::json::parse(f.metadata.at(key)).get<std::vector<double>>();
    } catch (const std::exception& e) {
      DISTILL_CHECK(false, path << ": metadata field '" << key << "': " << e.what());
    }
    DISTILL_CHECK(static_cast<Index>(v.size()) == t.epochs_done(),
                  path << ": metadata field '" << key << "' has " << v.size() << " entries for "
                       << t.epochs_done() << " epochs");
    return v;
  };
  t.train_accuracy = accuracies("train_accuracy");
  t.test_accuracy = accuracies("test_accuracy");
  return t;
}

/// Trains cfg.experts experts on `data` (already preprocessed) into `dir`, one file per expert
/// (expert_000.safetensors, …), rewritten atomically after every epoch, and the preprocessing
/// into preprocessing.safetensors. Completed experts are skipped and a partly trained one
/// continues from its last saved epoch; since every epoch depends only on θ and (seed, epoch),
/// the result equals an uninterrupted run. `augment`: Dsa, or IdentityAugment for none.
/// The experts train on `Backend` (train_network); the files do not depend on it, so training
/// may continue on another device, where the same seed gives the same batches and draws.
/// Across the ranks of `comm`, expert k is trained by rank k mod size (the files are those of
/// one process: each depends only on its seed); rank 0 writes the preprocessing, and every rank
/// returns once all experts are done. `on_epoch` reports this rank's experts.
template <class Backend = cpu::Backend, class Augment>
void train_experts(const ExpertConfig& cfg, const DatasetSplits<float>& data,
                   const Preprocessing<float>& preprocessing, const std::string& dir,
                   const Augment& augment, const std::function<void(const ExpertEpoch&)>& on_epoch = {},
                   const Communicator& comm = single_process()) {
  DISTILL_CHECK(cfg.experts > 0 && cfg.epochs > 0,
                "experts: --experts and --epochs must be positive");
  const auto& train = data.train;
  const ArchSpec arch = parse_arch(cfg.arch);
  if (comm.rank() == 0) {
    SafetensorsFile pre;
    pre.metadata["kind"] = "distill.preprocessing";
    pre.metadata["dataset"] = cfg.dataset;
    add_preprocessing(pre, preprocessing);
    write_safetensors(preprocessing_path(dir), pre);
  }
  SampleSource<float, Backend> test_images(data.test.images.cview());
  visit_conv_net<float, Backend>(arch, ConvNetConfig{train.channels(), train.height(), train.width(), train.classes},
                                 [&](auto& net) {
    nlohmann::json names = nlohmann::json::array();
    for (const auto& e : net.layout().entries()) names.push_back({{"name", e.name}, {"shape", e.shape}});
    for (Index k = 0; k < cfg.experts; ++k) {
      if (owner_round_robin(k, comm.size()) != comm.rank()) continue;
      const std::string path = expert_path(dir, k);
      const std::uint64_t seed = seeds::expert(cfg.seed, std::uint64_t(k));
      ExpertTrajectory traj;
      if (regular_file_exists(path)) {
        traj = load_expert(path);
        auto expect = [&](const char* key, const std::string& value) {
          const auto it = traj.metadata.find(key);
          DISTILL_CHECK(it != traj.metadata.end() && it->second == value,
                        path << ": cannot resume: metadata field '" << key << "' is '"
                             << (it == traj.metadata.end() ? std::string("(missing)") : it->second)
                             << "', this run has '" << value << "'");
        };
        expect("arch", arch.name());
        expect("dataset", cfg.dataset);
        expect("seed", std::to_string(seed));
        expect("batch", std::to_string(cfg.batch));
        expect("lr", std::to_string(cfg.lr));
        expect("train_size", std::to_string(train.size()));
        DISTILL_CHECK(traj.checkpoints[0].size() == net.num_params(),
                      path << ": checkpoints have " << traj.checkpoints[0].size()
                           << " parameters, the network " << net.num_params());
        if (traj.epochs_done() >= cfg.epochs) continue;
      } else {
        traj.checkpoints.push_back(net.init_params(seed));
      }
      Vector<float> theta = traj.checkpoints.back();
      TrainConfig tc;
      tc.epochs = cfg.epochs;
      tc.first_epoch = traj.epochs_done();
      tc.batch = cfg.batch;
      tc.lr = cfg.lr;
      tc.seed = seed;
      Timer timer;
      train_network(net, theta, train.images.cview(), Labels<float>{&train.labels, {}}, tc, augment,
                    [&](const EpochStats& s) {
                      const double test = test_accuracy(net, theta, test_images, data.test.labels);
                      traj.checkpoints.push_back(theta);
                      traj.train_accuracy.push_back(s.accuracy);
                      traj.test_accuracy.push_back(test);
                      SafetensorsFile f;
                      f.metadata = {{"kind", "distill.expert_trajectory"},
                                    {"arch", arch.name()},
                                    {"dataset", cfg.dataset},
                                    {"preprocessing", to_string(preprocessing.kind)},
                                    {"seed", std::to_string(seed)},
                                    {"batch", std::to_string(cfg.batch)},
                                    {"lr", std::to_string(cfg.lr)},
                                    {"train_size", std::to_string(train.size())},
                                    {"epochs_done", std::to_string(s.epoch)},
                                    {"epochs_planned", std::to_string(cfg.epochs)},
                                    {"augmentation", augment.is_identity() ? "none" : "dsa"},
                                    {"parameters", names.dump()},
                                    {"train_accuracy", nlohmann::json(traj.train_accuracy).dump()},
                                    {"test_accuracy", nlohmann::json(traj.test_accuracy).dump()}};
                      f.add_stacked("trajectory", traj.checkpoints);
                      write_safetensors(path, f);
                      if (on_epoch) on_epoch({k, s.epoch, cfg.epochs, s.loss, s.accuracy, test, timer.seconds()});
                      timer.reset();
                    });
    }
    return 0;
  });
  comm.barrier();
}

/// Every expert of a directory written by train_experts, with the preprocessing they were
/// trained under. Only checkpoints 0 … keep_epochs are kept in memory (all when negative);
/// the last checkpoint of every file is kept apart, since DATM labels images with it.
struct ExpertSet {
  std::vector<std::vector<Vector<float>>> checkpoints;  ///< [expert][epoch]
  std::vector<Vector<float>> final_params;              ///< each expert's last checkpoint
  Preprocessing<float> preprocessing = Preprocessing<float>::none();
  std::string arch, dataset, directory;

  Index size() const { return static_cast<Index>(checkpoints.size()); }
  /// Epochs available in every expert (the shortest one).
  Index epochs() const {
    Index e = -1;
    for (const auto& c : checkpoints) e = e < 0 ? Index(c.size()) - 1 : std::min(e, Index(c.size()) - 1);
    return e;
  }
};

inline ExpertSet load_experts(const std::string& dir, Index keep_epochs = -1) {
  ExpertSet set;
  set.directory = dir;
  {
    const std::string path = preprocessing_path(dir);
    DISTILL_CHECK(regular_file_exists(path), path << ": missing (is " << dir
                                                  << " a directory written by `distill experts`?)");
    set.preprocessing = get_preprocessing(read_safetensors(path), path);
  }
  for (Index k = 0; regular_file_exists(expert_path(dir, k)); ++k) {
    const std::string path = expert_path(dir, k);
    ExpertTrajectory t = load_expert(path);
    const std::string arch = t.metadata.count("arch") ? t.metadata.at("arch") : "";
    const std::string dataset = t.metadata.count("dataset") ? t.metadata.at("dataset") : "";
    if (k == 0) {
      set.arch = arch;
      set.dataset = dataset;
    }
    DISTILL_CHECK(arch == set.arch, path << ": metadata field 'arch' is '" << arch << "', expert 0 has '"
                                         << set.arch << "'");
    DISTILL_CHECK(dataset == set.dataset, path << ": metadata field 'dataset' is '" << dataset
                                               << "', expert 0 has '" << set.dataset << "'");
    DISTILL_CHECK(t.checkpoints.front().size() == (set.final_params.empty() ? t.checkpoints.front().size()
                                                                            : set.final_params[0].size()),
                  path << ": " << t.checkpoints.front().size() << " parameters, expert 0 has "
                       << set.final_params[0].size());
    set.final_params.push_back(t.checkpoints.back());
    if (keep_epochs >= 0 && Index(t.checkpoints.size()) > keep_epochs + 1) t.checkpoints.resize(keep_epochs + 1);
    set.checkpoints.push_back(std::move(t.checkpoints));
  }
  DISTILL_CHECK(set.size() > 0, dir << ": no expert trajectories (expected " << expert_path(dir, 0) << ")");
  return set;
}

/// The dataset the experts in `dir` were trained on (their metadata), or `fallback` when
/// they do not say.
inline std::string experts_dataset(const std::string& dir, const std::string& fallback) {
  const ExpertTrajectory first = load_expert(expert_path(dir, 0));
  const auto it = first.metadata.find("dataset");
  return it == first.metadata.end() || it->second.empty() ? fallback : it->second;
}

}  // namespace distill

#endif  // DISTILL_TRAIN_EXPERTS_HPP
