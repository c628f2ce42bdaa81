#include <catch2/catch.hpp>

#include <vector>

#include "distill/backend/cpu/im2col.hpp"
#include "distill/core/rng.hpp"

using namespace distill;

TEST_CASE("im2col lays out shifted, zero-padded taps", "[backend][cpu][im2col]") {
  const ConvGeometry g{2, 3, 4, 3, 1};
  REQUIRE(g.out_height() == 3);
  REQUIRE(g.out_width() == 4);
  std::vector<double> img(2 * 3 * 4);
  for (std::size_t i = 0; i < img.size(); ++i) img[i] = double(i + 1);
  const Index ld = g.patches();
  std::vector<double> col(ld * g.taps());
  cpu::im2col(g, img.data(), col.data(), ld);
  for (Index c = 0; c < 2; ++c)
    for (Index kh = 0; kh < 3; ++kh)
      for (Index kw = 0; kw < 3; ++kw)
        for (Index oh = 0; oh < 3; ++oh)
          for (Index ow = 0; ow < 4; ++ow) {
            const Index ih = oh + kh - 1, iw = ow + kw - 1;
            const double expected =
                (ih < 0 || ih >= 3 || iw < 0 || iw >= 4) ? 0.0 : img[(c * 3 + ih) * 4 + iw];
            CHECK(col[((c * 3 + kh) * 3 + kw) * ld + oh * 4 + ow] == expected);
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
