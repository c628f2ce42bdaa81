#include <catch2/catch.hpp>

#include "distill/augment/dsa.hpp"
#include "distill/train/evaluate.hpp"
#include "distill/train/experts.hpp"
#include "data/temp_dir.hpp"
#include "support/toy_data.hpp"
#include "support/prebuilt.hpp"  // the shared specialisations, compiled once

using namespace distill;

using test::quadrants;

TEST_CASE("train_experts: trajectories end to end, resumed after a stop", "[train][experts]") {
  test::TempDir dir, again;
  DatasetSplits<float> data{quadrants(96, 1), quadrants(40, 2)};
  ExpertConfig cfg;
  cfg.experts = 2;
  cfg.epochs = 3;
  cfg.batch = 32;
  cfg.lr = 0.05;
  cfg.arch = "ConvNetD2W8";
  cfg.dataset = "quadrants";
  Dsa<float> dsa;
  std::vector<ExpertEpoch> seen;
  train_experts(cfg, data, Preprocessing<float>::none(), dir.path(), dsa,
                [&](const ExpertEpoch& e) { seen.push_back(e); });
  REQUIRE(seen.size() == 6);
  const ExpertTrajectory t0 = load_expert(expert_path(dir.path(), 0));
  const ExpertTrajectory t1 = load_expert(expert_path(dir.path(), 1));
  CHECK(t0.epochs_done() == 3);
  CHECK(t0.checkpoints.size() == 4);
  CHECK(t0.checkpoints[0] != t1.checkpoints[0]);  // experts start from different initialisations
  CHECK(t0.test_accuracy.size() == 3);
  CHECK(t0.test_accuracy.back() == seen[2].test_accuracy);
  CHECK(t0.metadata.at("arch") == "ConvNetD2W8");
  CHECK(read_safetensors(preprocessing_path(dir.path())).metadata.at("preprocess.kind") == "none");

  // Stop after one epoch of the first expert, then resume to the full schedule.
  ExpertConfig part = cfg;
  part.epochs = 1;
  part.experts = 1;
  train_experts(part, data, Preprocessing<float>::none(), again.path(), dsa);
  CHECK(load_expert(expert_path(again.path(), 0)).epochs_done() == 1);
  seen.clear();
  train_experts(cfg, data, Preprocessing<float>::none(), again.path(), dsa,
                [&](const ExpertEpoch& e) { seen.push_back(e); });
  CHECK(seen.size() == 5);  // epochs 2–3 of expert 0, then all of expert 1
  const ExpertTrajectory r0 = load_expert(expert_path(again.path(), 0));
  REQUIRE(r0.checkpoints.size() == t0.checkpoints.size());
  for (std::size_t e = 0; e < r0.checkpoints.size(); ++e) CHECK(r0.checkpoints[e] == t0.checkpoints[e]);
  CHECK(load_expert(expert_path(again.path(), 1)).checkpoints.back() == t1.checkpoints.back());
  // A complete run is not redone.
  seen.clear();
  train_experts(cfg, data, Preprocessing<float>::none(), again.path(), dsa,
                [&](const ExpertEpoch& e) { seen.push_back(e); });
  CHECK(seen.empty());
  // Loading keeps the checkpoints a run can reach and every expert's last one (DATM labels with it).
  const ExpertSet kept = load_experts(again.path(), 1);
  CHECK(kept.size() == 2);
  CHECK(kept.epochs() == 1);
  CHECK(kept.checkpoints[0][1] == t0.checkpoints[1]);
  CHECK(kept.final_params[1] == t1.checkpoints.back());
  CHECK(load_experts(again.path()).epochs() == 3);
  // Resuming with other settings is refused.
  ExpertConfig other = cfg;
  other.lr = 0.1;
  other.epochs = 4;
  CHECK_THROWS_WITH(train_experts(other, data, Preprocessing<float>::none(), again.path(), dsa),
                    Catch::Contains("cannot resume") && Catch::Contains("'lr'"));
}

TEST_CASE("evaluate_set with DSA on an expert-quality small set", "[train][experts]") {
  DatasetSplits<float> data{quadrants(96, 3), quadrants(60, 4)};
  const auto idx = random_per_class(data.train, 4, 1);
  Tensor<float> x;
  gather_samples(data.train.images.cview(), idx, 0, Index(idx.size()), x);
  std::vector<int> y;
  for (Index i : idx) y.push_back(data.train.labels[i]);
  EvalConfig cfg;
  cfg.arch = "ConvNetD2W8";
  cfg.runs = 2;
  cfg.epochs = 80;
  Dsa<float> dsa;
  const auto r = evaluate_set(cfg, x.cview(), Labels<float>{&y, {}}, 4, data.test, dsa);
  CHECK(r.accuracies.size() == 2);
  CHECK(r.mean > 0.5);  // chance is 0.25
}
