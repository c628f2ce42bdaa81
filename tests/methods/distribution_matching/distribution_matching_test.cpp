#include <catch2/catch.hpp>


#include "distill/augment/dsa.hpp"
#include "distill/methods/config/method_settings.hpp"
#include "distill/methods/config/registry.hpp"
#include "distill/methods/distribution_matching/distribution_matching.hpp"
#include "distill/methods/driver/distiller.hpp"
#include "data/temp_dir.hpp"
#include "support/gradcheck.hpp"
#include "support/same_bits.hpp"
#include "support/toy_distill.hpp"
#include "support/toy_experts.hpp"
#include "support/prebuilt.hpp"  // the shared specialisations, compiled once

using namespace distill;
using test::Vec;

namespace {

using Net = test::ToyNet;
using DmOnTgddPath = DistributionMatching<RandomInit, StageCrossEntropy>;

using Toy = test::ToyDistillation;

DistillSettings dm_settings() {
  DistillSettings s = preset_settings("dm", "cifar10-ipc1");
  s.ipc = 2;
  s.iterations = 6;
  s.batch_real = 8;
  s.eval_every = 0;
  s.final_eval_runs = 0;
  s.checkpoint_every = 2;
  return s;
}

}  // namespace

TEST_CASE("class_matching_loss: pixel gradient of the matching loss and of the constraint",
          "[methods][distribution_matching]") {
  using DNet = ConvNet<double, 2, 4, norm::Instance, pool::Avg>;
  DNet net(ConvNetConfig{2, 6, 6, 3});
  const auto ext = net.init_params(1), exp = net.init_params(2);
  Tensor<double> real(Shape(7, 2, 6, 6)), syn(Shape(3, 2, 6, 6));
  const Vec r = test::random_vec(real.size(), 3), x = test::random_vec(syn.size(), 4);
  std::copy(r.begin(), r.end(), real.data());
  std::copy(x.begin(), x.end(), syn.data());
  Dsa<double> dsa;
  auto check = [&](auto constraint, const auto& aug, std::uint64_t seed) {
    ClassMatchingWork<double> w;
    Tensor<double> grad(syn.shape());
    const double value = class_matching_loss(net, ext.data(), exp.data(), constraint, aug, seed, real.cview(),
                                             syn.cview(), 1, grad.view(), w);
    CHECK(value > 0);
    auto at = [&](const Tensor<double>& s) {
      Tensor<double> g(s.shape());
      ClassMatchingWork<double> w2;
      return class_matching_loss(net, ext.data(), exp.data(), constraint, aug, seed, real.cview(), s.cview(), 1,
                                 g.view(), w2);
    };
    const double e = test::tensor_gradient_error(syn, grad, at, 60, 5, 1e-5);
    INFO("relative error " << e);
    CHECK(e <= 1e-6);
  };
  SECTION("matching only, no augmentation") { check(NoConstraint{}, IdentityAugment{}, 0); }
  SECTION("matching only, Siamese DSA (several seeds, so several op families)") {
    for (std::uint64_t seed : {1, 2, 3, 4, 5, 6}) check(NoConstraint{}, dsa, seed);
  }
  SECTION("matching and the stage-wise constraint under a later network") {
    for (std::uint64_t seed : {7, 8, 9}) check(StageCrossEntropy(0.7), dsa, seed);
  }
}

TEST_CASE("TGDD's code path with the random-network sampler, alpha 0 and DM's granularity is DM",
          "[methods][distribution_matching]") {
  Toy t;
  test::TempDir a, b;
  DistillSettings s = dm_settings();
  const DistillResult dm = test::distill_toy<DM>(t, s, a.path());
  DistillSettings same = s;
  same.method = "tgdd";
  same.alpha = 0;
  same.per_class_steps = false;
  const DistillResult tgdd_path = test::distill_toy<DmOnTgddPath>(t, same, b.path());
  CHECK(test::same_bits(dm.set.images, tgdd_path.set.images));
  // And the images did move: the comparison is not between two unchanged sets.
  const Checkpoint start = [&] {
    test::TempDir d;
    DistillSettings zero = s;
    zero.iterations = 0;
    test::distill_toy<DM>(t, zero, d.path());
    return load_checkpoint(d.file("checkpoint.safetensors"));
  }();
  CHECK_FALSE(test::same_bits(start.set.images, dm.set.images));
  // With alpha > 0 (or one step per class) the path differs.
  same.alpha = 1;
  test::TempDir c;
  CHECK_FALSE(test::same_bits(dm.set.images, test::distill_toy<DmOnTgddPath>(t, same, c.path()).set.images));
}

