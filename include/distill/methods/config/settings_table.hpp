#ifndef DISTILL_METHODS_CONFIG_SETTINGS_TABLE_HPP
#define DISTILL_METHODS_CONFIG_SETTINGS_TABLE_HPP

#include <cstdint>
#include <string>

#include "distill/core/tensor.hpp"

namespace distill {

// The library's settings, one row per field: its type, name, default, who reads it, whether a
// resumed run may change it, the check of its value `v` in the settings `s` (an expression that
// is empty when the value is acceptable, else the problem; field_checks in settings.hpp), and
// what it means. The settings struct, JSON (--set, --config, checkpoints), the checks, the
// fields the driver reads and the resume rules are all expanded from this table (settings.hpp);
// a method's own fields are declared in its registry row instead (registry.hpp). Field names
// are those of the reference code where it has one (syn_steps, expert_epochs, lr_img …).
//
// Who reads it: kDriver (the Distiller or the program, for every method), kDriverLearnsLr (the
// Distiller, when the method learns its step size), kMethod (a method's maker; the
// SettingsReader records which). On resume: kFixed (a checkpoint refuses another value) or
// kMayChange (how long to run, how often to evaluate or checkpoint).
#define DISTILL_SETTINGS_TABLE(X)                                                                                   \
  X(std::string, method, "mtt", kDriver, kFixed, field_checks::named(v), "a method's registry name")                \
  X(std::string, dataset, "cifar10", kDriver, kFixed, "", "the data set the run distils")                         \
  X(Index, ipc, 1, kDriver, kFixed, field_checks::positive(v), "synthetic images per class")                       \
  X(Index, iterations, 5000, kDriver, kMayChange, field_checks::non_negative(v, ""), "outer iterations")            \
  X(std::uint64_t, seed, 0, kDriver, kFixed, "", "seed of every random draw")                                       \
  X(std::string, init, "real", kMethod, kFixed, field_checks::one_of(v, "real|correct|noise"),                   \
    "how the images start: real, correct (classified correctly by an expert) or noise")                            \
  X(bool, zca, true, kDriver, kFixed, "", "whether a run without experts whitens its images (experts carry theirs)") \
  X(double, lr_img, 100, kDriver, kFixed, field_checks::positive(v), "step size of SGD on the images")             \
  X(double, image_momentum, 0.5, kDriver, kFixed, field_checks::momentum(v), "momentum of SGD on the images")       \
  X(double, lr_lr, 1e-7, kDriverLearnsLr, kFixed, field_checks::non_negative(v, ""),                               \
    "step size of SGD on the learned step size")                                                                    \
  X(double, lr_momentum, 0.5, kDriverLearnsLr, kFixed, field_checks::momentum(v),                                  \
    "momentum of SGD on the learned step size")                                                                     \
  X(double, lr_teacher, 0.01, kDriver, kFixed, field_checks::positive(v),                                          \
    "where the step size starts (the experts' learning rate)")                                                      \
  X(double, lr_label, 0, kMethod, kFixed, field_checks::non_negative(v, ""),                                       \
    "step size of the label logits; learned soft labels when positive")                                            \
  X(double, label_momentum, 0.9, kMethod, kFixed, field_checks::momentum(v), "momentum of the label logits")       \
  X(Index, syn_steps, 50, kMethod, kFixed, field_checks::positive(v), "N: unrolled student steps")                 \
  X(Index, expert_epochs, 2, kMethod, kFixed, field_checks::positive(v),                                           \
    "M: the target is M expert epochs after the start")                                                            \
  X(Index, batch_syn, 0, kMethod, kFixed, field_checks::non_negative(v, "0: the whole set"),                        \
    "student minibatch; 0: the whole set every step")                                                               \
  X(Index, min_start_epoch, 0, kMethod, kFixed, field_checks::non_negative(v, ""), "the first start epoch")        \
  X(Index, max_start_epoch, 2, kMethod, kFixed,                                                                    \
    v > s.min_start_epoch ? "" : "must exceed min_start_epoch", "start epochs lie below this")                    \
  X(Index, current_max_start_epoch, 0, kMethod, kFixed, field_checks::sequential_start(s),                          \
    "DATM's Sequential Generation: the window's first upper bound")                                                \
  X(Index, expansion_end_epoch, 0, kMethod, kFixed, field_checks::non_negative(v, "0: off"),                        \
    "the iteration at which the window reaches max_start_epoch; 0: a fixed window")                                \
  X(double, threshold, 0, kMethod, kFixed, field_checks::non_negative(v, "0: never skip"),                          \
    "skip updates whose matching loss exceeds this; 0: never")                                                     \
  X(Index, trajectories, 1, kMethod, kFixed, field_checks::positive(v),                                            \
    "expert segments matched per iteration, their gradients averaged in segment order")                           \
  X(Index, unroll_memory, 256, kMethod, kMayChange, field_checks::non_negative(v, "0: recompute every step"),       \
    "MiB of each unrolled step's convolution results kept for the reverse sweep (the same bits, fewer operations)")  \
  X(bool, fusion, false, kMethod, kFixed, "", "Contrastive Fusion: CE + fusion_weight L_con inside the unroll")    \
  X(double, fusion_weight, 0.1, kMethod, kFixed, field_checks::non_negative(v, ""), "Contrastive Fusion's weight")  \
  X(bool, update, false, kMethod, kFixed, "", "Contrastive Update: L + update_weight L_con under the end parameters") \
  X(double, update_weight, 0.1, kMethod, kFixed, field_checks::non_negative(v, ""), "Contrastive Update's weight")  \
  X(std::string, contrast, "supcon", kMethod, kFixed, field_checks::one_of(v, "supcon|ntxent"),                    \
    "the contrastive loss: supcon or ntxent")                                                                       \
  X(double, temperature, 0.1, kMethod, kFixed, field_checks::positive(v), "the contrastive loss's temperature")     \
  X(Index, batch_real, 256, kMethod, kFixed, field_checks::positive(v), "real images per class per step")          \
  X(bool, per_class_steps, false, kMethod, kFixed, "",                                                             \
    "one image update per class (TGDD) instead of one per iteration (DM)")                                         \
  X(Index, stage_region, 7, kMethod, kFixed, field_checks::positive(v),                                            \
    "TGDD: the constraint's stage t <= s + stage_region - 1")                                                       \
  X(double, alpha, 0, kMethod, kFixed, field_checks::non_negative(v, ""),                                          \
    "TGDD: weight of the stage-wise distribution constraint")                                                      \
  X(Index, factor, 1, kMethod, kFixed,                                                                             \
    field_checks::positive(v, "1: one trained image per stored image"),                                            \
    "multi-formation: f x f decoded tiles per stored image; 1: off")                                              \
  X(std::string, augment, "color_crop_cutout_flip_scale_rotate", kDriver, kFixed, field_checks::dsa_strategy(v),    \
    "DSA operations while distilling; none: off (evaluation always uses the protocol's)")                          \
  X(std::string, augment_mode, "S", kDriver, kFixed, field_checks::one_of(v, "S|M"),                               \
    "S: one listed operation per call; M: every listed operation, in order")                                       \
  X(bool, clamp_pixels, false, kDriver, kFixed, "",                                                                \
    "after each iteration, clamp images to pixels in [0, 1] (TGDD; not with ZCA)")                                 \
  X(Index, eval_every, 500, kDriver, kMayChange, field_checks::non_negative(v, "0: only at the end"),                \
    "evaluate every this many iterations; 0: only at the end")                                                     \
  X(Index, eval_runs, 1, kDriver, kMayChange, field_checks::positive(v), "networks per periodic evaluation")        \
  X(Index, final_eval_runs, 5, kDriver, kMayChange, field_checks::non_negative(v, "0: none"),                       \
    "networks of the final evaluation")                                                                             \
  X(Index, eval_epochs, 1000, kDriver, kMayChange, field_checks::positive(v), "epochs of each evaluation network")   \
  X(Index, checkpoint_every, 10, kDriver, kMayChange, field_checks::positive(v), "iterations between checkpoints")

/// Every field's default, for the policies' typed configurations (trajectory matching's
/// Config, distribution matching's …), so that a default is written once, in the table.
namespace setting_defaults {
#define DISTILL_SETTING_DEFAULT(type, name, value, use, resume, check, doc) inline const type name = value;
DISTILL_SETTINGS_TABLE(DISTILL_SETTING_DEFAULT)
#undef DISTILL_SETTING_DEFAULT
}  // namespace setting_defaults

}  // namespace distill

#endif  // DISTILL_METHODS_CONFIG_SETTINGS_TABLE_HPP
