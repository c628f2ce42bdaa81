#include <catch2/catch.hpp>

#include "distill/nn/conv_net.hpp"
#include "distill/nn/hessian_vector.hpp"
#include "support/gradcheck.hpp"
#include "support/prebuilt.hpp"  // the shared specialisations, compiled once

using namespace distill;
using test::Vec;

namespace {

using Net = ConvNet<double, 2, 4, norm::Instance, pool::Avg>;

struct Grads {
  Vec theta, x, u;
};

// ∇θℓ, ∇xℓ and ∇uℓ at θ (u: label logits, empty for hard labels).
Grads gradients(Net& net, const Vector<double>& theta, const Tensor<double>& x,
                const std::vector<int>& labels, const Tensor<double>* u) {
  CrossEntropy<double> ce;
  const auto out = net.forward(theta, x);
  if (u) {
    ce.forward(out.logits, u->cview());
  } else {
    ce.forward(out.logits, labels);
  }
  Tensor<double> gz(out.logits.shape()), gu(out.logits.shape());
  ce.backward(gz, gu);
  Grads g{Vec(theta.size()), Vec(x.size()), Vec(gu.data(), gu.data() + gu.size())};
  Tensor<double> gx(x.shape());
  net.backward(theta.data(), gz, {}, g.theta.data(), gx);
  g.x.assign(gx.data(), gx.data() + gx.size());
  return g;
}

}  // namespace

TEST_CASE("hessian_vector_product: H·v and the mixed products match differences of gradients",
          "[nn][hessian][cpu]") {
  Net net({2, 8, 8, 3});
  const Shape in = net.input_shape(4);
  Tensor<double> x(in);
  const Vec xv = test::random_vec(in.size(), 1);
  std::copy(xv.begin(), xv.end(), x.data());
  const std::vector<int> labels = {0, 2, 1, 2};
  Tensor<double> u(Shape(4, 3));
  const Vec uv = test::random_vec(u.size(), 2);
  std::copy(uv.begin(), uv.end(), u.data());
  Vector<double> theta = net.init_params(5);
  Vector<double> v(theta.size());
  const Vec vv = test::random_vec(theta.size(), 6);
  std::copy(vv.begin(), vv.end(), v.data());

  for (const bool soft : {false, true}) {
    INFO((soft ? "soft labels" : "hard labels"));
    CrossEntropy<double> ce;
    HessianVectorWork<double> work;
    Vec grad(theta.size()), hv(theta.size());
    Tensor<double> mixed(in);
    if (soft) {
      hessian_vector_product(net, ce, work, theta.data(), x.cview(), u.cview(), v.data(),
                             grad.data(), hv.data(), mixed.view());
    } else {
      hessian_vector_product(net, ce, work, theta.data(), x.cview(), labels, v.data(), grad.data(),
                             hv.data(), mixed.view());
    }
    Tensor<double> h_u(u.shape());
    // The network's logits tangent for θ̇ = v is still in its cache.
    ce.label_mixed_product(net.tangent(theta.data(), v.data()).logits, h_u);

    const double eps = 1e-5;
    const Grads gp = gradients(net, theta + eps * v, x, labels, soft ? &u : nullptr);
    const Grads gm = gradients(net, theta - eps * v, x, labels, soft ? &u : nullptr);
    const Grads g0 = gradients(net, theta, x, labels, soft ? &u : nullptr);
    auto diff = [&](const Vec& a, const Vec& b) {
      Vec r(a.size());
      for (std::size_t i = 0; i < a.size(); ++i) r[i] = (a[i] - b[i]) / (2 * eps);
      return r;
    };
    CHECK(test::relative_error(grad, g0.theta) < 1e-12);
    const double e_hv = test::relative_error(hv, diff(gp.theta, gm.theta));
    const double e_mixed =
        test::relative_error(Vec(mixed.data(), mixed.data() + mixed.size()), diff(gp.x, gm.x));
    INFO("H·v error " << e_hv << ", mixed error " << e_mixed);
    CHECK(e_hv <= test::kTolerance);
    CHECK(e_mixed <= test::kTolerance);
    if (soft) {
      const double e_u =
          test::relative_error(Vec(h_u.data(), h_u.data() + h_u.size()), diff(gp.u, gm.u));
      INFO("label mixed error " << e_u);
      CHECK(e_u <= test::kTolerance);
    }
  }
}
