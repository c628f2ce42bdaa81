#include <catch2/catch.hpp>

#include <cstring>

#include "distill/augment/dsa.hpp"
#include "distill/methods/config/method_settings.hpp"
#include "distill/methods/config/registry.hpp"
#include "distill/methods/distribution_matching/distribution_matching.hpp"
#include "distill/methods/distribution_matching/formations.hpp"
#include "distill/methods/driver/distiller.hpp"
#include "distill/methods/trajectory_matching/trajectory_matching.hpp"
#include "data/temp_dir.hpp"
#include "support/gradcheck.hpp"
#include "support/toy_distill.hpp"
#include "support/toy_experts.hpp"
#include "support/prebuilt.hpp"  // the shared specialisations, compiled once

using namespace distill;
using test::Vec;

namespace {

DistillSettings toy_settings(const std::string& method, Index factor) {
  DistillSettings s = preset_settings(method, "cifar10-ipc1");
  s.ipc = 2;
  s.iterations = 5;
  s.batch_real = 8;
  s.eval_every = 0;
  s.final_eval_runs = 1;
  s.eval_epochs = 5;
  s.checkpoint_every = 2;
  s.factor = factor;
  return s;
}

}  // namespace

TEST_CASE("Formation policies: the factor is a setting each method checks by name", "[methods][formations]") {
  DistillSettings s = preset_settings("tgdd", "cifar10-ipc10");
  s.factor = 2;
  CHECK(from_settings<TGDD_MF>(s).formation().tiles() == 4);
  CHECK_THROWS_WITH(from_settings<TGDD>(s), Catch::Contains("field 'factor'") && Catch::Contains("MultiFormation"));
  s.factor = 1;
  CHECK_THROWS_WITH(from_settings<TGDD_MF>(s), Catch::Contains("field 'factor'") && Catch::Contains("at least 2"));
  DistillSettings tm = preset_settings("datm", "cifar10-ipc1");
  tm.factor = 2;
  CHECK_THROWS_WITH(from_settings<DATM>(tm), Catch::Contains("field 'factor': method datm has no multi-formation"));
  tm.factor = 0;
  CHECK_THROWS_WITH(validate(tm, "x"), Catch::Contains("field 'factor'"));
}

TEST_CASE("Multi-formation: pixel gradient of matching + constraint through the decoding, in double",
          "[methods][formations]") {
  using DNet = ConvNet<double, 2, 4, norm::Instance, pool::Avg>;
  DNet net(ConvNetConfig{2, 8, 8, 3});
  const auto ext = net.init_params(1), exp = net.init_params(2);
  const MultiFormation formation(2);
  Tensor<double> real(Shape(6, 2, 8, 8)), stored(Shape(2, 2, 8, 8));
  const Vec r = test::random_vec(real.size(), 3), x = test::random_vec(stored.size(), 4);
  std::copy(r.begin(), r.end(), real.data());
  std::copy(x.begin(), x.end(), stored.data());
  Dsa<double> dsa;
  StageCrossEntropy constraint(0.7);
  auto loss = [&](const Tensor<double>& at, Tensor<double>* grad) {
    Tensor<double> work, g_dec;
    const ConstView<double> dec = formation.decode(at.cview(), work);
    REQUIRE(dec.shape().n == 8);
    g_dec.resize(dec.shape());
    ClassMatchingWork<double> w;
    const double value =
        class_matching_loss(net, ext.data(), exp.data(), constraint, dsa, 11, real.cview(), dec, 1, g_dec.view(), w);
    if (grad) formation.decode_vjp(g_dec.cview(), grad->view());
    return value;
  };
  Tensor<double> grad(stored.shape());
  loss(stored, &grad);
  const double e = test::tensor_gradient_error(
      stored, grad, [&](const Tensor<double>& at) { return loss(at, nullptr); }, 60, 5, 1e-5);
  INFO("relative error " << e);
  CHECK(e <= 1e-6);
}

TEST_CASE("TGDD with multi-formation: mosaic init, decoded evaluation, resume bit for bit",
          "[methods][formations]") {
  test::ToyDistillation t;
  const DistillSettings s = toy_settings("tgdd", 2);
  // Iteration 0: each stored image is the mosaic of four real images of its class.
  {
    test::TempDir dir;
    DistillSettings zero = s;
    zero.iterations = 0;
    zero.final_eval_runs = 0;
    const DistillResult r = test::distill_toy<TGDD_MF>(t, zero, dir.path());
    REQUIRE(r.set.images.shape() == Shape(8, 3, 8, 8));
    CHECK(r.set.info.at("formation_factor") == "2");
    CHECK(r.set.images_per_class() == 2);
    Tensor<float> full, mosaic(r.set.images.shape());
    std::vector<int> labels;
    initialize_images(ImageInit::kReal, t.net, t.experts.final_params, t.data.train, 2 * 4, s.seed, full, labels);
    encode_mosaic(full.cview(), 2, mosaic.view());
    CHECK(std::memcmp(mosaic.data(), r.set.images.data(), sizeof(float) * std::size_t(mosaic.size())) == 0);
    const SyntheticSet saved = load_synthetic_set(dir.file("synthetic.safetensors"));
    CHECK(formation_factor(saved) == 2);
    CHECK(decoded_set(saved).size() == 32);
  }
  test::TempDir full_dir, cut_dir;
  const DistillResult full = test::distill_toy<TGDD_MF>(t, s, full_dir.path());
  CHECK(full.final_evaluation.accuracies.size() == 1);
  struct Stop {};
  CHECK_THROWS_AS(test::distill_toy<TGDD_MF>(t, s, cut_dir.path(), false, [](const IterationRecord& r) {
                    if (r.iteration == 3) throw Stop{};
                  }),
                  Stop);
  const DistillResult resumed = test::distill_toy<TGDD_MF>(t, s, cut_dir.path(), true);
  REQUIRE(resumed.set.images.shape() == full.set.images.shape());
  CHECK(std::memcmp(full.set.images.data(), resumed.set.images.data(),
                    sizeof(float) * std::size_t(full.set.images.size())) == 0);
  CHECK(resumed.final_evaluation.accuracies == full.final_evaluation.accuracies);
}
