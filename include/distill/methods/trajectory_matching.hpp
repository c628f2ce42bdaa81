#ifndef DISTILL_METHODS_TRAJECTORY_MATCHING_HPP
#define DISTILL_METHODS_TRAJECTORY_MATCHING_HPP

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "distill/core/seeds.hpp"
#include "distill/augment/dsa.hpp"
#include "distill/data/synthetic_set.hpp"
#include "distill/methods/contrastive_update.hpp"
#include "distill/methods/initialize.hpp"
#include "distill/methods/label_policies.hpp"
#include "distill/methods/method.hpp"
#include "distill/methods/settings.hpp"
#include "distill/methods/unroll.hpp"
#include "distill/methods/windows.hpp"
#include "distill/train/experts.hpp"

namespace distill {

/// The exact gradient through the unroll (design §3): the adjoint is propagated through every
/// step with H·v.
struct ExactUnroll {
  static constexpr UnrollGradient kMode = UnrollGradient::kExact;
};
/// TESLA's gradient: every step sees the final adjoint (no Hessian term); exact for N = 1.
struct TeslaApprox {
  static constexpr UnrollGradient kMode = UnrollGradient::kTesla;
};

/// Trajectory matching (MTT, Cazenavette et al., CVPR 2022) and its descendants as one class
/// of policies (design §4). Every iteration draws an expert m and a start epoch s from the
/// window, unrolls syn_steps SGD steps of the student from θ_{m,s} on augmented minibatches
/// of the synthetic set, and matches θ_{m,s+M} with the normalised parameter distance; the
/// gradient reaches the images, the step size and (learned) label logits through the unroll.
///
/// @tparam Window      FixedWindow (MTT) or DifficultyAligned (DATM, Guo et al., ICLR 2024)
/// @tparam LabelPolicy HardLabels or LearnedSoftLabels (DATM)
/// @tparam OuterExtra  NoOuterExtra or ContrastiveUpdate (DATM-CLR, Li et al., 2025)
/// @tparam Gradient    ExactUnroll or TeslaApprox (TESLA, Cui et al., ICML 2023)
/// The inner loss (cross-entropy, or CE + Contrastive Fusion for DATM-CLR) is a value in
/// Config, because the unroll differentiates either the same way.
///
template <class Window, class LabelPolicy, class OuterExtra, class Gradient>
class TrajectoryMatching {
 public:
  struct Config {
    Index syn_steps = 50;
    Index expert_epochs = 2;
    Index batch_syn = 0;    ///< 0: every step uses the whole set
    double threshold = 0;   ///< skip updates when the matching loss exceeds it; 0: never
    InnerLoss inner;
    ImageInit init = ImageInit::kReal;
  };

  static constexpr bool kLearnsLr = true;
  static constexpr bool kLearnsLabels = LabelPolicy::kLearned;

  TrajectoryMatching(Config config, Window window, LabelPolicy labels = {}, OuterExtra extra = {})
      : config_(config), window_(window), labels_(labels), extra_(extra) {
    DISTILL_CHECK(config.syn_steps > 0 && config.expert_epochs > 0 && config.batch_syn >= 0,
                  "TrajectoryMatching: syn_steps and expert_epochs must be positive, batch_syn non-negative");
  }

  const Config& config() const { return config_; }
  const Window& window() const { return window_; }
  double label_lr() const { return labels_.lr(); }
  double label_momentum() const { return labels_.momentum(); }

  template <class Net>
  class State {
    static_assert(std::is_same<typename Net::scalar_type, float>::value,
                  "TrajectoryMatching::State: experts and synthetic sets are float; use a float network");

