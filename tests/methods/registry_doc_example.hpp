#include <distill/distill.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

/// Pixel-space mean matching, a toy method: every iteration pulls each synthetic image towards
/// the mean of up to `batch_real` random real images of its class, L = ½ Σ_j ‖s_j − μ_{y_j}‖².
class MeanMatching {
 public:
  static constexpr bool kLearnsLr = false;      // the driver keeps the step size fixed
  static constexpr bool kLearnsLabels = false;  // and the labels hard
  explicit MeanMatching(distill::Index batch_real) : batch_real_(batch_real) {}
  double label_lr() const { return 0; }
  double label_momentum() const { return 0; }

  template <class Net>
  class State {
   public:
    State(const MeanMatching& m, Net&, const distill::ExpertSet&, const distill::Dataset<float>& train,
          const distill::Dsa<float>&)
        : m_(m), train_(train), by_class_(train.indices_by_class()) {}

    void initialize(distill::SyntheticSet& syn, distill::Index per_class, std::uint64_t seed) {
      const distill::Dataset<float> start = distill::random_real_subset(train_, per_class, seed, 0);
      syn.images = start.images;
      syn.labels = start.labels;
    }
    distill::Index steps_per_iteration() const { return 1; }

    distill::StepReport iterate(distill::Index iteration, distill::Index /*step*/, std::uint64_t seed,
                                     const distill::SyntheticSet& syn, distill::SyntheticGradients<float>& g) {
      using distill::Index;
      const Index d = syn.images.shape().sample_size();
      // Everything random comes from (seed, iteration): a resumed run repeats the same draws.
      distill::Rng rng(seed, std::uint64_t(iteration));
      std::vector<distill::Vector<float>> mean;
      for (const auto& pool : by_class_) {
        const Index k = std::min<Index>(m_.batch_real_, Index(pool.size()));
        const auto order = distill::random_permutation(Index(pool.size()), rng.next_u64(), 0);
        mean.push_back(distill::Vector<float>::Zero(d));
        for (Index i = 0; i < k; ++i) mean.back() += image(train_.images, pool[order[i]], d) / float(k);
      }
      g.images.resize(syn.images.shape());
      g.label_logits.resize(distill::Shape(0, 0));
      g.lr = 0;
      distill::StepReport r;
      for (Index j = 0; j < syn.size(); ++j) {
        const distill::Vector<float> diff = image(syn.images, j, d) - mean[syn.labels[j]];
        Eigen::Map<distill::Vector<float>>(g.images.data() + j * d, d) = diff;  // ∂L/∂s_j
        r.loss += 0.5 * double(diff.squaredNorm());
      }
      return r;
    }

   private:
    static Eigen::Map<const distill::Vector<float>> image(const distill::Tensor<float>& t, distill::Index i,
                                                          distill::Index d) {
      return {t.data() + i * d, d};
    }
    const MeanMatching& m_;
    const distill::Dataset<float>& train_;
    std::vector<std::vector<distill::Index>> by_class_;
  };

 private:
  distill::Index batch_real_;
};

/// Its registry row: the name runs ask for, the family, whether it needs experts, and how the
/// settings reach it, as typed constructor arguments read through the SettingsReader.
inline auto mean_matching_row() {
  return distill::method_row<MeanMatching>("mean-matching", distill::MethodFamily::kDistributionMatching,
                                           /*needs_experts=*/false,
                                           [](distill::SettingsReader& r) { return MeanMatching(r.batch_real()); });
}

/// A program's registry: the library's methods and this one. resolve_settings(my_methods(), …)
/// and run_method(my_methods(), …) then take "mean-matching" like any built-in method.
inline const auto& my_methods() {
  static const auto methods = distill::builtin_methods().with(mean_matching_row());
  return methods;
}
