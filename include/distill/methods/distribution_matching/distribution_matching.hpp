#ifndef DISTILL_METHODS_DISTRIBUTION_MATCHING_DISTRIBUTION_MATCHING_HPP
#define DISTILL_METHODS_DISTRIBUTION_MATCHING_DISTRIBUTION_MATCHING_HPP

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "distill/augment/batch_dsa.hpp"
#include "distill/augment/dsa.hpp"
#include "distill/backend/mirror.hpp"
#include "distill/core/seeds.hpp"
#include "distill/data/sample_source.hpp"
#include "distill/data/synthetic_set.hpp"
#include "distill/methods/config/settings_table.hpp"
#include "distill/methods/distribution_matching/distribution_matching_kernels.hpp"
#include "distill/methods/distribution_matching/formations.hpp"
#include "distill/methods/distribution_matching/stage_constraints.hpp"
#include "distill/methods/distribution_matching/stage_samplers.hpp"
#include "distill/methods/initialize.hpp"
#include "distill/methods/method.hpp"
#include "distill/train/experts.hpp"
#include "distill/train/trainer.hpp"

namespace distill {

/// Workspaces of class_matching_loss, kept across calls.
template <class Scalar, class Space = HostSpace>
struct ClassMatchingWork {
  Tensor<Scalar, Space> real_aug, syn_aug, g_emb, g_syn_aug, g_syn;
  Tensor<Scalar, Space> real_mean, diff;  ///< [1, d]
};

/// One class's distribution-matching loss and its gradient with respect to the synthetic images:
///   L = ‖mean_i φ(A(r_i)) − mean_j φ(A(s_j))‖² + constraint(θ_t; A(S), y)
/// with φ the embedding under θ_ext (the flattened last block, frozen), A one augmentation draw
/// shared by every real and synthetic sample (Siamese: `draw` is made with shared = true), the
/// real features constant. Only pixel gradients are computed (no parameter gradients). The real
/// batch runs in chunks of at most 256. `grad_syn` (the shape of `syn`) receives ∂L/∂S,
/// overwritten. `labels` ([syn.n], all the class's label) are in the backend's memory, and the
/// loss stays there: ‖·‖² at `squared_distance`, the constraint's raw value at `constraint_raw`;
/// class_matching_value makes L of their host copies. Nothing waits for the host.
template <class Net, class Augment, class Constraint, class Draw>
void queue_class_matching_loss(Net& net, const typename Net::scalar_type* theta_ext,
                               const typename Net::scalar_type* theta_exp, Constraint& constraint,
                               const Augment& augment, const Draw& draw,
                               ConstView<typename Net::scalar_type, typename Net::memory_space> real,
                               ConstView<typename Net::scalar_type, typename Net::memory_space> syn,
                               const int* labels,
                               MutableView<typename Net::scalar_type, typename Net::memory_space> grad_syn,
                               ClassMatchingWork<typename Net::scalar_type, typename Net::memory_space>& w,
                               typename Net::scalar_type* squared_distance, double* constraint_raw) {
  using Scalar = typename Net::scalar_type;
  using Backend = typename Net::backend_type;
  using Space = typename Net::memory_space;
  const Shape rs = real.shape(), ss = syn.shape();
  check_shape(ss, grad_syn.shape(), "class_matching_loss gradient");
  const Index d = net.embedding_size();
  auto augmented = [&](ConstView<Scalar, Space> x, Tensor<Scalar, Space>& out) -> ConstView<Scalar, Space> {
    if (augment.is_identity()) return x;
    out.resize(x.shape());
    augment.forward(draw, x, out.view());
    return out.cview();
  };
  const ConstView<Scalar, Space> ra = augmented(real, w.real_aug);
  w.real_mean.resize(Shape(1, d));
  w.diff.resize(Shape(1, d));
  Backend::fill(d, Scalar(0), w.real_mean.data());
  for (Index first = 0; first < rs.n; first += 256) {
    const Index b = std::min<Index>(256, rs.n - first);
    const auto out = net.forward(theta_ext, ra.samples(first, b));
    Backend::for_each(d, detail::DmAccumulateRows<Scalar>{b, d, Scalar(1), out.embedding.data(), w.real_mean.data()}, b);
  }
  // diff = mean_s − mean_r, with mean_r = Σ r / n_r and mean_s accumulated as Σ (s / n_s).
  Backend::for_each(d, detail::DmNegateDivide<Scalar>{Scalar(rs.n), w.real_mean.data(), w.diff.data()});
  const ConstView<Scalar, Space> sa = augmented(syn, w.syn_aug);
  const auto out = net.forward(theta_ext, sa);
  Backend::for_each(d, detail::DmAccumulateRows<Scalar>{ss.n, d, Scalar(ss.n), out.embedding.data(), w.diff.data()}, ss.n);
  Backend::dot_to(d, w.diff.data(), w.diff.data(), squared_distance);
  // ∂L/∂φ(s_j) = 2·(mean_s − mean_r)/n_s for every synthetic sample.
  w.g_emb.resize(Shape(ss.n, d));
  Backend::for_each(ss.n * d, detail::DmBroadcastRow<Scalar>{d, Scalar(2) / Scalar(ss.n), w.diff.data(), w.g_emb.data()});
  w.g_syn_aug.resize(ss);
  net.backward(theta_ext, {}, w.g_emb.cview(), nullptr, w.g_syn_aug.view());
  constraint.queue(net, theta_exp ? theta_exp : theta_ext, sa, labels, constraint_raw, w.g_syn_aug.view());
  if (!augment.is_identity())
    augment.backward(draw, w.g_syn_aug.cview(), grad_syn);
  else
    Backend::copy(w.g_syn_aug.size(), w.g_syn_aug.data(), grad_syn.data());
}

/// A class's loss from the host copies of what queue_class_matching_loss left on the device.
template <class Scalar, class Constraint>
double class_matching_value(const Constraint& constraint, Scalar squared_distance, double constraint_raw,
                            Index syn_count) {
  return double(squared_distance) + constraint.template value<Scalar>(constraint_raw, syn_count);
}

/// queue_class_matching_loss for one class with label `label` and the draw of `draw_seed`,
/// returning the loss (a wait on a device).
template <class Net, class Augment, class Constraint>
double class_matching_loss(Net& net, const typename Net::scalar_type* theta_ext,
                           const typename Net::scalar_type* theta_exp, Constraint& constraint,
                           const Augment& augment, std::uint64_t draw_seed,
                           ConstView<typename Net::scalar_type, typename Net::memory_space> real,
                           ConstView<typename Net::scalar_type, typename Net::memory_space> syn, int label,
                           MutableView<typename Net::scalar_type, typename Net::memory_space> grad_syn,
                           ClassMatchingWork<typename Net::scalar_type, typename Net::memory_space>& w) {
  using Scalar = typename Net::scalar_type;
  using Backend = typename Net::backend_type;
  using Space = typename Net::memory_space;
  const Index n = syn.shape().n;
  const std::vector<int> labels(static_cast<std::size_t>(n), label);
  detail::Buffer<int, Space> device_labels(static_cast<std::size_t>(n));
  Backend::copy_from_host(n, labels.data(), device_labels.data());
  Tensor<Scalar, Space> distance(Shape(1, 1));
  Tensor<double, Space> raw(Shape(1, 1));
  queue_class_matching_loss(net, theta_ext, theta_exp, constraint, augment, augment.draw(syn.shape(), draw_seed, true),
                            real, syn, device_labels.data(), grad_syn, w, distance.data(), raw.data());
  Scalar host_distance = 0;
  double host_raw = 0;
  Backend::copy_to_host(1, distance.data(), &host_distance);
  Backend::copy_to_host(1, raw.data(), &host_raw);
  return class_matching_value(constraint, host_distance, host_raw, n);
}

/// Distribution matching (docs/design.md §4): per class, the mean embedding of the synthetic images
/// is matched to that of a real batch of the class under a frozen network drawn by the stage
/// sampler, plus an optional constraint under a later network; Siamese DSA; only the images are
/// learned (SGD momentum 0.5), with hard labels and a fixed evaluation step size.
///
/// @tparam StageSampler RandomInit (DM: a fresh random network per iteration) or
///                      TrajectoryStage (TGDD: θ_{m,s} and a later θ_{m,t} of an expert)
/// @tparam Constraint   NoConstraint (DM) or StageCrossEntropy (TGDD: α·CE under θ_{m,t})
/// @tparam Formation    SingleFormation (a stored image is a trained image) or MultiFormation
///                      (f×f tiles per stored image, decoded before the loss; its VJP after)
/// The step granularity is a value: one image update per iteration over all classes (DM), or
/// one per class (TGDD), with the stage drawn once per iteration.
template <class StageSampler, class Constraint, class Formation = SingleFormation>
class DistributionMatching {
 public:
  struct Config {
    Index batch_real = setting_defaults::batch_real;  ///< real images per class per step
    bool per_class_steps = setting_defaults::per_class_steps;
    ImageInit init = ImageInit::kReal;
  };
  static constexpr bool kLearnsLr = false;
  static constexpr bool kLearnsLabels = false;

