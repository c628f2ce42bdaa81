#ifndef DISTILL_METHODS_CONFIG_RESOLVE_SETTINGS_HPP
#define DISTILL_METHODS_CONFIG_RESOLVE_SETTINGS_HPP

#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "distill/core/error.hpp"
#include "distill/data/file_io.hpp"
#include "distill/methods/config/settings.hpp"

namespace distill {

/// Settings the user gave explicitly, and where: a JSON object of fields from `source` (a
/// config file's path, "--set syn_steps", a flag such as "--iterations").
struct GivenSettings {
  std::string source;
  nlohmann::json fields = nlohmann::json::object();
};

/// `--set key=value`: the value is JSON when it parses as JSON, else a bare string
/// (`--set contrast=ntxent`).
inline GivenSettings parse_setting_assignment(const std::string& kv) {
  const auto eq = kv.find('=');
  DISTILL_CHECK(eq != std::string::npos && eq > 0, "--set '" << kv << "': expected key=value");
  const std::string key = kv.substr(0, eq), value = kv.substr(eq + 1);
  nlohmann::json v;
  try {
    v = nlohmann::json::parse(value);
  } catch (const std::exception&) {
    v = value;
  }
  return {"--set " + key, nlohmann::json{{key, v}}};
}

/// A JSON file of settings (--config).
inline GivenSettings read_settings_file(const std::string& path) {
  const auto bytes = read_file_bytes(path);
  GivenSettings g{path, {}};
  try {
    g.fields = nlohmann::json::parse(bytes.begin(), bytes.end());
  } catch (const std::exception& e) {
    DISTILL_CHECK(false, path << ": not valid JSON: " << e.what());
  }
  return g;
}

/// What a run asks for.
struct SettingsRequest {
  std::string method;
  std::string dataset = "cifar10";
  Index ipc = 1;
  std::string preset;               ///< empty: <dataset>-ipc<K> where published, else nearest_preset_settings
  std::vector<GivenSettings> given;  ///< applied in order over the preset
};

struct ResolvedSettings {
  DistillSettings settings;
  std::string origin;  ///< the base the given settings were applied over, in words
  bool published = true;  ///< false: no preset was published for the data, nearest_preset_settings were taken
};

/// The settings of a run: the preset (or the method's defaults where the data have none), then
/// every given object in order, validated. A given field that the chosen method does not read
/// (registry fields_read: its maker and the driver) is refused naming the source, the field
/// and the method, so that `--set fusion=true` with dm is an error instead of being ignored.
template <class Registry>
ResolvedSettings resolve_settings(const Registry& methods, const SettingsRequest& request) {
  methods.info(request.method);  // an unknown method is named before anything else
  ResolvedSettings r;
  const std::string name = request.preset.empty() ? request.dataset + "-ipc" + std::to_string(request.ipc)
                                                  : request.preset;
  if (!request.preset.empty() || methods.has_preset(request.method, name)) {
    r.settings = methods.preset_settings(request.method, name);
    r.origin = "preset " + name;
  } else {
    r.published = false;
    std::string taken;
    r.settings = methods.nearest_preset_settings(request.method, request.dataset, request.ipc, &taken);
    r.origin = "no published preset '" + name + "' for " + request.method + ": took " + taken;
  }
  r.settings.ipc = request.ipc;
  for (const GivenSettings& g : request.given) apply_settings(r.settings, g.fields, g.source);
  r.settings.method = request.method;
  validate(r.settings, "settings");
  const std::set<std::string> read = methods.fields_read(r.settings);
  for (const GivenSettings& g : request.given)
    for (auto it = g.fields.begin(); it != g.fields.end(); ++it)
      DISTILL_CHECK(read.count(it.key()), g.source << ": field '" << it.key() << "' is not read by method "
                                                   << request.method << ", which would ignore it");
  return r;
}

}  // namespace distill

#endif  // DISTILL_METHODS_CONFIG_RESOLVE_SETTINGS_HPP
