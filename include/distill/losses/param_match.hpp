#ifndef DISTILL_LOSSES_PARAM_MATCH_HPP
#define DISTILL_LOSSES_PARAM_MATCH_HPP

#include <Eigen/Core>

#include "distill/core/macros.hpp"
#include "distill/core/tensor.hpp"

namespace distill {
namespace detail {

/// (a[i] − b[i])² in double.
template <class T>
struct SquaredDifference {
  const T* a;
  const T* b;
  DISTILL_HOST_DEVICE double operator()(Index i) const {
    const double d = double(a[i]) - double(b[i]);
    return d * d;
  }
};

/// g[i] = (a[i] − b[i])·scale.
template <class T>
struct ScaledDifference {
  T scale;
  const T* a;
  const T* b;
  T* g;
  DISTILL_HOST_DEVICE void operator()(Index i) const { g[i] = (a[i] - b[i]) * scale; }
};

}  // namespace detail

/// The normalised parameter distance of trajectory matching, ‖a − b‖² / ‖c − b‖²
/// (a: student after N steps, b: the expert target θ*, c: the student's start θ_0; MTT's loss).
/// The denominator is a constant of the outer problem, so only ∂/∂a = 2(a − b)/‖c − b‖² is
/// offered; it is written to grad_a when that is non-null.
template <class Scalar>
Scalar normalized_param_distance(const Eigen::Ref<const Vector<Scalar>>& a,
                                 const Eigen::Ref<const Vector<Scalar>>& b,
                                 const Eigen::Ref<const Vector<Scalar>>& c,
                                 Vector<Scalar>* grad_a = nullptr) {
  DISTILL_CHECK(a.size() == b.size() && c.size() == b.size(),
                "normalized_param_distance: vector sizes differ (" << a.size() << ", " << b.size()
                                                                   << ", " << c.size() << ")");
  const double den = (c.template cast<double>() - b.template cast<double>()).squaredNorm();
  DISTILL_CHECK(den > 0, "normalized_param_distance: start and target are identical, "
                         "the denominator ‖c − b‖² is zero");
  const double num = (a.template cast<double>() - b.template cast<double>()).squaredNorm();
  if (grad_a) *grad_a = ((a - b) * Scalar(2.0 / den)).eval();
  return static_cast<Scalar>(num / den);
}

/// The same distance on n values in a backend's memory space, in parts, so that a loop of steps
/// can leave its sums on the device and read them back with everything else at once:
/// queue_sums writes ‖c − b‖² and ‖a − b‖² (in double, by the backend's deterministic sum) to
/// sums[0] and sums[1] in the backend's memory; value makes the distance of their host copies;
/// gradient writes 2(a − b)/‖c − b‖² to grad.
namespace param_distance {

template <class Backend, class Scalar>
void queue_sums(Index n, const Scalar* a, const Scalar* b, const Scalar* c, double* sums) {
  Backend::sum_to(n, detail::SquaredDifference<Scalar>{c, b}, sums);
  Backend::sum_to(n, detail::SquaredDifference<Scalar>{a, b}, sums + 1);
}

template <class Scalar>
Scalar value(const double* sums) {
  DISTILL_CHECK(sums[0] > 0, "normalized_param_distance: start and target are identical, "
                             "the denominator ‖c − b‖² is zero");
  return static_cast<Scalar>(sums[1] / sums[0]);
}

template <class Backend, class Scalar>
void gradient(Index n, const Scalar* a, const Scalar* b, double denominator, Scalar* grad) {
  Backend::for_each(n, detail::ScaledDifference<Scalar>{Scalar(2.0 / denominator), a, b, grad});
}

}  // namespace param_distance

}  // namespace distill

#endif  // DISTILL_LOSSES_PARAM_MATCH_HPP
