#ifndef DISTILL_TESTS_SUPPORT_PREBUILT_HPP
#define DISTILL_TESTS_SUPPORT_PREBUILT_HPP

// The specialisations many test sources share, compiled once into the test-support library
// (tests/CMakeLists.txt) in the way distill/prebuilt.hpp does it for the programs: the toy
// network every method's test distils with, a Distiller per built-in method on it, and the
// double networks of the gradient checks. A test source that uses them includes this header
// after its other includes; the groups whose templates (and the toy network's header) it has
// included are then declared extern, and it instantiates none of them itself. As in
// distill/prebuilt.hpp, the declarations are outside the include guard and each is made once,
// so the sources of a unity build (tests/CMakeLists.txt) each declare what they have added.

// As distill/prebuilt.hpp: a test source's includes decide which groups it is declared; the
// library's translation units include what their group needs.
#if defined(DISTILL_TEST_PREBUILT_DEFINE)
#include "distill/augment/identity.hpp"
#include "distill/train/trainer.hpp"
#include "support/toy_experts.hpp"
#if DISTILL_TEST_PREBUILT_DEFINE == 2
#include "distill/methods/driver/distiller.hpp"
#include "distill/methods/trajectory_matching/trajectory_matching.hpp"
#elif DISTILL_TEST_PREBUILT_DEFINE == 3
#include "distill/methods/distribution_matching/distribution_matching.hpp"
#include "distill/methods/driver/distiller.hpp"
#endif
#endif

// Group 1: the networks and the toy experts' training loop.
#define DISTILL_TEST_PREBUILT_NETS(X)                                     \
  X class ConvNet<float, 1, 4, norm::Instance, pool::Avg, cpu::Backend>; \
  X class ConvNet<double, 2, 4, norm::Instance, pool::Avg, cpu::Backend>;
#define DISTILL_TEST_PREBUILT_TOY_TRAINING(X)                                                    \
  X void train_network<test::ToyNet, IdentityAugment, float>(                                    \
      test::ToyNet&, Vector<float>&, ConstView<float>, const Labels<float>&, const TrainConfig&, \
      const IdentityAugment&, const std::function<void(const EpochStats&)>&);

// Group 2: trajectory matching on the toy network.
#define DISTILL_TEST_PREBUILT_TRAJECTORY_MATCHING(X) \
  X class Distiller<MTT, test::ToyNet>;              \
  X class Distiller<TESLA, test::ToyNet>;            \
  X class Distiller<DATM, test::ToyNet>;             \
  X class Distiller<DATM_CLR, test::ToyNet>;

// Group 3: distribution matching on the toy network.
#define DISTILL_TEST_PREBUILT_DISTRIBUTION_MATCHING(X) \
  X class Distiller<DM, test::ToyNet>;                 \
  X class Distiller<DM_MF, test::ToyNet>;              \
  X class Distiller<TGDD, test::ToyNet>;               \
  X class Distiller<TGDD_MF, test::ToyNet>;

// The number of groups, for the CMake function that compiles them.
#define DISTILL_TEST_PREBUILT_GROUPS 3

#endif  // DISTILL_TESTS_SUPPORT_PREBUILT_HPP

// The library's own groups, for the headers included so far.
#include "distill/prebuilt.hpp"

#ifndef DISTILL_TEST_PREBUILT_DEFINE
#define DISTILL_TEST_PREBUILT_DEFINE 0
#endif
#if defined(DISTILL_NN_CONV_NET_HPP) && !defined(DISTILL_TEST_PREBUILT_DECLARED_NETS)
#define DISTILL_TEST_PREBUILT_DECLARED_NETS
namespace distill {
#if DISTILL_TEST_PREBUILT_DEFINE == 1
DISTILL_TEST_PREBUILT_NETS(template)
#else
DISTILL_TEST_PREBUILT_NETS(extern template)
#endif
}  // namespace distill
#endif
#if defined(DISTILL_TESTS_SUPPORT_TOY_EXPERTS_HPP) && !defined(DISTILL_TEST_PREBUILT_DECLARED_TOY_TRAINING)
#define DISTILL_TEST_PREBUILT_DECLARED_TOY_TRAINING
namespace distill {
#if DISTILL_TEST_PREBUILT_DEFINE == 1
DISTILL_TEST_PREBUILT_TOY_TRAINING(template)
#else
DISTILL_TEST_PREBUILT_TOY_TRAINING(extern template)
#endif
}  // namespace distill
#endif
#if defined(DISTILL_TESTS_SUPPORT_TOY_EXPERTS_HPP) && defined(DISTILL_METHODS_DISTILLER_HPP) && \
    defined(DISTILL_METHODS_TRAJECTORY_MATCHING_HPP) && !defined(DISTILL_TEST_PREBUILT_DECLARED_2)
#define DISTILL_TEST_PREBUILT_DECLARED_2
namespace distill {
#if DISTILL_TEST_PREBUILT_DEFINE == 2
DISTILL_TEST_PREBUILT_TRAJECTORY_MATCHING(template)
#else
DISTILL_TEST_PREBUILT_TRAJECTORY_MATCHING(extern template)
#endif
}  // namespace distill
#endif
#if defined(DISTILL_TESTS_SUPPORT_TOY_EXPERTS_HPP) && defined(DISTILL_METHODS_DISTILLER_HPP) && \
    defined(DISTILL_METHODS_DISTRIBUTION_MATCHING_HPP) && !defined(DISTILL_TEST_PREBUILT_DECLARED_3)
#define DISTILL_TEST_PREBUILT_DECLARED_3
namespace distill {
#if DISTILL_TEST_PREBUILT_DEFINE == 3
DISTILL_TEST_PREBUILT_DISTRIBUTION_MATCHING(template)
#else
DISTILL_TEST_PREBUILT_DISTRIBUTION_MATCHING(extern template)
#endif
}  // namespace distill
#endif
