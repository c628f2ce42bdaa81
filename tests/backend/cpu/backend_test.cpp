#include <catch2/catch.hpp>

#include <cmath>

#include <vector>

#include "distill/backend/cpu/backend.hpp"
#include "distill/core/parallel.hpp"
#include "support/conv_data.hpp"
#include "support/gradcheck.hpp"

using namespace distill;
using test::Vec;

namespace {

// The direct definition of a stride-1, zero-padded convolution (PyTorch's weight order).
double direct_conv(const ConvGeometry& g, Index out_channels, const double* x, const double* w, Index n,
                   Index o, Index oh, Index ow) {
  (void)out_channels;
  double s = 0;
  for (Index c = 0; c < g.channels; ++c)
    for (Index kh = 0; kh < g.kernel; ++kh)
      for (Index kw = 0; kw < g.kernel; ++kw) {
        const Index ih = oh + kh - g.padding, iw = ow + kw - g.padding;
        if (ih < 0 || ih >= g.height || iw < 0 || iw >= g.width) continue;
        s += x[((n * g.channels + c) * g.height + ih) * g.width + iw] *
             w[((o * g.channels + c) * g.kernel + kh) * g.kernel + kw];
      }
  return s;
}

}  // namespace

TEST_CASE("cpu::Backend satisfies the backend contract", "[backend][cpu]") {
  STATIC_REQUIRE(BackendChecks<cpu::Backend>::check());
}

TEST_CASE("cpu::Backend: loops, sums and sample moves", "[backend][cpu]") {
  const Index n = 100000;
  std::vector<double> a(n), b(n);
  cpu::Backend::for_each(n, [p = a.data()](Index i) { p[i] = double(i); });
  for (Index i = 0; i < n; i += 997) CHECK(a[i] == double(i));
  cpu::Backend::for_each(n, [p = b.data()](Index i) { p[i] = 2.0; }, 1);
  CHECK(cpu::Backend::dot(n, a.data(), b.data()) == double(n) * double(n - 1));
  CHECK(cpu::Backend::squared_norm(3, a.data() + 1) == 1.0 + 4.0 + 9.0);
  cpu::Backend::axpy(n, -0.5, b.data(), a.data());
  CHECK(a[10] == 9.0);
  cpu::Backend::scal(n, 4.0, a.data());
  CHECK(a[10] == 36.0);
  CHECK(a[n - 1] == 4.0 * (double(n - 1) - 1.0));
  // The sum adds in index order after init: ((1e16 − 1e16) + 1) is 1, any other grouping 0.
  const double big[] = {1e16, -1e16, 1.0};
  CHECK(cpu::Backend::sum(3, [&](Index i) { return big[i]; }) == 1.0);
  CHECK(cpu::Backend::sum(2, [&](Index i) { return big[i + 1]; }, 1e16) == 1.0);
  CHECK(cpu::Backend::sum(2, [&](Index i) { return big[2 - i]; }, 1e16) == 0.0);

  // The _to forms write what the host-returning forms return. Distribution matching's loss
  // moved from squared_norm(x) to dot_to(x, x): Eigen forms both by the same reduction, so the
  // bits are the same (checked over the sizes up to a ConvNet's embedding).
  double into = 0;
  cpu::Backend::sum_to(3, [&](Index i) { return big[i]; }, &into);
  CHECK(into == 1.0);
  std::vector<float> x(4096);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(std::sin(double(i) * 0.37) * 3.0);
  for (Index m : {1, 7, 16, 33, 255, 1000, 2048, 4096}) {
    float d = 0;
    cpu::Backend::dot_to(m, x.data(), x.data(), &d);
    CHECK(d == cpu::Backend::squared_norm(m, x.data()));
  }

  const float src[] = {0, 1, 2, 3, 4, 5};  // three samples of two values
  const Index index[] = {2, 0, 2};
  float gathered[6], dst[6] = {};
  cpu::Backend::gather_samples(2, index, 3, src, gathered);
  CHECK(std::vector<float>(gathered, gathered + 6) == std::vector<float>{4, 5, 0, 1, 4, 5});
  cpu::Backend::scatter_add_samples(2, index, 3, 2.0f, gathered, dst);
  CHECK(std::vector<float>(dst, dst + 6) == std::vector<float>{0, 2, 0, 0, 16, 20});
}

