#ifndef DISTILL_METHODS_DRIVER_CHECKPOINT_HPP
#define DISTILL_METHODS_DRIVER_CHECKPOINT_HPP

#include <string>

#include <nlohmann/json.hpp>

#include "distill/data/synthetic_set.hpp"
#include "distill/methods/config/settings.hpp"

namespace distill {

/// Everything a distillation run needs to continue exactly where it stopped: the synthetic set,
/// the optimisers' momentum buffers, the iterations done, the best evaluation so far and the
/// settings it was started with. Every later iteration depends only on this and the seed, so a
/// resumed run reproduces the uninterrupted one bit for bit (same thread count).
struct Checkpoint {
  SyntheticSet set;
  Index iteration = 0;  ///< iterations done
  Vector<float> image_velocity, label_velocity;
  Vector<double> lr_velocity;
  double best_accuracy = -1;  ///< best periodic evaluation mean so far; < 0: none yet
  Index best_iteration = -1;
  DistillSettings settings;
};

/// Where a run in `dir` keeps its checkpoint (the Distiller's checkpoint_path).
inline std::string checkpoint_file(const std::string& dir) { return dir + "/checkpoint.safetensors"; }

inline void save_checkpoint(const std::string& path, const Checkpoint& c) {
  SafetensorsFile f = synthetic_set_file(c.set);
  f.metadata["kind"] = "distill.checkpoint";
  f.metadata["iteration"] = std::to_string(c.iteration);
  f.metadata["best_iteration"] = std::to_string(c.best_iteration);
  f.metadata["settings"] = to_json(c.settings).dump();
  f.add_scalar("best_accuracy", c.best_accuracy);
  if (c.image_velocity.size()) f.add("image_velocity", c.image_velocity);
  if (c.label_velocity.size()) f.add("label_velocity", c.label_velocity);
  if (c.lr_velocity.size()) f.add("lr_velocity", c.lr_velocity);
  write_safetensors(path, f);
}

/// The checkpoint at `path`; its settings are read with the fields `declared` (a method row's,
/// as the run resuming it has them) beside the library's.
inline Checkpoint load_checkpoint(const std::string& path, const std::vector<FieldSpec>& declared = {}) {
  const SafetensorsFile f = read_safetensors(path);
  Checkpoint c;
  c.settings = settings_declaring(declared);
  c.set = synthetic_set_from_file(f, path, "distill.checkpoint");
  auto take = [&](const char* key) {
    const auto it = c.set.info.find(key);
    DISTILL_CHECK(it != c.set.info.end(), path << ": metadata field '" << key << "' is missing");
    std::string v = it->second;
    c.set.info.erase(it);
    return v;
  };
  try {
    c.iteration = std::stol(take("iteration"));
    c.best_iteration = std::stol(take("best_iteration"));
  } catch (const std::logic_error&) {
    DISTILL_CHECK(false, path << ": metadata fields 'iteration' and 'best_iteration' must be integers");
  }
  DISTILL_CHECK(c.iteration >= 0, path << ": metadata field 'iteration' is negative");
  const std::string settings = take("settings");
  try {
    apply_settings(c.settings, nlohmann::json::parse(settings), path + " (metadata field 'settings')");
  } catch (const nlohmann::json::exception& e) {
    DISTILL_CHECK(false, path << ": metadata field 'settings': " << e.what());
  }
  c.best_accuracy = f.get_scalar("best_accuracy");
  auto velocity = [&](const char* name, Index expected, auto& out) {
    if (!f.contains(name)) return;
    using V = std::decay_t<decltype(out)>;
    out = f.get_vector<typename V::Scalar>(name);
    DISTILL_CHECK(out.size() == expected, path << ": tensor '" << name << "' has " << out.size()
                                                << " values, expected " << expected);
  };
  velocity("image_velocity", c.set.images.size(), c.image_velocity);
  velocity("label_velocity", c.set.label_logits.size(), c.label_velocity);
  velocity("lr_velocity", 1, c.lr_velocity);
  return c;
}

}  // namespace distill

#endif  // DISTILL_METHODS_DRIVER_CHECKPOINT_HPP
