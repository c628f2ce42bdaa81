#include <catch2/catch.hpp>

#include "distill/losses/cross_entropy.hpp"
#include "distill/nn/conv_net.hpp"
#include "distill/train/sgd.hpp"
#include "support/gradcheck.hpp"
#include "support/prebuilt.hpp"  // the shared specialisations, compiled once

using namespace distill;
using test::Vec;

namespace {

// The whole network as a map (x, θ) → (logits, embedding).
template <class Net>
test::FourPasses net_passes(Net& net, Shape in) {
  auto opt = [](const Vec& v, Shape s) {
    return v.empty() ? ConstView<double>{} : ConstView<double>(v.data(), s);
  };
  auto concat = [](ConstView<double> a, ConstView<double> b) {
    Vec r(a.data(), a.data() + a.size());
    r.insert(r.end(), b.data(), b.data() + b.size());
    return r;
  };
  const Index nl = in.n * net.classes(), ne = in.n * net.embedding_size();
  const Shape ls(in.n, net.classes()), es(in.n, net.embedding_size());
  test::FourPasses f;
  f.forward = [&net, in, concat](const Vec& x, const Vec& w) {
    const auto out = net.forward(w.data(), {x.data(), in});
    return concat(out.logits, out.embedding);
  };
  f.tangent = [&net, in, concat, opt](const Vec& x, const Vec& w, const Vec& xd, const Vec& wd) {
    net.forward(w.data(), {x.data(), in});
    const auto t = net.tangent(w.data(), wd.empty() ? nullptr : wd.data(), opt(xd, in));
    return concat(t.logits, t.embedding);
  };
  f.backward = [&net, in, nl, ls, es](const Vec& x, const Vec& w, const Vec& gy) {
    Vec g(in.size() + w.size());
    net.forward(w.data(), {x.data(), in});
    net.backward(w.data(), {gy.data(), ls}, {gy.data() + nl, es}, g.data() + in.size(),
                 {g.data(), in});
    return g;
  };
  f.backward_tangent = [&net, in, nl, ne, ls, es, opt](const Vec& x, const Vec& w, const Vec& xd,
                                                      const Vec& wd, const Vec& gy, const Vec& gyd) {
    (void)ne;
    Vec g(in.size() + w.size()), gd(in.size() + w.size());
    const double* wdp = wd.empty() ? nullptr : wd.data();
    net.forward(w.data(), {x.data(), in});
    net.tangent(w.data(), wdp, opt(xd, in));
    net.backward_tangent(w.data(), wdp, {gy.data(), ls}, {gyd.data(), ls}, {gy.data() + nl, es},
                         {gyd.data() + nl, es}, g.data() + in.size(), gd.data() + in.size(),
                         {g.data(), in}, {gd.data(), in});
    // The joint sweep must also reproduce the plain backward pass.
    Vec plain(in.size() + w.size());
    net.forward(w.data(), {x.data(), in});
    net.backward(w.data(), {gy.data(), ls}, {gy.data() + nl, es}, plain.data() + in.size(),
                 {plain.data(), in});
    CHECK(test::relative_error(g, plain) < 1e-12);
    return gd;
  };
  return f;
}

template <class Norm, class Pool>
void check_variant(std::uint64_t seed) {
  ConvNet<double, 2, 4, Norm, Pool> net({2, 8, 8, 3});
  const Shape in = net.input_shape(3);
  const Vec theta_init = [&] {
    const auto t = net.init_params(seed);
    return Vec(t.data(), t.data() + t.size());
  }();
  Vec theta = theta_init;
  // Perturb γ, β away from (1, 0) so that their derivatives are generic.
  const Vec noise = test::random_vec(net.num_params(), seed + 100, 0.1);
  for (std::size_t i = 0; i < theta.size(); ++i) theta[i] += noise[i];
  INFO("norm " << Norm::name << ", pool " << Pool::name);
  test::check_four_passes(net_passes(net, in), test::random_vec(in.size(), seed + 1), theta, seed + 2,
                          200);
}

}  // namespace

