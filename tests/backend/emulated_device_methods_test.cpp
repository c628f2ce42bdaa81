#include <catch2/catch.hpp>

#include <functional>
#include <string>

#include "data/temp_dir.hpp"
#include "distill/methods/config/method_settings.hpp"
#include "distill/methods/config/registry.hpp"
#include "distill/methods/distribution_matching/distribution_matching.hpp"
#include "distill/methods/driver/distiller.hpp"
#include "distill/methods/trajectory_matching/trajectory_matching.hpp"
#include "support/emulated_device.hpp"
#include "support/same_bits.hpp"
#include "support/small_runs.hpp"
#include "support/toy_experts.hpp"
#include "support/prebuilt.hpp"  // the shared specialisations, compiled once

// Every method's State and the Distiller on EmulatedDevice (see emulated_device_test.cpp): the
// device paths (host twins, uploads, BatchDsa, downloads) must give the CPU's results bit for bit.

using namespace distill;
using namespace distill::test;

namespace {

using ToyDeviceNet = ToyNet::with_backend<EmulatedDevice>;

/// Two iterations (every step of each) of M's State on both backends from the same set; the
/// device's method may have other settings that must not change the bits (`device_s`).
template <class M>
void check_state(const DistillSettings& s, const DistillSettings* device_s = nullptr) {
  ToyDistillation t;
  ToyDeviceNet device_net(t.net.config());
  const M method = from_settings<M>(s), device_method = from_settings<M>(device_s ? *device_s : s);
  typename M::template State<ToyNet> host(method, t.net, t.experts, t.data.train, t.dsa);
  typename M::template State<ToyDeviceNet> device(device_method, device_net, t.experts, t.data.train, t.dsa);
  SyntheticSet a, b;
  a.lr = b.lr = 0.01;
  host.initialize(a, s.ipc, 3);
  device.initialize(b, s.ipc, 3);
  CHECK(same_bits(b.images, a.images));
  CHECK(b.labels == a.labels);
  for (Index it = 0; it < 2; ++it)
    for (Index step = 0; step < host.steps_per_iteration(); ++step) {
      INFO("iteration " << it << " step " << step);
      SyntheticGradients<float> ga, gb;
      const StepReport ra = host.iterate(it, step, 11, a, ga);
      const StepReport rb = device.iterate(it, step, 11, a, gb);
      CHECK(rb.loss == ra.loss);
      CHECK(rb.info == ra.info);
      CHECK(same_bits(gb.images, ga.images));
      CHECK(same_bits(gb.label_logits, ga.label_logits));
      CHECK(gb.lr == ga.lr);
    }
}

}  // namespace

TEST_CASE("emulated device: every method's iteration equals the CPU's bit for bit", "[backend][emulated]") {
  SECTION("MTT") { check_state<MTT>(small_settings("mtt")); }
  SECTION("TESLA") { check_state<TESLA>(small_settings("tesla")); }
  SECTION("DATM") { check_state<DATM>(small_settings("datm")); }
  SECTION("DATM-CLR") { check_state<DATM_CLR>(small_settings("datm-clr")); }
  SECTION("DM") { check_state<DM>(small_settings("dm")); }
  SECTION("TGDD") { check_state<TGDD>(small_settings("tgdd")); }
  SECTION("TGDD with multi-formation") {
    DistillSettings s = small_settings("tgdd");
    s.factor = 2;
    check_state<TGDD_MF>(s);
  }
  SECTION("DATM-CLR, the CPU recomputing every unrolled step, the device keeping them") {
    DistillSettings s = small_settings("datm-clr"), kept = s;
    s.unroll_memory = 0;
    kept.unroll_memory = 64;
    check_state<DATM_CLR>(s, &kept);
  }
}

TEST_CASE("emulated device: the unroll's graph path (fixed step buffers, steps through run_step) gives the CPU's bits",
          "[backend][emulated]") {
  struct GraphMode {
    GraphMode() {
      EmulatedDevice::graph_mode() = true;
      EmulatedDevice::step_keys().clear();
    }
    ~GraphMode() { EmulatedDevice::graph_mode() = false; }
  } on;
  SECTION("MTT") { check_state<MTT>(small_settings("mtt")); }
  SECTION("TESLA") { check_state<TESLA>(small_settings("tesla")); }
  SECTION("DATM") { check_state<DATM>(small_settings("datm")); }
  SECTION("DATM-CLR") { check_state<DATM_CLR>(small_settings("datm-clr")); }
  // Every step went through run_step, under keys that name the sweep and the batch.
  CHECK(!EmulatedDevice::step_keys().empty());
  for (const std::string& key : EmulatedDevice::step_keys()) CHECK(key.find(" b 4 ") != std::string::npos);
}

TEST_CASE("emulated device: a Distiller run with its final evaluation equals the CPU's, also stopped and resumed",
          "[backend][emulated]") {
  for (const std::string method : {"datm-clr", "tgdd"}) {
    INFO(method);
    DistillSettings s = small_settings(method);
    s.final_eval_runs = 1;
    s.eval_epochs = 2;
    const auto run = [&](auto& net, const std::string& dir, bool resume,
                         std::function<void(const IterationRecord&)> f = {}) {
      ToyDistillation t;
      DistillerOptions o;
      o.out_dir = dir;
      o.resume = resume;
      o.eval_arch = "ConvNetD2W8";
      o.on_iteration = std::move(f);
      using Net = std::decay_t<decltype(net)>;
      if (method == "tgdd") return Distiller<TGDD, Net>(from_settings<TGDD>(s), s, net, t.data, t.experts, t.dsa, o).run();
      return Distiller<DATM_CLR, Net>(from_settings<DATM_CLR>(s), s, net, t.data, t.experts, t.dsa, o).run();
    };
    ToyDistillation t;
    ToyDeviceNet device_net(t.net.config());
    TempDir host_dir, device_dir, cut_dir;
    const DistillResult h = run(t.net, host_dir.path(), false);
    const DistillResult d = run(device_net, device_dir.path(), false);
    struct Stop {};
    CHECK_THROWS_AS(run(device_net, cut_dir.path(), false,
                        [](const IterationRecord& r) {
                          if (r.iteration == 3) throw Stop{};
                        }),
                    Stop);
    const DistillResult c = run(device_net, cut_dir.path(), true);
    for (const DistillResult* r : {&d, &c}) {
      CHECK(same_bits(r->set.images, h.set.images));
      CHECK(same_bits(r->set.label_logits, h.set.label_logits));
      CHECK(r->set.lr == h.set.lr);
      CHECK(r->final_evaluation.accuracies == h.final_evaluation.accuracies);
    }
    REQUIRE(h.final_evaluation.accuracies.size() == 1);
  }
}
