#include <catch2/catch.hpp>

#include <vector>

#include "distill/backend/cpu/im2col.hpp"
#include "distill/core/rng.hpp"

using namespace distill;

TEST_CASE("im2col lays out shifted, zero-padded taps", "[backend][cpu][im2col]") {
  // Same-width geometries (padding (k − 1)/2) take the contiguous-copy path, the others the row
  // loop; both must give the definition's values, including kernels wider than the image and a
  // leading dimension with room to spare (whose extra rows im2col must leave alone).
  const ConvGeometry geometries[] = {{2, 3, 4, 3, 1}, {3, 8, 8, 3, 1}, {1, 5, 7, 5, 2}, {2, 2, 3, 5, 2},
                                     {1, 6, 5, 1, 0}, {2, 6, 5, 3, 0}, {1, 4, 4, 3, 2}, {1, 3, 2, 7, 3}};
  for (const ConvGeometry& g : geometries) {
    INFO("channels " << g.channels << ", " << g.height << "×" << g.width << ", kernel " << g.kernel
                     << ", padding " << g.padding);
    std::vector<double> img(g.image_size());
    for (std::size_t i = 0; i < img.size(); ++i) img[i] = double(i + 1);
    const Index ld = g.patches() + 3, ho = g.out_height(), wo = g.out_width(), k = g.kernel;
    std::vector<double> col(ld * g.taps(), -1.0);
    cpu::im2col(g, img.data(), col.data(), ld);
    for (Index c = 0; c < g.channels; ++c)
      for (Index kh = 0; kh < k; ++kh)
        for (Index kw = 0; kw < k; ++kw) {
          const double* column = col.data() + ((c * k + kh) * k + kw) * ld;
          for (Index oh = 0; oh < ho; ++oh)
            for (Index ow = 0; ow < wo; ++ow) {
              const Index ih = oh + kh - g.padding, iw = ow + kw - g.padding;
              const bool inside = ih >= 0 && ih < g.height && iw >= 0 && iw < g.width;
              CHECK(column[oh * wo + ow] == (inside ? img[(c * g.height + ih) * g.width + iw] : 0.0));
            }
          for (Index q = g.patches(); q < ld; ++q) CHECK(column[q] == -1.0);
        }
  }
}

TEST_CASE("col2im is the transpose of im2col", "[backend][cpu][im2col]") {
  // ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for any x, c, including padding wider than the kernel reach.
  for (Index pad : {0, 1, 3}) {
    const ConvGeometry g{3, 5, 6, 3, pad};
    const Index ld = g.patches() + 5;
    Rng rng(pad + 1);
    std::vector<double> x(3 * 5 * 6), c(ld * g.taps()), col(ld * g.taps(), 0.0), back(x.size());
    for (auto& v : x) v = rng.normal();
    for (auto& v : c) v = rng.normal();
    cpu::im2col(g, x.data(), col.data(), ld);
    cpu::col2im(g, c.data(), ld, back.data());
    double lhs = 0, rhs = 0;
    for (Index t = 0; t < g.taps(); ++t)
      for (Index p = 0; p < g.patches(); ++p) lhs += col[t * ld + p] * c[t * ld + p];
    for (std::size_t i = 0; i < x.size(); ++i) rhs += x[i] * back[i];
    CHECK_THAT(lhs, Catch::Matchers::WithinRel(rhs, 1e-12));
  }
}