TEST_CASE("ConvNet: the four passes of the whole network match finite differences",
          "[nn][conv_net][cpu]") {
  check_variant<norm::Instance, pool::Avg>(1);
  check_variant<norm::Instance, pool::Max>(2);
  check_variant<norm::Instance, pool::None>(3);
  check_variant<norm::Batch, pool::Avg>(4);
  check_variant<norm::Batch, pool::Max>(5);
  check_variant<norm::Batch, pool::None>(6);
  check_variant<norm::None, pool::Avg>(7);
  check_variant<norm::None, pool::Max>(8);
  check_variant<norm::None, pool::None>(9);
}

TEST_CASE("ConvNet-3: parameter counts and PyTorch names", "[nn][conv_net][cpu]") {
  ConvNet3<float> net;
  CHECK(net.num_params() == 320010);
  CHECK(net.embedding_size() == 2048);
  ConvNet3<float> net100({3, 32, 32, 100});
  CHECK(net100.num_params() == 504420);
  const std::vector<std::string> names = {
      "features.0.weight", "features.0.bias",  "features.1.weight", "features.1.bias",
      "features.4.weight", "features.4.bias",  "features.5.weight", "features.5.bias",
      "features.8.weight", "features.8.bias",  "features.9.weight", "features.9.bias",
      "classifier.weight", "classifier.bias"};
  const auto& entries = net.layout().entries();
  REQUIRE(entries.size() == names.size());
  for (std::size_t i = 0; i < names.size(); ++i) CHECK(entries[i].name == names[i]);
  CHECK(net.layout().at("features.4.weight").shape == std::vector<Index>{128, 128, 3, 3});
  CHECK(net.layout().at("classifier.weight").shape == std::vector<Index>{10, 2048});
  // Without norm or pooling the module indices shift as in the reference Sequential.
  ConvNet<float, 2, 16, norm::None, pool::None> plain({3, 8, 8, 10});
  CHECK(plain.layout().entries()[2].name == "features.2.weight");
  CHECK(plain.embedding_size() == 16 * 8 * 8);
  // MNIST-style 1×28×28 input: the first conv pads by 3, so the features are 128·4·4.
  ConvNet3<float> mnist({1, 28, 28, 10});
  CHECK(mnist.embedding_size() == 2048);
}

TEST_CASE("ConvNet: PyTorch default initialisation", "[nn][conv_net][cpu]") {
  ConvNet3<double> net;
  const auto theta = net.init_params(7);
  CHECK(theta == net.init_params(7));
  CHECK(theta != net.init_params(8));
  for (const auto& e : net.layout().entries()) {
    const auto seg = theta.segment(e.offset, e.size);
    if (e.name == "features.1.weight") CHECK((seg.array() == 1.0).all());
    if (e.name == "features.1.bias") CHECK((seg.array() == 0.0).all());
    if (e.name == "features.4.weight" || e.name == "features.4.bias") {
      const double bound = 1.0 / std::sqrt(128.0 * 9.0);
      CHECK(seg.cwiseAbs().maxCoeff() <= bound);
      CHECK(seg.cwiseAbs().maxCoeff() > 0.9 * bound);
      if (e.name == "features.4.weight") {
        // U(−b, b) has variance b²/3.
        CHECK_THAT(seg.squaredNorm() / double(e.size),
                   Catch::Matchers::WithinRel(bound * bound / 3, 0.02));
      }
    }
  }
}

TEST_CASE("ConvNet: configuration and input errors", "[nn][conv_net][cpu]") {
  CHECK_THROWS_WITH((ConvNet<float, Dynamic, 64>({3, 32, 32, 10})),
                    Catch::Contains("net_depth must be positive"));
  CHECK_THROWS_WITH((ConvNet<float, 3, 64>({3, 32, 32, 10, 128})),
                    Catch::Contains("contradicts the template argument 64"));
  CHECK_THROWS_WITH((ConvNet<float, 6, 8>({3, 32, 32, 10})), Catch::Contains("too small"));
  ConvNet<float, Dynamic, Dynamic> dyn({3, 16, 16, 10, 8, 2});
  CHECK(dyn.depth() == 2);
  CHECK(dyn.net_width() == 8);
  const auto theta = dyn.init_params(1);
  Tensor<float> x(Shape(2, 3, 32, 32));
  CHECK_THROWS_WITH(dyn.forward(theta, x),
                    Catch::Contains("[2, 3, 16, 16]") && Catch::Contains("[2, 3, 32, 32]"));
  Vector<float> short_theta(10);
  Tensor<float> x16(Shape(2, 3, 16, 16));
  CHECK_THROWS_WITH(dyn.forward(short_theta, x16), Catch::Contains("has 10 values"));
  ConvNet<float, Dynamic, Dynamic> fresh({3, 16, 16, 10, 8, 2});
  CHECK_THROWS_WITH(fresh.tangent(theta.data(), nullptr), Catch::Contains("call forward first"));
}

