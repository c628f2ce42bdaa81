#ifndef DISTILL_NN_INIT_HPP
#define DISTILL_NN_INIT_HPP

#include <cmath>

#include "distill/core/rng.hpp"
#include "distill/core/shape.hpp"

namespace distill {

/// PyTorch's default initialisation of Conv2d and Linear: kaiming_uniform_(a = √5) for the
/// weight, which is U(−1/√fan_in, 1/√fan_in), and the same bound for the bias.
template <class Scalar>
void init_uniform_fan_in(Scalar* values, Index count, Index fan_in, Rng& rng) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  for (Index i = 0; i < count; ++i) values[i] = static_cast<Scalar>(rng.uniform(-bound, bound));
}

/// Norm layers start as the identity map: γ = 1, β = 0.
template <class Scalar>
void init_constant(Scalar* values, Index count, Scalar v) {
  for (Index i = 0; i < count; ++i) values[i] = v;
}

}  // namespace distill

#endif  // DISTILL_NN_INIT_HPP
