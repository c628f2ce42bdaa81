#ifndef DISTILL_METHODS_TRAJECTORY_MATCHING_TRAJECTORY_MATCHING_HPP
#define DISTILL_METHODS_TRAJECTORY_MATCHING_TRAJECTORY_MATCHING_HPP

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "distill/augment/batch_dsa.hpp"
#include "distill/augment/dsa.hpp"
#include "distill/backend/mirror.hpp"
#include "distill/core/seeds.hpp"
#include "distill/data/synthetic_set.hpp"
#include "distill/methods/config/settings.hpp"
#include "distill/methods/initialize.hpp"
#include "distill/methods/method.hpp"
#include "distill/methods/trajectory_matching/contrastive_update.hpp"
#include "distill/methods/trajectory_matching/label_policies.hpp"
#include "distill/methods/trajectory_matching/unroll.hpp"
#include "distill/methods/trajectory_matching/windows.hpp"
#include "distill/train/experts.hpp"

namespace distill {

/// The exact gradient through the unroll (docs/design.md §3): the adjoint is propagated through
/// every step with H·v.
struct ExactUnroll {
  static constexpr UnrollGradient kMode = UnrollGradient::kExact;
};
/// TESLA's gradient: every step sees the final adjoint (no Hessian term); exact for N = 1.
struct TeslaApprox {
  static constexpr UnrollGradient kMode = UnrollGradient::kTesla;
};

/// Trajectory matching (MTT, Cazenavette et al., CVPR 2022) and its descendants as one class
/// of policies (docs/design.md §4). Every iteration draws an expert m and a start epoch s from the
/// window, unrolls syn_steps SGD steps of the student from θ_{m,s} on augmented minibatches
/// of the synthetic set, and matches θ_{m,s+M} with the normalised parameter distance; the
/// gradient reaches the images, the step size and (learned) label logits through the unroll.
///
/// @tparam Window      FixedWindow (MTT) or DifficultyAligned (DATM, Guo et al., ICLR 2024)
/// @tparam LabelPolicy HardLabels or LearnedSoftLabels (DATM)
/// @tparam OuterTerm  NoOuterTerm or ContrastiveUpdate (DATM-CLR, Li et al., 2025)
/// @tparam Gradient    ExactUnroll or TeslaApprox (TESLA, Cui et al., ICML 2023)
/// The inner loss (cross-entropy, or CE + Contrastive Fusion for DATM-CLR) is a value in
/// Config, because the unroll differentiates either the same way.
///
template <class Window, class LabelPolicy, class OuterTerm, class Gradient>
class TrajectoryMatching {
 public:
  struct Config {
    // Defaults from the settings table (config/settings_table.hpp).
    Index syn_steps = setting_defaults::syn_steps;
    Index expert_epochs = setting_defaults::expert_epochs;
    Index batch_syn = setting_defaults::batch_syn;    ///< 0: every step uses the whole set
    double threshold = setting_defaults::threshold;  ///< skip updates when the matching loss exceeds it; 0: never
    InnerLoss inner;
    ImageInit init = ImageInit::kReal;
  };

  static constexpr bool kLearnsLr = true;
  static constexpr bool kLearnsLabels = LabelPolicy::kLearned;

  TrajectoryMatching(Config config, Window window, LabelPolicy labels = {}, OuterTerm extra = {})
      : config_(config), window_(window), labels_(labels), extra_(extra) {
    DISTILL_CHECK(config.syn_steps > 0 && config.expert_epochs > 0 && config.batch_syn >= 0,
                  "TrajectoryMatching: syn_steps and expert_epochs must be positive, batch_syn non-negative");
  }

  const Config& config() const { return config_; }
  const Window& window() const { return window_; }
  double label_lr() const { return labels_.lr(); }
  double label_momentum() const { return labels_.momentum(); }

  /// One run's working state on the network's backend. On a device, the expert checkpoints
  /// the window can reach are uploaded once, here; each iteration uploads the images (and label
  /// logits), runs the unroll there and brings the gradients back, so the driver's set and
  /// optimisers stay on the host whatever the device. Initialisation runs on a host twin of
  /// the network, so a set starts with the same bits on every device.
  template <class Net>
  class State {
    static_assert(std::is_same<typename Net::scalar_type, float>::value,
                  "TrajectoryMatching::State: experts and synthetic sets are float; use a float network");
    using Backend = typename Net::backend_type;
    using Space = typename Net::memory_space;
    static constexpr bool kHost = kHostAccessible<Space>;
    using Augment = DsaFor<float, Backend>;
    using ParamVector = ParamVectorIn<float, Space>;

   public:
    State(const TrajectoryMatching& method, Net& net, const ExpertSet& experts, const Dataset<float>& train,
          const Dsa<float>& augment)
        : m_(method), net_(net), experts_(experts), train_(train), augment_(augment.config()),
          unroll_(net, augment_, method.config_.inner), extra_(method.extra_) {
      const Index need = last_expert_epoch(m_.window_.max_start_epoch(), m_.config_.expert_epochs);
      DISTILL_CHECK(experts.epochs() >= need,
                    experts.directory << ": the experts have " << experts.epochs()
                                      << " epochs; this run needs max_start_epoch - 1 + expert_epochs = " << need);
      DISTILL_CHECK(experts.final_params.front().size() == net.num_params(),
                    experts.directory << ": experts have " << experts.final_params.front().size()
                                      << " parameters, the network " << net.num_params());
      if constexpr (!kHost) {
        device_checkpoints_.resize(experts.checkpoints.size());
        for (std::size_t e = 0; e < experts.checkpoints.size(); ++e) {
          device_checkpoints_[e].resize(std::size_t(need + 1));
          for (Index k = 0; k <= need; ++k) {
            const Vector<float>& theta = experts.checkpoints[e][std::size_t(k)];
            device_checkpoints_[e][std::size_t(k)].upload(theta.size(), theta.data());
          }
        }
      }
    }

