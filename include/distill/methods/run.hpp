#ifndef DISTILL_METHODS_RUN_HPP
#define DISTILL_METHODS_RUN_HPP

#include <string>
#include <utility>

#include "distill/augment/dsa.hpp"
#include "distill/data/dataset.hpp"
#include "distill/data/preprocess.hpp"
#include "distill/data/zca_backend.hpp"
#include "distill/methods/distiller.hpp"
#include "distill/methods/registry.hpp"
#include "distill/methods/settings.hpp"
#include "distill/nn/arch.hpp"
#include "distill/train/experts.hpp"

namespace distill {

// A run of a registered method, as a program does it: which experts it loads, how its data
// are preprocessed, and the dispatch from the method's name to Distiller<Method, Net>.

/// The dataset the experts in `dir` were trained on (their metadata), or `fallback` when
/// they do not say.
inline std::string experts_dataset(const std::string& dir, const std::string& fallback) {
  const ExpertTrajectory first = load_expert(expert_path(dir, 0));
  const auto it = first.metadata.find("dataset");
  return it == first.metadata.end() || it->second.empty() ? fallback : it->second;
}

/// The experts a run of `method` reads from `dir`: none when it needs none (an empty set);
/// for trajectory matching only the epochs its start window can reach (last_expert_epoch), so
/// unused checkpoints stay on disk; every epoch otherwise.
inline ExpertSet load_experts_for(const MethodInfo& method, const DistillSettings& s, const std::string& dir) {
  if (!method.needs_experts) return {};
  DISTILL_CHECK(!dir.empty(), "method " << method.name << " needs expert trajectories (distill experts)");
  const bool window = method.family == MethodFamily::kTrajectoryMatching;
  return load_experts(dir, window ? last_expert_epoch(s) : -1);
}

/// The preprocessing of a run without experts: ZCA fitted on the training set (ε = 0.1, as the
/// MTT code) when `zca`, else per-channel normalisation with CIFAR-10's published statistics
/// for "cifar10" and fitted ones for other data. Off the host, ZCA's covariance is accumulated
/// on `Backend` (fit_zca).
template <class Backend = cpu::Backend>
Preprocessing<float> choose_preprocessing(const Dataset<float>& train, bool zca, const std::string& dataset) {
  if (zca) {
    if constexpr (kHostAccessible<typename Backend::memory_space>)
      return Preprocessing<float>::whiten(ZcaWhitening<float>(train.images.cview(), 0.1));
    else
      return Preprocessing<float>::whiten(fit_zca<Backend>(train.images.cview(), 0.1));
  }
  return Preprocessing<float>::normalize(dataset == "cifar10" ? cifar10_mean_std()
                                                              : ChannelNormalization::fit(train.images.cview()));
}

/// Preprocesses both splits for a run: with the experts' transform when there are experts (the
/// matching compares parameters trained in that space), else choose_preprocessing(s.zca). The
/// transform is also recorded in `experts`, where the Distiller reads it, with the dataset
/// and a default architecture when there are no experts (ConvNet, its depth by conv_net_depth_for).
/// ZCA's products run on `Backend`.
template <class Backend = cpu::Backend>
void prepare_run_data(DatasetSplits<float>& data, ExpertSet& experts, const DistillSettings& s,
                      const std::string& dataset) {
  if (experts.size() == 0) {
    experts.preprocessing = choose_preprocessing<Backend>(data.train, s.zca, dataset);
    experts.dataset = dataset;
    if (experts.arch.empty()) {  // the depth follows the image size, as the references choose it
      ArchSpec arch;
      arch.depth = conv_net_depth_for(data.train.height(), data.train.width());
      experts.arch = arch.name();
    }
  }
  apply_preprocessing<Backend>(experts.preprocessing, data.train.images.view());
  apply_preprocessing<Backend>(experts.preprocessing, data.test.images.view());
}

/// Distils with the method `s.method` names in `methods`: builds it from the settings, then
/// runs Distiller<Method, Net> on `net`. The augmentation is passed through as is.
template <class Registry, class Net>
DistillResult run_method(const Registry& methods, const DistillSettings& s, Net& net, const DatasetSplits<float>& data,
                         const ExpertSet& experts, const Dsa<float>& augment, DistillerOptions options) {
  return methods.visit(s, [&](auto method) {
    Distiller<decltype(method), Net> d(std::move(method), s, net, data, experts, augment, std::move(options));
    return d.run();
  });
}

/// The network the methods distil with: a ConvNet of run-time depth and width, instance norm
/// and average pooling, as the published methods use.
using DistillNet = ConvNet<float, Dynamic, Dynamic, norm::Instance, pool::Avg>;

/// DistillNet of the experts' architecture for the data's shape; other architectures are an
/// error naming the experts.
inline DistillNet make_distill_net(const ExpertSet& experts, const Dataset<float>& train) {
  const ArchSpec arch = parse_arch(experts.arch.empty() ? "ConvNet" : experts.arch);
  DISTILL_CHECK(arch.norm == ArchSpec::Norm::kInstance && arch.pool == ArchSpec::Pool::kAvg,
                experts.directory << ": experts use " << arch.name()
                                  << "; distillation runs ConvNet[D n][W n] with instance norm and average pooling");
  return DistillNet(ConvNetConfig{train.channels(), train.height(), train.width(), train.classes, arch.width,
                                  arch.depth});
}

}  // namespace distill

#endif  // DISTILL_METHODS_RUN_HPP