TEST_CASE("TGDD: per-class steps on expert stages, resumed after a stop equals the uninterrupted run",
          "[methods][distribution_matching]") {
  Toy t;
  DistillSettings s = preset_settings("tgdd", "cifar10-ipc1");
  s.ipc = 2;
  s.iterations = 5;
  s.batch_real = 8;
  s.eval_every = 0;
  s.final_eval_runs = 0;
  s.checkpoint_every = 2;
  test::TempDir full_dir, cut_dir;
  std::vector<IterationRecord> records;
  const DistillResult full = test::distill_toy<TGDD>(t, s, full_dir.path(), false, [&](const IterationRecord& r) { records.push_back(r); });
  REQUIRE(records.size() == 5);
  for (const auto& r : records) {
    CHECK(r.info.at("stage").get<Index>() <= 5);
    CHECK(r.info.at("later_stage").get<Index>() >= r.info.at("stage").get<Index>());
  }
  struct Stop {};
  CHECK_THROWS_AS(test::distill_toy<TGDD>(t, s, cut_dir.path(), false, [](const IterationRecord& r) {
                    if (r.iteration == 3) throw Stop{};
                  }),
                  Stop);
  const DistillResult resumed = test::distill_toy<TGDD>(t, s, cut_dir.path(), true);
  CHECK(test::same_bits(full.set.images, resumed.set.images));
}

TEST_CASE("DM on a problem with a known answer: from noise to images that teach the classes",
          "[methods][distribution_matching]") {
  Toy t;
  test::TempDir dir;
  DistillSettings s = dm_settings();
  s.init = "noise";
  s.ipc = 1;
  s.iterations = 150;
  s.batch_real = 16;
  s.lr_img = 1;
  s.final_eval_runs = 2;
  s.eval_epochs = 100;
  std::vector<double> losses;
  DistillerOptions opt;
  opt.out_dir = dir.path();
  opt.on_iteration = [&](const IterationRecord& r) { losses.push_back(r.loss); };
  // No augmentation: the quadrant classes are told apart by position, which DSA's crops blur.
  const DistillResult r = Distiller<DM, Net>(from_settings<DM>(s), s, t.net, t.data, t.experts, Dsa<float>::identity(), opt).run();
  double first = 0, last = 0;
  for (Index i = 0; i < 10; ++i) first += losses[i] / 10, last += losses[140 + i] / 10;
  INFO("loss first 10 " << first << ", last 10 " << last << ", accuracy " << r.final_evaluation.mean);
  // A fresh network and real batch every iteration leave a noise floor above 0.
  CHECK(last < 0.3 * first);
  CHECK(r.final_evaluation.mean >= 0.9);
}

TEST_CASE("TGDD's pixel clamp: images stay in the pixel range; refused on ZCA data",
          "[methods][distribution_matching]") {
  Toy t;
  DistillSettings s = preset_settings("tgdd", "cifar10-ipc1");
  REQUIRE(s.clamp_pixels);
  s.ipc = 2;
  s.iterations = 2;
  s.batch_real = 8;
  s.eval_every = 0;
  s.final_eval_runs = 0;
  s.init = "noise";  // standard normal pixels: most lie outside [0, 1]
  auto range = [](const SyntheticSet& set) {
    float lo = set.images[0], hi = set.images[0];
    for (Index i = 0; i < set.images.size(); ++i) lo = std::min(lo, set.images[i]), hi = std::max(hi, set.images[i]);
    return std::make_pair(lo, hi);
  };
  test::TempDir on, off, zca;
  const auto clamped = range(test::distill_toy<TGDD>(t, s, on.path()).set);  // the toy data are not preprocessed
  CHECK(clamped.first >= 0.0f);
  CHECK(clamped.second <= 1.0f);
  s.clamp_pixels = false;
  const auto free = range(test::distill_toy<TGDD>(t, s, off.path()).set);
  CHECK((free.first < 0.0f && free.second > 1.0f));
  s.clamp_pixels = true;
  t.experts.preprocessing = Preprocessing<float>::whiten(ZcaWhitening<float>(t.data.train.images.cview(), 0.1f));
  CHECK_THROWS_WITH(test::distill_toy<TGDD>(t, s, zca.path()), Catch::Contains("field 'clamp_pixels'"));
}
