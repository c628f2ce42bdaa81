#include <catch2/catch.hpp>

#include <cmath>

#include "distill/losses/cross_entropy.hpp"
#include "support/gradcheck.hpp"

using namespace distill;
using test::Vec;

namespace {

// The loss as a map (logits, label logits) → [ℓ]; hard labels when `labels` is non-empty.
test::FourPasses ce_passes(CrossEntropy<double>& ce, Shape s, const std::vector<int>& labels) {
  const bool soft = labels.empty();
  auto fwd = [&ce, s, soft, labels](const Vec& z, const Vec& u) {
    return soft ? ce.forward({z.data(), s}, ConstView<double>(u.data(), s))
                : ce.forward({z.data(), s}, labels);
  };
  auto opt = [s](const Vec& v) { return v.empty() ? ConstView<double>{} : ConstView<double>(v.data(), s); };
  auto grads = [&ce, s, soft](Vec& out) {
    out.assign(s.size() * (soft ? 2 : 1), 0.0);
    ce.backward({out.data(), s}, soft ? MutableView<double>(out.data() + s.size(), s) : MutableView<double>{});
  };
  test::FourPasses f;
  f.forward = [fwd](const Vec& z, const Vec& u) { return Vec{fwd(z, u)}; };
  f.tangent = [&ce, fwd, opt](const Vec& z, const Vec& u, const Vec& zd, const Vec& ud) {
    fwd(z, u);
    return Vec{ce.tangent(opt(zd), opt(ud))};
  };
  f.backward = [fwd, grads](const Vec& z, const Vec& u, const Vec& gy) {
    fwd(z, u);
    Vec g;
    grads(g);
    for (auto& v : g) v *= gy[0];
    return g;
  };
  f.backward_tangent = [&ce, s, soft, fwd, grads, opt](const Vec& z, const Vec& u, const Vec& zd,
                                                       const Vec& ud, const Vec& gy, const Vec& gyd) {
    fwd(z, u);
    Vec g, gd(s.size() * (soft ? 2 : 1));
    grads(g);
    ce.backward_tangent(opt(zd), opt(ud), {gd.data(), s},
                        soft ? MutableView<double>(gd.data() + s.size(), s) : MutableView<double>{});
    for (std::size_t i = 0; i < g.size(); ++i) gd[i] = gyd[0] * g[i] + gy[0] * gd[i];
    return gd;
  };
  return f;
}

}  // namespace

TEST_CASE("CrossEntropy: four passes match finite differences, hard and soft labels",
          "[losses][cross_entropy]") {
  const Shape s(5, 4);
  CrossEntropy<double> ce;
  const Vec z = test::random_vec(s.size(), 1, 2.0);
  test::check_four_passes(ce_passes(ce, s, {0, 3, 1, 1, 2}), z, {}, 2);
  test::check_four_passes(ce_passes(ce, s, {}), z, test::random_vec(s.size(), 3), 4);
}

TEST_CASE("CrossEntropy: known values", "[losses][cross_entropy]") {
  CrossEntropy<double> ce;
  Tensor<double> z(Shape(2, 3), 0.0);
  // Uniform logits: ℓ = log K.
  CHECK_THAT(ce.forward(z, std::vector<int>{0, 2}), Catch::Matchers::WithinRel(std::log(3.0), 1e-15));
  // Soft labels equal to the prediction: ℓ = entropy of the prediction.
  z(0, 0, 0, 0) = 1.0;
  z(1, 2, 0, 0) = -2.0;
  const double l = ce.forward(z.cview(), z.cview());
  double h = 0;
  for (double p : ce.probabilities()) h -= p * std::log(p) / 2;
  CHECK_THAT(l, Catch::Matchers::WithinRel(h, 1e-14));
  CHECK_THROWS_WITH(ce.forward(z, std::vector<int>{0, 3}), Catch::Contains("label 3 of sample 1"));
  CHECK_THROWS_WITH(ce.forward(z, std::vector<int>{0}), Catch::Contains("1 labels for a batch of 2"));
}

TEST_CASE("accuracy counts arg-max hits", "[losses][cross_entropy]") {
  Tensor<float> z(Shape(3, 2), 0.f);
  z[1] = 1.f;  // row 0 → class 1
  z[2] = 1.f;  // row 1 → class 0
  z[5] = 1.f;  // row 2 → class 1
  CHECK_THAT(accuracy<float>(z, {1, 0, 0}), Catch::Matchers::WithinAbs(2.0 / 3.0, 1e-12));
}