  DistributionMatching(Config config, StageSampler sampler = {}, Constraint constraint = {}, Formation formation = {})
      : config_(config), sampler_(sampler), constraint_(constraint), formation_(formation) {
    DISTILL_CHECK(config.batch_real > 0, "DistributionMatching: batch_real must be positive");
  }
  const Config& config() const { return config_; }
  const Formation& formation() const { return formation_; }
  double label_lr() const { return 0; }
  double label_momentum() const { return 0; }

  /// One run's working state on the network's backend. On a device, the training set is
  /// uploaded once when it fits in SampleSource::kResidentBytes (the real batches are then
  /// gathered there), else the real batches are gathered on the host and uploaded. Each iterate
  /// call plans all its classes at once: one upload of their real batches' indices, one of
  /// their synthetic images, one of their augmentation draws (and the stage's networks once per
  /// iteration); the classes' losses stay on the device until one read-back of the distances,
  /// the constraint's values and the image gradients at the end, so the driver's set and
  /// optimiser stay on the host whatever the device. Initialisation runs on a host twin of the
  /// network: the same bits on every device.
  template <class Net>
  class State {
    static_assert(std::is_same<typename Net::scalar_type, float>::value,
                  "DistributionMatching::State: synthetic sets are float; use a float network");
    using Backend = typename Net::backend_type;
    using Space = typename Net::memory_space;
    static constexpr bool kHost = kHostAccessible<Space>;
    using Augment = DsaFor<float, Backend>;

