#include <catch2/catch.hpp>

#include <vector>

#include "distill/backend/conv_kernels.hpp"
#include "distill/backend/cpu/backend.hpp"
#include "distill/backend/cpu/im2col.hpp"
#include "support/conv_data.hpp"
#include "support/gradcheck.hpp"

// The functors a device backend launches for its convolutions, run here through cpu::Backend
// and compared with cpu::Convolution: this is how the CPU suite checks the GPU's arithmetic.

using namespace distill;
using test::Vec;

TEST_CASE("Direct convolution functors agree with cpu::Convolution", "[backend][conv]") {
  for (ConvGeometry g : {ConvGeometry{3, 7, 6, 3, 1}, ConvGeometry{2, 5, 5, 3, 0}, ConvGeometry{4, 4, 6, 1, 0}}) {
    test::ConvData t(g, 3, 5, 11);
    const ConvProblem& p = t.p;
    INFO("channels " << g.channels << ", kernel " << g.kernel << ", padding " << g.padding);
    cpu::Convolution<double> conv;
    const ConvSum<double> xw{{t.x1.data(), t.w1.data()}, {t.x2.data(), t.w2.data()}};

    Vec want(t.out_size()), got(t.out_size());
    conv.forward(p, xw, t.bias.data(), want.data());
    cpu::Backend::for_each(t.out_size(), detail::DirectConvForward<double>{g, p.out_channels, detail::ConvPairs<double>(xw),
                                                                          t.bias.data(), got.data()});
    CHECK(test::relative_error(got, want) < 1e-13);

    const ConvSum<double> gw{{t.gy1.data(), t.w1.data()}, {t.gy2.data(), t.w2.data()}};
    Vec gx_want(t.in_size()), gx_got(t.in_size());
    conv.backward_data(p, gw, gx_want.data());
    cpu::Backend::for_each(t.in_size(), detail::DirectConvBackwardData<double>{g, p.out_channels,
                                                                              detail::ConvPairs<double>(gw), gx_got.data()});
    CHECK(test::relative_error(gx_got, gx_want) < 1e-13);

    const ConvSum<double> xg{{t.x1.data(), t.gy1.data()}, {t.x2.data(), t.gy2.data()}};
    const Index W = p.weight_size();
    Vec f_want(W + p.out_channels), f_got(W + p.out_channels);
    conv.backward_filter(p, xg, t.gy1.data(), f_want.data(), f_want.data() + W);
    cpu::Backend::for_each(W + p.out_channels,
                           detail::DirectConvBackwardFilter<double>{g, p.out_channels, p.batch, detail::ConvPairs<double>(xg),
                                                                    t.gy1.data(), f_got.data(), f_got.data() + W});
    CHECK(test::relative_error(f_got, f_want) < 1e-13);

    // One pair only: the second is dropped, as a ConvSum with one term.
    conv.forward(p, {{t.x1.data(), t.w1.data()}}, nullptr, want.data());
    cpu::Backend::for_each(t.out_size(), detail::DirectConvForward<double>{g, p.out_channels,
                                                                          detail::ConvPairs<double>({{t.x1.data(), t.w1.data()}}),
                                                                          nullptr, got.data()});
    CHECK(test::relative_error(got, want) < 1e-13);
  }
}

TEST_CASE("im2col functors reproduce cpu::im2col and col2im, and the plane moves invert", "[backend][conv]") {
  const ConvGeometry g{3, 5, 7, 3, 1};
  const Index count = 3, P = g.patches(), K = g.taps(), ld = count * P;
  const Vec x = test::random_vec(count * g.image_size(), 21);
  Vec want(ld * K), got(ld * K);
  for (Index j = 0; j < count; ++j) cpu::im2col(g, x.data() + j * g.image_size(), want.data() + j * P, ld);
  cpu::Backend::for_each(ld * K, detail::Im2colElement<double>{g, ld, x.data(), got.data()});
  CHECK(got == want);  // a pure copy: exact

  const Vec gcol = test::random_vec(ld * K, 22);
  Vec gx_want(count * g.image_size()), gx_got(count * g.image_size());
  for (Index j = 0; j < count; ++j) cpu::col2im(g, gcol.data() + j * P, ld, gx_want.data() + j * g.image_size());
  cpu::Backend::for_each(count * g.image_size(), detail::Col2imElement<double>{g, ld, gcol.data(), gx_got.data()});
  CHECK(gx_got == gx_want);  // the same additions in the same order: exact

  const Index planes = 4;
  const Vec y = test::random_vec(count * planes * P, 23), bias = test::random_vec(planes, 24);
  Vec stacked(planes * ld), back(y.size());
  cpu::Backend::for_each(planes * ld, detail::StackPlanes<double>{P, planes, ld, y.data(), stacked.data()});
  CHECK(stacked[(2 * ld) + 1 * P + 5] == y[(1 * planes + 2) * P + 5]);
  cpu::Backend::for_each(Index(y.size()), detail::UnstackPlanesBias<double>{P, planes, ld, stacked.data(), nullptr, back.data()});
  CHECK(back == y);
  cpu::Backend::for_each(Index(y.size()), detail::UnstackPlanesBias<double>{P, planes, ld, stacked.data(), bias.data(), back.data()});
  CHECK(back[(2 * planes + 3) * P + 7] == y[(2 * planes + 3) * P + 7] + bias[3]);
}
