#ifndef DISTILL_METHODS_SETTINGS_HPP
#define DISTILL_METHODS_SETTINGS_HPP

#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "distill/augment/dsa.hpp"
#include "distill/core/error.hpp"
#include "distill/core/tensor.hpp"

namespace distill {

/// Everything a distillation run is configured by: the method, the synthetic set, the outer
/// optimisation, each method's hyper-parameters, evaluation and checkpoints. A preset is one
/// of these (presets.hpp); a run stores its settings as JSON in every checkpoint, so
/// `--resume` can refuse to continue with different ones. Field names are those of the
/// reference code where it has one (syn_steps, expert_epochs, lr_img, lr_lr, lr_teacher …).
struct DistillSettings {
  std::string method = "mtt";  ///< a method's registry name (registry.hpp: mtt, tesla, datm, …)
  std::string dataset = "cifar10";
  Index ipc = 1;
  Index iterations = 5000;
  std::uint64_t seed = 0;

  // Initialisation.
  std::string init = "real";  ///< real | correct | noise
  bool zca = true;            ///< whether the published setting whitens (the experts carry theirs)

  // Outer optimisation (SGD on images, step size and label logits).
  double lr_img = 100, image_momentum = 0.5;
  double lr_lr = 1e-7, lr_momentum = 0.5;
  double lr_teacher = 0.01;  ///< the step size α starts here (the experts' learning rate)
  double lr_label = 0, label_momentum = 0.9;  ///< learned soft labels when lr_label > 0

  // Trajectory matching.
  Index syn_steps = 50;      ///< N: unrolled student steps
  Index expert_epochs = 2;   ///< M: the target is M expert epochs after the start
  Index batch_syn = 0;       ///< student minibatch; 0: the whole set every step
  Index min_start_epoch = 0, max_start_epoch = 2;
  Index current_max_start_epoch = 0;  ///< DATM Sequential Generation: the window's first upper bound
  Index expansion_end_epoch = 0;      ///< … reaching max_start_epoch at this iteration; 0: off
  double threshold = 0;               ///< skip updates whose loss exceeds this; 0: never

  // DATM-CLR (docs/design.md §4).
  bool fusion = false;   ///< Contrastive Fusion: CE + fusion_weight·L_con inside the unroll
  double fusion_weight = 0.1;
  bool update = false;   ///< Contrastive Update: L + update_weight·L_con under θ*
  double update_weight = 0.1;
  std::string contrast = "supcon";  ///< supcon | ntxent
  double temperature = 0.1;

  // Distribution matching (DM, TGDD).
  Index batch_real = 256;        ///< real images per class per step
  bool per_class_steps = false;  ///< one image update per class (TGDD) or per iteration (DM)
  Index stage_region = 7;        ///< TGDD: the constraint's stage t ≤ s + stage_region − 1
  double alpha = 0;              ///< TGDD: weight of the stage-wise distribution constraint
  Index factor = 1;              ///< multi-formation: f×f decoded tiles per stored image; 1: off

  // Augmentation while distilling (evaluation always uses the protocol's DSA).
  std::string augment = "color_crop_cutout_flip_scale_rotate";  ///< DSA ops; "none": off
  std::string augment_mode = "S";  ///< S: one listed op per call; M: every listed op, in order
  bool clamp_pixels = false;  ///< after each iteration, clamp images to pixels in [0, 1] (TGDD; not with ZCA)

