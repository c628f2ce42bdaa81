#ifndef DISTILL_METHODS_CONFIG_METHOD_SETTINGS_HPP
#define DISTILL_METHODS_CONFIG_METHOD_SETTINGS_HPP

#include <set>
#include <string>

#include "distill/core/error.hpp"
#include "distill/methods/config/settings.hpp"
#include "distill/methods/distribution_matching/distribution_matching.hpp"
#include "distill/methods/distribution_matching/formations.hpp"
#include "distill/methods/distribution_matching/stage_constraints.hpp"
#include "distill/methods/distribution_matching/stage_samplers.hpp"
#include "distill/methods/initialize.hpp"
#include "distill/methods/trajectory_matching/contrastive_update.hpp"
#include "distill/methods/trajectory_matching/label_policies.hpp"
#include "distill/methods/trajectory_matching/trajectory_matching.hpp"
#include "distill/methods/trajectory_matching/windows.hpp"

namespace distill {

/// Read access to DistillSettings, one accessor per field, that records the fields read. The
/// methods' makers below read through it, so "the fields a method reads" is what its maker
/// actually read, not a list kept beside it; a setting the user gave that the chosen method
/// never reads can then be refused by name (resolve_settings.hpp).
class SettingsReader {
 public:
  explicit SettingsReader(const DistillSettings& settings) : s_(settings) {}

#define DISTILL_READ_FIELD(type, f, value, use, resume, check, doc) \
  const type& f() {                                                 \
    read_.insert(#f);                                               \
    return s_.f;                                                    \
  }
  DISTILL_SETTINGS_TABLE(DISTILL_READ_FIELD)
#undef DISTILL_READ_FIELD

  /// A field the method's registry row declares (method_field), as a T; a name it does not
  /// declare is an error.
  template <class T>
  T field(const std::string& name) {
    DISTILL_CHECK(s_.extra.contains(name), "method " << s_.method << " reads field '" << name
                                                    << "', which its registry row does not declare");
    read_.insert(name);
    try {
      return detail::field_value<T>(s_.extra[name]);
    } catch (const std::exception& e) {
      DISTILL_CHECK(false, "field '" << name << "': " << e.what());
    }
    return T();
  }

  /// For messages; not a read.
  const std::string& method_name() const { return s_.method; }
  const std::set<std::string>& fields_read() const { return read_; }

 private:
  const DistillSettings& s_;
  std::set<std::string> read_;
};

/// Names a policy type for overload resolution.
template <class P>
struct PolicyTag {};

// The one place settings reach the library's policies: each overload reads the fields its
// policy needs and passes them to the policy's typed constructor. A user policy joins by an
// overload of policy_from_settings(PolicyTag<P>, SettingsReader&) in its own namespace
// (found by argument-dependent lookup), or by the maker of its registry row (registry.hpp).

inline FixedWindow policy_from_settings(PolicyTag<FixedWindow>, SettingsReader& r) {
  const Index max = r.max_start_epoch();
  return FixedWindow(max, r.min_start_epoch());
}

/// Without Sequential Generation (expansion_end_epoch = 0) the window is fixed at
/// [min_start_epoch, max_start_epoch), as DATM's configs that turn it off.
inline DifficultyAligned policy_from_settings(PolicyTag<DifficultyAligned>, SettingsReader& r) {
  const Index min = r.min_start_epoch(), max = r.max_start_epoch(), end = r.expansion_end_epoch();
  const Index current = r.current_max_start_epoch();
  if (end <= 0) return DifficultyAligned(min, max, max, 1);
  return DifficultyAligned(min, current, max, end);
}

inline HardLabels policy_from_settings(PolicyTag<HardLabels>, SettingsReader& r) {
  DISTILL_CHECK(r.lr_label() == 0,
                "field 'lr_label': method " << r.method_name() << " uses fixed hard labels, so it must be 0");
  return {};
}

inline LearnedSoftLabels policy_from_settings(PolicyTag<LearnedSoftLabels>, SettingsReader& r) {
  DISTILL_CHECK(r.lr_label() > 0,
                "field 'lr_label': method " << r.method_name() << " learns its labels, so it must be positive");
  return LearnedSoftLabels(r.lr_label(), r.label_momentum());
}

inline NoOuterTerm policy_from_settings(PolicyTag<NoOuterTerm>, SettingsReader& r) {
  DISTILL_CHECK(!r.update(), "field 'update': method " << r.method_name() << " has no Contrastive Update");
  return {};
}

/// λ = update_weight when `update` is on, else 0 (off: no work is done).
inline ContrastiveUpdate policy_from_settings(PolicyTag<ContrastiveUpdate>, SettingsReader& r) {
  const bool on = r.update();
  const double weight = r.update_weight();
  const Contrast kind = parse_contrast(r.contrast());
  return ContrastiveUpdate(on ? weight : 0, kind, r.temperature());
}

inline RandomInit policy_from_settings(PolicyTag<RandomInit>, SettingsReader&) { return {}; }

inline TrajectoryStage policy_from_settings(PolicyTag<TrajectoryStage>, SettingsReader& r) {
  return TrajectoryStage(r.stage_region());
}

inline NoConstraint policy_from_settings(PolicyTag<NoConstraint>, SettingsReader& r) {
  DISTILL_CHECK(r.alpha() == 0,
                "field 'alpha': method " << r.method_name() << " has no distribution constraint, so it must be 0");
  return {};
}

inline StageCrossEntropy policy_from_settings(PolicyTag<StageCrossEntropy>, SettingsReader& r) {
  return StageCrossEntropy(r.alpha());
}

inline SingleFormation policy_from_settings(PolicyTag<SingleFormation>, SettingsReader& r) {
  DISTILL_CHECK(r.factor() == 1, "field 'factor': " << r.factor()
                                                    << " asks for the multi-formation parameterisation, which this "
                                                       "method's type does not have (use MultiFormation)");
  return {};
}

inline MultiFormation policy_from_settings(PolicyTag<MultiFormation>, SettingsReader& r) {
  DISTILL_CHECK(r.factor() >= 2, "field 'factor': MultiFormation needs a factor of at least 2, got " << r.factor());
  return MultiFormation(r.factor());
}

template <class Window, class Labels, class Extra, class Gradient>
TrajectoryMatching<Window, Labels, Extra, Gradient> policy_from_settings(
    PolicyTag<TrajectoryMatching<Window, Labels, Extra, Gradient>>, SettingsReader& r) {
  DISTILL_CHECK(r.factor() == 1, "field 'factor': method " << r.method_name()
                                                           << " has no multi-formation parameterisation");
  typename TrajectoryMatching<Window, Labels, Extra, Gradient>::Config c;
  c.syn_steps = r.syn_steps();
  c.expert_epochs = r.expert_epochs();
  c.batch_syn = r.batch_syn();
  c.threshold = r.threshold();
  c.trajectories = r.trajectories();
  c.unroll_memory = r.unroll_memory();
  c.inner.fusion = r.fusion();
  c.inner.fusion_weight = r.fusion_weight();
  c.inner.contrast = parse_contrast(r.contrast());
  c.inner.temperature = r.temperature();
  c.init = parse_image_init(r.init());
  Window window = policy_from_settings(PolicyTag<Window>{}, r);
  Labels labels = policy_from_settings(PolicyTag<Labels>{}, r);
  Extra extra = policy_from_settings(PolicyTag<Extra>{}, r);
  return TrajectoryMatching<Window, Labels, Extra, Gradient>(c, window, labels, extra);
}

template <class Sampler, class Constraint, class Formation>
DistributionMatching<Sampler, Constraint, Formation> policy_from_settings(
    PolicyTag<DistributionMatching<Sampler, Constraint, Formation>>, SettingsReader& r) {
  typename DistributionMatching<Sampler, Constraint, Formation>::Config c;
  c.batch_real = r.batch_real();
  c.per_class_steps = r.per_class_steps();
  c.init = parse_image_init(r.init());
  DISTILL_CHECK(c.init != ImageInit::kCorrect,
                "field 'init': " << r.method_name() << " starts from real or noise images");
  Sampler sampler = policy_from_settings(PolicyTag<Sampler>{}, r);
  Constraint constraint = policy_from_settings(PolicyTag<Constraint>{}, r);
  Formation formation = policy_from_settings(PolicyTag<Formation>{}, r);
  return DistributionMatching<Sampler, Constraint, Formation>(c, sampler, constraint, formation);
}

/// The policy P built from settings, recording the fields read in `r`.
template <class P>
P from_settings(SettingsReader& r) {
  return policy_from_settings(PolicyTag<P>{}, r);
}

/// The policy P built from settings.
template <class P>
P from_settings(const DistillSettings& s) {
  SettingsReader r(s);
  return from_settings<P>(r);
}

}  // namespace distill

#endif  // DISTILL_METHODS_CONFIG_METHOD_SETTINGS_HPP
