// distill presets: the published settings, one line each: method, preset, settings as JSON.
#include "commands.hpp"

namespace distill::cli {

void add_presets(CLI::App& app) {
  auto* cmd = app.add_subcommand("presets", "List the published settings: method, preset, settings as JSON");
  cmd->callback([] {
    for (const auto& [method, name] : builtin_methods().preset_names())
      std::printf("%s %s %s\n", method.c_str(), name.c_str(), to_json(preset_settings(method, name)).dump().c_str());
  });
}

}  // namespace distill::cli
