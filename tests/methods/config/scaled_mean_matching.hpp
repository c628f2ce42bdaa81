#ifndef DISTILL_TESTS_METHODS_CONFIG_SCALED_MEAN_MATCHING_HPP
#define DISTILL_TESTS_METHODS_CONFIG_SCALED_MEAN_MATCHING_HPP

#include <distill/distill.hpp>

#include <cstdint>
#include <vector>

/// A toy method with a hyper-parameter of its own: every iteration pulls each synthetic image
/// towards `scale` times the mean of its class's real images, L = ½ Σ_j ‖s_j − scale·μ_{y_j}‖².
/// Its field, `scale`, is declared in its registry row (declared_fields_test.cpp), not in the
/// library's settings table.
class ScaledMeanMatching {
 public:
  static constexpr bool kLearnsLr = false;
  static constexpr bool kLearnsLabels = false;
  explicit ScaledMeanMatching(double scale) : scale_(scale) {}
  double scale() const { return scale_; }
  double label_lr() const { return 0; }
  double label_momentum() const { return 0; }

  template <class Net>
  class State {
   public:
    State(const ScaledMeanMatching& m, Net&, const distill::ExpertSet&, const distill::Dataset<float>& train,
          const distill::Dsa<float>&)
        : m_(m), train_(train) {}

    void initialize(distill::SyntheticSet& syn, distill::Index per_class, std::uint64_t seed) {
      const distill::Dataset<float> start = distill::random_real_subset(train_, per_class, seed, 0);
      syn.images = start.images;
      syn.labels = start.labels;
    }
    distill::Index steps_per_iteration() const { return 1; }

    distill::StepReport iterate(distill::Index, distill::Index, std::uint64_t, const distill::SyntheticSet& syn,
                                distill::SyntheticGradients<float>& g) {
      using distill::Index;
      const Index d = syn.images.shape().sample_size();
      std::vector<distill::Vector<float>> target(train_.classes, distill::Vector<float>::Zero(d));
      std::vector<Index> count(train_.classes, 0);
      for (Index i = 0; i < train_.size(); ++i) {
        target[train_.labels[i]] += image(train_.images, i, d);
        ++count[train_.labels[i]];
      }
      for (Index c = 0; c < train_.classes; ++c) target[c] *= float(m_.scale_) / float(count[c]);
      g.images.resize(syn.images.shape());
      g.label_logits.resize(distill::Shape(0, 0));
      g.lr = 0;
      distill::StepReport r;
      for (Index j = 0; j < syn.size(); ++j) {
        const distill::Vector<float> diff = image(syn.images, j, d) - target[syn.labels[j]];
        Eigen::Map<distill::Vector<float>>(g.images.data() + j * d, d) = diff;
        r.loss += 0.5 * double(diff.squaredNorm());
      }
      return r;
    }

   private:
    static Eigen::Map<const distill::Vector<float>> image(const distill::Tensor<float>& t, distill::Index i,
                                                          distill::Index d) {
      return {t.data() + i * d, d};
    }
    const ScaledMeanMatching& m_;
    const distill::Dataset<float>& train_;
  };

 private:
  double scale_;
};

#endif  // DISTILL_TESTS_METHODS_CONFIG_SCALED_MEAN_MATCHING_HPP
