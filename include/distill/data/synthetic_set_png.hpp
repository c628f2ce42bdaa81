#ifndef DISTILL_DATA_SYNTHETIC_SET_PNG_HPP
#define DISTILL_DATA_SYNTHETIC_SET_PNG_HPP

#include <string>
#include <vector>

#include "distill/data/png.hpp"
#include "distill/data/synthetic_set.hpp"

namespace distill {

/// A synthetic set as a PNG grid: one row per class in class order, as many columns as the
/// largest class, images mapped back to viewable colours with the set's inverse preprocessing.
inline void write_synthetic_set_png(const std::string& path, const SyntheticSet& set,
                                    const PngGridOptions& options = {}) {
  Tensor<float> images = set.images;
  set.preprocessing.invert(images);
  std::vector<std::vector<Index>> by_class(static_cast<std::size_t>(set.classes));
  for (Index i = 0; i < set.size(); ++i) by_class[set.labels[i]].push_back(i);
  Index cols = 1;
  for (const auto& c : by_class) cols = std::max<Index>(cols, Index(c.size()));
  const Shape s = images.shape();
  Tensor<float> grid(Shape(set.classes * cols, s.c, s.h, s.w), 1.0f);  // white where a class is short
  for (Index c = 0; c < set.classes; ++c)
    for (Index j = 0; j < Index(by_class[c].size()); ++j)
      std::copy(images.view().sample(by_class[c][j]), images.view().sample(by_class[c][j]) + s.sample_size(),
                grid.view().sample(c * cols + j));
  write_png_grid(path, grid.cview(), set.classes, cols, options);
}

}  // namespace distill

#endif  // DISTILL_DATA_SYNTHETIC_SET_PNG_HPP
