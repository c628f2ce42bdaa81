#include <catch2/catch.hpp>

#include <string>

#include "distill/methods/config/method_settings.hpp"
#include "distill/methods/config/registry.hpp"
#include "distill/methods/distribution_matching/distribution_matching.hpp"
#include "distill/methods/trajectory_matching/trajectory_matching.hpp"
#include "support/emulated_device.hpp"
#include "support/small_runs.hpp"
#include "support/toy_experts.hpp"
#include "support/prebuilt.hpp"  // the shared specialisations, compiled once

// What one outer iteration of each method moves between host and device (EmulatedDevice counts
// what the CUDA backend would pay): a fixed number of uploads, downloads and waits per iteration,
// none of them inside the N unrolled steps, so the counts do not change with N.

using namespace distill;
using namespace distill::test;

namespace {

using ToyDeviceNet = ToyNet::with_backend<EmulatedDevice>;

/// The counts of M's iterate() call `step` of iteration 1 (iteration 0 also sizes workspaces).
template <class M>
TransferCounts iteration_counts(const DistillSettings& s, Index step = 0) {
  ToyDistillation t;
  ToyDeviceNet net(t.net.config());
  const M method = from_settings<M>(s);
  typename M::template State<ToyDeviceNet> state(method, net, t.experts, t.data.train, t.dsa);
  SyntheticSet set;
  set.lr = 0.01;
  state.initialize(set, s.ipc, 3);
  SyntheticGradients<float> g;
  for (Index k = 0; k < state.steps_per_iteration(); ++k) state.iterate(0, k, 11, set, g);
  const TransferCounts before = EmulatedDeviceCounters::now();
  state.iterate(1, step, 11, set, g);
  return EmulatedDeviceCounters::now() - before;
}

std::string show(const TransferCounts& c) {
  return std::to_string(c.uploads) + " uploads, " + std::to_string(c.downloads) + " downloads, " +
         std::to_string(c.syncs) + " waits";
}

/// The counts at N = 3 and N = 6 inner steps, which must agree.
template <class M>
TransferCounts unrolled_counts(const std::string& name) {
  DistillSettings s = small_settings(name);
  s.syn_steps = 3;
  const TransferCounts three = iteration_counts<M>(s);
  s.syn_steps = 6;
  const TransferCounts six = iteration_counts<M>(s);
  INFO(name << ": N = 3: " << show(three) << "; N = 6: " << show(six));
  CHECK(six == three);
  return three;
}

}  // namespace

// Per iteration: the synthetic images (and the label logits for learned labels) go up, the
// unroll's plan goes up in three copies (indices, labels, augmentation draws), forward reads its
// step losses and distance back once and backward its dot products once, then the gradients
// come back. DATM-CLR's outer contrastive term adds its two views' draws and its labels, and its
// loss. DM uploads the iteration's two networks, real indices, synthetic images and draws, and
// reads back the distances and the gradients; a TGDD step (one class) uploads the same but the
// networks (once per iteration) and also reads back its constraint's values.
TEST_CASE("emulated device: an outer iteration moves a fixed amount, none of it inside the unrolled steps",
          "[backend][emulated]") {
  SECTION("MTT") { CHECK(unrolled_counts<MTT>("mtt") == TransferCounts{4, 3, 3}); }
  SECTION("DATM") { CHECK(unrolled_counts<DATM>("datm") == TransferCounts{5, 4, 4}); }
  SECTION("DATM-CLR") { CHECK(unrolled_counts<DATM_CLR>("datm-clr") == TransferCounts{7, 5, 5}); }
  SECTION("DM") {
    const TransferCounts c = iteration_counts<DM>(small_settings("dm"));
    INFO("dm: " << show(c));
    CHECK(c == TransferCounts{5, 2, 2});
  }
  SECTION("TGDD") {
    const TransferCounts c = iteration_counts<TGDD>(small_settings("tgdd"), 1);
    INFO("tgdd (one class step): " << show(c));
    CHECK(c == TransferCounts{3, 3, 3});
  }
}
