#ifndef DISTILL_METHODS_CONFIG_PRESETS_HPP
#define DISTILL_METHODS_CONFIG_PRESETS_HPP

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "distill/methods/config/settings.hpp"

namespace distill {

/// A published setting: its name (`<dataset>-ipc<K>`, which also gives the run's data set and
/// images per class), where the numbers come from, and the fields that differ from the
/// defaults, as JSON. A method's presets are part of its registry row (registry.hpp).
struct Preset {
  std::string name;
  std::string source;
  std::string json;
};

/// The published settings, one table per method (the MTT, TESLA and DATM papers'
/// hyper-parameter tables). MTT's C10 IPC 10 image learning rate is a known typo in its table
/// (MTT issue #31): 1000, which the author reports stable, is used. DATM-CLR publishes no hyper-parameters: its presets are DATM's with
/// both contrastive strategies on at the design defaults (SupCon, τ = 0.1, λ = 0.1).
/// DM and TGDD run on per-channel normalised images; TGDD's code steps images kept in [0, 1]
/// with lr 0.01·IPC, which on images divided by the CIFAR std (≈ 0.2) is 0.01·IPC/0.2² =
/// 0.25·IPC. TGDD's α is 2.5 at IPC 1 and 10 and 0.5 at IPC 50 (the TGDD paper and its
/// code); it publishes no IPC 1 CIFAR-100 setting. TGDD augments with IDC's
/// "color_crop_cutout", every op on every call (the others: the reference DSA, one op per call),
/// and clamps its pixels to [0, 1] once per iteration.
inline std::vector<Preset> mtt_presets() {
  return {
      {"cifar10-ipc1", "MTT Table 6", R"({"syn_steps":50,"expert_epochs":2,"max_start_epoch":2,"zca":true,"lr_img":100,"lr_lr":1e-7,"lr_teacher":0.01})"},
      {"cifar10-ipc10", "MTT Table 6, lr_img per MTT#31", R"({"syn_steps":30,"expert_epochs":2,"max_start_epoch":20,"zca":true,"lr_img":1000,"lr_lr":1e-5,"lr_teacher":0.01})"},
      {"cifar10-ipc50", "MTT Table 6", R"({"syn_steps":30,"expert_epochs":2,"max_start_epoch":40,"zca":false,"lr_img":1000,"lr_lr":1e-5,"lr_teacher":0.001})"},
      {"cifar100-ipc1", "MTT Table 6", R"({"syn_steps":20,"expert_epochs":3,"max_start_epoch":20,"zca":true,"lr_img":1000,"lr_lr":1e-5,"lr_teacher":0.01})"},
      {"cifar100-ipc10", "MTT Table 6", R"({"syn_steps":20,"expert_epochs":2,"max_start_epoch":20,"zca":false,"lr_img":1000,"lr_lr":1e-5,"lr_teacher":0.01})"},
      {"cifar100-ipc50", "MTT Table 6", R"({"syn_steps":80,"expert_epochs":2,"max_start_epoch":40,"batch_syn":125,"zca":true,"lr_img":1000,"lr_lr":1e-5,"lr_teacher":0.01})"},
  };
}

inline std::vector<Preset> tesla_presets() {
  return {
      {"cifar10-ipc1", "TESLA README", R"({"syn_steps":50,"expert_epochs":2,"max_start_epoch":5,"zca":true,"lr_img":1000,"lr_lr":1e-7,"lr_teacher":0.01})"},
      {"cifar10-ipc10", "MTT Table 6 (TESLA reuses MTT's settings)", R"({"syn_steps":30,"expert_epochs":2,"max_start_epoch":20,"zca":true,"lr_img":1000,"lr_lr":1e-5,"lr_teacher":0.01})"},
      {"cifar10-ipc50", "MTT Table 6 (TESLA reuses MTT's settings)", R"({"syn_steps":30,"expert_epochs":2,"max_start_epoch":40,"zca":false,"lr_img":1000,"lr_lr":1e-5,"lr_teacher":0.001})"},
  };
}

inline std::vector<Preset> datm_presets() {
  return {
      {"cifar10-ipc1", "DATM configs/CIFAR-10/ConvIN/IPC1.yaml", R"({"iterations":10000,"init":"correct","syn_steps":80,"expert_epochs":2,"min_start_epoch":0,"max_start_epoch":4,"batch_syn":10,"lr_img":100,"lr_lr":1e-7,"lr_label":5,"threshold":1.1})"},
      {"cifar10-ipc10", "DATM configs/CIFAR-10/ConvIN/IPC10.yaml", R"({"iterations":10000,"init":"correct","syn_steps":80,"expert_epochs":2,"min_start_epoch":0,"current_max_start_epoch":10,"max_start_epoch":20,"expansion_end_epoch":1000,"batch_syn":100,"lr_img":100,"lr_lr":1e-5,"lr_label":2,"threshold":1.0})"},
      {"cifar10-ipc50", "DATM configs/CIFAR-10/ConvIN/IPC50.yaml", R"({"iterations":10000,"init":"correct","syn_steps":80,"expert_epochs":2,"min_start_epoch":0,"current_max_start_epoch":20,"max_start_epoch":40,"expansion_end_epoch":2000,"batch_syn":500,"lr_img":1000,"lr_lr":1e-5,"lr_label":2,"threshold":1.0})"},
      {"cifar100-ipc1", "DATM configs/CIFAR-100/ConvIN/IPC1.yaml", R"({"iterations":10000,"init":"correct","syn_steps":40,"expert_epochs":3,"min_start_epoch":0,"current_max_start_epoch":10,"max_start_epoch":20,"expansion_end_epoch":1000,"lr_img":1000,"lr_lr":1e-5,"lr_label":10,"threshold":1.0})"},
      {"cifar100-ipc10", "DATM configs/CIFAR-100/ConvIN/IPC10.yaml", R"({"iterations":10000,"init":"correct","syn_steps":80,"expert_epochs":2,"min_start_epoch":0,"current_max_start_epoch":30,"max_start_epoch":50,"expansion_end_epoch":2000,"lr_img":1000,"lr_lr":1e-5,"lr_label":10,"threshold":1.0})"},
      {"cifar100-ipc50", "DATM configs/CIFAR-100/ConvIN/IPC50.yaml", R"({"iterations":10000,"init":"real","syn_steps":80,"expert_epochs":2,"min_start_epoch":20,"max_start_epoch":70,"batch_syn":1000,"lr_img":1000,"lr_lr":1e-5,"lr_label":10,"threshold":1.0})"},
  };
}

inline std::vector<Preset> dm_presets() {
  return {
      {"cifar10-ipc1", "DM main_DM.py defaults", R"({"iterations":20000,"zca":false,"lr_img":1.0,"batch_real":256,"eval_every":2000})"},
      {"cifar10-ipc10", "DM main_DM.py defaults", R"({"iterations":20000,"zca":false,"lr_img":1.0,"batch_real":256,"eval_every":2000})"},
      {"cifar10-ipc50", "DM main_DM.py defaults", R"({"iterations":20000,"zca":false,"lr_img":1.0,"batch_real":256,"eval_every":2000})"},
      {"cifar100-ipc1", "DM main_DM.py defaults", R"({"iterations":20000,"zca":false,"lr_img":1.0,"batch_real":256,"eval_every":2000})"},
      {"cifar100-ipc10", "DM main_DM.py defaults", R"({"iterations":20000,"zca":false,"lr_img":1.0,"batch_real":256,"eval_every":2000})"},
      {"cifar100-ipc50", "DM main_DM.py defaults", R"({"iterations":20000,"zca":false,"lr_img":1.0,"batch_real":256,"eval_every":2000})"},
  };
}

inline std::vector<Preset> tgdd_presets() {
  return {
      {"cifar10-ipc1", "TGDD code and paper", R"({"iterations":10000,"zca":false,"lr_img":0.25,"batch_real":128,"per_class_steps":true,"augment":"color_crop_cutout","augment_mode":"M","clamp_pixels":true,"stage_region":7,"alpha":2.5})"},
      {"cifar10-ipc10", "TGDD code and paper", R"({"iterations":10000,"zca":false,"lr_img":2.5,"batch_real":128,"per_class_steps":true,"augment":"color_crop_cutout","augment_mode":"M","clamp_pixels":true,"stage_region":7,"alpha":2.5})"},
      {"cifar10-ipc50", "TGDD code and paper", R"({"iterations":10000,"zca":false,"lr_img":12.5,"batch_real":128,"per_class_steps":true,"augment":"color_crop_cutout","augment_mode":"M","clamp_pixels":true,"stage_region":7,"alpha":0.5})"},
      {"cifar100-ipc10", "TGDD code and paper", R"({"iterations":10000,"zca":false,"lr_img":2.5,"batch_real":128,"per_class_steps":true,"augment":"color_crop_cutout","augment_mode":"M","clamp_pixels":true,"stage_region":7,"alpha":2.5})"},
      {"cifar100-ipc50", "TGDD code and paper", R"({"iterations":10000,"zca":false,"lr_img":12.5,"batch_real":128,"per_class_steps":true,"augment":"color_crop_cutout","augment_mode":"M","clamp_pixels":true,"stage_region":7,"alpha":0.5})"},
  };
}

/// `presets` with the fields of `overlay` (a JSON object) set in each: DATM-CLR's presets are
/// DATM's with both contrastive strategies on.
inline std::vector<Preset> with_fields(std::vector<Preset> presets, const nlohmann::json& overlay) {
  for (Preset& p : presets) {
    nlohmann::json j = nlohmann::json::parse(p.json);
    j.update(overlay);
    p.json = j.dump();
  }
  return presets;
}

inline std::vector<Preset> datm_clr_presets() {
  return with_fields(datm_presets(), {{"fusion", true}, {"update", true}});
}

/// The data set and images per class a preset's name `<dataset>-ipc<K>` gives; ipc 0 when the
/// name does not have that form.
inline std::pair<std::string, Index> preset_data(const std::string& name) {
  const auto dash = name.rfind("-ipc");
  if (dash == std::string::npos || dash + 4 >= name.size()) return {name, 0};
  for (std::size_t i = dash + 4; i < name.size(); ++i)
    if (name[i] < '0' || name[i] > '9') return {name, 0};
  return {name.substr(0, dash), std::stol(name.substr(dash + 4))};
}

/// `base` (a method's defaults) with the preset's fields, its data set and images per class;
/// validated.
inline DistillSettings apply_preset(DistillSettings base, const Preset& p, const std::string& method) {
  const std::string what = "preset " + method + "/" + p.name;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(p.json);
  } catch (const std::exception& e) {
    DISTILL_CHECK(false, what << ": " << e.what());
  }
  apply_settings(base, j, what);
  base.method = method;
  const auto [dataset, ipc] = preset_data(p.name);
  base.dataset = dataset;
  if (ipc > 0) base.ipc = ipc;
  validate(base, what);
  return base;
}

}  // namespace distill

#endif  // DISTILL_METHODS_CONFIG_PRESETS_HPP
