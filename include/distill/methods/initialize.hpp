#ifndef DISTILL_METHODS_INITIALIZE_HPP
#define DISTILL_METHODS_INITIALIZE_HPP

#include <string>
#include <vector>

#include "distill/core/seeds.hpp"
#include "distill/core/rng.hpp"
#include "distill/data/dataset.hpp"
#include "distill/train/evaluate.hpp"
#include "distill/train/trainer.hpp"

namespace distill {

/// How the synthetic images start: random real images of each class (MTT's `pix_init=real`),
/// real images that an expert's final checkpoint classifies correctly (DATM), or N(0, 1) noise.
enum class ImageInit { kReal, kCorrect, kNoise };

inline ImageInit parse_image_init(const std::string& s) {
  if (s == "real") return ImageInit::kReal;
  if (s == "correct") return ImageInit::kCorrect;
  if (s == "noise") return ImageInit::kNoise;
  DISTILL_CHECK(false, "init '" << s << "': expected real, correct or noise");
  return ImageInit::kReal;
}
inline const char* to_string(ImageInit i) {
  return i == ImageInit::kReal ? "real" : i == ImageInit::kCorrect ? "correct" : "noise";
}

/// Predicted class of every image under parameters θ (evaluation mode, batches of 256).
template <class Net>
std::vector<int> predict_classes(Net& net, const Vector<typename Net::scalar_type>& theta,
                                 ConstView<typename Net::scalar_type> images) {
  using Scalar = typename Net::scalar_type;
  net.set_training(false);
  std::vector<int> out;
  const Index n = images.shape().n, k = net.classes();
  for (Index first = 0; first < n; first += 256) {
    const Index b = std::min<Index>(256, n - first);
    const auto res = net.forward(theta.data(), images.samples(first, b));
    for (Index i = 0; i < b; ++i) {
      const Scalar* row = res.logits.data() + i * k;
      out.push_back(int(std::max_element(row, row + k) - row));
    }
  }
  net.set_training(true);
  return out;
}

/// DATM's initialisation: for every class, real images in a random order (seeded) that the
/// final checkpoint of expert 0 classifies correctly, then those of expert 1, … when one finds
/// too few. A class no expert gets `per_class` images right is completed with other real
/// images of it, counted in `*filled` (may be null), rather than failing. Returns `per_class`
/// indices per class, class-major.
template <class Net>
std::vector<Index> select_correctly_classified(Net& net, const std::vector<Vector<float>>& final_params,
                                               const Dataset<float>& train, Index per_class, std::uint64_t seed,
                                               Index* filled = nullptr) {
  DISTILL_CHECK(!final_params.empty(), "init correct: no experts");
  const auto by_class = train.indices_by_class();
  std::vector<Index> picked;
  Tensor<float> chunk;
  if (filled) *filled = 0;
  for (Index c = 0; c < train.classes; ++c) {
    const auto& pool = by_class[c];
    const Index size = Index(pool.size());
    DISTILL_CHECK(size >= per_class, "class " << c << " has " << size << " images, fewer than the " << per_class
                                              << " requested per class");
    const auto order = random_permutation(size, seed, seeds::class_initialisation_stream(std::uint64_t(c)));
    std::vector<char> taken(static_cast<std::size_t>(size), 0);
    Index count = 0;
    for (std::size_t e = 0; e < final_params.size() && count < per_class; ++e) {
      for (Index first = 0; first < size && count < per_class; first += 256) {
        const Index b = std::min<Index>(256, size - first);
        std::vector<Index> idx(static_cast<std::size_t>(b));
        for (Index j = 0; j < b; ++j) idx[j] = pool[order[first + j]];
        gather_samples(train.images.cview(), idx, 0, b, chunk);
        const auto pred = predict_classes(net, final_params[e], chunk.cview());
        for (Index j = 0; j < b && count < per_class; ++j)
          if (pred[j] == c && !taken[first + j]) {
            taken[first + j] = 1;
            picked.push_back(idx[j]);
            ++count;
          }
      }
    }
    for (Index j = 0; j < size && count < per_class; ++j)
      if (!taken[j]) {
        taken[j] = 1;
        picked.push_back(pool[order[j]]);
        ++count;
        if (filled) ++*filled;
      }
  }
  return picked;
}

/// DATM's soft labels: each image's label logits are the mean of the logits of the experts
/// (final checkpoints) that classify it correctly; images no expert gets right take the mean
/// over all experts. Returns [N, classes].
template <class Net>
Tensor<float> expert_label_logits(Net& net, const std::vector<Vector<float>>& final_params,
                                  ConstView<float> images, const std::vector<int>& labels) {
  const Index n = images.shape().n, k = net.classes();
  Tensor<float> sum_correct(Shape(n, k)), sum_all(Shape(n, k));
  std::vector<Index> correct(static_cast<std::size_t>(n), 0);
  net.set_training(false);
  for (const auto& theta : final_params) {
    for (Index first = 0; first < n; first += 256) {
      const Index b = std::min<Index>(256, n - first);
      const auto res = net.forward(theta.data(), images.samples(first, b));
      for (Index i = 0; i < b; ++i) {
        const float* row = res.logits.data() + i * k;
        const bool right = std::max_element(row, row + k) - row == labels[first + i];
        correct[first + i] += right;
        for (Index j = 0; j < k; ++j) {
          sum_all[(first + i) * k + j] += row[j];
          if (right) sum_correct[(first + i) * k + j] += row[j];
        }
      }
    }
  }
  net.set_training(true);
  Tensor<float> out(Shape(n, k));
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < k; ++j)
      out[i * k + j] = correct[i] ? sum_correct[i * k + j] / float(correct[i])
                                  : sum_all[i * k + j] / float(final_params.size());
  return out;
}

/// The starting images and their class-major hard labels (`filled`: see
/// select_correctly_classified).
template <class Net>
void initialize_images(ImageInit init, Net& net, const std::vector<Vector<float>>& final_params,
                       const Dataset<float>& train, Index per_class, std::uint64_t seed, Tensor<float>& images,
                       std::vector<int>& labels, Index* filled = nullptr) {
  DISTILL_CHECK(per_class > 0, "images per class must be positive, got " << per_class);
  const Index n = per_class * train.classes;
  labels.resize(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) labels[i] = int(i / per_class);
  if (init == ImageInit::kNoise) {
    images.resize(Shape(n, train.channels(), train.height(), train.width()));
    Rng rng(seed, seeds::kSyntheticInitialisationStream);
    for (Index i = 0; i < images.size(); ++i) images[i] = float(rng.normal());
    return;
  }
  const auto idx = init == ImageInit::kReal ? random_per_class(train, per_class, seed, seeds::kSyntheticInitialisationStream)
                                            : select_correctly_classified(net, final_params, train, per_class, seed, filled);
  gather_samples(train.images.cview(), idx, 0, n, images);
}

}  // namespace distill

#endif  // DISTILL_METHODS_INITIALIZE_HPP
