#ifndef DISTILL_TESTS_SUPPORT_RANDOM_TENSOR_HPP
#define DISTILL_TESTS_SUPPORT_RANDOM_TENSOR_HPP

// A tensor of standard-normal values from a fixed seed and stream, the test data of the
// augmentation tests.

#include <cstdint>

#include "distill/core/rng.hpp"
#include "distill/core/tensor.hpp"

namespace distill::test {

template <class Scalar>
Tensor<Scalar> random_tensor(const Shape& s, std::uint64_t seed, std::uint64_t stream) {
  Tensor<Scalar> t(s);
  Rng rng(seed, stream);
  for (Index i = 0; i < t.size(); ++i) t[i] = Scalar(rng.normal());
  return t;
}

}  // namespace distill::test

#endif  // DISTILL_TESTS_SUPPORT_RANDOM_TENSOR_HPP