   public:
    State(const DistributionMatching& method, Net& net, const ExpertSet& experts, const Dataset<float>& train,
          const Dsa<float>& augment)
        : m_(method), net_(net), experts_(experts), train_(train), augment_(augment.config()),
          sampler_(method.sampler_), constraint_(method.constraint_), by_class_(train.indices_by_class()),
          train_images_(train.images.cview()) {
      if (sampler_.epochs_needed() > 0) {
        DISTILL_CHECK(experts.size() > 0 && experts.epochs() >= sampler_.epochs_needed(),
                      "this method samples stages of expert trajectories; " << experts.directory << " has none");
        DISTILL_CHECK(experts.final_params.front().size() == net.num_params(),
                      experts.directory << ": experts have " << experts.final_params.front().size()
                                        << " parameters, the network " << net.num_params());
      }
      for (Index c = 0; c < train.classes; ++c)
        DISTILL_CHECK(!by_class_[c].empty(), "class " << c << " has no training images");
    }

    /// Class-parallel across `comm`'s ranks: this rank computes the classes it owns
    /// (owner_block) and reports their loss terms; the driver takes the other classes' rows from
    /// their owners (method.hpp, Sharding::kClasses). A class's gradient reads only its own
    /// images, the stage's networks and its own draws, all the same on every rank.
    Sharding distribute(const Communicator& comm) {
      owned_.assign(std::size_t(train_.classes), false);
      for (Index c = 0; c < train_.classes; ++c) owned_[std::size_t(c)] = owner_block(c, train_.classes, comm.size()) == comm.rank();
      return Sharding::kClasses;
    }

    /// Whether the training set lives in the backend's memory (always, in host memory).
    bool train_resident() const { return train_images_.resident(); }

    /// With multi-formation, each stored image starts as a mosaic of f² initial images.
    void initialize(SyntheticSet& syn, Index per_class, std::uint64_t seed) {
      if constexpr (kHost) {
        initialize_on(net_, syn, per_class, seed);
      } else {
        typename Net::template with_backend<cpu::Backend> host_net(net_.config());
        initialize_on(host_net, syn, per_class, seed);
      }
    }

    Index steps_per_iteration() const { return m_.config_.per_class_steps ? train_.classes : 1; }

