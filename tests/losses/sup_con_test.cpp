#include <catch2/catch.hpp>

#include <cmath>

#include "distill/losses/sup_con.hpp"
#include "support/gradcheck.hpp"

using namespace distill;
using test::Vec;

namespace {

test::FourPasses con_passes(ContrastiveLoss<double>& loss, Shape s, std::vector<int> labels) {
  test::FourPasses f;
  f.forward = [&loss, s, labels](const Vec& e, const Vec&) {
    return Vec{loss.forward({e.data(), s}, labels)};
  };
  f.tangent = [&loss, s, labels](const Vec& e, const Vec&, const Vec& ed, const Vec&) {
    loss.forward({e.data(), s}, labels);
    return Vec{loss.tangent({ed.data(), s})};
  };
  f.backward = [&loss, s, labels](const Vec& e, const Vec&, const Vec& gy) {
    loss.forward({e.data(), s}, labels);
    Vec g(s.size());
    loss.backward({g.data(), s});
    for (auto& v : g) v *= gy[0];
    return g;
  };
  f.backward_tangent = [&loss, s, labels](const Vec& e, const Vec&, const Vec& ed, const Vec&,
                                          const Vec& gy, const Vec& gyd) {
    loss.forward({e.data(), s}, labels);
    Vec g(s.size()), gd(s.size());
    loss.backward({g.data(), s});
    loss.backward_tangent({ed.data(), s}, {gd.data(), s});
    for (std::size_t i = 0; i < g.size(); ++i) gd[i] = gyd[0] * g[i] + gy[0] * gd[i];
    return gd;
  };
  return f;
}

}  // namespace

TEST_CASE("SupCon and NT-Xent: four passes match finite differences", "[losses][sup_con]") {
  // Two views of 5 samples, 6-d embeddings given as [N, C, H, W] = [10, 3, 2, 1].
  const Shape s(10, 3, 2, 1);
  const Vec e = test::random_vec(s.size(), 1);
  const std::vector<int> labels = {0, 1, 0, 2, 1};
  SECTION("SupCon, temperature 0.5") {
    ContrastiveLoss<double> loss(Contrast::kSupCon, 0.5, 2);
    test::check_four_passes(con_passes(loss, s, labels), e, {}, 2);
  }
  SECTION("NT-Xent, temperature 0.2") {
    ContrastiveLoss<double> loss(Contrast::kNtXent, 0.2, 2);
    test::check_four_passes(con_passes(loss, s, labels), e, {}, 3);
  }
  SECTION("SupCon on one view, with an anchor that has no positive") {
    ContrastiveLoss<double> loss(Contrast::kSupCon, 0.3, 1);
    const Shape s1(5, 6);
    const std::vector<int> one_view = {0, 1, 0, 2, 1};  // label 2 has no partner
    test::check_four_passes(con_passes(loss, s1, one_view), test::random_vec(s1.size(), 4), {}, 5);
    loss.forward({e.data(), s1}, one_view);
    CHECK(loss.anchors() == 4);
  }
}

TEST_CASE("contrastive_anchors: the rows with a positive, counted on the host", "[losses][sup_con]") {
  // Brute force over every pair, as the loss's anchor rows decide.
  const auto brute = [](Contrast kind, const std::vector<int>& labels, Index rows, Index views) {
    const Index batch = rows / views, nl = Index(labels.size());
    Index anchors = 0;
    for (Index i = 0; i < rows; ++i) {
      bool has = false;
      for (Index j = 0; j < rows; ++j) {
        if (i == j) continue;
        const int li = nl == rows ? labels[i] : labels[i % batch], lj = nl == rows ? labels[j] : labels[j % batch];
        has = has || (kind == Contrast::kNtXent ? i % batch == j % batch : li == lj);
      }
      anchors += has ? 1 : 0;
    }
    return anchors;
  };
  const std::vector<std::vector<int>> label_sets = {{0, 1, 2, 3}, {0, 0, 1, 2}, {3, 3, 3, 3}, {0, 1, 0, 1, 2, 5, 5, 2}};
  for (const auto& labels : label_sets)
    for (Index views : {1, 2}) {
      for (Contrast kind : {Contrast::kSupCon, Contrast::kNtXent}) {
        for (Index rows : {Index(labels.size()) * views, Index(labels.size())}) {
          if (rows % views != 0 || (rows != Index(labels.size()) && rows != Index(labels.size()) * views)) continue;
          INFO("labels " << labels.size() << " views " << views << " rows " << rows << " ntxent "
                         << (kind == Contrast::kNtXent));
          const Index want = brute(kind, labels, rows, views);
          if (want == 0)
            CHECK_THROWS_WITH(contrastive_anchors(kind, labels, rows, views), Catch::Contains("no anchor"));
          else
            CHECK(contrastive_anchors(kind, labels, rows, views) == want);
        }
      }
    }
  // And the loss divides by them: forward's anchors are the host count.
  Tensor<double> e(Shape(8, 3));
  for (Index i = 0; i < e.size(); ++i) e.data()[i] = std::sin(double(i) + 0.5);
  ContrastiveLoss<double> loss(Contrast::kSupCon, 0.5, 2);
  loss.forward(e, {0, 0, 1, 2});
  CHECK(loss.anchors() == contrastive_anchors(Contrast::kSupCon, {0, 0, 1, 2}, 8, 2));
}

TEST_CASE("ContrastiveLoss: a zero embedding row is refused", "[losses][sup_con]") {
  Tensor<double> e(Shape(4, 2), 1.0);
  e(2, 0, 0, 0) = 0;
  e(2, 1, 0, 0) = 0;
  ContrastiveLoss<double> loss(Contrast::kNtXent, 0.5, 2);
  CHECK_THROWS_WITH(loss.forward(e, {0, 1}), Catch::Contains("1 embedding rows are zero"));
}

TEST_CASE("NT-Xent: known value on orthogonal embeddings", "[losses][sup_con]") {
  // Two samples, two identical views each, embeddings e0 ⟂ e1. For anchor 0 the other rows have
  // similarities (1/τ, 0, 0), so ℓ = −log(e^{1/τ} / (e^{1/τ} + 2)) for every anchor.
  const double tau = 0.5;
  Tensor<double> e(Shape(4, 2), 0.0);
  e(0, 0, 0, 0) = 1;
  e(1, 1, 0, 0) = 2;  // scale does not matter after normalisation
  e(2, 0, 0, 0) = 3;
  e(3, 1, 0, 0) = 1;
  ContrastiveLoss<double> loss(Contrast::kNtXent, tau, 2);
  const double expected = -std::log(std::exp(1 / tau) / (std::exp(1 / tau) + 2));
  CHECK_THAT(loss.forward(e, {0, 1}), Catch::Matchers::WithinRel(expected, 1e-14));
  ContrastiveLoss<double> bad(Contrast::kNtXent, tau, 1);
  CHECK_THROWS_WITH(bad.forward(e, {0, 1, 2, 3}), Catch::Contains("no anchor has a positive"));
  CHECK_THROWS_WITH(ContrastiveLoss<double>(Contrast::kSupCon, 0.0), Catch::Contains("temperature"));
}
