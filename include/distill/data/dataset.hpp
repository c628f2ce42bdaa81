#ifndef DISTILL_DATA_DATASET_HPP
#define DISTILL_DATA_DATASET_HPP

#include <string>
#include <vector>

#include "distill/core/error.hpp"
#include "distill/core/tensor.hpp"

namespace distill {

/// A labelled image set held in memory: images [N, C, H, W] and N labels in [0, classes).
/// Readers fill images with pixel/255 in [0, 1]; preprocessing transforms them in place.
template <class Scalar>
struct Dataset {
  Tensor<Scalar> images;
  std::vector<int> labels;
  Index classes = 0;
  std::vector<std::string> class_names;  ///< optional, one per class when the data names them

  Index size() const { return images.shape().n; }
  Index channels() const { return images.shape().c; }
  Index height() const { return images.shape().h; }
  Index width() const { return images.shape().w; }

  /// Indices of the samples of each class, in dataset order.
  std::vector<std::vector<Index>> indices_by_class() const {
    std::vector<std::vector<Index>> by_class(static_cast<std::size_t>(classes));
    for (Index i = 0; i < size(); ++i) by_class[labels[i]].push_back(i);
    return by_class;
  }
  /// Throws unless images and labels agree and every label is in range.
  void validate(const std::string& what) const {
    DISTILL_CHECK(static_cast<Index>(labels.size()) == size(),
                  what << ": " << labels.size() << " labels for " << size() << " images");
    for (Index i = 0; i < size(); ++i)
      DISTILL_CHECK(labels[i] >= 0 && labels[i] < classes,
                    what << ": label " << labels[i] << " of sample " << i << " is outside [0, "
                         << classes << ")");
  }
};

/// Training and test splits of one dataset.
template <class Scalar>
struct DatasetSplits {
  Dataset<Scalar> train, test;
};

}  // namespace distill

#endif  // DISTILL_DATA_DATASET_HPP
