#ifndef DISTILL_METHODS_REGISTRY_HPP
#define DISTILL_METHODS_REGISTRY_HPP

#include <cstddef>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "distill/core/error.hpp"
#include "distill/methods/distribution_matching.hpp"
#include "distill/methods/method_settings.hpp"
#include "distill/methods/settings.hpp"
#include "distill/methods/trajectory_matching.hpp"

namespace distill {

/// What kind of method a row is: it decides which expert epochs a run loads (load_experts_for,
/// run.hpp).
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

/// One row of a method registry: the name a run is asked for, its family, whether it needs
/// expert trajectories, its policy type and how settings become one (`make`, which reads
/// through a SettingsReader). `MultiFormationMethod` (void: none) is the type a run with
/// factor > 1 uses instead, IDC's multi-formation parameterisation of the same method.
template <class Method, class MultiFormationMethod = void>
struct MethodRow {
  using method_type = Method;
  using multi_formation_type = MultiFormationMethod;
  MethodInfo info;
  Method (*make)(SettingsReader&);

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
  return {{std::move(name), family, needs_experts}, [](SettingsReader& r) { return from_settings<Method>(r); }};
}

/// A row for a method with its own maker: typically a lambda that reads the fields the method
/// takes and calls its constructor, e.g. `[](SettingsReader& r) { return M(r.batch_real()); }`.
template <class Method>
MethodRow<Method> method_row(std::string name, MethodFamily family, bool needs_experts,
                             Method (*make)(SettingsReader&)) {
  return {{std::move(name), family, needs_experts}, make};
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
      method_row<MTT>("mtt", F::kTrajectoryMatching, true), method_row<TESLA>("tesla", F::kTrajectoryMatching, true),
      method_row<DATM>("datm", F::kTrajectoryMatching, true),
      method_row<DATM_CLR>("datm-clr", F::kTrajectoryMatching, true),
      method_row<DM, DM_MF>("dm", F::kDistributionMatching, false),
      method_row<TGDD, TGDD_MF>("tgdd", F::kDistributionMatching, true));
  return registry;
}

}  // namespace distill

#endif  // DISTILL_METHODS_REGISTRY_HPP
