#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "data/temp_dir.hpp"
#include "distill/augment/dsa.hpp"
#include "distill/data/zca_backend.hpp"
#include "distill/train/evaluate.hpp"
#include "distill/train/experts.hpp"
#include "distill/train/trainer.hpp"
#include "cuda/support.cuh"
#include "support/small_runs.hpp"
#include "support/toy_data.hpp"
#include "support/prebuilt.hpp"  // the shared specialisations, compiled once

// Training and the evaluation protocol on the GPU against the CPU on the same data, seeds and
// draws: train_network (hard and soft labels, DSA, momentum and weight decay), test_accuracy,
// evaluate_set, expert trajectories (a killed and resumed GPU run equals the uninterrupted one
// bit for bit; a run started on the CPU continues on the GPU), and ZCA's products on cuBLAS.

using namespace distill;
using namespace distill::test;

namespace {

using CpuTrainNet = ConvNet<float, 2, 8>;
using GpuTrainNet = CpuTrainNet::with_backend<cuda::Backend>;

/// One image is one sample out of n: accuracies may differ by a sample where two logits are
/// within float rounding of each other.
void check_accuracy(double gpu, double host, Index n) { CHECK(std::abs(gpu - host) <= 1.0 / double(n) + 1e-12); }

}  // namespace

TEST_CASE("cuda train: train_network on the GPU agrees with the CPU", "[cuda][train]") {
  const Dataset<float> train = quadrants(40, 1), test = quadrants(60, 2);
  CpuTrainNet cpu_net({3, 8, 8, 4});
  GpuTrainNet gpu_net({3, 8, 8, 4});
  const Dsa<float> dsa;
  for (const bool soft : {false, true}) {
    INFO((soft ? "soft labels" : "hard labels"));
    Tensor<float> u(Shape(40, 4), -2.f);
    for (Index i = 0; i < 40; ++i) u(i, train.labels[i], 0, 0) = 2.f;
    const Labels<float> labels = soft ? Labels<float>{nullptr, u.cview()} : Labels<float>{&train.labels, {}};
    Vector<float> a = cpu_net.init_params(3), b = a;
    std::vector<EpochStats> sa, sb;
    const TrainConfig cfg = small_protocol_training();
    train_network(cpu_net, a, train.images.cview(), labels, cfg, dsa, [&](const EpochStats& s) { sa.push_back(s); });
    train_network(gpu_net, b, train.images.cview(), labels, cfg, dsa, [&](const EpochStats& s) { sb.push_back(s); });
    REQUIRE(sb.size() == sa.size());
    for (std::size_t e = 0; e < sa.size(); ++e) {
      INFO("epoch " << e + 1);
      CHECK(sb[e].epoch == sa[e].epoch);
      CHECK(std::abs(sb[e].loss - sa[e].loss) <= kTol<float> * std::max(1.0, std::abs(sa[e].loss)));
      check_accuracy(sb[e].accuracy, sa[e].accuracy, 40);
    }
    CHECK(rel_error(b, a) <= kTol<float>);
    check_accuracy(test_accuracy(gpu_net, b, test.images.cview(), test.labels),
                   test_accuracy(cpu_net, b, test.images.cview(), test.labels), 60);

    // Deterministic on the GPU: the same call gives the same bits.
    Vector<float> c = cpu_net.init_params(3);
    train_network(gpu_net, c, train.images.cview(), labels, cfg, dsa);
    CHECK(std::memcmp(c.data(), b.data(), sizeof(float) * std::size_t(b.size())) == 0);
  }
}

TEST_CASE("cuda train: the evaluation protocol on the GPU agrees with the CPU", "[cuda][train]") {
  const Dataset<float> train = quadrants(40, 3), test = quadrants(60, 4);
  EvalConfig cfg;
  cfg.arch = "ConvNetD2W8";
  cfg.runs = 2;
  cfg.epochs = 4;
  cfg.batch = 16;
  cfg.lr = 0.02;
  const Dsa<float> dsa;
  const Labels<float> labels{&train.labels, {}};
  const EvalResult host = evaluate_set(cfg, train.images.cview(), labels, 4, test, dsa);
  const EvalResult gpu = evaluate_set<cuda::Backend>(cfg, train.images.cview(), labels, 4, test, dsa);
  const EvalResult again = evaluate_set<cuda::Backend>(cfg, train.images.cview(), labels, 4, test, dsa);
  REQUIRE(gpu.accuracies.size() == 2);
  for (std::size_t r = 0; r < 2; ++r) check_accuracy(gpu.accuracies[r], host.accuracies[r], 60);
  CHECK(again.accuracies == gpu.accuracies);
}

