#include <catch2/catch.hpp>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "distill/methods/config/method_settings.hpp"
#include "distill/methods/config/registry.hpp"
#include "distill/methods/distribution_matching/distribution_matching.hpp"
#include "distill/methods/driver/distiller.hpp"
#include "distill/methods/trajectory_matching/trajectory_matching.hpp"
#include "data/temp_dir.hpp"
#include "cuda/support.cuh"
#include "support/small_runs.hpp"
#include "support/toy_experts.hpp"
#include "support/prebuilt.hpp"  // the shared specialisations, compiled once

// Every method's State on the GPU against the CPU on the same set, experts, data and seeds:
// the outer loss and the gradients of the images, label logits and step size; and a GPU run
// stopped after a checkpoint and resumed, which must equal the uninterrupted GPU run bit for bit.

using namespace distill;
using namespace distill::test;

namespace {

using CpuNet = ToyNet;
using GpuNet = ToyNet::with_backend<cuda::Backend>;

/// The report's draws (expert, stage, window: integers) equal; its figures (the matching loss,
/// the contrastive term) within the tolerance.
void check_info(const nlohmann::json& gpu, const nlohmann::json& cpu) {
  REQUIRE(gpu.size() == cpu.size());
  for (auto it = cpu.begin(); it != cpu.end(); ++it) {
    INFO("info field " << it.key());
    REQUIRE(gpu.contains(it.key()));
    const nlohmann::json& g = gpu.at(it.key());
    if (it.value().is_number_float()) {
      const double a = it.value().get<double>(), b = g.get<double>();
      CHECK(std::abs(b - a) <= kTol<float> * std::max(1.0, std::abs(a)));
    } else {
      CHECK(g == it.value());
    }
  }
}

/// Three iterations (every step of each) of M's State on both devices from the same set.
template <class M>
void check_state(const DistillSettings& s) {
  ToyDistillation t;
  GpuNet gpu_net(t.net.config());
  const M method = from_settings<M>(s);
  typename M::template State<CpuNet> cpu(method, t.net, t.experts, t.data.train, t.dsa);
  typename M::template State<GpuNet> gpu(method, gpu_net, t.experts, t.data.train, t.dsa);
  SyntheticSet a, b;
  a.lr = b.lr = 0.01;
  cpu.initialize(a, s.ipc, 3);
  gpu.initialize(b, s.ipc, 3);  // on a host twin: the same set
  REQUIRE(a.images.shape() == b.images.shape());
  CHECK(std::memcmp(a.images.data(), b.images.data(), sizeof(float) * std::size_t(a.images.size())) == 0);
  CHECK(a.labels == b.labels);
  for (Index it = 0; it < 3; ++it)
    for (Index step = 0; step < cpu.steps_per_iteration(); ++step) {
      INFO("iteration " << it << " step " << step);
      SyntheticGradients<float> ga, gb;
      const StepReport ra = cpu.iterate(it, step, 11, a, ga);
      const StepReport rb = gpu.iterate(it, step, 11, a, gb);
      CHECK(std::abs(rb.loss - ra.loss) <= kTol<float> * std::max(1.0, std::abs(ra.loss)));
      check_info(rb.info, ra.info);
      CHECK(rel_error(gb.images, ga.images) <= kTol<float>);
      CHECK(gb.label_logits.shape() == ga.label_logits.shape());
      if (ga.label_logits.size() > 0)
        CHECK(rel_error(gb.label_logits, ga.label_logits) <= kTol<float>);
      CHECK(std::abs(gb.lr - ga.lr) <= kTol<float> * std::max(1e-12, std::abs(ga.lr)));
    }
}

template <class M>
DistillResult run_gpu(const DistillSettings& s, const std::string& dir, bool resume,
                      std::function<void(const IterationRecord&)> on_iteration = {}) {
  ToyDistillation t;
  GpuNet net(t.net.config());
  DistillerOptions o;
  o.out_dir = dir;
  o.resume = resume;
  o.on_iteration = std::move(on_iteration);
  return Distiller<M, GpuNet>(from_settings<M>(s), s, net, t.data, t.experts, t.dsa, o).run();
}

}  // namespace

TEST_CASE("cuda methods: every method's iteration agrees with the CPU", "[cuda][methods]") {
  SECTION("MTT") { check_state<MTT>(small_settings("mtt")); }
  SECTION("TESLA") { check_state<TESLA>(small_settings("tesla")); }
  SECTION("DATM") { check_state<DATM>(small_settings("datm")); }
  SECTION("DATM-CLR: Contrastive Fusion and Contrastive Update") { check_state<DATM_CLR>(small_settings("datm-clr")); }
  SECTION("DM") { check_state<DM>(small_settings("dm")); }
  SECTION("TGDD: per-class steps on expert stages") { check_state<TGDD>(small_settings("tgdd")); }
  SECTION("TGDD with multi-formation") {
    DistillSettings s = small_settings("tgdd");
    s.factor = 2;
    check_state<TGDD_MF>(s);
  }
}

TEST_CASE("cuda methods: a GPU run stopped and resumed equals the uninterrupted GPU run bit for bit",
          "[cuda][methods]") {
  struct Stop {};
  for (const std::string method : {"datm-clr", "tgdd"}) {
    INFO(method);
    const DistillSettings s = small_settings(method);
    TempDir full_dir, cut_dir;
    auto run = [&](const std::string& dir, bool resume, std::function<void(const IterationRecord&)> f = {}) {
      return method == "tgdd" ? run_gpu<TGDD>(s, dir, resume, std::move(f)) : run_gpu<DATM_CLR>(s, dir, resume, std::move(f));
    };
    const DistillResult full = run(full_dir.path(), false);
    CHECK_THROWS_AS(run(cut_dir.path(), false, [](const IterationRecord& r) {
                      if (r.iteration == 3) throw Stop{};
                    }),
                    Stop);
    const DistillResult resumed = run(cut_dir.path(), true);
    REQUIRE(resumed.set.images.shape() == full.set.images.shape());
    CHECK(std::memcmp(resumed.set.images.data(), full.set.images.data(),
                      sizeof(float) * std::size_t(full.set.images.size())) == 0);
    CHECK(std::memcmp(resumed.set.label_logits.data(), full.set.label_logits.data(),
                      sizeof(float) * std::size_t(full.set.label_logits.size())) == 0);
    CHECK(resumed.set.lr == full.set.lr);
  }
}
