#ifndef DISTILL_TESTS_SUPPORT_TOY_DISTILL_HPP
#define DISTILL_TESTS_SUPPORT_TOY_DISTILL_HPP

// One Distiller run of a method on the toy problem (support/toy_experts.hpp), writing into
// `dir`: what the methods' resume and equivalence tests repeat.

#include <functional>
#include <string>
#include <utility>

#include "distill/methods/config/method_settings.hpp"
#include "distill/methods/driver/distiller.hpp"
#include "support/toy_experts.hpp"

namespace distill::test {

template <class Method>
DistillResult distill_toy(ToyDistillation& t, const DistillSettings& s, const std::string& dir, bool resume = false,
                          std::function<void(const IterationRecord&)> on_iteration = {}) {
  DistillerOptions opt;
  opt.out_dir = dir;
  opt.resume = resume;
  opt.on_iteration = std::move(on_iteration);
  return Distiller<Method, ToyNet>(from_settings<Method>(s), s, t.net, t.data, t.experts, t.dsa, opt).run();
}

}  // namespace distill::test

#endif  // DISTILL_TESTS_SUPPORT_TOY_DISTILL_HPP
