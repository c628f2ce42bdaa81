#ifndef DISTILL_METHODS_TRAJECTORY_MATCHING_TRAJECTORY_MATCHING_HPP
#define DISTILL_METHODS_TRAJECTORY_MATCHING_TRAJECTORY_MATCHING_HPP

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
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
    Index trajectories = setting_defaults::trajectories;  ///< expert segments matched per iteration
    Index unroll_memory = setting_defaults::unroll_memory;  ///< MiB kept between the unroll's sweeps
    InnerLoss inner;
    ImageInit init = ImageInit::kReal;
  };

  static constexpr bool kLearnsLr = true;
  static constexpr bool kLearnsLabels = LabelPolicy::kLearned;

  TrajectoryMatching(Config config, Window window, LabelPolicy labels = {}, OuterTerm extra = {})
      : config_(config), window_(window), labels_(labels), extra_(extra) {
    DISTILL_CHECK(config.syn_steps > 0 && config.expert_epochs > 0 && config.batch_syn >= 0 &&
                      config.trajectories > 0 && config.unroll_memory >= 0,
                  "TrajectoryMatching: syn_steps, expert_epochs and trajectories must be positive, batch_syn "
                  "and unroll_memory non-negative");
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
      unroll_.keep_within(std::size_t(m_.config_.unroll_memory) << 20);
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

    /// Trajectory-parallel across `comm`'s ranks: segment t of an iteration is matched by rank
    /// t mod size, and every rank combines all segments' gradients in segment order, so the
    /// result is one process's (Sharding::kReplicated).
    Sharding distribute(const Communicator& comm) {
      comm_ = &comm;
      return Sharding::kReplicated;
    }

    /// One iteration matches `trajectories` expert segments and averages their gradients and
    /// losses in segment order; segment 0 draws what a one-segment iteration draws, so one
    /// segment is MTT's algorithm.
    StepReport iterate(Index iteration, Index /*step*/, std::uint64_t seed, const SyntheticSet& syn,
                       SyntheticGradients<float>& grads) {
      const Index segments = m_.config_.trajectories;
      if (segments == 1 && (!comm_ || comm_->size() == 1)) {
        const Draw d = draw(iteration, seed, 0);
        const auto [matching, extra] = match(d, syn, grads);
        return report(iteration, {d}, matching, extra);
      }
      // Each rank matches its segments; the gradients travel as doubles (floats convert exactly)
      // with the step size's gradient and both losses behind them.
      const Communicator& comm = comm_ ? *comm_ : single_process();
      std::vector<Draw> draws;
      std::vector<std::pair<Index, std::vector<double>>> mine;
      for (Index t = 0; t < segments; ++t) {
        draws.push_back(draw(iteration, seed, t));
        if (owner_round_robin(t, comm.size()) != comm.rank()) continue;
        const auto [matching, extra] = match(draws.back(), syn, grads);
        std::vector<double> packed(grads.images.data(), grads.images.data() + grads.images.size());
        packed.insert(packed.end(), grads.label_logits.data(), grads.label_logits.data() + grads.label_logits.size());
        packed.insert(packed.end(), {grads.lr, matching, extra});
        mine.emplace_back(t, std::move(packed));
      }
      const auto all = exchange_shards(comm, segments, mine);
      grads.images.resize(syn.images.shape());
      grads.label_logits.resize(kLearnsLabels ? syn.label_logits.shape() : Shape(0, 0));
      const Index ni = grads.images.size(), nl = grads.label_logits.size();
      double matching = 0, extra = 0;
      for (Index t = 0; t < segments; ++t) {
        const std::vector<double>& v = all[std::size_t(t)];
        DISTILL_CHECK(Index(v.size()) == ni + nl + 3, "trajectory matching: segment " << t << " sent " << v.size()
                                                                                     << " values, expected " << ni + nl + 3);
        for (Index i = 0; i < ni; ++i) grads.images[i] = t == 0 ? float(v[i]) : grads.images[i] + float(v[i]);
        for (Index i = 0; i < nl; ++i) grads.label_logits[i] = t == 0 ? float(v[ni + i]) : grads.label_logits[i] + float(v[ni + i]);
        grads.lr = t == 0 ? v[ni + nl] : grads.lr + v[ni + nl];
        matching = t == 0 ? v[ni + nl + 1] : matching + v[ni + nl + 1];
        extra = t == 0 ? v[ni + nl + 2] : extra + v[ni + nl + 2];
      }
      if (segments > 1) {
        const float fs = float(segments);
        for (Index i = 0; i < ni; ++i) grads.images[i] /= fs;
        for (Index i = 0; i < nl; ++i) grads.label_logits[i] /= fs;
        grads.lr /= double(segments);
        matching /= double(segments);
        extra /= double(segments);
      }
      return report(iteration, draws, matching, extra);
    }

   private:
    /// What segment t of an iteration draws: the expert, the start epoch, the unroll plan's
    /// seed and the outer term's; segment 0 from (seed, iteration) as MTT draws them, segment t
    /// from seed + t·φ (φ the 64-bit golden ratio).
    struct Draw {
      Index expert = 0, start = 0;
      std::uint64_t plan_seed = 0, extra_seed = 0;
    };
    Draw draw(Index iteration, std::uint64_t seed, Index t) const {
      Rng rng(seed + std::uint64_t(t) * 0x9E3779B97F4A7C15ull, seeds::trajectory_matching_stream(std::uint64_t(iteration)));
      Draw d;
      d.expert = Index(rng.below(std::uint64_t(experts_.size())));
      d.start = m_.window_.sample(iteration, rng);
      d.plan_seed = rng.next_u64();
      d.extra_seed = rng.next_u64();
      return d;
    }

    /// One segment's matching: its loss and outer term, its gradients in `grads`.
    std::pair<double, double> match(const Draw& d, const SyntheticSet& syn, SyntheticGradients<float>& grads) {
      const ParamVector& theta0 = checkpoint(d.expert, d.start);
      const ParamVector& target = checkpoint(d.expert, d.start + m_.config_.expert_epochs);
      const Index n = syn.size();
      const Index batch = m_.config_.batch_syn > 0 ? m_.config_.batch_syn : n;
      const auto plan = make_unroll_steps(n, m_.config_.syn_steps, batch, d.plan_seed);
      const ConstView<float, Space> images = images_.upload(syn.images);
      const ConstView<float, Space> logits =
          kLearnsLabels ? label_logits_.upload(syn.label_logits) : ConstView<float, Space>{};
      const double matching = unroll_.forward(theta0, target, images, syn.labels, logits, float(syn.lr), plan);
      double extra = 0;
      if constexpr (kHost) {
        unroll_.backward(grads, Gradient::kMode);
        extra = extra_.add(net_, augment_, target, images, syn.labels, d.extra_seed, grads.images);
      } else {
        unroll_.backward(device_grads_, Gradient::kMode);
        extra = extra_.add(net_, augment_, target, images, syn.labels, d.extra_seed, device_grads_.images);
        Mirror<float, Backend>::download(device_grads_.images, grads.images);
        Mirror<float, Backend>::download(device_grads_.label_logits, grads.label_logits);
        grads.lr = device_grads_.lr;
      }
      return {matching, extra};
    }

    StepReport report(Index iteration, const std::vector<Draw>& draws, double matching, double extra) const {
      StepReport r;
      r.loss = matching + extra;
      r.skipped = m_.config_.threshold > 0 && matching > m_.config_.threshold;
      nlohmann::json experts = nlohmann::json::array(), starts = nlohmann::json::array();
      for (const Draw& d : draws) {
        experts.push_back(d.expert);
        starts.push_back(d.start);
      }
      r.info = {{"expert", draws.size() == 1 ? experts[0] : experts},
                {"start_epoch", draws.size() == 1 ? starts[0] : starts},
                {"window", m_.window_.upper(iteration)},
                {"matching_loss", matching},
                {"contrastive", extra}};
      return r;
    }

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
    const Communicator* comm_ = nullptr;             // distribute's; null: one process
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
