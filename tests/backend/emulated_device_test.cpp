#include <catch2/catch.hpp>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "data/temp_dir.hpp"
#include "distill/data/zca_backend.hpp"
#include "distill/train/evaluate.hpp"
#include "distill/train/experts.hpp"
#include "distill/train/trainer.hpp"
#include "support/emulated_device.hpp"
#include "support/same_bits.hpp"
#include "support/small_runs.hpp"
#include "support/toy_experts.hpp"
#include "support/prebuilt.hpp"  // the shared specialisations, compiled once

// The device half of the library on EmulatedDevice (host memory typed as device memory, every
// pointer's side checked): training, the evaluation protocol, expert trajectories and ZCA's
// products take their device paths (uploads, resident sets, BatchDsa, downloads) and must give
// the CPU's results bit for bit, since the arithmetic is the CPU backend's. This is what runs of
// the GPU code check without a GPU; the CUDA tests (tests/cuda) hold the real device to the same
// results within rounding. Every method's State and the Distiller are checked the same way in
// emulated_device_methods_test.cpp.

using namespace distill;
using namespace distill::test;

namespace {

using HostNet = ConvNet<float, 2, 8>;
using DeviceNet = HostNet::with_backend<EmulatedDevice>;

}  // namespace

TEST_CASE("emulated device: the backend checks which side every pointer is on", "[backend][emulated]") {
  Tensor<float, EmulatedDeviceSpace> d(Shape(4, 1));
  std::vector<float> h(4, 1.f);
  EmulatedDevice::copy_from_host(4, h.data(), d.data());
  CHECK_THROWS_WITH(EmulatedDevice::copy_from_host(4, d.data(), d.data()),
                    Catch::Contains("copy_from_host: the source is device memory"));
  CHECK_THROWS_WITH(EmulatedDevice::copy_to_host(4, h.data(), h.data()),
                    Catch::Contains("copy_to_host: the source is host memory"));
  CHECK_THROWS_WITH(EmulatedDevice::dot(4, h.data(), d.data()), Catch::Contains("dot: an argument is host memory"));
  const Index index[2] = {1, 0};
  distill::detail::Buffer<Index, EmulatedDeviceSpace> device_index(2);
  EmulatedDevice::copy_from_host(2, index, device_index.data());
  Tensor<float, EmulatedDeviceSpace> g(Shape(2, 1));
  EmulatedDevice::gather_samples(1, device_index.data(), 2, d.cview().data(), g.data());
  CHECK_THROWS_WITH(EmulatedDevice::gather_samples(1, device_index.data(), 2, h.data(), g.data()),
                    Catch::Contains("gather_samples: an argument is host memory"));
  CHECK_THROWS_WITH(EmulatedDevice::gather_samples(1, index, 2, d.cview().data(), g.data()),
                    Catch::Contains("gather_samples: an argument is host memory"));
  CHECK(EmulatedDevice::dot(4, d.data(), d.data()) == 4.f);
  Tensor<float, EmulatedDeviceSpace> result(Shape(1, 1));
  CHECK_THROWS_WITH(EmulatedDevice::dot_to(4, d.data(), d.data(), h.data()),
                    Catch::Contains("dot_to: an argument is host memory"));
  EmulatedDevice::dot_to(4, d.data(), d.data(), result.data());
  float host_result = 0;
  EmulatedDevice::copy_to_host(1, result.data(), &host_result);
  CHECK(host_result == 4.f);
}

TEST_CASE("emulated device: train_network, test_accuracy and evaluate_set equal the CPU bit for bit",
          "[backend][emulated]") {
  const Dataset<float> train = quadrants(40, 1), test = quadrants(60, 2);
  HostNet host({3, 8, 8, 4});
  DeviceNet device({3, 8, 8, 4});
  const Dsa<float> dsa;
  const TrainConfig cfg = small_protocol_training();
  Tensor<float> u(Shape(40, 4), -2.f);
  for (Index i = 0; i < 40; ++i) u(i, train.labels[i], 0, 0) = 2.f;
  for (const bool soft : {false, true}) {
    INFO((soft ? "soft labels" : "hard labels"));
    const Labels<float> labels = soft ? Labels<float>{nullptr, u.cview()} : Labels<float>{&train.labels, {}};
    Vector<float> a = host.init_params(3), b = a;
    std::vector<EpochStats> sa, sb;
    train_network(host, a, train.images.cview(), labels, cfg, dsa, [&](const EpochStats& s) { sa.push_back(s); });
    train_network(device, b, train.images.cview(), labels, cfg, dsa, [&](const EpochStats& s) {
      sb.push_back(s);
      CHECK(b.size() == a.size());  // θ is back on the host after every epoch
    });
    CHECK(same_bits(b, a));
    REQUIRE(sb.size() == 3);
    for (std::size_t e = 0; e < 3; ++e) {
      CHECK(sb[e].loss == sa[e].loss);
      CHECK(sb[e].accuracy == sa[e].accuracy);
    }
    CHECK(test_accuracy(device, b, test.images.cview(), test.labels) ==
          test_accuracy(host, a, test.images.cview(), test.labels));
  }

  // A streamed source (nothing resident) gives the resident source's batches.
  SampleSource<float, EmulatedDevice> resident(train.images.cview()), streamed(train.images.cview(), 0);
  CHECK(resident.resident());
  CHECK_FALSE(streamed.resident());
  const std::vector<Index> order = {5, 1, 39, 0};
  Tensor<float, EmulatedDeviceSpace> r, s, r2, s2;
  Tensor<float> hr(Shape(4, 3, 8, 8)), hs(Shape(4, 3, 8, 8)), hr2(Shape(4, 3, 8, 8)), hs2(Shape(4, 3, 8, 8));
  EmulatedDevice::copy_to_host(hr.size(), resident.gather(order, 0, 4, r).data(), hr.data());
  EmulatedDevice::copy_to_host(hs.size(), streamed.gather(order, 0, 4, s).data(), hs.data());
  CHECK(same_bits(hr, hs));
  EmulatedDevice::copy_to_host(hr2.size(), resident.range(10, 4, r2).data(), hr2.data());
  EmulatedDevice::copy_to_host(hs2.size(), streamed.range(10, 4, s2).data(), hs2.data());
  CHECK(same_bits(hr2, hs2));
  CHECK(same_bits(hr2.data(), train.images.cview().sample(10), hr2.size()));

  EvalConfig ec;
  ec.arch = "ConvNetD2W8BN";  // batch norm: running statistics at test time
  ec.runs = 2;
  ec.epochs = 3;
  ec.batch = 16;
  ec.lr = 0.02;
  const Labels<float> hard{&train.labels, {}};
  const EvalResult on_host = evaluate_set(ec, train.images.cview(), hard, 4, test, dsa);
  const EvalResult on_device = evaluate_set<EmulatedDevice>(ec, train.images.cview(), hard, 4, test, dsa);
  CHECK(on_device.accuracies == on_host.accuracies);
}

