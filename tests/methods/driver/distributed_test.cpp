#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "data/temp_dir.hpp"
#include "distill/data/file_io.hpp"
#include "distill/methods/driver/run_method.hpp"
#include "support/prebuilt.hpp"  // the shared specialisations, compiled once
#include "support/small_runs.hpp"
#include "support/thread_ranks.hpp"
#include "support/toy_experts.hpp"

// The Distiller across ranks (threads standing in for MPI processes, support/thread_ranks.hpp):
// whatever the number of ranks, the files are one process's, byte for byte.

using namespace distill;
using namespace distill::test;

namespace {

struct RankRun {
  std::vector<std::uint8_t> synthetic, checkpoint;
  std::vector<double> accuracies;
};

/// A run of `s` into `dir` on `ranks` ranks (0: one process, no communicator).
RankRun distil_on_ranks(ToyDistillation& toy, const DistillSettings& s, const std::string& dir, int ranks,
                        bool resume = false) {
  const Dsa<float> dsa(dsa_config(s));
  auto one = [&](const Communicator* comm) {
    ToyNet net(toy.net.config());
    DistillerOptions opt;
    opt.out_dir = dir;
    opt.resume = resume;
    opt.comm = comm;
    return run_method(builtin_methods(), s, net, toy.data, toy.experts, dsa, opt).final_evaluation.accuracies;
  };
  RankRun r;
  if (ranks == 0) {
    r.accuracies = one(nullptr);
  } else {
    const auto all = run_ranks<std::vector<double>>(ranks, [&](const Communicator& comm) { return one(&comm); });
    for (const auto& a : all) CHECK(a == all.front());  // every rank returns the same result
    r.accuracies = all.front();
  }
  r.synthetic = read_file_bytes(dir + "/synthetic.safetensors");
  r.checkpoint = read_file_bytes(dir + "/checkpoint.safetensors");
  return r;
}

DistillSettings case_settings(const std::string& method, Index factor, Index trajectories) {
  DistillSettings s = small_settings(method);
  s.factor = factor;
  s.trajectories = trajectories;
  s.iterations = 4;
  s.final_eval_runs = 3;  // the protocol's networks spread over the ranks too
  s.eval_epochs = 2;
  return s;
}

}  // namespace

TEST_CASE("Distributed: DM and TGDD by class, trajectory matching by segment, equal one process at K = 1, 2, 3",
          "[methods][distiller][cluster]") {
  ToyDistillation toy;
  struct Case {
    const char* method;
    Index factor, trajectories;
  };
  for (const Case c : {Case{"dm", 1, 1}, Case{"dm", 2, 1}, Case{"tgdd", 1, 1}, Case{"tgdd", 2, 1}, Case{"mtt", 1, 1},
                       Case{"mtt", 1, 4}, Case{"tesla", 1, 4}, Case{"datm", 1, 4}, Case{"datm-clr", 1, 4}}) {
    INFO(c.method << " factor " << c.factor << " trajectories " << c.trajectories);
    const DistillSettings s = case_settings(c.method, c.factor, c.trajectories);
    TempDir base;
    const RankRun one = distil_on_ranks(toy, s, base.path(), 0);
    REQUIRE(one.accuracies.size() == 3);
    for (int k : {1, 2, 3}) {
      INFO(k << " ranks");
      TempDir dir;
      const RankRun r = distil_on_ranks(toy, s, dir.path(), k);
      CHECK(r.synthetic == one.synthetic);
      CHECK(r.checkpoint == one.checkpoint);
      CHECK(r.accuracies == one.accuracies);
    }
  }
}

TEST_CASE("Distributed: a run stopped at K ranks resumes at another K and equals the uninterrupted run",
          "[methods][distiller][cluster]") {
  ToyDistillation toy;
  for (const char* method : {"tgdd", "datm-clr"}) {
    INFO(method);
    DistillSettings s = case_settings(method, 1, std::string(method) == "tgdd" ? 1 : 3);
    s.final_eval_runs = 0;
    TempDir full, cut;
    const RankRun whole = distil_on_ranks(toy, s, full.path(), 0);
    DistillSettings first = s;
    first.iterations = 2;
    distil_on_ranks(toy, first, cut.path(), 2);
    const RankRun resumed = distil_on_ranks(toy, s, cut.path(), 3, /*resume=*/true);
    CHECK(resumed.synthetic == whole.synthetic);
    CHECK(resumed.checkpoint == whole.checkpoint);
  }
}

TEST_CASE("Distributed: expert trajectories across ranks are one process's files", "[train][cluster]") {
  DatasetSplits<float> data{quadrants(40, 5), quadrants(60, 6)};
  ExpertConfig cfg = small_experts();
  cfg.experts = 3;
  const Dsa<float> dsa;
  const Preprocessing<float> none = Preprocessing<float>::none();
  TempDir one;
  train_experts(cfg, data, none, one.path(), dsa);
  for (int k : {2, 3}) {
    INFO(k << " ranks");
    TempDir dir;
    run_ranks<int>(k, [&](const Communicator& comm) {
      train_experts(cfg, data, none, dir.path(), dsa, {}, comm);
      return 0;
    });
    for (Index e = 0; e < cfg.experts; ++e)
      CHECK(read_file_bytes(expert_path(dir.path(), e)) == read_file_bytes(expert_path(one.path(), e)));
    CHECK(read_file_bytes(preprocessing_path(dir.path())) == read_file_bytes(preprocessing_path(one.path())));
  }
}