TEST_CASE("cpu::Convolution: the three primitives over two terms match the direct definition",
          "[backend][cpu][conv]") {
  // Batch 1 uses one image per GEMM, 5 and 13 stack images (8×8 planes) into shared GEMMs.
  for (Index batch : {1, 5, 13}) {
    test::ConvData t({3, 9, 8, 3, 1}, batch, 5, 1);
    const ConvProblem& p = t.p;
    const ConvGeometry& g = p.g;
    const Index P = g.patches(), O = p.out_channels;
    cpu::Convolution<double> conv;

    // forward: y = conv(x1, w1) + conv(x2, w2) + b.
    Vec y(t.out_size());
    conv.forward(p, {{t.x1.data(), t.w1.data()}, {t.x2.data(), t.w2.data()}}, t.bias.data(), y.data());
    Vec y_ref(t.out_size());
    for (Index n = 0; n < batch; ++n)
      for (Index o = 0; o < O; ++o)
        for (Index q = 0; q < P; ++q) {
          const Index oh = q / g.out_width(), ow = q % g.out_width();
          y_ref[(n * O + o) * P + q] = direct_conv(g, O, t.x1.data(), t.w1.data(), n, o, oh, ow) +
                                       direct_conv(g, O, t.x2.data(), t.w2.data(), n, o, oh, ow) + t.bias[o];
        }
    CHECK(test::relative_error(y, y_ref) < 1e-13);

    // An absent term and no bias: y = conv(x2, w2).
    Vec y2(t.out_size());
    conv.forward(p, {{nullptr, t.w1.data()}, {t.x2.data(), t.w2.data()}}, nullptr, y2.data());
    Vec y2_ref(t.out_size());
    for (Index n = 0; n < batch; ++n)
      for (Index o = 0; o < O; ++o)
        for (Index q = 0; q < P; ++q)
          y2_ref[(n * O + o) * P + q] =
              direct_conv(g, O, t.x2.data(), t.w2.data(), n, o, q / g.out_width(), q % g.out_width());
    CHECK(test::relative_error(y2, y2_ref) < 1e-13);

    // backward_data and backward_filter are the adjoints: ⟨gy, conv(x, w)⟩ = ⟨data(gy, w), x⟩ =
    // ⟨filter(x, gy), w⟩, summed over both terms.
    auto dot = [](const Vec& a, const Vec& b) {
      double s = 0;
      for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
      return s;
    };
    Vec c11(t.out_size()), c22(t.out_size());
    conv.forward(p, {{t.x1.data(), t.w1.data()}}, nullptr, c11.data());
    conv.forward(p, {{t.x2.data(), t.w2.data()}}, nullptr, c22.data());
    Vec gx(t.in_size());
    conv.backward_data(p, {{t.gy1.data(), t.w1.data()}, {t.gy2.data(), t.w2.data()}}, gx.data());
    // gx = Σ dataᵢ, so ⟨gx, x1⟩ = ⟨gy1, conv(x1, w1)⟩ + ⟨gy2, conv(x1, w2)⟩.
    Vec c12(t.out_size());
    conv.forward(p, {{t.x1.data(), t.w2.data()}}, nullptr, c12.data());
    CHECK_THAT(dot(gx, t.x1), Catch::Matchers::WithinRel(dot(t.gy1, c11) + dot(t.gy2, c12), 1e-12));

    Vec gw(p.weight_size()), gb(O);
    conv.backward_filter(p, {{t.x1.data(), t.gy1.data()}, {t.x2.data(), t.gy2.data()}}, t.gy2.data(), gw.data(),
                         gb.data());
    Vec c21(t.out_size());
    conv.forward(p, {{t.x2.data(), t.w1.data()}}, nullptr, c21.data());
    CHECK_THAT(dot(gw, t.w1), Catch::Matchers::WithinRel(dot(t.gy1, c11) + dot(t.gy2, c21), 1e-12));
    for (Index o = 0; o < O; ++o) {
      double s = 0;
      for (Index n = 0; n < batch; ++n)
        for (Index q = 0; q < P; ++q) s += t.gy2[(n * O + o) * P + q];
      CHECK_THAT(gb[o], Catch::Matchers::WithinRel(s, 1e-13));
    }
  }
}

TEST_CASE("cpu::Convolution: results do not depend on the number of threads", "[backend][cpu][conv]") {
  test::ConvData t({3, 9, 8, 3, 1}, 13, 5, 1);
  auto run = [&](int threads) {
    set_threads(threads);
    cpu::Convolution<double> conv;
    Vec y(t.out_size()), gx(t.in_size()), gw(t.p.weight_size()), gb(t.p.out_channels);
    conv.forward(t.p, {{t.x1.data(), t.w1.data()}, {t.x2.data(), t.w2.data()}}, t.bias.data(), y.data());
    conv.backward_data(t.p, {{t.gy1.data(), t.w1.data()}}, gx.data());
    return std::make_pair(y, gx);
  };
  const int saved = max_threads();
  const auto one = run(1), two = run(2);
  set_threads(saved);
  CHECK(one.first == two.first);  // per image, bitwise: the chunk layout ignores the thread count
  CHECK(one.second == two.second);
}