TEST_CASE("ConvNet: learns a small separable problem", "[nn][conv_net][cpu]") {
  // Four classes of 3×8×8 images: class k carries a bright square in quadrant k, plus noise.
  const Index n = 128, classes = 4;
  ConvNet<float, 2, 16, norm::Instance, pool::Avg> net({3, 8, 8, classes});
  Tensor<float> x(net.input_shape(n));
  std::vector<int> labels(n);
  Rng rng(11);
  for (Index i = 0; i < n; ++i) {
    labels[i] = int(i % classes);
    const Index qh = (labels[i] / 2) * 4, qw = (labels[i] % 2) * 4;
    for (Index c = 0; c < 3; ++c)
      for (Index h = 0; h < 8; ++h)
        for (Index w = 0; w < 8; ++w) {
          const bool in_square = h >= qh && h < qh + 4 && w >= qw && w < qw + 4;
          x(i, c, h, w) = float(0.5 * rng.normal() + (in_square ? 1.0 : 0.0));
        }
  }
  auto theta = net.init_params(3);
  Sgd<float> sgd(0.05f, 0.9f);
  CrossEntropy<float> ce;
  Vector<float> grad(net.num_params());
  const Index batch = 32;
  std::vector<int> yb(batch);
  Tensor<float> gz(Shape(batch, classes));
  for (int epoch = 0; epoch < 15; ++epoch)
    for (Index b = 0; b < n; b += batch) {
      const auto xb = x.view().samples(b, batch);
      std::copy(labels.begin() + b, labels.begin() + b + batch, yb.begin());
      const auto out = net.forward(theta, xb);
      ce.forward(out.logits, yb);
      ce.backward(gz);
      net.backward(theta.data(), gz, {}, grad.data());
      sgd.step(theta, grad);
    }
  const auto out = net.forward(theta, x);
  const double acc = accuracy(out.logits, labels);
  INFO("training accuracy " << acc);
  CHECK(acc >= 0.95);
}

TEST_CASE("ConvNet: inference mode uses batch-norm running statistics", "[nn][conv_net][cpu]") {
  ConvNet<double, 2, 4, norm::Batch, pool::Avg> net({2, 8, 8, 3});
  const auto theta = net.init_params(2);
  Tensor<double> x(net.input_shape(6));
  const Vec xv = test::random_vec(x.size(), 3);
  std::copy(xv.begin(), xv.end(), x.data());
  const auto train_logits = net.forward(theta, x).logits;
  const Vec a(train_logits.data(), train_logits.data() + train_logits.size());
  net.set_training(false);
  CHECK_FALSE(net.training());
  const auto eval_logits = net.forward(theta, x).logits;
  const Vec b(eval_logits.data(), eval_logits.data() + eval_logits.size());
  CHECK(test::relative_error(a, b) > 1e-3);  // running stats after one step differ from batch stats
  // Inference mode keeps no cache for the reverse passes.
  Tensor<double> gz(Shape(6, 3), 1.0);
  CHECK_THROWS_WITH(net.backward(theta.data(), gz, {}, nullptr), Catch::Contains("call forward first"));
  // Instance norm has no running statistics: both modes agree.
  ConvNet<double, 2, 4> inet({2, 8, 8, 3});
  const auto t2 = inet.init_params(2);
  const auto l1 = inet.forward(t2, x).logits;
  const Vec c(l1.data(), l1.data() + l1.size());
  inet.set_training(false);
  const auto l2 = inet.forward(t2, x).logits;
  CHECK(test::relative_error(c, Vec(l2.data(), l2.data() + l2.size())) == 0.0);
}
