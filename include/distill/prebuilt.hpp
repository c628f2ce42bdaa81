#ifndef DISTILL_PREBUILT_HPP
#define DISTILL_PREBUILT_HPP

/// @file
/// The specialisations that whole programs use, compiled once.
///
/// A program that distils CIFAR-10 instantiates the same large templates in every translation
/// unit: the nine evaluation architectures with their training loop (`evaluate_set`,
/// `train_experts`) and a `Distiller` per method, on the float CPU network. Each costs tens of
/// seconds of optimised compilation. The CMake target `distill::prebuilt` compiles them once, in
/// a few translation units built in parallel, and defines `DISTILL_USE_PREBUILT` for its users;
/// with that macro this header declares `extern template` those whose templates the translation
/// unit has included before it, so a unit that includes it last (the umbrella
/// `distill/distill.hpp` does) uses the compiled ones instead of instantiating its own. Without
/// the macro it declares nothing: a program that links `distill::distill` alone is unchanged. Specialisations not listed here (other networks,
/// backends or augmentations) are instantiated where they are used, as always.
///
/// Each DISTILL_PREBUILT_* list below takes the keyword that precedes its entries:
/// `extern template` declares them, `template` defines them. The library's translation units
/// define DISTILL_PREBUILT_DEFINE to the number of the group they compile (CMake's
/// `distill_prebuilt_library`, cmake/DistillPrebuilt.cmake).

// A consumer's translation unit: nothing is included here, so that a change to a header the
// unit does not use rebuilds nothing more than before. The library's own translation units
// (DISTILL_PREBUILT_DEFINE set) include what their group needs.
#if defined(DISTILL_PREBUILT_DEFINE)
#if DISTILL_PREBUILT_DEFINE == 1
#include "distill/nn/conv_net.hpp"
#elif DISTILL_PREBUILT_DEFINE == 2
#include "distill/augment/dsa.hpp"
#include "distill/augment/identity.hpp"
#include "distill/train/evaluate.hpp"
#elif DISTILL_PREBUILT_DEFINE == 3
#include "distill/augment/dsa.hpp"
#include "distill/augment/identity.hpp"
#include "distill/data/preprocess.hpp"
#include "distill/train/experts.hpp"
#else
#include "distill/methods/driver/run_method.hpp"
#include "distill/train/prepare_data.hpp"
#endif
#endif

/// Group 1: the float CPU networks of the evaluation architectures (visit_conv_net) and the
/// reference ConvNet-3 of the examples.
#define DISTILL_PREBUILT_NETS(X)                                                   \
  X class ConvNet<float, Dynamic, Dynamic, norm::Instance, pool::Avg, cpu::Backend>; \
  X class ConvNet<float, Dynamic, Dynamic, norm::Instance, pool::Max, cpu::Backend>; \
  X class ConvNet<float, Dynamic, Dynamic, norm::Instance, pool::None, cpu::Backend>; \
  X class ConvNet<float, Dynamic, Dynamic, norm::Batch, pool::Avg, cpu::Backend>;    \
  X class ConvNet<float, Dynamic, Dynamic, norm::Batch, pool::Max, cpu::Backend>;    \
  X class ConvNet<float, Dynamic, Dynamic, norm::Batch, pool::None, cpu::Backend>;   \
  X class ConvNet<float, Dynamic, Dynamic, norm::None, pool::Avg, cpu::Backend>;     \
  X class ConvNet<float, Dynamic, Dynamic, norm::None, pool::Max, cpu::Backend>;     \
  X class ConvNet<float, Dynamic, Dynamic, norm::None, pool::None, cpu::Backend>;    \
  X class ConvNet<float, 3, 128, norm::Instance, pool::Avg, cpu::Backend>;

/// Group 2: the evaluation protocol on the CPU.
#define DISTILL_PREBUILT_EVALUATE(X)                                                                   \
  X EvalResult evaluate_set<cpu::Backend, float, Dsa<float>>(                                         \
      const EvalConfig&, ConstView<float>, const Labels<float>&, Index, const Dataset<float>&,         \
      const Dsa<float>&, const std::function<void(Index, double)>&, const Communicator&);              \
  X EvalResult evaluate_set<cpu::Backend, float, IdentityAugment>(                                    \
      const EvalConfig&, ConstView<float>, const Labels<float>&, Index, const Dataset<float>&,         \
      const IdentityAugment&, const std::function<void(Index, double)>&, const Communicator&);

