#ifndef DISTILL_TESTS_SUPPORT_SMALL_RUNS_HPP
#define DISTILL_TESTS_SUPPORT_SMALL_RUNS_HPP

// The small configurations that the device tests (tests/cuda and the EmulatedDevice test) run
// on both backends: a few iterations of a method, a few epochs of the evaluation protocol's
// training, two short experts.

#include <string>

#include "distill/methods/config/registry.hpp"
#include "distill/methods/config/settings.hpp"
#include "distill/train/experts.hpp"
#include "distill/train/trainer.hpp"

namespace distill::test {

/// `method` at its CIFAR-10 IPC 1 preset, cut to two images per class, five iterations of three
/// inner steps, windows that the toy experts (five epochs) hold, no evaluation, a checkpoint
/// every two iterations.
inline DistillSettings small_settings(const std::string& method) {
  DistillSettings s = preset_settings(method, "cifar10-ipc1");
  s.ipc = 2;
  s.iterations = 5;
  s.batch_real = 8;
  s.syn_steps = 3;
  s.batch_syn = 4;
  s.max_start_epoch = 3;
  s.eval_every = 0;
  s.final_eval_runs = 0;
  s.checkpoint_every = 2;
  if (method == "datm" || method == "datm-clr") {
    s.min_start_epoch = 0;
    s.current_max_start_epoch = 1;
    s.expansion_end_epoch = 5;
    s.threshold = 0;
  }
  return s;
}

/// The protocol's optimiser (momentum 0.9, weight decay 5e-4, lr ×0.1 at the midpoint) for three
/// epochs in batches of 16: 40 images give a partial batch every epoch.
inline TrainConfig small_protocol_training() {
  TrainConfig cfg;
  cfg.epochs = 3;
  cfg.batch = 16;
  cfg.lr = 0.02;
  cfg.momentum = 0.9;
  cfg.weight_decay = 5e-4;
  cfg.decay_at_midpoint = true;
  cfg.seed = 5;
  return cfg;
}

/// Two experts of three epochs of ConvNetD2W8 on the quadrant problem.
inline ExpertConfig small_experts() {
  ExpertConfig cfg;
  cfg.experts = 2;
  cfg.epochs = 3;
  cfg.batch = 16;
  cfg.arch = "ConvNetD2W8";
  cfg.dataset = "quadrants";
  return cfg;
}

}  // namespace distill::test

#endif  // DISTILL_TESTS_SUPPORT_SMALL_RUNS_HPP
