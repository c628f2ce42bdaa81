#ifndef DISTILL_METHODS_CONFIG_REGISTRY_HPP
#define DISTILL_METHODS_CONFIG_REGISTRY_HPP

#include <cstddef>
#include <functional>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "distill/core/error.hpp"
#include "distill/methods/config/method_settings.hpp"
#include "distill/methods/config/presets.hpp"
#include "distill/methods/config/settings.hpp"
#include "distill/methods/distribution_matching/distribution_matching.hpp"
#include "distill/methods/trajectory_matching/trajectory_matching.hpp"

namespace distill {

/// What kind of method a row is: it decides which expert epochs a run loads (load_experts_for,
/// driver/run_method.hpp).
enum class MethodFamily { kTrajectoryMatching, kDistributionMatching, kOther };

inline const char* to_string(MethodFamily f) {
  switch (f) {
    case MethodFamily::kTrajectoryMatching:
      return "trajectory matching";
    case MethodFamily::kDistributionMatching:
      return "distribution matching";
    default:
      return "other";
  }
}

/// A row's run-time facts.
struct MethodInfo {
  std::string name;
  MethodFamily family = MethodFamily::kOther;
  bool needs_experts = true;
};

/// A field a method declares in its registry row, beyond the library's (settings_table.hpp):
/// its name, default, meaning and check (empty, or the problem with a value), and whether a
/// resumed run may change it. Runs set it with `--set`/`--config` like any other; the method's
/// maker reads it with SettingsReader::field<T>(name).
template <class T>
FieldSpec method_field(std::string name, T default_value, std::string doc,
                       std::function<std::string(const T&)> check = {},
                       FieldSpec::OnResume on_resume = FieldSpec::kFixed) {
  FieldSpec f;
  f.name = name;
  f.doc = std::move(doc);
  f.use = FieldSpec::kMethod;
  f.on_resume = on_resume;
  f.default_value = default_value;
  f.get = [name](const DistillSettings& s) { return s.extra.at(name); };
  f.set = [name](DistillSettings& s, const nlohmann::json& j) { s.extra[name] = detail::field_value<T>(j); };
  if (check)
    f.check = [name, check](const DistillSettings& s) { return check(detail::field_value<T>(s.extra.at(name))); };
  return f;
}

/// One row of a method registry: the name a run is asked for, its family, whether it needs
/// expert trajectories, its policy type and how settings become one (`make`, which reads
/// through a SettingsReader), the fields it declares beyond the library's and its published
/// presets. `MultiFormationMethod` (void: none) is the type a run with factor > 1 uses
/// instead, IDC's multi-formation parameterisation of the same method.
template <class Method, class MultiFormationMethod = void>
struct MethodRow {
  using method_type = Method;
  using multi_formation_type = MultiFormationMethod;
  MethodInfo info;
  Method (*make)(SettingsReader&);
  std::vector<FieldSpec> fields;
  std::vector<Preset> presets;

  /// This row declaring `declared` as well (names new to the library and the row).
  MethodRow declaring(std::vector<FieldSpec> declared) const {
    MethodRow r = *this;
    for (FieldSpec& f : declared) {
      for (const FieldSpec& c : field_table(settings_declaring(r.fields)))
        DISTILL_CHECK(c.name != f.name, "method " << info.name << ": field '" << f.name << "' exists already");
      r.fields.push_back(std::move(f));
    }
    return r;
  }

  /// This row with `published` as its presets.
  MethodRow with_presets(std::vector<Preset> published) const {
    MethodRow r = *this;
    r.presets = std::move(published);
    return r;
  }

  /// The method's settings before a preset: every field at its default, `method` its name.
  DistillSettings defaults() const {
    DistillSettings s = settings_declaring(fields);
    s.method = info.name;
    return s;
  }

