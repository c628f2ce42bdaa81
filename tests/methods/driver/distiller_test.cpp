#include <catch2/catch.hpp>

#include <cmath>

#include "distill/methods/config/method_settings.hpp"
#include "distill/methods/config/registry.hpp"
#include "distill/methods/driver/distiller.hpp"
#include "distill/methods/trajectory_matching/trajectory_matching.hpp"
#include "data/temp_dir.hpp"
#include "support/same_bits.hpp"
#include "support/toy_experts.hpp"
#include "support/prebuilt.hpp"  // the shared specialisations, compiled once

using namespace distill;

namespace {

using Net = test::ToyNet;
using ClrDistiller = Distiller<DATM_CLR, Net>;
using DatmDistiller = Distiller<DATM, Net>;

using Toy = test::ToyDistillation;

/// DATM-CLR with everything on: DSA, learned labels, both contrastive strategies, minibatches.
DistillSettings full_settings() {
  DistillSettings s = preset_settings("datm-clr", "cifar10-ipc1");
  s.ipc = 2;
  s.iterations = 7;
  s.syn_steps = 3;
  s.batch_syn = 4;
  s.min_start_epoch = 0;
  s.current_max_start_epoch = 1;
  s.max_start_epoch = 3;
  s.expansion_end_epoch = 5;
  s.lr_lr = 1e-4;
  s.threshold = 0;
  s.eval_every = 3;
  s.eval_runs = 1;
  s.eval_epochs = 3;
  s.final_eval_runs = 1;
  s.checkpoint_every = 2;
  return s;
}

struct Stop {};

/// A user-written method: any loss it likes, here finite until `poison_at`, NaN from then on.
struct PoisonedMethod {
  static constexpr bool kLearnsLr = false;
  static constexpr bool kLearnsLabels = false;
  Index poison_at = 2;
  double label_lr() const { return 0; }
  double label_momentum() const { return 0; }
  template <class N>
  class State {
   public:
    State(const PoisonedMethod& m, N&, const ExpertSet&, const Dataset<float>& train, const Dsa<float>&)
        : m_(m), train_(train) {}
    void initialize(SyntheticSet& syn, Index per_class, std::uint64_t) {
      const auto idx = random_per_class(train_, per_class, 0);
      gather_samples(train_.images.cview(), idx, 0, Index(idx.size()), syn.images);
      syn.labels.clear();
      for (Index i : idx) syn.labels.push_back(train_.labels[i]);
    }
    Index steps_per_iteration() const { return 1; }
    StepReport iterate(Index iteration, Index, std::uint64_t, const SyntheticSet& syn,
                            SyntheticGradients<float>& g) {
      g.images.resize(syn.images.shape());
      g.images.vec().setConstant(0.01f);
      g.label_logits.resize(Shape(0, 0));
      g.lr = 0;
      StepReport r;
      r.loss = iteration >= m_.poison_at ? std::nan("") : 1.0;
      return r;
    }

   private:
    const PoisonedMethod& m_;
    const Dataset<float>& train_;
  };
};

using PoisonedDistiller = Distiller<PoisonedMethod, Net>;

}  // namespace

TEST_CASE("Distiller: a run stopped after a checkpoint and resumed equals the uninterrupted run bit for bit",
          "[methods][distiller]") {
  Toy t;
  const DistillSettings s = full_settings();
  test::TempDir full_dir, cut_dir;
  DistillerOptions opt;
  opt.out_dir = full_dir.path();
  std::vector<std::string> starts;
  opt.on_iteration = [&](const IterationRecord& r) { starts.push_back(r.info.at("start_epoch").dump()); };
  const DistillResult full =
      ClrDistiller(from_settings<DATM_CLR>(s), s, t.net, t.data, t.experts, t.dsa, opt).run();
  REQUIRE(full.iterations == 7);
  REQUIRE(full.set.has_soft_labels());
  CHECK(full.final_evaluation.accuracies.size() == 1);
  CHECK(full.best_iteration == 3);  // the only periodic evaluation before the end (iteration 6 is the 2nd)

  // "Kill" after iteration 5: the last checkpoint is iteration 4, so iteration 5 runs again.
  DistillerOptions cut = opt;
  cut.out_dir = cut_dir.path();
  cut.on_iteration = [](const IterationRecord& r) {
    if (r.iteration == 5) throw Stop{};
  };
  CHECK_THROWS_AS(ClrDistiller(from_settings<DATM_CLR>(s), s, t.net, t.data, t.experts, t.dsa, cut).run(),
                  Stop);
  CHECK(load_checkpoint(ClrDistiller::checkpoint_path(cut_dir.path())).iteration == 4);
  cut.on_iteration = {};
  cut.resume = true;
  const DistillResult resumed =
      ClrDistiller(from_settings<DATM_CLR>(s), s, t.net, t.data, t.experts, t.dsa, cut).run();
  REQUIRE(resumed.set.images.shape() == full.set.images.shape());
  CHECK(test::same_bits(resumed.set.images.data(), full.set.images.data(), full.set.images.size()));
  CHECK(test::same_bits(resumed.set.label_logits.data(), full.set.label_logits.data(), full.set.label_logits.size()));
  CHECK(resumed.set.lr == full.set.lr);
  CHECK(resumed.final_evaluation.accuracies == full.final_evaluation.accuracies);
  const auto a = read_file_bytes(ClrDistiller::synthetic_path(full_dir.path()));
  const auto b = read_file_bytes(ClrDistiller::synthetic_path(cut_dir.path()));
  CHECK(a == b);
  // Something was learned: images, labels and step size moved from their start.
  const Checkpoint start = [&] {
    DistillSettings zero = s;
    zero.iterations = 0;
    zero.final_eval_runs = 0;
    test::TempDir d;
    DistillerOptions o;
    o.out_dir = d.path();
    ClrDistiller(from_settings<DATM_CLR>(zero), zero, t.net, t.data, t.experts, t.dsa, o).run();
    return load_checkpoint(ClrDistiller::checkpoint_path(d.path()));
  }();
  CHECK_FALSE(test::same_bits(start.set.images.data(), full.set.images.data(), full.set.images.size()));
  CHECK_FALSE(test::same_bits(start.set.label_logits.data(), full.set.label_logits.data(), full.set.label_logits.size()));
  CHECK(start.set.lr != full.set.lr);
}

