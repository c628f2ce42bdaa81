#include <catch2/catch.hpp>

#include <set>

#include "distill/train/evaluate.hpp"
#include "support/toy_data.hpp"
#include "support/prebuilt.hpp"  // the shared specialisations, compiled once

using namespace distill;

using test::quadrants;

TEST_CASE("summarize_runs gives mean and population std", "[train][evaluate]") {
  const auto r = summarize_runs({0.1, 0.3});
  CHECK_THAT(r.mean, Catch::Matchers::WithinAbs(0.2, 1e-15));
  CHECK_THAT(r.std, Catch::Matchers::WithinAbs(0.1, 1e-15));
}

TEST_CASE("evaluate_set trains fresh networks on a small set and tests them", "[train][evaluate]") {
  const auto train = quadrants(200, 2), test = quadrants(100, 3);
  const auto idx = random_per_class(train, 5, 1);
  Tensor<float> x;
  gather_samples(train.images.cview(), idx, 0, Index(idx.size()), x);
  std::vector<int> y;
  for (Index i : idx) y.push_back(train.labels[i]);
  EvalConfig cfg;
  cfg.arch = "ConvNetD2W8";
  cfg.runs = 3;
  cfg.epochs = 60;
  cfg.lr = 0.01;
  std::vector<double> seen;
  const auto r = evaluate_set(cfg, x.cview(), Labels<float>{&y, {}}, 4, test, IdentityAugment{},
                              [&](Index, double a) { seen.push_back(a); });
  REQUIRE(r.accuracies.size() == 3);
  CHECK(seen == r.accuracies);
  CHECK(r.mean >= 0.9);  // 5 images per class suffice for this problem
  const auto again = evaluate_set(cfg, x.cview(), Labels<float>{&y, {}}, 4, test, IdentityAugment{});
  CHECK(again.accuracies == r.accuracies);
}