  /// f(method) with the method these settings ask for; the fields read are recorded in `r`.
  template <class F>
  decltype(auto) visit(SettingsReader& r, F&& f) const {
    if constexpr (!std::is_void<MultiFormationMethod>::value) {
      if (r.factor() > 1) return f(from_settings<MultiFormationMethod>(r));
    }
    return f(make(r));
  }
};

/// A row for a method whose policies the library builds from settings (policy_from_settings).
template <class Method, class MultiFormationMethod = void>
MethodRow<Method, MultiFormationMethod> method_row(std::string name, MethodFamily family, bool needs_experts) {
  return {{std::move(name), family, needs_experts}, [](SettingsReader& r) { return from_settings<Method>(r); }, {}, {}};
}

/// A row for a method with its own maker: typically a lambda that reads the fields the method
/// takes and calls its constructor, e.g. `[](SettingsReader& r) { return M(r.batch_real()); }`.
template <class Method>
MethodRow<Method> method_row(std::string name, MethodFamily family, bool needs_experts,
                             Method (*make)(SettingsReader&)) {
  return {{std::move(name), family, needs_experts}, make, {}, {}};
}

/// A table from method name to row, dispatched like visit_conv_net: visit() turns the name in
/// the settings into the method's type and calls a generic function with the method built
/// from the settings. Extend one with with(row); builtin_methods() holds the library's.
template <class... Rows>
class MethodRegistry {
  static_assert(sizeof...(Rows) > 0, "MethodRegistry: at least one row");

 public:
  explicit MethodRegistry(Rows... rows) : rows_(std::move(rows)...) {}

  /// This registry and one more row (its name must be new).
  template <class Row>
  MethodRegistry<Rows..., Row> with(Row row) const {
    DISTILL_CHECK(!contains(row.info.name), "method registry: '" << row.info.name << "' is registered already");
    return std::apply([&](const Rows&... rows) { return MethodRegistry<Rows..., Row>(rows..., std::move(row)); },
                      rows_);
  }

  bool contains(const std::string& name) const {
    bool found = false;
    for_each_row([&](const auto& row) { found = found || row.info.name == name; });
    return found;
  }

  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for_each_row([&](const auto& row) { out.push_back(row.info.name); });
    return out;
  }

  /// The row's facts; an unknown name is an error listing the known ones.
  const MethodInfo& info(const std::string& name) const {
    const MethodInfo* found = nullptr;
    for_each_row([&](const auto& row) {
      if (row.info.name == name) found = &row.info;
    });
    if (!found) unknown(name);
    return *found;
  }

  /// The settings of `method` before a preset: the library's defaults and its row's fields.
  DistillSettings defaults(const std::string& method) const {
    DistillSettings s;
    visit_row<0>(method, [&](const auto& row) { s = row.defaults(); });
    return s;
  }

  /// The settings of the preset `name` of `method`: its defaults, then the preset's fields, its
  /// data set and images per class; an unknown name is an error listing the method's presets.
  DistillSettings preset_settings(const std::string& method, const std::string& name) const {
    DistillSettings s;
    std::string known;
    bool found = false;
    visit_row<0>(method, [&](const auto& row) {
      for (const Preset& p : row.presets) {
        if (p.name == name) {
          s = apply_preset(row.defaults(), p, method);
          found = true;
          return;
        }
        known += (known.empty() ? "" : ", ") + p.name;
      }
    });
    DISTILL_CHECK(found, "no preset '" << name << "' for method " << method
                                       << (known.empty() ? std::string(" (it publishes none)") : " (known: " + known + ")"));
    return s;
  }

  /// Every (method, preset) pair, for listings and tests.
  std::vector<std::pair<std::string, std::string>> preset_names() const {
    std::vector<std::pair<std::string, std::string>> out;
    for_each_row([&](const auto& row) {
      for (const Preset& p : row.presets) out.emplace_back(row.info.name, p.name);
    });
    return out;
  }

  bool has_preset(const std::string& method, const std::string& name) const {
    for (const auto& [m, n] : preset_names())
      if (m == method && n == name) return true;
    return false;
  }

