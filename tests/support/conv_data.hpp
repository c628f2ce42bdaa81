#ifndef DISTILL_TESTS_SUPPORT_CONV_DATA_HPP
#define DISTILL_TESTS_SUPPORT_CONV_DATA_HPP

// A convolution problem with random inputs, filters, bias and output gradients (two of each
// but the bias, for the tangent and linearity checks), the data of the convolution tests.

#include <cstdint>

#include "distill/backend/backend.hpp"
#include "support/gradcheck.hpp"

namespace distill::test {

struct ConvData {
  ConvProblem p;
  Vec x1, x2, w1, w2, bias, gy1, gy2;
  Index in_size() const { return p.batch * p.g.image_size(); }
  Index out_size() const { return p.batch * p.out_channels * p.g.patches(); }
  /// The values come from seeds `seed` … `seed + 6`.
  ConvData(ConvGeometry g, Index batch, Index out, std::uint64_t seed) : p{g, batch, out} {
    x1 = random_vec(in_size(), seed);
    x2 = random_vec(in_size(), seed + 1);
    w1 = random_vec(p.weight_size(), seed + 2);
    w2 = random_vec(p.weight_size(), seed + 3);
    bias = random_vec(out, seed + 4);
    gy1 = random_vec(out_size(), seed + 5);
    gy2 = random_vec(out_size(), seed + 6);
  }
};

}  // namespace distill::test

#endif  // DISTILL_TESTS_SUPPORT_CONV_DATA_HPP
