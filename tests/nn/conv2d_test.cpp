#include <catch2/catch.hpp>

#include "distill/nn/conv2d.hpp"
#include "support/gradcheck.hpp"

using namespace distill;
using test::Vec;

namespace {

test::FourPasses conv_passes(Conv2d<double>& conv, Shape in) {
  const Shape out = conv.output_shape(in);
  auto view = [](const Vec& v, Shape s) { return ConstView<double>(v.data(), s); };
  auto opt = [view](const Vec& v, Shape s) { return v.empty() ? ConstView<double>{} : view(v, s); };
  test::FourPasses f;
  f.forward = [&conv, in, out, view](const Vec& x, const Vec& w) {
    Vec y(out.size());
    conv.forward(view(x, in), w.data(), {y.data(), out});
    return y;
  };
  f.tangent = [&conv, in, out, view, opt](const Vec& x, const Vec& w, const Vec& xd, const Vec& wd) {
    Vec yd(out.size());
    conv.tangent(view(x, in), opt(xd, in), w.data(), wd.empty() ? nullptr : wd.data(),
                 {yd.data(), out});
    return yd;
  };
  f.backward = [&conv, in, out, view](const Vec& x, const Vec& w, const Vec& gy) {
    Vec g(in.size() + w.size());
    conv.backward(view(x, in), w.data(), view(gy, out), {g.data(), in}, g.data() + in.size());
    return g;
  };
  f.backward_tangent = [&conv, in, out, view, opt](const Vec& x, const Vec& w, const Vec& xd,
                                                   const Vec& wd, const Vec& gy, const Vec& gyd) {
    Vec g(in.size() + w.size());
    conv.backward_tangent(view(x, in), opt(xd, in), w.data(), wd.empty() ? nullptr : wd.data(),
                          view(gy, out), opt(gyd, out), {g.data(), in}, g.data() + in.size());
    return g;
  };
  return f;
}

}  // namespace

TEST_CASE("Conv2d: all four passes match finite differences", "[nn][conv2d][cpu]") {
  // Batches of 1 and 5 cover both the one-image path and chunks that stack several images.
  for (Index batch : {1, 5}) {
    for (Index pad : {0, 1, 3}) {
      Conv2d<double> conv(2, 3, 3, pad);
      const Shape in(batch, 2, 4, 5);
      const Vec x = test::random_vec(in.size(), 10 + pad);
      const Vec w = test::random_vec(conv.param_count(), 20 + pad, 0.5);
      INFO("batch " << batch << " padding " << pad);
      test::check_four_passes(conv_passes(conv, in), x, w, 30 + pad);
    }
  }
}

TEST_CASE("Conv2d: forward equals a direct convolution", "[nn][conv2d][cpu]") {
  Conv2d<float> conv(3, 4, 3, 1);
  const Shape in(3, 3, 6, 7);
  Tensor<float> x(in), y(conv.output_shape(in));
  Vec xv = test::random_vec(in.size(), 1), wv = test::random_vec(conv.param_count(), 2);
  for (Index i = 0; i < in.size(); ++i) x[i] = float(xv[i]);
  std::vector<float> w(wv.begin(), wv.end());
  conv.forward(x, w.data(), y);
  for (Index n = 0; n < 3; ++n)
    for (Index o = 0; o < 4; ++o)
      for (Index h = 0; h < 6; ++h)
        for (Index ww = 0; ww < 7; ++ww) {
          double s = w[conv.weight_size() + o];
          for (Index c = 0; c < 3; ++c)
            for (Index i = 0; i < 3; ++i)
              for (Index j = 0; j < 3; ++j) {
                const Index ih = h + i - 1, iw = ww + j - 1;
                if (ih < 0 || ih >= 6 || iw < 0 || iw >= 7) continue;
                s += double(w[((o * 3 + c) * 3 + i) * 3 + j]) * x(n, c, ih, iw);
              }
          CHECK_THAT(y(n, o, h, ww), Catch::Matchers::WithinAbs(s, 1e-4));
        }
}

TEST_CASE("Conv2d: results do not depend on the number of threads", "[nn][conv2d][cpu]") {
  Conv2d<float> conv(4, 8, 3, 1);
  const Shape in(7, 4, 8, 8);
  Tensor<float> x(in), gy(conv.output_shape(in));
  Vec xv = test::random_vec(in.size(), 5), gv = test::random_vec(gy.size(), 6),
      wv = test::random_vec(conv.param_count(), 7);
  for (Index i = 0; i < in.size(); ++i) x[i] = float(xv[i]);
  for (Index i = 0; i < gy.size(); ++i) gy[i] = float(gv[i]);
  std::vector<float> w(wv.begin(), wv.end());
  auto run = [&](int threads) {
    set_threads(threads);
    Tensor<float> y(conv.output_shape(in)), gx(in);
    std::vector<float> gw(conv.param_count());
    conv.forward(x, w.data(), y);
    conv.backward(x, w.data(), gy, gx, gw.data());
    return std::make_tuple(std::vector<float>(y.data(), y.data() + y.size()),
                           std::vector<float>(gx.data(), gx.data() + gx.size()), gw);
  };
  const int saved = max_threads();
  const auto a = run(1), b = run(2);
  set_threads(saved);
  CHECK(std::get<0>(a) == std::get<0>(b));  // forward and input gradient: per-image, bitwise
  CHECK(std::get<1>(a) == std::get<1>(b));
  Vec ga(std::get<2>(a).begin(), std::get<2>(a).end()), gb(std::get<2>(b).begin(), std::get<2>(b).end());
  CHECK(test::relative_error(ga, gb) < 1e-5);  // weight gradient: partial sums reduce differently
}

TEST_CASE("Conv2d: wrong shapes are reported with both shapes", "[nn][conv2d][cpu]") {
  Conv2d<float> conv(3, 8);
  Tensor<float> x(Shape(2, 4, 8, 8)), y(Shape(2, 8, 8, 8));
  std::vector<float> w(conv.param_count());
  CHECK_THROWS_WITH(conv.forward(x, w.data(), y), Catch::Contains("[2, 4, 8, 8]") &&
                                                      Catch::Contains("expects 3"));
  Tensor<float> x2(Shape(2, 3, 8, 8)), y2(Shape(2, 8, 7, 8));
  CHECK_THROWS_WITH(conv.forward(x2, w.data(), y2),
                    Catch::Contains("[2, 8, 8, 8]") && Catch::Contains("[2, 8, 7, 8]"));
}
