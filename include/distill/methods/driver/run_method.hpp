#ifndef DISTILL_METHODS_DRIVER_RUN_METHOD_HPP
#define DISTILL_METHODS_DRIVER_RUN_METHOD_HPP

#include <string>
#include <utility>

#include "distill/augment/dsa.hpp"
#include "distill/data/dataset.hpp"
#include "distill/methods/config/registry.hpp"
#include "distill/methods/config/settings.hpp"
#include "distill/methods/driver/distiller.hpp"
#include "distill/nn/arch.hpp"
#include "distill/nn/conv_net.hpp"
#include "distill/train/experts.hpp"

namespace distill {

// A run of a registered method as a program does it: the experts it loads, the network it
// distils with, and the dispatch from the method's name to Distiller<Method, Net>.

/// The experts a run of `method` reads from `dir`: none when it needs none (an empty set);
/// for trajectory matching only the epochs its start window can reach (last_expert_epoch), so
/// unused checkpoints stay on disk; every epoch otherwise.
inline ExpertSet load_experts_for(const MethodInfo& method, const DistillSettings& s, const std::string& dir) {
  if (!method.needs_experts) return {};
  DISTILL_CHECK(!dir.empty(), "method " << method.name << " needs expert trajectories (distill experts)");
  const bool window = method.family == MethodFamily::kTrajectoryMatching;
  return load_experts(dir, window ? last_expert_epoch(s) : -1);
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

#endif  // DISTILL_METHODS_DRIVER_RUN_METHOD_HPP
