#ifndef DISTILL_METHODS_DISTRIBUTION_MATCHING_STAGE_SAMPLERS_HPP
#define DISTILL_METHODS_DISTRIBUTION_MATCHING_STAGE_SAMPLERS_HPP

#include <algorithm>

#include <nlohmann/json.hpp>

#include "distill/core/rng.hpp"
#include "distill/methods/config/settings_table.hpp"
#include "distill/train/experts.hpp"

namespace distill {

/// The networks of one distribution-matching iteration: the feature extractor θ_s whose
/// embeddings are matched and the later expert θ_t the constraint classifies with.
struct Stage {
  const Vector<float>* extractor = nullptr;
  const Vector<float>* expert = nullptr;
  nlohmann::json info = nlohmann::json::object();
};

/// DM (Zhao & Bilen, WACV 2023): a fresh randomly initialised network every iteration, from the
/// iteration's own seed. A stage sampler has `template <class Net> Stage sample(Index iteration,
/// Rng&, Net&, const ExpertSet&)` and `Index epochs_needed()` (0: no experts needed).
class RandomInit {
 public:
  Index epochs_needed() const { return 0; }

  template <class Net>
  Stage sample(Index /*iteration*/, Rng& rng, Net& net, const ExpertSet& /*experts*/) {
    theta_ = net.init_params(rng.next_u64());
    Stage s;
    s.extractor = s.expert = &theta_;
    return s;
  }

 private:
  Vector<float> theta_;
};

/// TGDD (Ran et al., AAAI 2026): expert m uniform, stage s uniform in {0, …, M} (inclusive; s = 0
/// is the untrained network, i.e. DM), and the constraint's later stage t uniform in
/// {s, …, min(s + L − 1, M)}, L = the expert region (7 in the paper).
class TrajectoryStage {
 public:
  explicit TrajectoryStage(Index region = setting_defaults::stage_region) : region_(region) {
    DISTILL_CHECK(region > 0, "TrajectoryStage: the expert region must be positive, got " << region);
  }
  Index region() const { return region_; }
  Index epochs_needed() const { return 1; }

  /// (m, s, t) for the given number of experts and last epoch M.
  struct Draw {
    Index expert, stage, later;
  };
  Draw draw(Rng& rng, Index experts, Index last_epoch) const {
    Draw d;
    d.expert = Index(rng.below(std::uint64_t(experts)));
    d.stage = Index(rng.below(std::uint64_t(last_epoch + 1)));
    const Index hi = std::min(d.stage + region_ - 1, last_epoch);
    d.later = d.stage + Index(rng.below(std::uint64_t(hi - d.stage + 1)));
    return d;
  }

  template <class Net>
  Stage sample(Index /*iteration*/, Rng& rng, Net& /*net*/, const ExpertSet& experts) {
    const Draw d = draw(rng, experts.size(), experts.epochs());
    Stage s;
    s.extractor = &experts.checkpoints[d.expert][d.stage];
    s.expert = &experts.checkpoints[d.expert][d.later];
    s.info = {{"expert", d.expert}, {"stage", d.stage}, {"later_stage", d.later}};
    return s;
  }

 private:
  Index region_;
};

}  // namespace distill

#endif  // DISTILL_METHODS_DISTRIBUTION_MATCHING_STAGE_SAMPLERS_HPP