  /// The settings a run of `method` at `ipc` images per class takes where no preset is
  /// published for its data (an IDX data set, CIFAR-10 at IPC 2): the method's CIFAR-10 preset
  /// at the nearest published IPC (the smaller on a tie), with the data set and IPC replaced; a
  /// method without presets takes its defaults. `origin` receives what was taken.
  DistillSettings nearest_preset_settings(const std::string& method, const std::string& dataset, Index ipc,
                                          std::string* origin = nullptr) const {
    std::string best;
    Index best_ipc = 0;
    for (const auto& [m, n] : preset_names()) {
      const auto [data, k] = preset_data(n);
      if (m != method || data != "cifar10" || k <= 0) continue;
      const Index d = k > ipc ? k - ipc : ipc - k, best_d = best_ipc > ipc ? best_ipc - ipc : ipc - best_ipc;
      if (best.empty() || d < best_d || (d == best_d && k < best_ipc)) {
        best = n;
        best_ipc = k;
      }
    }
    DistillSettings s = best.empty() ? defaults(method) : preset_settings(method, best);
    s.dataset = dataset;
    s.ipc = ipc;
    if (origin)
      *origin = best.empty() ? "the defaults (method " + method + " publishes no presets)"
                             : "the " + method + " preset " + best + " (" + std::to_string(best_ipc) +
                                   " per class on CIFAR-10)";
    return s;
  }

  /// f(method) for the method `s.method` names, built from `s`; returns what f returns (the
  /// same type for every method, as with visit_conv_net).
  template <class F>
  decltype(auto) visit(const DistillSettings& s, F&& f) const {
    SettingsReader r(s);
    return visit_row<0>(s.method, [&](const auto& row) -> decltype(auto) { return row.visit(r, f); });
  }

  /// The fields a run of `s.method` with settings `s` reads: what its maker reads and what
  /// the driver reads (driver_fields). Building the method also checks the settings it reads.
  std::set<std::string> fields_read(const DistillSettings& s) const {
    SettingsReader r(s);
    std::vector<std::string> driver;
    visit_row<0>(s.method, [&](const auto& row) {
      row.visit(r, [&](const auto& method) { driver = driver_fields<std::decay_t<decltype(method)>>(); });
    });
    std::set<std::string> out = r.fields_read();
    out.insert(driver.begin(), driver.end());
    return out;
  }

 private:
  template <class G>
  void for_each_row(G&& g) const {
    std::apply([&](const Rows&... rows) { (g(rows), ...); }, rows_);
  }

  [[noreturn]] void unknown(const std::string& name) const {
    std::string known;
    for (const std::string& n : names()) known += (known.empty() ? "" : ", ") + n;
    detail::throw_error("unknown method '" + name + "' (known: " + known + ")");
  }

  // The first row's result type is every row's: rows are tried in order, the last one past
  // the end reports the unknown name.
  template <std::size_t I, class G>
  decltype(auto) visit_row(const std::string& name, G&& g) const {
    const auto& row = std::get<I>(rows_);
    if constexpr (I + 1 == sizeof...(Rows)) {
      if (row.info.name != name) unknown(name);
      return g(row);
    } else {
      if (row.info.name == name) return g(row);
      return visit_row<I + 1>(name, g);
    }
  }

  std::tuple<Rows...> rows_;
};

template <class... Rows>
MethodRegistry<Rows...> make_registry(Rows... rows) {
  return MethodRegistry<Rows...>(std::move(rows)...);
}

/// The library's methods (docs/design.md §4). Adding one is its header and a row here.
inline const auto& builtin_methods() {
  using F = MethodFamily;
  static const auto registry = make_registry(
      method_row<MTT>("mtt", F::kTrajectoryMatching, true).with_presets(mtt_presets()),
      method_row<TESLA>("tesla", F::kTrajectoryMatching, true).with_presets(tesla_presets()),
      method_row<DATM>("datm", F::kTrajectoryMatching, true).with_presets(datm_presets()),
      method_row<DATM_CLR>("datm-clr", F::kTrajectoryMatching, true).with_presets(datm_clr_presets()),
      method_row<DM, DM_MF>("dm", F::kDistributionMatching, false).with_presets(dm_presets()),
      method_row<TGDD, TGDD_MF>("tgdd", F::kDistributionMatching, true).with_presets(tgdd_presets()));
  return registry;
}

/// The settings of one of the library's presets (builtin_methods().preset_settings).
inline DistillSettings preset_settings(const std::string& method, const std::string& name) {
  return builtin_methods().preset_settings(method, name);
}

}  // namespace distill

#endif  // DISTILL_METHODS_CONFIG_REGISTRY_HPP