/// Group 3: expert training on the CPU.
#define DISTILL_PREBUILT_EXPERTS(X)                                                                   \
  X void train_experts<cpu::Backend, Dsa<float>>(const ExpertConfig&, const DatasetSplits<float>&,     \
                                                 const Preprocessing<float>&, const std::string&,      \
                                                 const Dsa<float>&,                                    \
                                                 const std::function<void(const ExpertEpoch&)>&,       \
                                                 const Communicator&);                                 \
  X void train_experts<cpu::Backend, IdentityAugment>(                                                 \
      const ExpertConfig&, const DatasetSplits<float>&, const Preprocessing<float>&, const std::string&, \
      const IdentityAugment&, const std::function<void(const ExpertEpoch&)>&, const Communicator&);

/// Group 4: the trajectory-matching methods on the distillation network (run_method) and the
/// quick start's DATM-CLR on ConvNet-3.
#define DISTILL_PREBUILT_TRAJECTORY_MATCHING(X) \
  X class Distiller<MTT, DistillNet>;           \
  X class Distiller<TESLA, DistillNet>;         \
  X class Distiller<DATM, DistillNet>;          \
  X class Distiller<DATM_CLR, DistillNet>;      \
  X class Distiller<DATM_CLR, ConvNet3<float>>;

/// Group 5: the distribution-matching methods, likewise, and the TGDD example's ConvNet-3.
#define DISTILL_PREBUILT_DISTRIBUTION_MATCHING(X) \
  X class Distiller<DM, DistillNet>;              \
  X class Distiller<DM_MF, DistillNet>;           \
  X class Distiller<TGDD, DistillNet>;            \
  X class Distiller<TGDD_MF, DistillNet>;         \
  X class Distiller<TGDD, ConvNet3<float>>;

/// The number of groups, for the CMake function that compiles them.
#define DISTILL_PREBUILT_GROUPS 5

#endif  // DISTILL_PREBUILT_HPP

// Each group is declared when the headers of its templates are in the translation unit (their
// include guards say so), as `template` in its own translation unit and `extern template`
// everywhere else. This part is outside the include guard and declares each group once: a unit
// that includes the header again after more headers (a unity build joins several sources into
// one unit, each including it last) declares the groups that have become available since.
#if defined(DISTILL_USE_PREBUILT) || defined(DISTILL_PREBUILT_DEFINE)
#ifndef DISTILL_PREBUILT_DEFINE
#define DISTILL_PREBUILT_DEFINE 0
#endif
#if defined(DISTILL_NN_CONV_NET_HPP) && !defined(DISTILL_PREBUILT_DECLARED_1)
#define DISTILL_PREBUILT_DECLARED_1
namespace distill {
#if DISTILL_PREBUILT_DEFINE == 1
DISTILL_PREBUILT_NETS(template)
#else
DISTILL_PREBUILT_NETS(extern template)
#endif
}  // namespace distill
#endif
#if defined(DISTILL_TRAIN_EVALUATE_HPP) && defined(DISTILL_AUGMENT_DSA_HPP) && \
    defined(DISTILL_AUGMENT_IDENTITY_HPP) && !defined(DISTILL_PREBUILT_DECLARED_2)
#define DISTILL_PREBUILT_DECLARED_2
namespace distill {
#if DISTILL_PREBUILT_DEFINE == 2
DISTILL_PREBUILT_EVALUATE(template)
#else
DISTILL_PREBUILT_EVALUATE(extern template)
#endif
}  // namespace distill
#endif
#if defined(DISTILL_TRAIN_EXPERTS_HPP) && defined(DISTILL_AUGMENT_DSA_HPP) && \
    defined(DISTILL_AUGMENT_IDENTITY_HPP) && !defined(DISTILL_PREBUILT_DECLARED_3)
#define DISTILL_PREBUILT_DECLARED_3
namespace distill {
#if DISTILL_PREBUILT_DEFINE == 3
DISTILL_PREBUILT_EXPERTS(template)
#else
DISTILL_PREBUILT_EXPERTS(extern template)
#endif
}  // namespace distill
#endif
// DistillNet: driver/run_method.hpp includes every method and the Distiller.
#if defined(DISTILL_METHODS_RUN_HPP) && !defined(DISTILL_PREBUILT_DECLARED_4)
#define DISTILL_PREBUILT_DECLARED_4
namespace distill {
#if DISTILL_PREBUILT_DEFINE == 4
DISTILL_PREBUILT_TRAJECTORY_MATCHING(template)
#else
DISTILL_PREBUILT_TRAJECTORY_MATCHING(extern template)
#endif
#if DISTILL_PREBUILT_DEFINE == 5
DISTILL_PREBUILT_DISTRIBUTION_MATCHING(template)
#else
DISTILL_PREBUILT_DISTRIBUTION_MATCHING(extern template)
#endif
}  // namespace distill
#endif
#endif