    StepReport iterate(Index iteration, Index step, std::uint64_t seed, const SyntheticSet& syn,
                            SyntheticGradients<float>& grads) {
      if (step == 0) {
        Rng rng(seed, seeds::distribution_matching_stream(std::uint64_t(iteration)));
        stage_ = sampler_.sample(iteration, rng, net_, experts_);
        net_.set_training(true);
        theta_ext_ = extractor_.upload(stage_.extractor->size(), stage_.extractor->data());
        theta_exp_ = expert_.upload(stage_.expert->size(), stage_.expert->data());
      }
      const Shape s = syn.images.shape();
      grads.images.resize(s);
      grads.images.set_zero();
      grads.label_logits.resize(Shape(0, 0));
      grads.lr = 0;
      if (class_index_.empty()) plan_classes(syn);
      const Index first = m_.config_.per_class_steps ? step : 0;
      const Index last = m_.config_.per_class_steps ? step + 1 : train_.classes;
      // The call's plan, made on the host and moved to the device at once: every class's real
      // batch (one gather), its augmentation draw (one staged upload) and synthetic images (one
      // upload). A class's draws: real batch and augmentation, from (seed, iteration, class).
      const Index tiles = m_.formation_.tiles();
      classes_.clear();
      real_idx_.clear();
      real_counts_.clear();
      syn_rows_.clear();
      draws_.clear();
      for (Index c = first; c < last; ++c) {
        const auto& mine = class_index_[c];
        if (mine.empty() || (!owned_.empty() && !owned_[std::size_t(c)])) continue;
        Rng rng(seeds::distribution_matching_batch_seed(seed),
                seeds::distribution_matching_batch_stream(std::uint64_t(iteration), std::uint64_t(c)));
        const auto& pool = by_class_[c];
        const Index nr = std::min<Index>(m_.config_.batch_real, Index(pool.size()));
        const auto order = random_permutation(Index(pool.size()), rng.next_u64(), 0);
        for (Index j = 0; j < nr; ++j) real_idx_.push_back(pool[order[j]]);
        real_counts_.push_back(nr);
        // Siamese: one shared draw augments the class's real and synthetic batches alike.
        draws_.push_back(augment_.draw(Shape(Index(mine.size()) * tiles, s.c, s.h, s.w), rng.next_u64(), true));
        syn_rows_.insert(syn_rows_.end(), mine.begin(), mine.end());
        classes_.push_back(c);
      }
      StepReport r;
      r.info = stage_.info;
      if (classes_.empty()) return r;
      const ConstView<float, Space> real = train_images_.gather(real_idx_, 0, Index(real_idx_.size()), real_);
      const ConstView<float, Space> mine_images = class_images(syn, syn_rows_);
      if constexpr (detail::CanStage<Augment, std::vector<DsaDraw>>::value) augment_.stage(draws_);
      const Index k = Index(classes_.size());
      distances_.resize(Shape(k, 1));
      constraint_raw_.resize(Shape(k, 1));
      constraint_raw_.set_zero();
      grad_class_.resize(mine_images.shape());
      Index real_at = 0, syn_at = 0;
      for (Index i = 0; i < k; ++i) {
        const Index c = classes_[i], n = Index(class_index_[c].size());
        const ConstView<float, Space> decoded =
            m_.formation_.template decode<Backend>(mine_images.samples(syn_at, n), decoded_);
        grad_decoded_.resize(decoded.shape());
        queue_class_matching_loss(net_, theta_ext_, theta_exp_, constraint_, augment_, draws_[std::size_t(i)],
                                  real.samples(real_at, real_counts_[i]), decoded, class_labels_.data() + label_offsets_[c],
                                  grad_decoded_.view(), work_, distances_.data() + i, constraint_raw_.data() + i);
        m_.formation_.template decode_vjp<Backend>(grad_decoded_.cview(), grad_class_.view().samples(syn_at, n));
        real_at += real_counts_[i];
        syn_at += n;
      }
      // The call's read-back: the classes' gradients, distances and constraint values.
      const float* distances = distances_back_.download(distances_).data();
      const double* raw = constraint_.weight() != 0 ? raw_back_.download(constraint_raw_).data() : nullptr;
      const float* g = grads_back_.download(grad_class_).data();
      for (std::size_t j = 0; j < syn_rows_.size(); ++j)
        std::copy(g + Index(j) * s.sample_size(), g + Index(j + 1) * s.sample_size(),
                  grads.images.view().sample(syn_rows_[j]));
      for (Index i = 0; i < k; ++i) {
        const double term = class_matching_value(constraint_, distances[i], raw ? raw[i] : 0.0,
                                                  Index(class_index_[classes_[i]].size()) * tiles);
        r.loss += term;
        if (!owned_.empty()) r.class_losses.emplace_back(classes_[i], term);
      }
      return r;
    }