    /// Images (real, correctly classified or noise), class-major hard labels and, for learned
    /// labels, the experts' mean logits.
    void initialize(SyntheticSet& syn, Index per_class, std::uint64_t seed) {
      if constexpr (kHost) {
        initialize_on(net_, syn, per_class, seed);
      } else {
        typename Net::template with_backend<cpu::Backend> host_net(net_.config());
        initialize_on(host_net, syn, per_class, seed);
      }
    }

    /// One image update per iteration.
    Index steps_per_iteration() const { return 1; }

    StepReport iterate(Index iteration, Index /*step*/, std::uint64_t seed, const SyntheticSet& syn,
                            SyntheticGradients<float>& grads) {
      Rng rng(seed, seeds::trajectory_matching_stream(std::uint64_t(iteration)));
      const Index expert = Index(rng.below(std::uint64_t(experts_.size())));
      const Index start = m_.window_.sample(iteration, rng);
      const ParamVector& theta0 = checkpoint(expert, start);
      const ParamVector& target = checkpoint(expert, start + m_.config_.expert_epochs);
      const Index n = syn.size();
      const Index batch = m_.config_.batch_syn > 0 ? m_.config_.batch_syn : n;
      const std::uint64_t step_seed = rng.next_u64();
      const auto plan = make_unroll_steps(n, m_.config_.syn_steps, batch, step_seed);
      const ConstView<float, Space> images = images_.upload(syn.images);
      const ConstView<float, Space> logits =
          kLearnsLabels ? label_logits_.upload(syn.label_logits) : ConstView<float, Space>{};
      const double matching = unroll_.forward(theta0, target, images, syn.labels, logits, float(syn.lr), plan);
      double extra = 0;
      if constexpr (kHost) {
        unroll_.backward(grads, Gradient::kMode);
        extra = extra_.add(net_, augment_, target, images, syn.labels, rng.next_u64(), grads.images);
      } else {
        unroll_.backward(device_grads_, Gradient::kMode);
        extra = extra_.add(net_, augment_, target, images, syn.labels, rng.next_u64(), device_grads_.images);
        Mirror<float, Backend>::download(device_grads_.images, grads.images);
        Mirror<float, Backend>::download(device_grads_.label_logits, grads.label_logits);
        grads.lr = device_grads_.lr;
      }
      StepReport r;
      r.loss = matching + extra;
      r.skipped = m_.config_.threshold > 0 && matching > m_.config_.threshold;
      r.info = {{"expert", expert}, {"start_epoch", start}, {"window", m_.window_.upper(iteration)},
                {"matching_loss", matching}, {"contrastive", extra}};
      return r;
    }

   private:
    template <class HostNet>
    void initialize_on(HostNet& net, SyntheticSet& syn, Index per_class, std::uint64_t seed) {
      Index filled = 0;
      initialize_images(m_.config_.init, net, experts_.final_params, train_, per_class, seed, syn.images, syn.labels,
                        &filled);
      syn.info["init"] = to_string(m_.config_.init);
      if (filled) syn.info["init_not_correct"] = std::to_string(filled);
      syn.label_logits = Tensor<float>();
      if (kLearnsLabels)
        syn.label_logits = expert_label_logits(net, experts_.final_params, syn.images.cview(), syn.labels);
    }

    const ParamVector& checkpoint(Index expert, Index epoch) const {
      if constexpr (kHost) {
        return experts_.checkpoints[std::size_t(expert)][std::size_t(epoch)];
      } else {
        return device_checkpoints_[std::size_t(expert)][std::size_t(epoch)].device();
      }
    }

    const TrajectoryMatching& m_;
    Net& net_;
    const ExpertSet& experts_;
    const Dataset<float>& train_;
    const Augment augment_;
    Unroll<Net, Augment> unroll_;
    OuterTerm extra_;
    Mirror<float, Backend> images_, label_logits_;  // the set in the backend's memory
    // Device memory only (empty in host memory).
    std::vector<std::vector<Mirror<float, Backend>>> device_checkpoints_;
    SyntheticGradients<float, Space> device_grads_;
  };

 private:
  Config config_;
  Window window_;
  LabelPolicy labels_;
  OuterTerm extra_;
};

/// The published methods (docs/design.md §4).
using MTT = TrajectoryMatching<FixedWindow, HardLabels, NoOuterTerm, ExactUnroll>;
using TESLA = TrajectoryMatching<FixedWindow, HardLabels, NoOuterTerm, TeslaApprox>;
using DATM = TrajectoryMatching<DifficultyAligned, LearnedSoftLabels, NoOuterTerm, ExactUnroll>;
using DATM_CLR = TrajectoryMatching<DifficultyAligned, LearnedSoftLabels, ContrastiveUpdate, ExactUnroll>;

}  // namespace distill

#endif  // DISTILL_METHODS_TRAJECTORY_MATCHING_TRAJECTORY_MATCHING_HPP