TEST_CASE("Distiller: an existing run is never overwritten, and resumes only with its settings",
          "[methods][distiller]") {
  Toy t;
  DistillSettings s = full_settings();
  s.method = "datm";
  s.update = false;
  s.iterations = 2;
  s.eval_every = 0;
  s.final_eval_runs = 0;
  test::TempDir dir;
  DistillerOptions opt;
  opt.out_dir = dir.path();
  DatmDistiller(from_settings<DATM>(s), s, t.net, t.data, t.experts, t.dsa, opt).run();
  CHECK_THROWS_WITH(DatmDistiller(from_settings<DATM>(s), s, t.net, t.data, t.experts, t.dsa, opt).run(),
                    Catch::Contains("checkpoint.safetensors exists: pass --resume"));
  opt.resume = true;
  DistillSettings other = s;
  other.syn_steps = 4;
  CHECK_THROWS_WITH(DatmDistiller(from_settings<DATM>(other), other, t.net, t.data, t.experts, t.dsa, opt).run(),
                    Catch::Contains("cannot resume: it was started with syn_steps = 3, this run has 4"));
  // More iterations may be asked for: the run continues.
  DistillSettings longer = s;
  longer.iterations = 3;
  CHECK(DatmDistiller(from_settings<DATM>(longer), longer, t.net, t.data, t.experts, t.dsa, opt).run().iterations == 3);
}

TEST_CASE("Distiller: a NaN loss stops the run, naming the iteration, and keeps the last good checkpoint",
          "[methods][distiller]") {
  Toy t;
  DistillSettings s = full_settings();
  s.method = "mtt";
  s.eval_every = 0;
  s.final_eval_runs = 0;
  s.checkpoint_every = 1;
  test::TempDir dir;
  DistillerOptions opt;
  opt.out_dir = dir.path();
  PoisonedDistiller d(PoisonedMethod{}, s, t.net, t.data, t.experts, Dsa<float>::identity(), opt);
  CHECK_THROWS_WITH(d.run(), Catch::Contains("iteration 3: the loss is nan") &&
                                 Catch::Contains("the last good checkpoint is " + dir.path()));
  const Checkpoint c = load_checkpoint(PoisonedDistiller::checkpoint_path(dir.path()));
  CHECK(c.iteration == 2);
  CHECK(detail::all_finite(c.set.images));
  CHECK_FALSE(regular_file_exists(PoisonedDistiller::synthetic_path(dir.path())));
}

TEST_CASE("Distiller: experts too short for the window are refused", "[methods][distiller]") {
  Toy t;
  DistillSettings s = full_settings();
  s.max_start_epoch = 5;
  s.expansion_end_epoch = 0;
  test::TempDir dir;
  DistillerOptions opt;
  opt.out_dir = dir.path();
  ClrDistiller d(from_settings<DATM_CLR>(s), s, t.net, t.data, t.experts, t.dsa, opt);
  CHECK_THROWS_WITH(d.run(), Catch::Contains("the experts have 5 epochs; this run needs max_start_epoch - 1 + "
                                             "expert_epochs = 6"));
  // One start epoch less reads exactly the experts' last epoch, which is what a caller loads.
  s.max_start_epoch = 4;
  s.iterations = 1;
  s.eval_every = 0;
  s.final_eval_runs = 0;
  REQUIRE(last_expert_epoch(s) == t.experts.epochs());
  test::TempDir enough;
  opt.out_dir = enough.path();
  CHECK(ClrDistiller(from_settings<DATM_CLR>(s), s, t.net, t.data, t.experts, t.dsa, opt).run().iterations == 1);
}