TEST_CASE("emulated device: expert trajectories equal the CPU's files, also killed and resumed",
          "[backend][emulated]") {
  DatasetSplits<float> data{quadrants(40, 5), quadrants(60, 6)};
  const ExpertConfig cfg = small_experts();
  const Dsa<float> dsa;
  const Preprocessing<float> none = Preprocessing<float>::none();
  TempDir on_host, on_device, cut;
  train_experts(cfg, data, none, on_host.path(), dsa);
  train_experts<EmulatedDevice>(cfg, data, none, on_device.path(), dsa);
  struct Stop {};
  CHECK_THROWS_AS(train_experts<EmulatedDevice>(cfg, data, none, cut.path(), dsa,
                                                [](const ExpertEpoch& e) {
                                                  if (e.expert == 1 && e.epoch == 2) throw Stop{};
                                                }),
                  Stop);
  train_experts<EmulatedDevice>(cfg, data, none, cut.path(), dsa);
  for (Index k = 0; k < 2; ++k) {
    INFO("expert " << k);
    const ExpertTrajectory h = load_expert(expert_path(on_host.path(), k));
    const ExpertTrajectory d = load_expert(expert_path(on_device.path(), k));
    const ExpertTrajectory c = load_expert(expert_path(cut.path(), k));
    REQUIRE(d.epochs_done() == 3);
    REQUIRE(c.epochs_done() == 3);
    for (Index e = 0; e <= 3; ++e) {
      CHECK(same_bits(d.checkpoints[e], h.checkpoints[e]));
      CHECK(same_bits(c.checkpoints[e], h.checkpoints[e]));
    }
    CHECK(d.test_accuracy == h.test_accuracy);
    CHECK(d.train_accuracy == h.train_accuracy);
    CHECK(d.metadata == h.metadata);
  }
}

TEST_CASE("emulated device: ZCA's products equal fit_zca and apply_zca on the CPU backend", "[backend][emulated]") {
  Tensor<double> x({1100, 3, 2, 2});
  Rng rng(9);
  for (Index n = 0; n < 1100; ++n) {
    const double shared = rng.normal();
    for (Index j = 0; j < 12; ++j) x[n * 12 + j] = 0.5 + 0.2 * rng.normal() + (j < 4 ? 0.3 * shared : 0.0);
  }
  const ZcaWhitening<double> h = fit_zca<cpu::Backend>(x.cview()), d = fit_zca<EmulatedDevice>(x.cview());
  CHECK(same_bits(d.transform().data(), h.transform().data(), h.transform().size()));
  CHECK(same_bits(d.inverse().data(), h.inverse().data(), h.inverse().size()));
  Tensor<double> a = x, b = x;
  apply_zca<cpu::Backend>(h, a.view());
  apply_zca<EmulatedDevice>(h, b.view());
  CHECK(same_bits(a.data(), b.data(), a.size()));
  Tensor<float> f({30, 3, 2, 2});
  for (Index i = 0; i < f.size(); ++i) f[i] = float(rng.normal());
  const Preprocessing<float> p = Preprocessing<float>::whiten(ZcaWhitening<float>(f.cview(), 0.1));
  Tensor<float> fa = f, fb = f;
  apply_preprocessing<cpu::Backend>(p, fa.view());
  apply_preprocessing<EmulatedDevice>(p, fb.view());
  // The device path multiplies by the backend's GEMM in its own chunks: float rounding apart.
  CHECK((fb.cview().cvec() - fa.cview().cvec()).norm() <= 1e-6 * fa.cview().cvec().norm());
}