   private:
    template <class HostNet>
    void initialize_on(HostNet& net, SyntheticSet& syn, Index per_class, std::uint64_t seed) {
      const Index tiles = m_.formation_.tiles();
      Tensor<float> full;
      std::vector<int> full_labels;
      initialize_images(m_.config_.init, net, experts_.final_params, train_, per_class * tiles, seed, full,
                        full_labels);
      const Shape fs = full.shape();
      syn.images.resize(Shape(fs.n / tiles, fs.c, fs.h, fs.w));
      m_.formation_.encode(full.cview(), syn.images.view());
      syn.labels.resize(static_cast<std::size_t>(syn.size()));
      for (Index i = 0; i < syn.size(); ++i) syn.labels[i] = full_labels[i * tiles];
      syn.label_logits = Tensor<float>();
      syn.info["init"] = to_string(m_.config_.init);
      m_.formation_.describe(syn);
    }

    /// Each class's images in syn's class order, and the labels of their decoded images in the
    /// backend's memory (class c's n·tiles labels from label_offsets_[c]): fixed for a run, so
    /// uploaded once.
    void plan_classes(const SyntheticSet& syn) {
      class_index_.resize(static_cast<std::size_t>(train_.classes));
      for (Index i = 0; i < syn.size(); ++i) class_index_[syn.labels[i]].push_back(i);
      std::vector<int> labels;
      label_offsets_.clear();
      for (Index c = 0; c < train_.classes; ++c) {
        label_offsets_.push_back(Index(labels.size()));
        labels.insert(labels.end(), class_index_[c].size() * std::size_t(m_.formation_.tiles()), int(c));
      }
      class_labels_.reserve(std::max<std::size_t>(labels.size(), 1));
      Backend::copy_from_host(Index(labels.size()), labels.data(), class_labels_.data());
    }

    /// The rows' synthetic images in the backend's memory (gathered on the host; the images of
    /// the classes of one call are what crosses the bus, in one upload).
    ConstView<float, Space> class_images(const SyntheticSet& syn, const std::vector<Index>& mine) {
      gather_samples(syn.images.cview(), mine, 0, Index(mine.size()), syn_host_);
      return syn_.upload(syn_host_);
    }

    const DistributionMatching& m_;
    Net& net_;
    const ExpertSet& experts_;
    const Dataset<float>& train_;
    const Augment augment_;
    StageSampler sampler_;
    Constraint constraint_;
    std::vector<std::vector<Index>> by_class_, class_index_;
    std::vector<bool> owned_;  ///< the classes this rank computes (distribute); empty: all
    Stage stage_;
    // The plan of one iterate call: its classes, their real batches (indices, sizes), their
    // synthetic rows in class order, their draws.
    std::vector<Index> classes_, real_idx_, real_counts_, syn_rows_, label_offsets_;
    std::vector<DsaDraw> draws_;
    detail::Buffer<int, Space> class_labels_;
    Tensor<float, Space> distances_;
    Tensor<double, Space> constraint_raw_;
    SampleSource<float, Backend> train_images_;  ///< resident on a device when it fits
    Tensor<float, Space> real_, decoded_, grad_decoded_, grad_class_;
    ClassMatchingWork<float, Space> work_;
    // What crosses between host and backend: the stage's networks (at a stage's first step),
    // the call's synthetic images (gathered on the host), and the call's results.
    Mirror<float, Backend> extractor_, expert_, syn_, distances_back_, grads_back_;
    Mirror<double, Backend> raw_back_;
    const float* theta_ext_ = nullptr;
    const float* theta_exp_ = nullptr;
    Tensor<float> syn_host_;
  };

 private:
  Config config_;
  StageSampler sampler_;
  Constraint constraint_;
  Formation formation_;
};

/// The published methods (docs/design.md §4).
using DM = DistributionMatching<RandomInit, NoConstraint>;
using TGDD = DistributionMatching<TrajectoryStage, StageCrossEntropy>;
/// … with IDC's multi-formation parameterisation (DANCE's and, per its paper, TGDD's setting).
using DM_MF = DistributionMatching<RandomInit, NoConstraint, MultiFormation>;
using TGDD_MF = DistributionMatching<TrajectoryStage, StageCrossEntropy, MultiFormation>;

}  // namespace distill

#endif  // DISTILL_METHODS_DISTRIBUTION_MATCHING_DISTRIBUTION_MATCHING_HPP