   public:
    State(const TrajectoryMatching& method, Net& net, const ExpertSet& experts, const Dataset<float>& train,
          const Dsa<float>& augment)
        : m_(method), net_(net), experts_(experts), train_(train), augment_(augment),
          unroll_(net, augment, method.config_.inner), extra_(method.extra_) {
      const Index need = last_expert_epoch(m_.window_.max_start_epoch(), m_.config_.expert_epochs);
      DISTILL_CHECK(experts.epochs() >= need,
                    experts.directory << ": the experts have " << experts.epochs()
                                      << " epochs; this run needs max_start_epoch - 1 + expert_epochs = " << need);
      DISTILL_CHECK(experts.final_params.front().size() == net.num_params(),
                    experts.directory << ": experts have " << experts.final_params.front().size()
                                      << " parameters, the network " << net.num_params());
    }

    /// Images (real, correctly classified or noise), class-major hard labels and, for learned
    /// labels, the experts' mean logits.
    void initialize(SyntheticSet& syn, Index per_class, std::uint64_t seed) {
      Index filled = 0;
      initialize_images(m_.config_.init, net_, experts_.final_params, train_, per_class, seed, syn.images,
                        syn.labels, &filled);
      syn.info["init"] = to_string(m_.config_.init);
      if (filled) syn.info["init_not_correct"] = std::to_string(filled);
      syn.label_logits = Tensor<float>();
      if (kLearnsLabels)
        syn.label_logits = expert_label_logits(net_, experts_.final_params, syn.images.cview(), syn.labels);
    }

    /// One image update per iteration.
    Index steps_per_iteration() const { return 1; }

    IterationReport iterate(Index iteration, Index /*step*/, std::uint64_t seed, const SyntheticSet& syn,
                            SyntheticGradients<float>& grads) {
      Rng rng(seed, seeds::trajectory_matching_stream(std::uint64_t(iteration)));
      const Index expert = Index(rng.below(std::uint64_t(experts_.size())));
      const Index start = m_.window_.sample(iteration, rng);
      const auto& traj = experts_.checkpoints[expert];
      const Vector<float>& theta0 = traj[start];
      const Vector<float>& target = traj[start + m_.config_.expert_epochs];
      const Index n = syn.size();
      const Index batch = m_.config_.batch_syn > 0 ? m_.config_.batch_syn : n;
      const std::uint64_t step_seed = rng.next_u64();
      const auto plan = make_unroll_steps(n, m_.config_.syn_steps, batch, step_seed);
      const ConstView<float> logits = kLearnsLabels ? syn.label_logits.cview() : ConstView<float>{};
      const double matching = unroll_.forward(theta0, target, syn.images.cview(), syn.labels, logits,
                                              float(syn.lr), plan);
      unroll_.backward(grads, Gradient::kMode);
      const double extra = extra_.add(net_, augment_, target, syn.images.cview(), syn.labels, rng.next_u64(),
                                      grads.images);
      IterationReport r;
      r.loss = matching + extra;
      r.skipped = m_.config_.threshold > 0 && matching > m_.config_.threshold;
      r.info = {{"expert", expert}, {"start_epoch", start}, {"window", m_.window_.upper(iteration)},
                {"matching_loss", matching}, {"contrastive", extra}};
      return r;
    }

   private:
    const TrajectoryMatching& m_;
    Net& net_;
    const ExpertSet& experts_;
    const Dataset<float>& train_;
    const Dsa<float>& augment_;
    Unroll<Net, Dsa<float>> unroll_;
    OuterExtra extra_;
  };

 private:
  Config config_;
  Window window_;
  LabelPolicy labels_;
  OuterExtra extra_;
};

/// The published methods (design §4).
using MTT = TrajectoryMatching<FixedWindow, HardLabels, NoOuterExtra, ExactUnroll>;
using TESLA = TrajectoryMatching<FixedWindow, HardLabels, NoOuterExtra, TeslaApprox>;
using DATM = TrajectoryMatching<DifficultyAligned, LearnedSoftLabels, NoOuterExtra, ExactUnroll>;
using DATM_CLR = TrajectoryMatching<DifficultyAligned, LearnedSoftLabels, ContrastiveUpdate, ExactUnroll>;

}  // namespace distill

#endif  // DISTILL_METHODS_TRAJECTORY_MATCHING_HPP
