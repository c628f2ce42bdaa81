#ifndef DISTILL_DATA_SYNTHETIC_SET_HPP
#define DISTILL_DATA_SYNTHETIC_SET_HPP

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "distill/data/preprocess_io.hpp"
#include "distill/data/safetensors.hpp"

namespace distill {

/// A distilled (or selected) training set: images in the preprocessed space, hard labels and
/// optionally learned soft labels (logits), the learned step size used to evaluate it, and
/// the preprocessing that maps real data into its space.
struct SyntheticSet {
  Tensor<float> images;           ///< [N, C, H, W], preprocessed space
  std::vector<int> labels;        ///< N hard labels (class-major for distilled sets)
  Tensor<float> label_logits;     ///< [N, classes] soft labels, or empty
  double lr = 0.01;               ///< step size for evaluation
  Index classes = 0;
  std::string dataset;            ///< e.g. "cifar10"
  Preprocessing<float> preprocessing = Preprocessing<float>::none();
  std::map<std::string, std::string> info;  ///< free-form provenance (method, iteration, …)

  Index size() const { return images.shape().n; }
  bool has_soft_labels() const { return label_logits.size() > 0; }
  /// Images per class when every class has the same count, else 0.
  Index images_per_class() const {
    if (classes <= 0 || size() % classes) return 0;
    std::vector<Index> count(static_cast<std::size_t>(classes), 0);
    for (int y : labels) ++count[y];
    for (Index c : count)
      if (c != count[0]) return 0;
    return count[0];
  }
};

/// The set as safetensors tensors and metadata (checkpoints add their own fields to it).
inline SafetensorsFile synthetic_set_file(const SyntheticSet& set) {
  SafetensorsFile f;
  f.add("images", set.images);
  std::vector<std::int32_t> labels(set.labels.begin(), set.labels.end());
  f.add("labels", labels);
  if (set.has_soft_labels()) f.add("label_logits", set.label_logits.cview().data(),
                                   {set.label_logits.shape().n, set.label_logits.shape().c});
  f.add_scalar("lr", set.lr);
  f.metadata = set.info;
  f.metadata["kind"] = "distill.synthetic_set";
  f.metadata["classes"] = std::to_string(set.classes);
  f.metadata["dataset"] = set.dataset;
  add_preprocessing(f, set.preprocessing);
  return f;
}

inline void save_synthetic_set(const std::string& path, const SyntheticSet& set) {
  write_safetensors(path, synthetic_set_file(set));
}

/// Reads a set from a file's tensors and metadata; `kind` is the expected metadata kind and
/// errors name `path`.
inline SyntheticSet synthetic_set_from_file(const SafetensorsFile& f, const std::string& path,
                                            const std::string& kind = "distill.synthetic_set") {
  auto meta = [&](const char* key) {
    const auto it = f.metadata.find(key);
    DISTILL_CHECK(it != f.metadata.end(), path << ": metadata field '" << key << "' is missing");
    return it->second;
  };
  DISTILL_CHECK(meta("kind") == kind,
                path << ": not a " << kind << " file (metadata kind is '" << meta("kind") << "')");
  SyntheticSet s;
  s.images = f.get_tensor<float>("images");
  s.labels = f.get_ints("labels");
  s.lr = f.get_scalar("lr");
  s.classes = std::stol(meta("classes"));
  s.dataset = meta("dataset");
  s.preprocessing = get_preprocessing(f, path);
  DISTILL_CHECK(s.classes > 0, path << ": field 'classes' must be positive");
  DISTILL_CHECK(static_cast<Index>(s.labels.size()) == s.size(),
                path << ": tensor 'labels' has " << s.labels.size() << " entries for " << s.size()
                     << " images");
  for (std::size_t i = 0; i < s.labels.size(); ++i)
    DISTILL_CHECK(s.labels[i] >= 0 && s.labels[i] < s.classes,
                  path << ": tensor 'labels': entry " << i << " is " << s.labels[i]
                       << ", outside [0, " << s.classes << ")");
  if (f.contains("label_logits")) {
    s.label_logits = f.get_tensor<float>("label_logits");
    DISTILL_CHECK(s.label_logits.shape() == Shape(s.size(), s.classes),
                  path << ": tensor 'label_logits' is " << s.label_logits.shape() << ", expected "
                       << Shape(s.size(), s.classes));
  }
  DISTILL_CHECK(s.lr > 0 && std::isfinite(s.lr), path << ": tensor 'lr' is " << s.lr
                                                      << ", expected a positive step size");
  for (const auto& [k, v] : f.metadata)
    if (k.rfind("preprocess.", 0) != 0 && k != "kind" && k != "classes" && k != "dataset") s.info[k] = v;
  return s;
}

inline SyntheticSet load_synthetic_set(const std::string& path) {
  return synthetic_set_from_file(read_safetensors(path), path);
}

}  // namespace distill

#endif  // DISTILL_DATA_SYNTHETIC_SET_HPP
