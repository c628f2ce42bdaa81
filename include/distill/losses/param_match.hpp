#ifndef DISTILL_LOSSES_PARAM_MATCH_HPP
#define DISTILL_LOSSES_PARAM_MATCH_HPP

#include <Eigen/Core>

#include "distill/backend/cpu/backend.hpp"
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

/// The normalised parameter distance of trajectory matching, ‖a − b‖² / ‖c − b‖² on n values
/// (a: student after N steps, b: the expert target θ*, c: the student's start θ_0; MTT's
/// loss), in parts so that a loop of steps can leave its sums on the device and read them back
/// with everything else at once: queue_sums writes ‖c − b‖² and ‖a − b‖² (in double) to
/// sums[0] and sums[1] in the backend's memory; value makes the distance of their host copies;
/// gradient writes ∂/∂a = 2(a − b)/‖c − b‖² to grad (the denominator is a constant of the
/// outer problem). In host memory the sums are Eigen's vectorised reduction; elsewhere the
/// backend's deterministic sum.
namespace param_distance {

template <class Backend, class Scalar>
void queue_sums(Index n, const Scalar* a, const Scalar* b, const Scalar* c, double* sums) {
  if constexpr (kHostAccessible<typename Backend::memory_space>) {
    using Map = Eigen::Map<const Vector<Scalar>>;
    const Map va(a, n), vb(b, n), vc(c, n);
    sums[0] = (vc.template cast<double>() - vb.template cast<double>()).squaredNorm();
    sums[1] = (va.template cast<double>() - vb.template cast<double>()).squaredNorm();
  } else {
    Backend::sum_to(n, detail::SquaredDifference<Scalar>{c, b}, sums);
    Backend::sum_to(n, detail::SquaredDifference<Scalar>{a, b}, sums + 1);
  }
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

/// param_distance on host vectors: the distance, and its gradient in grad_a when that is
/// non-null.
template <class Scalar>
Scalar normalized_param_distance(const Eigen::Ref<const Vector<Scalar>>& a,
                                 const Eigen::Ref<const Vector<Scalar>>& b,
                                 const Eigen::Ref<const Vector<Scalar>>& c,
                                 Vector<Scalar>* grad_a = nullptr) {
  DISTILL_CHECK(a.size() == b.size() && c.size() == b.size(),
                "normalized_param_distance: vector sizes differ (" << a.size() << ", " << b.size()
                                                                   << ", " << c.size() << ")");
  double sums[2];
  param_distance::queue_sums<cpu::Backend>(a.size(), a.data(), b.data(), c.data(), sums);
  const Scalar distance = param_distance::value<Scalar>(sums);
  if (grad_a) {
    grad_a->resize(a.size());
    param_distance::gradient<cpu::Backend>(a.size(), a.data(), b.data(), sums[0], grad_a->data());
  }
  return distance;
}

}  // namespace distill

#endif  // DISTILL_LOSSES_PARAM_MATCH_HPP