TEST_CASE("cuda train: expert trajectories on the GPU, killed and resumed, and continued from the CPU",
          "[cuda][train]") {
  DatasetSplits<float> data{quadrants(40, 5), quadrants(60, 6)};
  const ExpertConfig cfg = small_experts();
  const Dsa<float> dsa;
  const Preprocessing<float> none = Preprocessing<float>::none();
  TempDir full, cut, mixed, host;
  train_experts<cuda::Backend>(cfg, data, none, full.path(), dsa);
  train_experts(cfg, data, none, host.path(), dsa);
  struct Stop {};
  CHECK_THROWS_AS(train_experts<cuda::Backend>(cfg, data, none, cut.path(), dsa,
                                               [](const ExpertEpoch& e) {
                                                 if (e.expert == 1 && e.epoch == 2) throw Stop{};
                                               }),
                  Stop);
  train_experts<cuda::Backend>(cfg, data, none, cut.path(), dsa);
  // Two epochs on the CPU, the third on the GPU.
  ExpertConfig two = cfg;
  two.epochs = 2;
  train_experts(two, data, none, mixed.path(), dsa);
  train_experts<cuda::Backend>(cfg, data, none, mixed.path(), dsa);
  for (Index k = 0; k < 2; ++k) {
    INFO("expert " << k);
    const ExpertTrajectory f = load_expert(expert_path(full.path(), k));
    const ExpertTrajectory c = load_expert(expert_path(cut.path(), k));
    const ExpertTrajectory m = load_expert(expert_path(mixed.path(), k));
    const ExpertTrajectory h = load_expert(expert_path(host.path(), k));
    REQUIRE(f.epochs_done() == 3);
    REQUIRE(c.epochs_done() == 3);
    REQUIRE(m.epochs_done() == 3);
    for (Index e = 0; e <= 3; ++e) {
      INFO("checkpoint " << e);
      CHECK(std::memcmp(c.checkpoints[e].data(), f.checkpoints[e].data(),
                        sizeof(float) * std::size_t(f.checkpoints[e].size())) == 0);
      CHECK(rel_error(f.checkpoints[e], h.checkpoints[e]) <= kTol<float>);
      CHECK(rel_error(m.checkpoints[e], h.checkpoints[e]) <= kTol<float>);
    }
    CHECK(c.test_accuracy == f.test_accuracy);
    CHECK(c.train_accuracy == f.train_accuracy);
    // The CPU's first two epochs are kept as they were written.
    CHECK(std::memcmp(m.checkpoints[2].data(), h.checkpoints[2].data(),
                      sizeof(float) * std::size_t(h.checkpoints[2].size())) == 0);
  }
}

TEMPLATE_TEST_CASE("cuda train: ZCA's covariance and transform through cuBLAS agree with the CPU", "[cuda][train]",
                   float, double) {
  using T = TestType;
  // 1,100 images (two fit chunks) of D = 48 with a shared component in the first 8 pixels, so
  // Σ is not diagonal.
  Tensor<T> x({1100, 3, 4, 4});
  const std::vector<T> noise = random_values<T>(x.size(), 7), shared = random_values<T>(1100, 8);
  for (Index n = 0; n < 1100; ++n)
    for (Index j = 0; j < 48; ++j)
      x[n * 48 + j] = T(0.5) + T(0.2) * noise[std::size_t(n * 48 + j)] + (j < 8 ? T(0.3) * shared[std::size_t(n)] : T(0));
  const auto flat = [](const auto& m) { return std::vector<T>(m.data(), m.data() + m.size()); };
  const ZcaWhitening<T> host(x.cview(), 0.1);
  const ZcaWhitening<T> gpu = fit_zca<cuda::Backend>(x.cview(), 0.1);
  CHECK(rel_error(flat(gpu.transform()), flat(host.transform())) <= kTol<T>);
  CHECK(rel_error(flat(gpu.inverse()), flat(host.inverse())) <= kTol<T>);
  Tensor<T> a = x, b = x;
  host.apply(a.view());
  apply_zca<cuda::Backend>(host, b.view());
  CHECK(rel_error(b, a) <= kTol<T>);
}
