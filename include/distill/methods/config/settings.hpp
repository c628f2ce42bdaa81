#ifndef DISTILL_METHODS_CONFIG_SETTINGS_HPP
#define DISTILL_METHODS_CONFIG_SETTINGS_HPP

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "distill/augment/dsa.hpp"
#include "distill/core/error.hpp"
#include "distill/core/tensor.hpp"
#include "distill/methods/config/settings_table.hpp"

namespace distill {

struct DistillSettings;

/// One field of the settings, as everything that handles settings sees it: JSON in and out
/// (`--set`, `--config`, presets, checkpoints), its check, who reads it and whether a resumed run
/// may change it. The library's fields come from DISTILL_SETTINGS_TABLE (settings_table.hpp); a
/// method declares its own with method_field (registry.hpp's rows).
struct FieldSpec {
  enum Use { kDriver, kDriverLearnsLr, kMethod };
  enum OnResume { kFixed, kMayChange };
  std::string name;
  std::string doc;
  Use use = kMethod;
  OnResume on_resume = kFixed;
  nlohmann::json default_value;
  /// The field's value in `s`, as JSON.
  std::function<nlohmann::json(const DistillSettings& s)> get;
  /// Stores a JSON value, refusing one of the wrong type (the message names the problem).
  std::function<void(DistillSettings& s, const nlohmann::json& value)> set;
  /// Empty when the field's value in `s` is acceptable, else the problem.
  std::function<std::string(const DistillSettings& s)> check;
};

/// Everything a distillation run is configured by: the method, the synthetic set, the outer
/// optimisation, each method's hyper-parameters, evaluation and checkpoints. The members are
/// the library's fields (settings_table.hpp); `extra` holds the values of the fields that the
/// method's registry row declares, `declared` their specs, so settings describe themselves. A
/// preset is one of these; a run stores its settings as JSON in every checkpoint, so `--resume`
/// can refuse to continue with different ones.
struct DistillSettings {
#define DISTILL_SETTING_MEMBER(type, name, value, use, resume, check, doc) type name = value;
  DISTILL_SETTINGS_TABLE(DISTILL_SETTING_MEMBER)
#undef DISTILL_SETTING_MEMBER
  nlohmann::json extra = nlohmann::json::object();  ///< the declared fields' values, by name
  std::vector<FieldSpec> declared;                  ///< the method row's own fields
};

/// The last expert epoch a trajectory-matching run with these settings can read: its latest
/// start epoch (max_start_epoch − 1) plus the expert_epochs it matches towards. Loading
/// experts only up to here (load_experts' keep_epochs) keeps unused checkpoints out of memory.
inline Index last_expert_epoch(Index max_start_epoch, Index expert_epochs) { return max_start_epoch - 1 + expert_epochs; }
inline Index last_expert_epoch(const DistillSettings& s) { return last_expert_epoch(s.max_start_epoch, s.expert_epochs); }

/// The checks of the settings table: each returns the problem, or nothing.
namespace field_checks {
inline std::string named(const std::string& v) { return v.empty() ? "must name a method" : ""; }
inline std::string positive(Index v, const char* note = "") {
  return v > 0 ? "" : std::string("must be positive") + (*note ? std::string(" (") + note + ")" : "");
}
inline std::string positive(double v) {
  return v > 0 && std::isfinite(v) ? "" : "must be positive, got " + std::to_string(v);
}
template <class T>
std::string non_negative(T v, const char* note) {
  return v >= 0 ? "" : std::string("must not be negative") + (*note ? std::string(" (") + note + ")" : "");
}
inline std::string momentum(double v) { return v >= 0 && v < 1 ? "" : "must be in [0, 1), got " + std::to_string(v); }
/// `options` separated by '|': "S|M" reads "is not S or M", longer lists "is not one of a, b, c".
inline std::string one_of(const std::string& v, const std::string& options) {
  std::vector<std::string> list;
  for (std::size_t at = 0;;) {
    const std::size_t bar = options.find('|', at);
    list.push_back(options.substr(at, bar - at));
    if (v == list.back()) return "";
    if (bar == std::string::npos) break;
    at = bar + 1;
  }
  std::string words = list.size() == 2 ? list[0] + " or " + list[1] : "one of ";
  for (std::size_t i = 0; list.size() != 2 && i < list.size(); ++i) words += (i ? ", " : "") + list[i];
  return "'" + v + "' is not " + words;
}
inline std::string dsa_strategy(const std::string& v) {
  try {
    dsa_ops_from_strategy(v);
  } catch (const error& e) {
    return e.what();
  }
  return "";
}
/// DATM's Sequential Generation starts its window's upper bound inside the window's range.
inline std::string sequential_start(const DistillSettings& s) {
  if (s.expansion_end_epoch <= 0) return "";
  return s.current_max_start_epoch > s.min_start_epoch && s.current_max_start_epoch <= s.max_start_epoch
             ? ""
             : "must lie in (min_start_epoch, max_start_epoch] with sequential generation";
}
}  // namespace field_checks

namespace detail {

/// `value` as a T, refusing a JSON value of another kind.
template <class T>
T field_value(const nlohmann::json& value) {
  if constexpr (std::is_same<T, bool>::value) {
    DISTILL_CHECK(value.is_boolean(), "expected true or false");
  } else if constexpr (std::is_unsigned<T>::value) {
    DISTILL_CHECK(value.is_number_unsigned(), "expected a non-negative integer");
  } else if constexpr (std::is_integral<T>::value) {
    DISTILL_CHECK(value.is_number_integer(), "expected an integer");
  } else if constexpr (std::is_floating_point<T>::value) {
    DISTILL_CHECK(value.is_number(), "expected a number");
  } else {
    DISTILL_CHECK(value.is_string(), "expected a string");
  }
  return value.get<T>();
}

}  // namespace detail

/// The library's fields, expanded from DISTILL_SETTINGS_TABLE.
inline const std::vector<FieldSpec>& library_fields() {
  static const std::vector<FieldSpec> table = [] {
    std::vector<FieldSpec> t;
#define DISTILL_SETTING_SPEC(type, name, value, use, resume, check_expr, doc_text)                            \
  t.push_back({#name, doc_text, FieldSpec::use, FieldSpec::resume, nlohmann::json(type(value)),               \
               [](const DistillSettings& s) { return nlohmann::json(s.name); },                               \
               [](DistillSettings& s, const nlohmann::json& j) { s.name = detail::field_value<type>(j); },    \
               [](const DistillSettings& s) {                                                                 \
                 const type& v = s.name;                                                                      \
                 (void)v;                                                                                     \
                 return std::string(check_expr);                                                              \
               }});
    DISTILL_SETTINGS_TABLE(DISTILL_SETTING_SPEC)
#undef DISTILL_SETTING_SPEC
    return t;
  }();
  return table;
}

/// Every field of `s`: the library's, then those its method declares.
inline std::vector<FieldSpec> field_table(const DistillSettings& s) {
  std::vector<FieldSpec> t = library_fields();
  t.insert(t.end(), s.declared.begin(), s.declared.end());
  return t;
}

/// Settings at their defaults with the fields `declared` (a method row's) at theirs.
inline DistillSettings settings_declaring(const std::vector<FieldSpec>& declared) {
  DistillSettings s;
  s.declared = declared;
  for (const FieldSpec& f : declared) s.extra[f.name] = f.default_value;
  return s;
}

inline nlohmann::json to_json(const DistillSettings& s) {
  nlohmann::json j;
  for (const FieldSpec& f : field_table(s)) j[f.name] = f.get(s);
  return j;
}

/// Overwrites the fields present in `j`; a field `s` does not have or a value of the wrong type
/// is an error naming `what` (a preset or file) and the field. Call validate() afterwards.
inline void apply_settings(DistillSettings& s, const nlohmann::json& j, const std::string& what) {
  DISTILL_CHECK(j.is_object(), what << ": expected a JSON object of settings, got " << j.dump());
  const std::vector<FieldSpec> table = field_table(s);
  for (auto it = j.begin(); it != j.end(); ++it) {
    const FieldSpec* f = nullptr;
    for (const FieldSpec& c : table)
      if (c.name == it.key()) f = &c;
    DISTILL_CHECK(f, what << ": unknown field '" << it.key() << "'");
    try {
      f->set(s, it.value());
    } catch (const std::exception& e) {
      DISTILL_CHECK(false, what << ": field '" << it.key() << "': " << e.what() << " (got " << it->dump() << ")");
    }
  }
}

/// Checks every field (the library's and the declared ones); the message names the field.
inline void validate(const DistillSettings& s, const std::string& what) {
  for (const FieldSpec& f : field_table(s)) {
    if (!f.check) continue;
    const std::string problem = f.check(s);
    DISTILL_CHECK(problem.empty(), what << ": field '" << f.name << "': " << problem);
  }
}

/// The fields the Distiller and a run read for every method (the table's kDriver rows), and
/// the step size's optimiser's when the method learns its step size.
template <class Method>
std::vector<std::string> driver_fields() {
  std::vector<std::string> out;
  for (const FieldSpec& f : library_fields())
    if (f.use == FieldSpec::kDriver || (Method::kLearnsLr && f.use == FieldSpec::kDriverLearnsLr))
      out.push_back(f.name);
  return out;
}

/// The settings a checkpoint may be resumed with: every field equal except those the table
/// lets a resumed run change (how long to run, how often to evaluate or to checkpoint).
inline void check_resumable(const DistillSettings& saved, const DistillSettings& now, const std::string& path) {
  const nlohmann::json a = to_json(saved), b = to_json(now);
  for (const FieldSpec& f : field_table(now)) {
    if (f.on_resume == FieldSpec::kMayChange) continue;
    const nlohmann::json was = a.contains(f.name) ? a[f.name] : nlohmann::json();
    DISTILL_CHECK(was == b[f.name], path << ": cannot resume: it was started with " << f.name << " = " << was.dump()
                                         << ", this run has " << b[f.name].dump());
  }
}

/// The distillation-time DSA of validated settings (reference parameters, the listed ops).
inline DsaConfig dsa_config(const DistillSettings& s) {
  DsaConfig c;
  c.ops = dsa_ops_from_strategy(s.augment);
  c.mode = s.augment_mode == "M" ? DsaMode::kAll : DsaMode::kSingle;
  return c;
}

}  // namespace distill

#endif  // DISTILL_METHODS_CONFIG_SETTINGS_HPP