TEST_CASE("cpu::Convolution: the fused backward equals backward_filter then backward_data", "[backend][cpu][conv]") {
  // Batch 1 and 5 run one image per chunk here, 13 stacks images: both staging paths.
  for (Index batch : {1, 5, 13}) {
    test::ConvData t({3, 9, 8, 3, 1}, batch, 5, 1);
    const ConvProblem& p = t.p;
    const Index W = p.weight_size(), O = p.out_channels;
    const ConvSum<double> filter{{t.x1.data(), t.gy1.data()}, {t.x2.data(), t.gy2.data()}};
    const ConvSum<double> data{{t.gy1.data(), t.w1.data()}, {t.gy2.data(), t.w2.data()}};
    cpu::Convolution<double> separate, fused;
    Vec gw(W), gb(O), gx(t.in_size()), fgw(W, 7.0), fgb(O, 7.0), fgx(t.in_size(), 7.0);
    separate.backward_filter(p, filter, t.gy1.data(), gw.data(), gb.data());
    separate.backward_data(p, data, gx.data());
    fused.backward(p, filter, t.gy1.data(), fgw.data(), fgb.data(), data, fgx.data());
    INFO("batch " << batch);
    CHECK(fgw == gw);  // bitwise: the same GEMMs in the same order on the same threads
    CHECK(fgb == gb);
    CHECK(fgx == gx);
    // A second call reuses the workspaces and must not carry the first call's sums over.
    fused.backward(p, filter, t.gy1.data(), fgw.data(), fgb.data(), data, fgx.data());
    CHECK(fgw == gw);
    CHECK(fgx == gx);
  }
}

namespace {
// A Convolution with only the three primitives (as the CUDA ones): conv_backward must fall
// back to the two calls and honour a skipped half.
struct TwoCallConvolution {
  int filter_calls = 0, data_calls = 0;
  void backward_filter(const ConvProblem&, ConvSum<double>, const double*, double*, double*) { ++filter_calls; }
  void backward_data(const ConvProblem&, ConvSum<double>, double*) { ++data_calls; }
};
}  // namespace

TEST_CASE("conv_backward fuses where the backend can and skips a half not wanted", "[backend][conv]") {
  static_assert(detail::HasFusedConvBackward<cpu::Convolution<double>, double>::value);
  static_assert(!detail::HasFusedConvBackward<TwoCallConvolution, double>::value);
  test::ConvData t({3, 9, 8, 3, 1}, 3, 5, 1);
  double gw = 0, gx = 0;
  TwoCallConvolution two;
  conv_backward(two, t.p, {{t.x1.data(), t.gy1.data()}}, t.gy1.data(), &gw, &gw, {{t.gy1.data(), t.w1.data()}}, &gx);
  CHECK((two.filter_calls == 1 && two.data_calls == 1));
  double* none = nullptr;
  conv_backward(two, t.p, {{t.x1.data(), t.gy1.data()}}, t.gy1.data(), none, none, {{t.gy1.data(), t.w1.data()}},
                &gx);
  CHECK((two.filter_calls == 1 && two.data_calls == 2));
  conv_backward(two, t.p, {{t.x1.data(), t.gy1.data()}}, t.gy1.data(), &gw, &gw, {{t.gy1.data(), t.w1.data()}},
                none);
  CHECK((two.filter_calls == 2 && two.data_calls == 2));

  // Through cpu::Convolution without an input gradient: the weight gradient alone.
  cpu::Convolution<double> conv;
  Vec w(t.p.weight_size()), b(t.p.out_channels);
  conv_backward(conv, t.p, {{t.x1.data(), t.gy1.data()}}, t.gy1.data(), w.data(), b.data(),
                {{t.gy1.data(), t.w1.data()}}, none);
  Vec want_w(t.p.weight_size()), want_b(t.p.out_channels);
  conv.backward_filter(t.p, {{t.x1.data(), t.gy1.data()}}, t.gy1.data(), want_w.data(), want_b.data());
  CHECK(w == want_w);
  CHECK(b == want_b);
}
