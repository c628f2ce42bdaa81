#ifndef DISTILL_METHODS_METHOD_HPP
#define DISTILL_METHODS_METHOD_HPP

#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "distill/augment/dsa.hpp"
#include "distill/cluster/communicator.hpp"
#include "distill/data/dataset.hpp"
#include "distill/data/synthetic_set.hpp"
#include "distill/train/experts.hpp"

namespace distill {

/// Gradients of an outer (distillation) loss with respect to the synthetic set's variables, in
/// the memory space of the backend that computed them.
template <class Scalar, class Space = HostSpace>
struct SyntheticGradients {
  Tensor<Scalar, Space> images;        ///< [N, C, H, W]
  Tensor<Scalar, Space> label_logits;  ///< [N, K] when the labels are soft, else empty
  double lr = 0;                       ///< ∂L/∂α
};

/// What one step of an outer iteration (iterate(iteration, step, …)) reports to the driver,
/// which keeps an IterationRecord (distiller.hpp) of each whole iteration.
struct StepReport {
  double loss = 0;       ///< the outer loss (matching loss plus any extra term)
  bool skipped = false;  ///< the driver leaves the set unchanged (DATM's loss threshold)
  nlohmann::json info = nlohmann::json::object();  ///< method-specific figures for the log
  /// A State that shards by class (distribute returned kClasses): this step's loss terms of
  /// this rank's classes, as (class, term); the driver adds every class's term in class order.
  std::vector<std::pair<Index, double>> class_losses;
};

/// How a State spreads its work over the ranks of a Communicator (its optional member
/// `Sharding distribute(const Communicator&)`; without it, every rank does all the work).
///   kReplicated: every rank computes the whole gradient (the State may split it internally and
///     combine in a fixed order, as trajectory matching's segments; one process's bits).
///   kClasses: each rank computes the gradient of its classes only (owner_block), zero for the
///     other rows, and reports its classes' loss terms; before the set is evaluated or written
///     the driver takes every class's rows of the set and of its velocity from the class's
///     owner. A class's rows depend on nothing else, so the result is one process's.
enum class Sharding { kReplicated, kClasses };

/// The contract between Distiller and a method policy. A method M provides
///   static constexpr bool kLearnsLr, kLearnsLabels;   // which outer variables it learns
///   double label_lr() const; double label_momentum() const;  // label optimiser (if learned)
///   template <class Net> class State {
///     State(const M&, Net&, const ExpertSet&, const Dataset<float>& train, const Dsa<float>&);
///     void initialize(SyntheticSet&, Index per_class, std::uint64_t seed);
///     Index steps_per_iteration() const;  // image updates per iteration (TGDD: one per class)
///     StepReport iterate(Index iteration, Index step, std::uint64_t seed, const SyntheticSet&,
///                             SyntheticGradients<float>&);   // 0-based iteration and step
///   };
/// Its hyper-parameters are typed constructor arguments: settings reach them in one place,
/// the maker of the method's registry row (method_settings.hpp, registry.hpp).
/// The driver calls iterate for step 0 … steps_per_iteration() − 1 of every iteration and
/// updates the set after each.
/// Everything random in an iteration must come from (seed, iteration), so that resuming from
/// a checkpoint reproduces an uninterrupted run. Optionally the State spreads its work over
/// ranks: `Sharding distribute(const Communicator&)` (see Sharding).
namespace detail {

template <class State, class = void>
struct HasDistribute : std::false_type {};
template <class State>
struct HasDistribute<State, std::void_t<decltype(Sharding(std::declval<State&>().distribute(
                                std::declval<const Communicator&>())))>> : std::true_type {};

}  // namespace detail

template <class M, class Net>
struct MethodChecks {
 private:
  template <class T>
  static auto has_state(int) -> decltype(std::declval<typename T::template State<Net>&>(), std::true_type{});
  template <class T>
  static std::false_type has_state(...);
  template <class T>
  static auto has_flags(int) -> decltype(bool(T::kLearnsLr), bool(T::kLearnsLabels), std::declval<const T&>().label_lr(),
                                         std::declval<const T&>().label_momentum(), std::true_type{});
  template <class T>
  static std::false_type has_flags(...);
  template <class S>
  static auto has_iterate(int)
      -> decltype(std::declval<S&>().initialize(std::declval<SyntheticSet&>(), Index{}, std::uint64_t{}),
                  Index(std::declval<const S&>().steps_per_iteration()),
                  StepReport(std::declval<S&>().iterate(Index{}, Index{}, std::uint64_t{},
                                                             std::declval<const SyntheticSet&>(),
                                                             std::declval<SyntheticGradients<float>&>())),
                  std::true_type{});
  template <class S>
  static std::false_type has_iterate(...);

 public:
  static constexpr bool kState = decltype(has_state<M>(0))::value;
  static constexpr bool kFlags = decltype(has_flags<M>(0))::value;
  static constexpr bool check() {
    static_assert(kState, "Distiller: the method has no nested `template <class Net> class State` (see methods/method.hpp)");
    static_assert(kFlags, "Distiller: the method must declare `static constexpr bool kLearnsLr, kLearnsLabels` and "
                          "`label_lr()`, `label_momentum()`");
    return true;
  }
  template <class S>
  static constexpr bool check_state() {
    static_assert(decltype(has_iterate<S>(0))::value,
                  "Distiller: the method's State needs `initialize(SyntheticSet&, Index, std::uint64_t)` and "
                  "`Index steps_per_iteration() const` and "
                  "`StepReport iterate(Index, Index, std::uint64_t, const SyntheticSet&, SyntheticGradients<float>&)`");
    return true;
  }
};

}  // namespace distill

#endif  // DISTILL_METHODS_METHOD_HPP