  // Evaluation (protocol of docs/design.md §5) and checkpoints.
  Index eval_every = 500;      ///< evaluate every this many iterations; 0: only at the end
  Index eval_runs = 1;         ///< networks per periodic evaluation
  Index final_eval_runs = 5;   ///< networks for the final evaluation
  Index eval_epochs = 1000;
  Index checkpoint_every = 10;
};

/// The last expert epoch a trajectory-matching run with these settings can read: its latest
/// start epoch (max_start_epoch − 1) plus the expert_epochs it matches towards. Loading
/// experts only up to here (load_experts' keep_epochs) keeps unused checkpoints out of memory.
inline Index last_expert_epoch(Index max_start_epoch, Index expert_epochs) { return max_start_epoch - 1 + expert_epochs; }
inline Index last_expert_epoch(const DistillSettings& s) { return last_expert_epoch(s.max_start_epoch, s.expert_epochs); }

namespace detail {

template <class T>
void read_field(const nlohmann::json& j, const char* key, T& value, const std::string& what) {
  const auto it = j.find(key);
  if (it == j.end()) return;
  try {
    if constexpr (std::is_same<T, bool>::value) {
      DISTILL_CHECK(it->is_boolean(), "expected true or false");
    } else if constexpr (std::is_unsigned<T>::value) {
      DISTILL_CHECK(it->is_number_unsigned(), "expected a non-negative integer");
    } else if constexpr (std::is_integral<T>::value) {
      DISTILL_CHECK(it->is_number_integer(), "expected an integer");
    } else if constexpr (std::is_floating_point<T>::value) {
      DISTILL_CHECK(it->is_number(), "expected a number");
    } else {
      DISTILL_CHECK(it->is_string(), "expected a string");
    }
    value = it->get<T>();
  } catch (const std::exception& e) {
    DISTILL_CHECK(false, what << ": field '" << key << "': " << e.what() << " (got " << it->dump() << ")");
  }
}

}  // namespace detail

#define DISTILL_SETTINGS_FIELDS(X)                                                                  \
  X(method) X(dataset) X(ipc) X(iterations) X(seed) X(init) X(zca) X(lr_img) X(image_momentum)     \
  X(lr_lr) X(lr_momentum) X(lr_teacher) X(lr_label) X(label_momentum) X(syn_steps) X(expert_epochs) \
  X(batch_syn) X(min_start_epoch) X(max_start_epoch) X(current_max_start_epoch)                    \
  X(expansion_end_epoch) X(threshold) X(fusion) X(fusion_weight) X(update) X(update_weight)       \
  X(contrast) X(temperature) X(batch_real) X(per_class_steps) X(stage_region) X(alpha) X(factor) X(augment) X(augment_mode) X(clamp_pixels) X(eval_every) X(eval_runs) X(final_eval_runs) X(eval_epochs)          \
  X(checkpoint_every)

inline nlohmann::json to_json(const DistillSettings& s) {
  nlohmann::json j;
#define DISTILL_WRITE(f) j[#f] = s.f;
  DISTILL_SETTINGS_FIELDS(DISTILL_WRITE)
#undef DISTILL_WRITE
  return j;
}

/// Overwrites the fields present in `j`; an unknown field or a value of the wrong type is an
/// error naming `what` (a preset or file) and the field. Call validate() afterwards.
inline void apply_settings(DistillSettings& s, const nlohmann::json& j, const std::string& what) {
  DISTILL_CHECK(j.is_object(), what << ": expected a JSON object of settings, got " << j.dump());
  const nlohmann::json known = to_json(s);
  for (auto it = j.begin(); it != j.end(); ++it)
    DISTILL_CHECK(known.contains(it.key()), what << ": unknown field '" << it.key() << "'");
#define DISTILL_READ(f) detail::read_field(j, #f, s.f, what);
  DISTILL_SETTINGS_FIELDS(DISTILL_READ)
#undef DISTILL_READ
}

/// Checks every field's range; the message names the field and the value.
inline void validate(const DistillSettings& s, const std::string& what) {
  auto fail = [&](const char* field, const std::string& problem) {
    DISTILL_CHECK(false, what << ": field '" << field << "': " << problem);
  };
  // The method's name is the registry's to check (registry.hpp): users register their own.
  if (s.method.empty()) fail("method", "must name a method");
  if (s.ipc <= 0) fail("ipc", "must be positive");
  if (s.iterations < 0) fail("iterations", "must not be negative");
  if (s.init != "real" && s.init != "correct" && s.init != "noise")
    fail("init", "'" + s.init + "' is not one of real, correct, noise");
  auto positive = [&](const char* f, double v) {
    if (!(v > 0) || !std::isfinite(v)) fail(f, "must be positive, got " + std::to_string(v));
  };
  auto momentum = [&](const char* f, double v) {
    if (!(v >= 0 && v < 1)) fail(f, "must be in [0, 1), got " + std::to_string(v));
  };
  positive("lr_img", s.lr_img);
  positive("lr_teacher", s.lr_teacher);
  if (!(s.lr_lr >= 0)) fail("lr_lr", "must not be negative");
  if (!(s.lr_label >= 0)) fail("lr_label", "must not be negative");
  momentum("image_momentum", s.image_momentum);
  momentum("lr_momentum", s.lr_momentum);
  momentum("label_momentum", s.label_momentum);
  if (s.syn_steps <= 0) fail("syn_steps", "must be positive");
  if (s.expert_epochs <= 0) fail("expert_epochs", "must be positive");
  if (s.batch_syn < 0) fail("batch_syn", "must not be negative (0: the whole set)");
  if (s.min_start_epoch < 0) fail("min_start_epoch", "must not be negative");
  if (s.max_start_epoch <= s.min_start_epoch) fail("max_start_epoch", "must exceed min_start_epoch");
  if (s.expansion_end_epoch < 0) fail("expansion_end_epoch", "must not be negative (0: off)");
  if (s.expansion_end_epoch > 0 &&
      (s.current_max_start_epoch <= s.min_start_epoch || s.current_max_start_epoch > s.max_start_epoch))
    fail("current_max_start_epoch", "must lie in (min_start_epoch, max_start_epoch] with sequential generation");
  if (!(s.threshold >= 0)) fail("threshold", "must not be negative (0: never skip)");
  if (!(s.fusion_weight >= 0)) fail("fusion_weight", "must not be negative");
  if (!(s.update_weight >= 0)) fail("update_weight", "must not be negative");
  if (s.contrast != "supcon" && s.contrast != "ntxent") fail("contrast", "'" + s.contrast + "' is not supcon or ntxent");
  positive("temperature", s.temperature);
  if (s.batch_real <= 0) fail("batch_real", "must be positive");
  if (s.stage_region <= 0) fail("stage_region", "must be positive");
  if (!(s.alpha >= 0)) fail("alpha", "must not be negative");
  if (s.factor <= 0) fail("factor", "must be positive (1: one trained image per stored image)");
  try {
    dsa_ops_from_strategy(s.augment);
  } catch (const error& e) {
    fail("augment", e.what());
  }
  if (s.augment_mode != "S" && s.augment_mode != "M") fail("augment_mode", "'" + s.augment_mode + "' is not S or M");
  if (s.eval_every < 0) fail("eval_every", "must not be negative (0: only at the end)");
  if (s.eval_runs <= 0) fail("eval_runs", "must be positive");
  if (s.final_eval_runs < 0) fail("final_eval_runs", "must not be negative (0: none)");
  if (s.eval_epochs <= 0) fail("eval_epochs", "must be positive");
  if (s.checkpoint_every <= 0) fail("checkpoint_every", "must be positive");
}

/// The distillation-time DSA of validated settings (reference parameters, the listed ops).
inline DsaConfig dsa_config(const DistillSettings& s) {
  DsaConfig c;
  c.ops = dsa_ops_from_strategy(s.augment);
  c.mode = s.augment_mode == "M" ? DsaMode::kAll : DsaMode::kSingle;
  return c;
}

}  // namespace distill

#endif  // DISTILL_METHODS_SETTINGS_HPP
