#ifndef DISTILL_TESTS_SUPPORT_TOY_DATA_HPP
#define DISTILL_TESTS_SUPPORT_TOY_DATA_HPP

// A small labelled problem that a tiny ConvNet learns in a few epochs.

#include "distill/core/rng.hpp"
#include "distill/data/dataset.hpp"

namespace distill::test {

/// n images of 3×8×8 in four classes: class k carries a bright 4×4 square in quadrant k, plus
/// N(0, 0.5²) noise. Labels cycle 0, 1, 2, 3, … so every class is equally represented.
inline Dataset<float> quadrants(Index n, std::uint64_t seed) {
  Dataset<float> d;
  d.classes = 4;
  d.images.resize(Shape(n, 3, 8, 8));
  d.labels.resize(static_cast<std::size_t>(n));
  Rng rng(seed);
  for (Index i = 0; i < n; ++i) {
    d.labels[i] = int(i % 4);
    const Index qh = (d.labels[i] / 2) * 4, qw = (d.labels[i] % 2) * 4;
    for (Index c = 0; c < 3; ++c)
      for (Index h = 0; h < 8; ++h)
        for (Index w = 0; w < 8; ++w)
          d.images(i, c, h, w) =
              float(0.5 * rng.normal() + ((h >= qh && h < qh + 4 && w >= qw && w < qw + 4) ? 1 : 0));
  }
  return d;
}

}  // namespace distill::test

#endif  // DISTILL_TESTS_SUPPORT_TOY_DATA_HPP
